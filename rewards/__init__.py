"""Rule-based rewards for GRPO, with TRL's reward signature: ``reward(completions, **columns) -> list``.

A recipe names rewards from ``REGISTRY``; ``get(name, **params)`` binds a reward's parameters and keeps
a readable ``__name__`` (TRL logs each reward under it).

>>> reward = get("format", answer_format="boxed")
>>> reward.__name__, reward(["so \\\\boxed{4}", "4"])
('format', [1.0, 0.0])
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from rewards.accuracy import Grading, accuracy_reward, answers_equivalent, grade_answers, grade_completions
from rewards.extract import extract_final_answer, last_boxed
from rewards.format import format_reward, has_format, tag_count_reward
from rewards.shaping import cosine_scaled_reward, repetition_penalty_reward, soft_overlong_punishment

REGISTRY: dict[str, Callable[..., list]] = {
    "accuracy": accuracy_reward,
    "format": format_reward,
    "tag_count": tag_count_reward,
    "soft_overlong": soft_overlong_punishment,
    "cosine_scaled": cosine_scaled_reward,
    "repetition_penalty": repetition_penalty_reward,
}


def reward_parameters(name: str) -> list[str]:
    """The parameters a recipe may set for reward ``name`` (everything but TRL's batch columns)."""
    signature = inspect.signature(_lookup(name))
    batch_columns = {"completions", "answer", "completion_ids", "prompts", "truncated", "kwargs"}
    return [p for p in signature.parameters if p not in batch_columns]


def _lookup(name: str) -> Callable[..., list]:
    if name not in REGISTRY:
        raise KeyError(f"unknown reward {name!r}; registered rewards: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def get(name: str, **params: Any) -> Callable[..., list]:
    """The reward called ``name`` with ``params`` bound, named ``name`` for TRL's logs."""
    func = _lookup(name)
    unknown = sorted(set(params) - set(reward_parameters(name)))
    if unknown:
        raise TypeError(f"reward {name!r} has no parameter(s) {unknown}; it takes {reward_parameters(name)}")
    bound = functools.partial(func, **params)

    @functools.wraps(func)
    def reward(*args: Any, **kwargs: Any) -> list:
        return bound(*args, **kwargs)

    reward.__name__ = name
    reward.params = dict(params)  # what was bound, for logs and for evaluation to grade alike
    return reward


__all__ = [
    "REGISTRY",
    "Grading",
    "accuracy_reward",
    "answers_equivalent",
    "cosine_scaled_reward",
    "extract_final_answer",
    "format_reward",
    "get",
    "grade_answers",
    "grade_completions",
    "has_format",
    "last_boxed",
    "repetition_penalty_reward",
    "reward_parameters",
    "soft_overlong_punishment",
    "tag_count_reward",
]
