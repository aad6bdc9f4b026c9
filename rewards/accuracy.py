"""The accuracy reward, which is also the evaluation grader: 1.0 when the final answer equals the gold.

Two stages: ``extract_final_answer`` picks the answer span (rewards/extract.py documents the order), then
``grade_answers`` decides equivalence: exactly for plain numbers (rewards/numbers.py), symbolically
through math-verify for everything else (rewards/verifier.py), with a hard time limit per item.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from rewards.extract import completion_text, extract_final_answer
from rewards.numbers import parse_plain_number
from rewards.numeric import answer_shape, clearly_different, strip_assignment
from rewards.verifier import DIFFERENT, EQUIVALENT, GOLD_ERROR, TIMEOUT, get_pool

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
_reported_bad_golds: set[str] = set()
# Verdicts of the symbolic checker, by (gold, answer): it is a pure function, and GRPO meets the same
# golds every epoch, often with the same answers.
_RESULTS: dict[tuple[str, str], str] = {}
_MAX_RESULTS = 200_000
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox)\{([^{}]*)\}")
_SPACING = re.compile(r"\s+|\\[,;!: ]|^\$+|\$+$")
# A gold listing several answers ("3, 5", "1 and 2") makes "3 or 5" a fair statement of it.
_MULTI_ANSWER = re.compile(r",|;|\bor\b|\band\b|\\pm")

# "7 or 8", "either 3 or 4": a hedge names several candidates, and is not an answer.
_HEDGE = re.compile(r"(?:\d|\})\s*(?:\bor\b|\\text\{\s*or\s*\}|\\lor|\\vee)\s*\$?\s*[-+]?(?:\d|\\)")


def grade_answers(
    golds: Sequence[Any], answers: Sequence[str | None], timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[float | None]:
    """Grade extracted answers against golds: 1.0, 0.0, or None where the gold itself can't be parsed.

    Each distinct (gold, answer) pair is checked once (and remembered), so a GRPO group that repeats an
    answer costs one check, and each distinct gold is parsed once per worker. Order of checks: identical
    text; plain numbers, exactly; constant expressions whose values clearly differ (rewards/numeric.py);
    then math-verify, in a worker process with a hard time limit.

    >>> grade_answers(["72", "2,125", "\\\\frac{1}{2}"], ["72.00", "2125", "0.5"])
    [1.0, 1.0, 1.0]
    >>> grade_answers(["7"], ["7 or 8"])
    [0.0]
    """
    scores: list[float | None] = [0.0] * len(answers)
    # Every check below runs once per distinct (gold, answer) pair: a GRPO batch repeats each gold G
    # times, and a group often repeats its answer.
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, (gold, answer) in enumerate(zip(golds, answers, strict=True)):
        if isinstance(gold, (int, float)) and not isinstance(gold, bool) and math.isfinite(gold):
            gold = str(gold)  # a float gold such as 27.0 (AMC); NaN and infinity are no gold
        if not isinstance(gold, str) or not gold.strip():
            scores[i] = None
            _report_bad_gold(repr(gold))
        elif isinstance(answer, str) and answer.strip():
            pairs.setdefault((gold.strip(), answer), []).append(i)

    symbolic = []
    for pair, indices in pairs.items():
        verdict = _quick_verdict(*pair)
        if verdict is None:
            symbolic.append(pair)
        else:
            _apply(indices, verdict, pair[0], scores)

    unknown = [pair for pair in symbolic if pair not in _RESULTS]
    for pair, result in zip(unknown, get_pool().check(unknown, timeout_s) if unknown else [], strict=True):
        if result != TIMEOUT:  # a timeout may be load: it is not remembered as a verdict
            _RESULTS[pair] = result
            if len(_RESULTS) > _MAX_RESULTS:
                _RESULTS.pop(next(iter(_RESULTS)))
        _apply(pairs[pair], result, pair[0], scores)
    for pair in symbolic:
        if pair in _RESULTS:
            _apply(pairs[pair], _RESULTS[pair], pair[0], scores)
    return scores


def _quick_verdict(gold: str, answer: str) -> str | None:
    """EQUIVALENT or DIFFERENT when cheap rules decide the pair, None when math-verify must."""
    if _same_text(gold, answer):
        return EQUIVALENT
    if _HEDGE.search(answer) and not _MULTI_ANSWER.search(gold):
        return DIFFERENT
    value = answer if "=" in gold else strip_assignment(answer)  # "x = 5" states 5
    gold_value, answer_value = parse_plain_number(gold), parse_plain_number(value)
    if gold_value is not None and answer_value is not None:
        return EQUIVALENT if _numbers_equal(gold_value, answer_value) else DIFFERENT
    if clearly_different(gold, value) or _shapes_differ(gold, value):
        return DIFFERENT
    return None


def _apply(indices: list[int], result: str, gold: str, scores: list[float | None]) -> None:
    for i in indices:
        if result == GOLD_ERROR:
            scores[i] = None
            _report_bad_gold(gold)
        else:
            scores[i] = 1.0 if result == EQUIVALENT else 0.0


def _canonical_text(text: str) -> str:
    text = _TEXT_WRAPPER.sub(r"\1", text)
    text = _SPACING.sub("", text)
    return text.casefold() if text.isalpha() else text  # "\text{Even}" == "even"; "X" != "x" in math


def _same_text(gold: str, answer: str) -> bool:
    """Identical up to spacing, math delimiters and text markup: equivalent by definition."""
    return _canonical_text(gold) == _canonical_text(answer)


def _shapes_differ(gold: str, answer: str) -> bool:
    """A list can't equal a single value, nor a word a number: no symbolic check needed to say no."""
    gold_shape, answer_shape_ = answer_shape(gold), answer_shape(answer)
    return gold_shape is not None and answer_shape_ is not None and gold_shape != answer_shape_


