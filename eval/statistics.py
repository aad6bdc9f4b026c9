"""The statistics every report here uses, in one place: 95% normal intervals (of a proportion, of a mean, of
paired differences), Student-t intervals over a few training seeds, bootstrap bands over problems (and over
problems and seeds together), and pass@k / maj@k curves with their per-problem values (for paired
comparisons). Evaluation's metrics, the demo and the experiments all call these.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

Z95 = 1.96  # the normal quantile of a two-sided 95% interval
# Student's t quantiles of a two-sided 95% interval for 1..10 degrees of freedom: a mean over 3 seeds has 2,
# and its normal interval (1.96) would be less than half as wide as it should be.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def interval(
    mean: float,
    stderr: float,
    low: float | None = None,
    high: float | None = None,
    quantile: float = Z95,
) -> tuple[float, float]:
    """``mean`` +- ``quantile`` (1.96) standard errors, clipped to [low, high] where given.

    >>> interval(0.5, 0.1, 0.0, 1.0)
    (0.304, 0.696)
    """
    lower, upper = mean - quantile * stderr, mean + quantile * stderr
    return (lower if low is None else max(low, lower)), (upper if high is None else min(high, upper))


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    """The mean and its standard error (sample standard deviation / sqrt(n); 0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(variance / len(values))


def student_t95(df: int) -> float:
    """The quantile of a two-sided 95% Student-t interval with ``df`` degrees of freedom (beyond 10, the
    Cornish-Fisher expansion around 1.96, within 0.001 of the exact value).

    >>> student_t95(2), round(student_t95(30), 3)
    (4.303, 2.042)
    """
    if df < 1:
        raise ValueError(f"a t interval needs at least 1 degree of freedom, got {df}")
    if df <= len(_T95):
        return _T95[df - 1]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def seed_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """The mean of one value per training seed and its 95% Student-t interval (n - 1 degrees of freedom):
    seeds are few, and each is a whole run. With one seed the interval is the value itself.

    >>> seed_interval([1.0, 2.0, 3.0])
    (2.0, -0.484..., 4.484...)
    """
    mean, stderr = mean_and_stderr(values)
    if len(values) < 2:
        return mean, mean, mean
    return (mean, *interval(mean, stderr, quantile=student_t95(len(values) - 1)))


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


def pooled_over_seeds(
    rows_by_seed: Sequence[Sequence[Sequence[float]]], bootstrap: int = 1000, seed: int = 0
) -> list[tuple[float, float, float]]:
    """The mean over seeds and problems at each column (each k), with a 95% percentile interval from a
    two-level bootstrap: each draw resamples the training seeds and, independently, the problems (the
    same problems for every seed: ``rows_by_seed[s][p]`` is problem ``p`` of seed ``s``, paired), both
    with replacement. A per-problem difference against the base model pairs by problem the same way.

    >>> rows = [[[1.0, 1.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 0.0]]]  # 2 seeds x 2 problems x 2 k
    >>> [round(m, 2) for m, _, _ in pooled_over_seeds(rows, bootstrap=50)]
    [0.5, 0.75]
    """
    seeds, problems = len(rows_by_seed), len(rows_by_seed[0])
    if any(len(rows) != problems for rows in rows_by_seed):
        raise ValueError("every seed needs a row for each of the same problems")
    rng = random.Random(seed)

    def mean_of(seed_draw: list[int], problem_draw: list[int]) -> list[float]:
        return column_means([rows_by_seed[s][p] for s in seed_draw for p in problem_draw])

    means = mean_of(list(range(seeds)), list(range(problems)))
    draws = [
        mean_of(
            [rng.randrange(seeds) for _ in range(seeds)], [rng.randrange(problems) for _ in range(problems)]
        )
        for _ in range(bootstrap)
    ]
    columns = [sorted(draw[k] for draw in draws) for k in range(len(means))]
    return [
        (mean, column[int(0.025 * bootstrap)], column[min(bootstrap - 1, int(0.975 * bootstrap))])
        for mean, column in zip(means, columns, strict=True)
    ]


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
