"""The papers' own grading rules, for recipes that follow a source to the letter (``accuracy``'s ``grader``
parameter; ``require_format: oat_r1`` in rewards/format.py).

This repository's grader (rewards/extract.py, rewards/accuracy.py) decides more than these do: it refuses
hedged, negated or contradictory statements and reads values, not strings. A source's published number was
measured with the source's rule, so a reproduction trains and evaluates with it, and this module transcribes
each one line by line from the cited file. Where a recipe keeps this repository's grader instead, its source
section says so, with the measured share of completions on which the two disagree.

- ``verl_gsm8k`` (volcengine/verl @ b178a3c, ``verl/utils/reward_score/gsm8k.py``): the last ``#### N`` in the
  last 300 characters, commas and ``$`` removed, compared with the gold **as a string** (``72.0`` is not
  ``72``); the gold is prepared the same way (``examples/data_preprocess/gsm8k.py``: commas removed), as
  ``data.load("gsm8k")`` stores it.
- ``simplerl`` (hkust-nlp/simpleRL-reason @ cf1c785, ``verl/utils/reward_score/hf_math_verify.py`` with
  ``qwen_math_eval_toolkit/parser.py``): the answer is, in order, Minerva's "final answer is $X$. I hope", the
  last ``boxed``, the text after the last "he answer is", after the last "final answer is", else the last
  number; gold and answer are wrapped in ``\\boxed{}`` and compared by math-verify alone. (The toolkit's
  ``strip_string`` clean-up of the extracted text is not reproduced: math-verify reads the forms it
  normalises.)
"""

from __future__ import annotations

import re

GRADERS = ("repository", "verl_gsm8k", "simplerl")

_VERL_CLIP_CHARS = 300  # gsm8k.py:17 _SOLUTION_CLIP_CHARS
_VERL_HASH = re.compile("#### (\\-?[0-9\\.\\,]+)")  # gsm8k.py:31


def verl_gsm8k_answer(text: str) -> str | None:
    """verl's strict GSM8K extraction (gsm8k.py:20-36).

    >>> verl_gsm8k_answer("so 1,000 apples\\n#### 1,000"), verl_gsm8k_answer("#### 5\\n#### 6,000"), verl_gsm8k_answer("6")
    ('1000', '6000', None)
    """
    solutions = _VERL_HASH.findall(text[-_VERL_CLIP_CHARS:])
    if not solutions:
        return None
    return solutions[-1].replace(",", "").replace("$", "")  # "take the last solution"


def verl_gsm8k_score(text: str, gold: str) -> float:
    """gsm8k.py:52-72 ``compute_score`` (method "strict", format_score 0.0, score 1.0): string equality.

    >>> verl_gsm8k_score("#### 72", "72"), verl_gsm8k_score("#### 72.0", "72"), verl_gsm8k_score("72", "72")
    (1.0, 0.0, 0.0)
    """
    answer = verl_gsm8k_answer(text)
    return 1.0 if answer is not None and answer == gold else 0.0


_LAST_NUMBER = re.compile(r"-?\d*\.?\d+")  # parser.py:539


def _after_last_box(text: str) -> str:
    """parser.py:509-528: what follows the last "boxed": a balanced {...} group, or up to the next "$"."""
    rest = text.split("boxed")[-1]
    if not rest:
        return ""
    if rest[0] != "{":
        return rest.split("$")[0].strip()
    depth, answer = 1, ""
    for char in rest[1:]:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        answer += char
    return answer


def qwen_math_answer(text: str) -> str | None:
    """The Qwen2.5-Math toolkit's ``extract_answer(pred_str, data_name="math")`` as SimpleRL trains with it
    (parser.py:499-567), without the final ``strip_string`` clean-up; None where it finds nothing.

    >>> qwen_math_answer("so \\\\boxed{\\\\frac{1}{2}} and the answer is 3"), qwen_math_answer("The answer is 42.\\nDone.")
    ('\\\\frac{1}{2}', '42.Done')
    >>> qwen_math_answer("we get 3,000 then 12 apples"), qwen_math_answer("no numbers")
    ('12', None)
    """
    text = text.replace("\u043a\u0438", "")
    if "final answer is $" in text and "$. I hope" in text:  # Minerva's phrasing
        answer = text.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    elif "boxed" in text:
        answer = _after_last_box(text)
    elif "he answer is" in text:
        answer = text.split("he answer is")[-1].strip()
    elif "final answer is" in text:
        answer = text.split("final answer is")[-1].strip()
    elif "答案是" in text:
        answer = text.split("答案是")[1].strip().split("\n\n")[0].strip()
    else:  # "use the last number"
        numbers = _LAST_NUMBER.findall(text.replace(",", ""))
        answer = numbers[-1] if numbers else ""
    answer = re.sub(r"\n\s*", "", answer)  # parser.py:561-567
    if answer.startswith(":"):
        answer = answer[1:]
    if answer.endswith("."):
        answer = answer[:-1]
    if answer.endswith("/"):
        answer = answer[:-1]
    return answer or None


def simplerl_pair(gold: str, answer: str) -> tuple[str, str]:
    """hf_math_verify.py:178-191: both sides as ``\\boxed{...}`` for math-verify.

    >>> simplerl_pair("7", "\\\\boxed{7}")
    ('\\\\boxed{7}', '\\\\boxed{7}')
    """
    gold = gold if "\\boxed" in gold else f"\\boxed{{{gold}}}"
    answer = answer if "\\boxed" in answer else f"\\boxed{{{answer}}}"
    return gold, answer
