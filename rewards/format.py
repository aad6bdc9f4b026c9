"""Format rewards: does the completion have the shape its prompt template asked for?

The template (data/templates.py) declares the answer format it asks for; recipes pass it on as the
``answer_format`` parameter, and ``think_prefilled`` when the prompt already ends with ``<think>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rewards.extract import completion_text, extract_final_answer, last_boxed

ANSWER_FORMATS = ("think_answer", "boxed", "gsm8k_hash", "answer_is", "stated", "oat_r1")

_THINK_ANSWER = re.compile(
    r"^\s*<think>(?:(?!<think>|</think>).)*</think>\s*<answer>(?:(?!<answer>).)*?</answer>\s*$", re.DOTALL
)
# With "<think>" prefilled in the prompt the completion starts inside the reasoning: only the closing tag
# is in it. (open-r1's format reward expects the opening tag too and stays at 0 there.)
_THINK_ANSWER_PREFILLED = re.compile(
    r"^(?:(?!<think>|</think>).)*</think>\s*<answer>(?:(?!<answer>).)*?</answer>\s*$", re.DOTALL
)
_HASH = re.compile(r"####\s*[-+]?[\d,]*\.?\d+\s*$")
# One line of calculation ("23 + 48 = 71"), then "The answer is 71." A bare "The answer is N." is not the
# format: rewarding it teaches a small model to drop the calculation, and then its accuracy collapses.
_ANSWER_IS = re.compile(
    r"^\s*[^\n]*\d[^\n]*=\s*[-+]?[\d,]*\.?\d+[^\n]*?(?:\n+|\s+)the answer is:?\s*\$?[-+]?[\d,]*\.?\d+\$?\.?\s*$",
    re.IGNORECASE,
)


def _reasoning_well_formed(text: str, think_prefilled: bool) -> tuple[bool, str]:
    """(think tags used correctly, the text after them). Tags are optional for boxed / hash formats."""
    opens, closes = text.count("<think>"), text.count("</think>")
    if think_prefilled:
        return (opens == 0 and closes == 1), text.split("</think>")[-1]
    if opens == closes == 0:
        return True, text
    ok = opens == closes == 1 and text.find("<think>") < text.find("</think>")
    return ok, text.split("</think>")[-1]


def has_format(text: str | None, answer_format: str = "think_answer", think_prefilled: bool = False) -> bool:
    """Whether ``text`` follows ``answer_format``.

    >>> has_format("<think>2+2=4</think><answer>4</answer>")
    True
    >>> has_format("2+2=4</think><answer>4</answer>", think_prefilled=True)
    True
    >>> has_format("<answer>4</answer>")
    False
    >>> has_format("So $x = \\\\boxed{4}$.", "boxed")
    True
    >>> has_format("3 + 4 = 7\\n#### 7", "gsm8k_hash")
    True
    """
    if answer_format not in ANSWER_FORMATS:
        raise ValueError(
            f"unknown answer_format {answer_format!r}; choose one of {', '.join(ANSWER_FORMATS)}"
        )
    if not isinstance(text, str):
        return False
    if answer_format == "oat_r1":  # understand-r1-zero math_grader.py:1028, a substring test
        return "</think> <answer>" in text and "</answer>" in text
    if answer_format == "think_answer":
        pattern = _THINK_ANSWER_PREFILLED if think_prefilled else _THINK_ANSWER
        return pattern.match(text) is not None
    ok, rest = _reasoning_well_formed(text, think_prefilled)
    if not ok:
        return False
    if answer_format == "stated":  # any stated final answer (tags, box, ####, "the answer is")
        return extract_final_answer(rest) is not None
    if answer_format == "boxed":
        return last_boxed(rest[-4000:]) is not None
    if answer_format == "gsm8k_hash":
        return _HASH.search(rest) is not None
    return _ANSWER_IS.match(rest) is not None


def example_completion(
    answer_format: str, answer: str, think_prefilled: bool = False, reasoning: str = "3 + 4 = 7"
) -> str:
    """A completion that follows ``answer_format``: ``reasoning``, then ``answer`` stated as the format asks.
    The dry run calls each reward on these (``format_reads`` decides compatibility with them), and SFT on
    reference solutions trains on them (``Template.write_answer``).

    >>> all(has_format(example_completion(f, "7"), f) for f in ANSWER_FORMATS)
    True
    >>> example_completion("think_answer", "7", think_prefilled=True)
    ' 3 + 4 = 7 </think> <answer>7</answer>'
    >>> example_completion("boxed", "71", reasoning="23 + 48 = 71")
    '23 + 48 = 71\\nThe final answer is $\\\\boxed{71}$.'
    """
    if answer_format not in ANSWER_FORMATS:
        raise ValueError(
            f"unknown answer_format {answer_format!r}; choose one of {', '.join(ANSWER_FORMATS)}"
        )
    if answer_format in ("think_answer", "oat_r1"):  # the R1 text's own spacing: "</think> <answer>"
        opening = " " if think_prefilled else "<think> "
        return f"{opening}{reasoning} </think> <answer>{answer}</answer>"
    if answer_format == "boxed":
        return f"{reasoning}\nThe final answer is $\\boxed{{{answer}}}$."
    if answer_format == "gsm8k_hash":
        return f"{reasoning}\n#### {answer}"
    return f"{reasoning}\nThe answer is {answer}."  # answer_is and stated


def format_reads(extract: str, answer_format: str, think_prefilled: bool = False) -> bool:
    """Whether the accuracy reward's ``extract`` mode reads the answer of a completion in ``answer_format``
    (the one definition of which extraction suits which template: checked on ``example_completion``).

    >>> from rewards.extract import EXTRACTION_MODES
    >>> [mode for mode in EXTRACTION_MODES if format_reads(mode, "think_answer")]
    ['stated', 'lenient', 'answer_tag']
    >>> [mode for mode in EXTRACTION_MODES if format_reads(mode, "boxed")]
    ['stated', 'lenient', 'boxed']
    >>> [mode for mode in EXTRACTION_MODES if format_reads(mode, "gsm8k_hash")]
    ['stated', 'lenient', 'gsm8k_hash']
    """
    return extract_final_answer(example_completion(answer_format, "17", think_prefilled), extract) == "17"


def format_reward(
    completions: Sequence[Any],
    answer_format: str = "think_answer",
    think_prefilled: bool = False,
    **kwargs: Any,
) -> list[float]:
    """1.0 when a completion has the format its template asked for, else 0.0 (DeepSeek-R1, 2025).

    ``answer_format``: ``think_answer`` (``<think>...</think><answer>...</answer>``, the R1 format),
    ``boxed`` (a final ``\\boxed{}``), ``gsm8k_hash`` (``#### N`` at the end), ``answer_is``
    (one line of calculation, then "The answer is N."), ``stated`` (any stated final answer) or ``oat_r1``
    (Dr. GRPO's R1 gate, understand-r1-zero math_grader.py:1028: the text holds "</think> <answer>" and
    "</answer>", wherever they are). ``think_prefilled``: the prompt ends with ``<think>``, so the completion
    only closes it.

    >>> format_reward(["<think>\\nhmm\\n</think>\\n<answer>\\n7\\n</answer>", "7"])
    [1.0, 0.0]
    """
    return [
        1.0 if has_format(completion_text(c), answer_format, think_prefilled) else 0.0 for c in completions
    ]


def tag_count_reward(completions: Sequence[Any], think_prefilled: bool = False, **kwargs: Any) -> list[float]:
    """Partial credit, 0.25 per R1 tag used exactly once (open-r1's ``tag_count_reward``): a denser
    signal than ``format_reward`` early in training, when few completions have the whole format.

    >>> tag_count_reward(["<think>a</think><answer>1</answer>", "<think>a</think> 1", "1"])
    [1.0, 0.5, 0.0]
    >>> tag_count_reward(["a</think><answer>1</answer>"], think_prefilled=True)
    [1.0]
    """
    scores = []
    for completion in completions:
        text = completion_text(completion) or ""
        tags = (
            ("</think>", "<answer>", "</answer>")
            if think_prefilled
            else ("<think>", "</think>", "<answer>", "</answer>")
        )
        scores.append(sum(text.count(tag) == 1 for tag in tags) / len(tags))
    return scores
