"""Shaping rewards: length and repetition terms added to the accuracy reward, each from its paper."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rewards.accuracy import DEFAULT_TIMEOUT_S, accuracy_reward
from rewards.extract import completion_text


def _lengths(completions: Sequence[Any], completion_ids: Sequence[Sequence[int]] | None) -> list[int]:
    """Completion lengths in tokens when TRL passes ``completion_ids``, else in characters."""
    if completion_ids is not None:
        return [len(ids) for ids in completion_ids]
    return [len(completion_text(c) or "") for c in completions]


def soft_overlong_punishment(
    completions: Sequence[Any],
    completion_ids: Sequence[Sequence[int]] | None = None,
    max_completion_len: int = 1024,
    soft_punish_cache: int = 256,
    **kwargs: Any,
) -> list[float]:
    """DAPO's soft overlong punishment (Yu et al., 2025, arXiv:2503.14476, eq. 13): 0 up to
    ``max_completion_len - soft_punish_cache`` tokens, then a linear penalty down to -1 at the limit.

    >>> soft_overlong_punishment(["a"] * 3, completion_ids=[[0] * 10, [0] * 15, [0] * 20], max_completion_len=20, soft_punish_cache=10)
    [0.0, -0.5, -1.0]
    """
    if not 0 <= soft_punish_cache <= max_completion_len:
        raise ValueError(
            f"soft_punish_cache={soft_punish_cache} must lie in [0, max_completion_len={max_completion_len}]"
        )
    free = max_completion_len - soft_punish_cache
    scores = []
    for length in _lengths(completions, completion_ids):
        if length <= free:
            scores.append(0.0)
        elif length <= max_completion_len:
            scores.append((free - length) / soft_punish_cache)
        else:
            scores.append(-1.0)
    return scores


def cosine_scaled_reward(
    completions: Sequence[Any],
    answer: Sequence[Any],
    completion_ids: Sequence[Sequence[int]] | None = None,
    max_len: int = 1024,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    min_value_wrong: float = -0.5,
    max_value_wrong: float = -1.0,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **kwargs: Any,
) -> list[float | None]:
    """Length-aware correctness (Yeo et al., 2025, "Demystifying Long Chain-of-Thought Reasoning in LLMs",
    arXiv:2502.03373): the reward follows a cosine of length/``max_len``. Short correct answers earn
    ``max_value_correct``, long ones ``min_value_correct``; short wrong answers get ``max_value_wrong``
    (the harshest), long wrong ones ``min_value_wrong`` (thinking longer is not punished for failing).

    >>> cosine_scaled_reward(["#### 4", "#### 5"], ["4", "4"], completion_ids=[[0], [0]], max_len=100)
    [0.9998..., -0.9998...]
    """
    correct = accuracy_reward(completions, answer, timeout_s=timeout_s)
    scores: list[float | None] = []
    for is_correct, length in zip(correct, _lengths(completions, completion_ids), strict=True):
        if is_correct is None:
            scores.append(None)
            continue
        cosine = math.cos(min(length, max_len) / max_len * math.pi)
        low, high = (
            (min_value_correct, max_value_correct)
            if is_correct == 1.0
            else (min_value_wrong, max_value_wrong)
        )
        scores.append(low + 0.5 * (high - low) * (1.0 + cosine))
    return scores


def repetition_penalty_reward(
    completions: Sequence[Any], ngram_size: int = 3, max_penalty: float = -1.0, **kwargs: Any
) -> list[float]:
    """N-gram repetition penalty (Yeo et al., 2025, arXiv:2502.03373): ``max_penalty`` times the share of
    repeated word n-grams, so a looping completion approaches ``max_penalty`` and varied text scores 0.

    >>> repetition_penalty_reward(["a b c d e", "a b a b a b a b"])
    [0.0, -0.6666666666666667]
    """
    if max_penalty > 0:
        raise ValueError(f"max_penalty={max_penalty} must be <= 0")
    scores = []
    for completion in completions:
        words = (completion_text(completion) or "").lower().split()
        ngrams = [tuple(words[i : i + ngram_size]) for i in range(len(words) - ngram_size + 1)]
        scores.append(
            0.0 if not ngrams else (1 - len(set(ngrams)) / len(ngrams)) * max_penalty + 0.0
        )  # no -0.0
    return scores
