"""The accuracy reward, which is also the evaluation grader: 1.0 when the final answer equals the gold.

Two stages: ``extract_final_answer`` picks the answer span (rewards/extract.py documents the order), then
``grade_answers`` decides equivalence, once per distinct (gold, answer) pair: identical text
(rewards/normalize.py); the stating rules that depend on the gold (rewards/stating.py: a hedge, a
relation, arithmetic left undone for a number is no answer); plain numbers, exactly
(rewards/plain_numbers.py); values of small expressions, tuples, intervals and sets, with exact rational
arithmetic (rewards/expressions.py); and only then math-verify, in worker processes with a hard time limit
per item (rewards/verifier.py).
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rewards.expressions import answer_shape, numeric_verdict
from rewards.extract import completion_text, extract_final_answer
from rewards.format import has_format
from rewards.normalize import canonical_text, strip_assignment
from rewards.plain_numbers import parse_plain_number
from rewards.source_graders import (
    GRADERS,
    qwen_math_answer,
    simplerl_pair,
    verl_gsm8k_answer,
    verl_gsm8k_score,
)
from rewards.stating import not_an_answer_to
from rewards.verifier import CRASHED, DIFFERENT, EQUIVALENT, GOLD_ERROR, TIMEOUT, get_pool

logger = logging.getLogger(__name__)

# The hard deadline per symbolic check, above the workers' soft one (rewards/verifier.py): generous, so
# that no legitimate answer's reward depends on the machine's speed or load.
DEFAULT_TIMEOUT_S = 40.0
_reported_bad_golds: set[str] = set()
# Verdicts by (gold, answer): grading is a pure function, and GRPO meets the same golds every epoch,
# often with the same answers. Least recently used entries go first past the cap; a
# call reads its verdicts from its own dict, so an eviction never changes a score in flight.
_RESULTS: collections.OrderedDict[tuple[str, str], str] = collections.OrderedDict()
_MAX_RESULTS = 200_000


def grade_answers(
    golds: Sequence[Any], answers: Sequence[str | None], timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[float | None]:
    """Grade extracted answers against golds: 1.0, 0.0, or None where the gold itself can't be parsed.

    Each distinct (gold, answer) pair is checked once (and remembered), so a GRPO group that repeats an
    answer costs one check, and each distinct gold is parsed once per worker.

    >>> grade_answers(["72", "2,125", "\\\\frac{1}{2}"], ["72.00", "2125", "0.5"])
    [1.0, 1.0, 1.0]
    >>> grade_answers(["7"], ["7 or 8"])
    [0.0]
    """
    return _grade(golds, answers, timeout_s)[0]


def _grade(
    golds: Sequence[Any], answers: Sequence[str | None], timeout_s: float
) -> tuple[list[float | None], dict[str, int]]:
    """``grade_answers``' scores, and the checks that gave no verdict (timeouts, crashes: scored 0)."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not 0 < timeout_s < math.inf:
        # 0 or less would fail every item math-verify is asked about, silently scoring it 0
        raise ValueError(f"timeout_s must be a finite number of seconds above 0, got {timeout_s!r}")
    scores: list[float | None] = [0.0] * len(answers)
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, (gold, answer) in enumerate(zip(golds, answers, strict=True)):
        if isinstance(gold, (int, float)) and not isinstance(gold, bool) and math.isfinite(gold):
            gold = str(gold)  # a float gold such as 27.0 (AMC); NaN and infinity are no gold
        if not isinstance(gold, str) or not gold.strip():
            scores[i] = None
            _report_bad_gold(repr(gold))
        elif isinstance(answer, str) and answer.strip():
            pairs.setdefault((gold.strip(), answer), []).append(i)
    verdicts = judge(list(pairs), timeout_s)
    for pair, verdict in verdicts.items():
        for i in pairs[pair]:
            if verdict == GOLD_ERROR:
                scores[i] = None
                _report_bad_gold(pair[0])
            else:
                scores[i] = 1.0 if verdict == EQUIVALENT else 0.0
    return scores, _incidents(verdicts.values())


def _incidents(verdicts: Any) -> dict[str, int]:
    """How many checks gave no verdict: ``{"timeout": n, "crashed": n}``."""
    counted = collections.Counter(v for v in verdicts if v in (TIMEOUT, CRASHED))
    return {kind: counted[kind] for kind in (TIMEOUT, CRASHED)}