def _numbers_equal(gold: Fraction, answer: Fraction) -> bool:
    """Exact equality, or a decimal answer of at least 6 places that is the gold rounded or truncated
    there (0.0833333333 for 1/12; but 0.3333 is not 1/3)."""
    if gold == answer:
        return True
    places = 0
    while (answer * 10**places).denominator != 1 and places < 40:
        places += 1
    return places >= 6 and abs(gold - answer) < Fraction(1, 10**places)


def _report_bad_gold(gold: str) -> None:
    if gold not in _reported_bad_golds:
        _reported_bad_golds.add(gold)
        logger.warning("gold answer %.200r cannot be parsed; its rows score None (skipped by TRL)", gold)


def accuracy_reward(
    completions: Sequence[Any],
    answer: Sequence[Any],
    extract: str = "stated",
    zero_if_truncated: bool = False,
    truncated: Sequence[bool] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 when a completion's stated final answer is mathematically equivalent to the gold ``answer``,
    else 0.0.

    TRL's reward signature: ``completions`` are strings or conversations, ``answer`` is the dataset column
    with the gold final answers. A gold that can't be parsed gives None (TRL ignores that row). Never
    raises on model output.

    ``extract``: which statements count as the answer (rewards/extract.py): ``stated`` (answer tags, a
    box, ``####``, "the answer is"; the default), ``lenient`` (also the last sentence, for comparison with
    other harnesses), ``boxed``, ``answer_tag`` or ``gsm8k_hash`` (one form only, as some papers grade).
    ``zero_if_truncated``: a completion cut off before EOS scores 0 (Dr. GRPO); ``truncated`` is the
    per-completion flag the recipe runner and evaluation pass in.

    >>> accuracy_reward(["... so she has 72 apples.\\n#### 72", "<answer>\\\\boxed{71}</answer>"], ["72", "72"])
    [1.0, 0.0]
    >>> accuracy_reward([[{"role": "assistant", "content": "The answer is $\\\\frac{1}{2}$."}]], ["0.5"])
    [1.0]
    >>> accuracy_reward(["First, 70 + 2 = 72.\\nNow I still need to check the units and"], ["72"])
    [0.0]
    >>> accuracy_reward(["So she has 72 apples."], ["72"]), accuracy_reward(["So she has 72 apples."], ["72"], extract="lenient")
    ([0.0], [1.0])
    >>> accuracy_reward(["#### 72", "#### 72"], ["72", "72"], zero_if_truncated=True, truncated=[False, True])
    [1.0, 0.0]
    """
    answers = [extract_final_answer(completion_text(c), extract) for c in completions]
    scores = grade_answers(list(answer), answers, timeout_s=timeout_s)
    if zero_if_truncated and truncated is not None:
        scores = [
            0.0 if cut and score is not None else score for score, cut in zip(scores, truncated, strict=True)
        ]
    return scores
