"""Benchmark metrics from graded samples: pass@1 (with its standard error), pass@k, maj@k, format
compliance, completion length and truncation, and per-level / per-subject breakdowns.

Inputs are per-problem records: ``correct`` (one bool per sample), ``answers`` (the extracted final
answers), and optionally ``formatted``, ``tokens``, ``truncated``, ``level``, ``subject``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eval.statistics import interval, mean_and_stderr
from rewards.accuracy import answers_equivalent


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al., 2021): 1 - C(n-c, k) / C(n, k), for n samples of which c are correct.

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 4), round(pass_at_k(4, 2, 2), 4)
    (0.25, 1.0, 0.8333)
    """
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 < k <= n and 0 <= c <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def ks_for(n: int) -> list[int]:
    """The k reported for n samples: powers of two up to n, and n itself.

    >>> ks_for(1), ks_for(8), ks_for(5)
    ([1], [1, 2, 4, 8], [1, 2, 4, 5])
    """
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    if ks[-1] != n:
        ks.append(n)
    return ks


def answer_equivalence(answer_lists: Iterable[Sequence[str | None]]) -> Callable[[str, str], bool]:
    """Equivalence between the answers of each problem's samples, decided in one batched call: every
    distinct pair of distinct answers within a problem is checked once, with the reward's own rules
    (``rewards.answers_equivalent``); answers are never treated as golds.

    >>> equal = answer_equivalence([["0.5", "\\\\frac{1}{2}", "3"]])
    >>> equal("0.5", "\\\\frac{1}{2}"), equal("\\\\frac{1}{2}", "0.5"), equal("0.5", "3")
    (True, True, False)
    """
    pairs: set[tuple[str, str]] = set()
    for answers in answer_lists:
        distinct = sorted({a for a in answers if a is not None})
        pairs.update((a, b) for i, a in enumerate(distinct) for b in distinct[i + 1 :])
    ordered = sorted(pairs)
    verdicts = dict(zip(ordered, answers_equivalent(ordered), strict=True)) if ordered else {}

    def equal(a: str, b: str) -> bool:
        return a == b or verdicts.get((min(a, b), max(a, b)), False)

    return equal


def majority_correct(
    answers: Sequence[str | None], correct: Sequence[bool], equal: Callable[[str, str], bool] | None = None
) -> bool:
    """Whether the most common answer is right, counting equivalent answers ("0.5", "\\frac{1}{2}") as one
    vote (``equal``: an ``answer_equivalence``; by default one is built for these answers). Ties go to the
    answer seen first; no answer never wins.

    >>> majority_correct(["0.5", "\\\\frac{1}{2}", "3", "3"], [True, True, False, False])
    True
    >>> majority_correct(["3", "3", "0.5"], [False, False, True])
    False
    """
    equal = equal or answer_equivalence([answers])
    clusters: list[list[int]] = []  # indices of samples with equivalent answers
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        for cluster in clusters:
            if equal(answers[cluster[0]], answer):
                cluster.append(i)
                break
        else:
            clusters.append([i])
    if not clusters:
        return False
    winner = max(clusters, key=len)  # max keeps the first of equal sizes
    return bool(correct[winner[0]])


def _group_key(value: Any) -> str:
    """Level 1 and "1" (and "Level 1") are one group; other values are grouped by their text."""
    text = str(value).strip()
    digits = text.removeprefix("Level ").strip()
    return str(int(digits)) if digits.isdigit() else text


def compute_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """All metrics for one benchmark. Each problem counts with its own number of samples n (pass@1 is the
    mean of c/n); pass@k and maj@k are reported for the k every problem allows. Problems whose gold can't
    be graded (correct is None) are counted separately and left out.

    >>> m = compute_metrics([{"correct": [True, False], "answers": ["1", "2"]}, {"correct": [False, False], "answers": ["5", None]}])
    >>> m["pass@1"], m["pass@2"], m["maj@2"], m["n_problems"]
    (0.25, 0.5, 0.5, 2)
    >>> compute_metrics([{"correct": [True, True, False], "answers": ["1", "1", "2"]}, {"correct": [True], "answers": ["3"]}])["pass@1"]
    0.8333333333333333
    """
    graded = [
        r for r in records if r.get("correct") is not None and None not in r["correct"] and r["correct"]
    ]
    if not graded:
        return {"n_problems": 0, "n_ungradable": len(records)}
    sizes = [len(r["correct"]) for r in graded]
    n = min(sizes)
    per_problem = [sum(r["correct"]) / len(r["correct"]) for r in graded]
    pass1, stderr = mean_and_stderr(per_problem)
    metrics: dict[str, Any] = {
        "n_problems": len(graded),
        "n_samples": n,
        "pass@1": pass1,
        "pass@1_stderr": stderr,
    }
    if max(sizes) != n:
        metrics["n_samples_max"] = max(sizes)
    metrics["pass@1_ci95"] = list(interval(pass1, stderr, 0.0, 1.0))
    lenient = [r.get("correct_lenient") for r in graded]
    if all(
        flags is not None and len(flags) == len(r["correct"])
        for flags, r in zip(lenient, graded, strict=True)
    ):
        mean, error = mean_and_stderr([sum(flags) / len(flags) for flags in lenient])
        metrics["pass@1_lenient"] = mean
        metrics["pass@1_lenient_ci95"] = list(interval(mean, error, 0.0, 1.0))
    for k in ks_for(n):
        if k > 1:
            metrics[f"pass@{k}"] = sum(
                pass_at_k(len(r["correct"]), sum(r["correct"]), k) for r in graded
            ) / len(graded)
    if n > 1:
        equal = answer_equivalence(r["answers"] for r in graded)
        for k in ks_for(n)[1:]:
            metrics[f"maj@{k}"] = sum(
                majority_correct(r["answers"][:k], r["correct"][:k], equal) for r in graded
            ) / len(graded)
    samples = sum(sizes)
    if all("formatted" in r for r in graded):
        metrics["format_compliance"] = sum(sum(r["formatted"]) for r in graded) / samples
    if all("tokens" in r for r in graded):
        metrics["mean_completion_tokens"] = sum(sum(r["tokens"]) for r in graded) / samples
        metrics["truncated_share"] = sum(sum(r["truncated"]) for r in graded) / samples
    metrics["no_answer_share"] = sum(sum(a is None for a in r["answers"]) for r in graded) / samples
    for key in ("level", "subject"):
        groups: dict[str, list[float]] = defaultdict(list)
        for record, score in zip(graded, per_problem, strict=True):
            if record.get(key) is not None:
                groups[_group_key(record[key])].append(score)
        if groups:
            metrics[f"by_{key}"] = {
                g: {"pass@1": sum(v) / len(v), "n": len(v)}
                for g, v in sorted(
                    groups.items(),
                    key=lambda kv: (not kv[0].isdigit(), int(kv[0]) if kv[0].isdigit() else 0, kv[0]),
                )
            }
    if len(records) > len(graded):
        metrics["n_ungradable"] = len(records) - len(graded)
    return metrics
