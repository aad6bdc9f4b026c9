"""The statistics every report here uses, in one place: 95% normal intervals (of a proportion, of a mean, of
paired differences), bootstrap bands over problems, and pass@k / maj@k curves with their per-problem values
(for paired comparisons). Evaluation's metrics, the demo and the experiments all call these.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

Z95 = 1.96  # the normal quantile of a two-sided 95% interval


def interval(
    mean: float, stderr: float, low: float | None = None, high: float | None = None
) -> tuple[float, float]:
    """``mean`` +- 1.96 standard errors, clipped to [low, high] where given.

    >>> interval(0.5, 0.1, 0.0, 1.0)
    (0.304, 0.696)
    """
    lower, upper = mean - Z95 * stderr, mean + Z95 * stderr
    return (lower if low is None else max(low, lower)), (upper if high is None else min(high, upper))


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    """The mean and its standard error (sample standard deviation / sqrt(n); 0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(variance / len(values))


def proportion_interval(correct: dict[str, bool] | Sequence[bool]) -> tuple[float, float, float]:
    """The share of True and its 95% normal interval (p +- 1.96 sqrt(p(1-p)/n)), clipped to [0, 1].

    >>> proportion_interval([True, False, True, True])[0]
    0.75
    """
    values = list(correct.values()) if isinstance(correct, dict) else list(correct)
    n = len(values)
    p = sum(values) / n
    return (p, *interval(p, math.sqrt(p * (1 - p) / n), 0.0, 1.0))


def paired_difference(before: dict[str, bool], after: dict[str, bool]) -> tuple[float, float, float]:
    """Mean after-minus-before accuracy over the same problems, with a 95% interval (paired normal).

    >>> paired_difference({"a": False, "b": True}, {"a": True, "b": True})[0]
    0.5
    """
    ids = sorted(before.keys() & after.keys())
    diffs = [after[i] - before[i] for i in ids]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / max(1, len(diffs) - 1))
    return (mean, *interval(mean, sd / math.sqrt(len(diffs))))


def curves(records: list[dict[str, Any]], n: int, bootstrap: int = 500, seed: int = 0) -> dict[str, Any]:
    """pass@k (unbiased) and maj@k (the mean over random k-subsets of a problem's n samples) for k = 1..n,
    with 95% bootstrap intervals over problems.

    >>> c = curves([{"correct": [True, False], "answers": ["1", "2"]}, {"correct": [False, False], "answers": ["3", "3"]}], 2, bootstrap=10)
    >>> c["pass"], c["maj"][0]
    ([0.25, 0.5], 0.25)
    """
    from eval.metrics import answer_equivalence, majority_correct, pass_at_k

    rng = random.Random(seed)
    equal = answer_equivalence(r["answers"][:n] for r in records)
    per_problem_pass, per_problem_maj = [], []
    for record in records:
        correct, answers = record["correct"][:n], record["answers"][:n]
        per_problem_pass.append([pass_at_k(n, sum(correct), k) for k in range(1, n + 1)])
        row = []
        for k in range(1, n + 1):
            if math.comb(n, k) <= 20:  # few enough to take every k-subset
                subsets = [list(s) for s in itertools.combinations(range(n), k)]
            else:
                subsets = [sorted(rng.sample(range(n), k)) for _ in range(20)]
            row.append(
                sum(
                    majority_correct([answers[i] for i in s], [correct[i] for i in s], equal) for s in subsets
                )
                / len(subsets)
            )
        per_problem_maj.append(row)

    return {
        "pass": column_means(per_problem_pass),
        "pass_band": bootstrap_band(per_problem_pass, bootstrap, rng),
        "maj": column_means(per_problem_maj),
        "maj_band": bootstrap_band(per_problem_maj, bootstrap, rng),
        "per_problem": {
            r.get("id", i): {"pass": p, "maj": m}
            for i, (r, p, m) in enumerate(zip(records, per_problem_pass, per_problem_maj, strict=True))
        },
    }


def paired_gain(
    before: dict[str, Any], after: dict[str, Any], key: str, bootstrap: int = 2000, seed: int = 0
) -> list[tuple[float, float, float]]:
    """After minus before for ``key`` ("pass" or "maj") at each k, on the problems both curves share, with a
    95% interval from resampling problems (the same draw for both models, so the intervals are paired).

    >>> b = {"per_problem": {"a": {"pass": [0.0, 0.0]}, "b": {"pass": [0.5, 1.0]}}}
    >>> a = {"per_problem": {"a": {"pass": [0.5, 1.0]}, "b": {"pass": [0.5, 1.0]}}}
    >>> paired_gain(b, a, "pass", bootstrap=50)[1][0]
    0.5
    """
    shared = sorted(set(before["per_problem"]) & set(after["per_problem"]), key=str)
    if not shared:
        raise ValueError("the two curves share no problem")
    diffs = [
        [x - y for x, y in zip(after["per_problem"][i][key], before["per_problem"][i][key], strict=True)]
        for i in shared
    ]
    low, high = bootstrap_band(diffs, bootstrap, random.Random(seed))
    return list(zip(column_means(diffs), low, high, strict=True))


def column_means(rows: list[list[float]]) -> list[float]:
    """The mean over problems (rows) at each k (column)."""
    return [sum(row[k] for row in rows) / len(rows) for k in range(len(rows[0]))]


def bootstrap_band(
    rows: list[list[float]], bootstrap: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """The 95% percentile interval of the column means, resampling rows (problems) with replacement."""
    draws = [column_means([rows[rng.randrange(len(rows))] for _ in rows]) for _ in range(bootstrap)]
    columns = [sorted(draw[k] for draw in draws) for k in range(len(rows[0]))]
    return (
        [column[int(0.025 * bootstrap)] for column in columns],
        [column[min(bootstrap - 1, int(0.975 * bootstrap))] for column in columns],
    )