def judge(pairs: list[tuple[str, str]], timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[tuple[str, str], str]:
    """A verdict per distinct (gold, answer) pair: EQUIVALENT, DIFFERENT, GOLD_ERROR, or TIMEOUT / CRASHED
    (the checker could not judge it: never remembered, scored 0, counted by the caller)."""
    verdicts: dict[tuple[str, str], str] = {}
    symbolic = []
    for pair in pairs:
        if pair in _RESULTS:
            _RESULTS.move_to_end(pair)
            verdicts[pair] = _RESULTS[pair]
            continue
        quick = _quick_verdict(*pair)
        if quick is None:
            symbolic.append(pair)
        else:
            verdicts[pair] = _remember(pair, quick)
    if symbolic:
        results = dict(zip(symbolic, get_pool().check(symbolic, timeout_s), strict=True))
        # Once more: a pair whose worker was killed by the machine (memory, a signal), and a pair whose gold
        # math-verify can't read but this module reads as a plain number ("\\$32,\\!348" is 32348 to both):
        # such a gold must never make a row ungradable.
        again = [
            (pair, (_verifier_gold(pair[0]), pair[1]))
            for pair, result in results.items()
            if result == CRASHED or (result == GOLD_ERROR and _verifier_gold(pair[0]) != pair[0])
        ]
        if again:
            retried = get_pool().check([sent for _, sent in again], timeout_s)
            results.update((pair, result) for (pair, _), result in zip(again, retried, strict=True))
        for pair, result in results.items():
            verdicts[pair] = result
            if result not in (TIMEOUT, CRASHED):
                _remember(pair, result)
    return verdicts


def _remember(pair: tuple[str, str], verdict: str) -> str:
    _RESULTS[pair] = verdict
    if len(_RESULTS) > _MAX_RESULTS:
        _RESULTS.popitem(last=False)
    return verdict


def answers_equivalent(pairs: list[tuple[str, str]], timeout_s: float = DEFAULT_TIMEOUT_S) -> list[bool]:
    """Whether two *model* answers say the same thing (for majority votes): one check per pair, no gold
    warnings (an answer math-verify can't read is equal only to identical text).

    >>> answers_equivalent([("0.5", "\\\\frac{1}{2}"), ("3", "4")])
    [True, False]
    """
    verdicts = judge([(a.strip(), b) for a, b in pairs], timeout_s)
    return [verdicts[(a.strip(), b)] == EQUIVALENT for a, b in pairs]


def _verifier_gold(gold: str) -> str:
    """The gold as math-verify should read it: a plain number as its exact value, else as written.

    >>> _verifier_gold("\\\\$32,\\\\!348"), _verifier_gold("18.90"), _verifier_gold("x+1")
    ('32348', '189/10', 'x+1')
    """
    value = parse_plain_number(gold)
    if value is None:
        return gold
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _quick_verdict(gold: str, answer: str) -> str | None:
    """EQUIVALENT or DIFFERENT when cheap rules decide the pair, None when math-verify must."""
    if canonical_text(gold) == canonical_text(answer):
        return EQUIVALENT
    if not_an_answer_to(gold, answer):  # a hedge, a relation, arithmetic left undone (rewards/stating.py)
        return DIFFERENT
    value = answer if "=" in gold else strip_assignment(answer)  # "x = 5" states 5
    gold_value, answer_value = parse_plain_number(gold), parse_plain_number(value)
    if gold_value is not None and answer_value is not None:
        return EQUIVALENT if _numbers_equal(gold_value, answer_value) else DIFFERENT
    if _shapes_differ(gold, value):
        return DIFFERENT
    return numeric_verdict(gold, value)


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


def _source_grade(
    grader: str, texts: list[str], golds: list[Any], timeout_s: float
) -> tuple[list[str | None], list[float | None], dict[str, int]]:
    """A source's own rule (rewards/source_graders.py): (answers, scores, incidents); a missing gold scores
    None, as here."""
    golds = [
        str(g).strip() if isinstance(g, (str, int, float)) and not isinstance(g, bool) else None
        for g in golds
    ]
    if grader == "verl_gsm8k":
        answers = [verl_gsm8k_answer(t) for t in texts]
        scores = [None if g is None else verl_gsm8k_score(t, g) for t, g in zip(texts, golds, strict=True)]
        return answers, scores, _incidents([])
    # simplerl: math-verify alone, on both sides wrapped in \boxed{}; each distinct pair checked once
    answers = [qwen_math_answer(t) for t in texts]
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, (found, gold) in enumerate(zip(answers, golds, strict=True)):
        if gold is not None and found is not None:
            pairs.setdefault(simplerl_pair(gold, found), []).append(i)
    scores: list[float | None] = [None if g is None else 0.0 for g in golds]
    results = get_pool().check(list(pairs), timeout_s) if pairs else []
    for pair, result in zip(pairs, results, strict=True):
        for i in pairs[pair]:
            scores[i] = 1.0 if result == EQUIVALENT else None if result == GOLD_ERROR else 0.0
    return answers, scores, _incidents(results)


@dataclass(frozen=True)
class Grading:
    """What the grader decided for a batch, from one call: the answer it read in each completion, the
    scores, and how many checks gave no verdict (``{"timeout": n, "crashed": n}``, each scored 0)."""

    answers: list[str | None]
    scores: list[float | None]
    incidents: dict[str, int]


def grade_completions(
    completions: Sequence[Any],
    golds: Sequence[Any],
    extract: str = "stated",
    zero_if_truncated: bool = False,
    require_format: str | None = None,
    think_prefilled: bool = False,
    truncated: Sequence[bool] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    prompts: Sequence[Any] | None = None,
    grader: str = "repository",
    answers: Sequence[str | None] | None = None,
) -> Grading:
    """Grade completions against golds (the parameters are ``accuracy_reward``'s); ``answers``: the answers
    already read from them with ``extract`` (evaluation's lenient pass reuses its reading).

    >>> g = grade_completions(["So it is 4.\\n#### 4", "The answer is 5."], ["4", "4"])
    >>> g.answers, g.scores, g.incidents
    (['4', '5'], [1.0, 0.0], {'timeout': 0, 'crashed': 0})
    """
    texts = [completion_text(c) for c in completions]
    if grader == "repository":
        if answers is None:
            prompts = [None] * len(texts) if prompts is None else prompts
            answers = [extract_final_answer(t, extract, p) for t, p in zip(texts, prompts, strict=True)]
        scores, incidents = _grade(list(golds), list(answers), timeout_s)
    elif grader in GRADERS:
        answers, scores, incidents = _source_grade(grader, [t or "" for t in texts], list(golds), timeout_s)
    else:
        raise ValueError(f"unknown grader {grader!r}; choose one of {', '.join(GRADERS)}")
    if require_format is not None:
        scores = [
            0.0 if score is not None and not has_format(text, require_format, think_prefilled) else score
            for score, text in zip(scores, texts, strict=True)
        ]
    if zero_if_truncated and truncated is not None:
        scores = [
            0.0 if cut and score is not None else score for score, cut in zip(scores, truncated, strict=True)
        ]
    return Grading(list(answers), scores, incidents)


def accuracy_reward(
    completions: Sequence[Any],
    answer: Sequence[Any],
    extract: str = "stated",
    zero_if_truncated: bool = False,
    require_format: str | None = None,
    think_prefilled: bool = False,
    truncated: Sequence[bool] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    prompts: Sequence[Any] | None = None,
    grader: str = "repository",
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
    ``zero_if_truncated``: a completion that generation stopped at its length limit (not at EOS, not at a
    stop string) scores 0 (Dr. GRPO); ``truncated`` is the per-completion flag the recipe runner and
    evaluation pass in. ``require_format``: a completion must
    also have this format (``rewards.format``; ``think_prefilled`` as there) to score, the way Dr. GRPO's
    R1-template reward gates correctness on the tags. ``prompts`` (TRL passes them): a completion that
    echoes its prompt is not credited with what the prompt states. ``grader``: ``repository`` (all of the
    above), or a source's own rule for a recipe that follows it (rewards/source_graders.py: ``verl_gsm8k``,
    ``simplerl``; ``extract`` then doesn't apply).

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
    >>> accuracy_reward(["x</think> <answer>72</answer>", "<answer>72</answer>"], ["72", "72"], extract="answer_tag", require_format="think_answer", think_prefilled=True)
    [1.0, 0.0]
    """
    grading = grade_completions(
        completions,
        answer,
        extract=extract,
        zero_if_truncated=zero_if_truncated,
        require_format=require_format,
        think_prefilled=think_prefilled,
        truncated=truncated,
        timeout_s=timeout_s,
        prompts=prompts,
        grader=grader,
    )
    log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
    if log_metric is not None:  # TRL's hook: lands in the run's logs beside the rewards
        for kind, count in grading.incidents.items():
            log_metric(f"grader/{kind}", float(count))
    return grading.scores
