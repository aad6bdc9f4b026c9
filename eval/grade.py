"""The evaluation grader: the training reward itself, read two ways.

``grade`` scores completions with ``rewards.accuracy_reward`` and the grader parameters a recipe's
accuracy reward uses (``extract``, ``zero_if_truncated``), so a score here means what a reward in a
training log means. The same completions are also scored with ``extract="lenient"`` (a last-sentence
fallback), as lm-evaluation-harness reports strict-match beside flexible-extract: the headline number is
the strict one, the lenient one shows how much a harness with a fallback would add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewards import extract_final_answer, grade_completions
from rewards.extract import EXTRACTION_MODES

# The accuracy reward's defaults: what `python -m eval` grades with when no recipe says otherwise.
DEFAULT_GRADER: dict[str, Any] = {
    "extract": "stated",
    "zero_if_truncated": False,
    "require_format": None,
    "think_prefilled": False,
    "grader": "repository",
}
GRADER_KEYS = tuple(DEFAULT_GRADER)


def grader_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """The grading parameters among an accuracy reward's parameters, with the defaults filled in.

    >>> grader_params({"extract": "boxed", "timeout_s": 5})
    {'extract': 'boxed', 'zero_if_truncated': False, 'require_format': None, 'think_prefilled': False, 'grader': 'repository'}
    """
    chosen = {**DEFAULT_GRADER, **{k: v for k, v in (params or {}).items() if k in GRADER_KEYS}}
    if chosen["extract"] not in EXTRACTION_MODES:
        raise ValueError(
            f"unknown extraction mode {chosen['extract']!r}; choose one of {', '.join(EXTRACTION_MODES)}"
        )
    return chosen


@dataclass
class Graded:
    answers: list[str | None]  # what the grader read as each completion's final answer
    scores: list[float | None]  # strict: the grader's own parameters
    lenient: list[float | None]  # the same, with the last-sentence fallback
    incidents: dict[str, int]  # checks that gave no verdict (timeouts, crashes; each scored 0)


def grade(
    completions: Sequence[str],
    golds: Sequence[Any],
    grader: dict[str, Any] | None = None,
    truncated: Sequence[bool] | None = None,
    prompts: Sequence[Any] | None = None,
) -> Graded:
    """Score completions against golds, strictly (the grader's parameters) and leniently. ``prompts``, as
    the training reward gets them from TRL: what a completion echoes of its prompt is not its answer.

    >>> g = grade(["The answer is 4.", "So she has 4 apples."], ["4", "4"])
    >>> g.scores, g.lenient, g.answers
    ([1.0, 0.0], [1.0, 1.0], ['4', None])
    """
    params = grader_params(grader)
    strict = grade_completions(completions, golds, truncated=truncated, prompts=prompts, **params)
    lenient, incidents = list(strict.scores), dict(strict.incidents)
    if params["grader"] != "repository":  # a source's rule reads one way only
        return Graded(strict.answers, strict.scores, lenient, incidents)
    # The lenient score differs only where the lenient reading finds another answer: grade just those.
    prompt_of = list(prompts) if prompts is not None else [None] * len(completions)
    readings = [extract_final_answer(c, "lenient", p) for c, p in zip(completions, prompt_of, strict=True)]
    others = [i for i, reading in enumerate(readings) if reading != strict.answers[i]]
    if others:
        regraded = grade_completions(
            [completions[i] for i in others],
            [golds[i] for i in others],
            truncated=None if truncated is None else [truncated[i] for i in others],
            answers=[readings[i] for i in others],
            **{**params, "extract": "lenient"},
        )
        for i, score in zip(others, regraded.scores, strict=True):
            lenient[i] = score
        incidents = {kind: incidents[kind] + regraded.incidents[kind] for kind in incidents}
    return Graded(strict.answers, strict.scores, lenient, incidents)


def correct_flags(scores: Sequence[float | None]) -> list[bool] | None:
    """Per-sample correctness, or None when the gold can't be graded (a None score)."""
    return None if any(s is None for s in scores) else [s == 1.0 for s in scores]
