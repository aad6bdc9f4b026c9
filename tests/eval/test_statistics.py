"""eval/statistics.py: the pass@k / maj@k curves against brute force, and paired gains."""

import itertools
import random
from collections import Counter

import pytest

from eval.statistics import curves, paired_gain


def _brute_force(records, n, k):
    """pass@k and maj@k as the mean over every k-subset of each problem's samples (numbers as answers:
    equal text is the same answer; ties go to the answer seen first)."""
    passes, majorities = [], []
    for record in records:
        subsets = list(itertools.combinations(range(n), k))
        passes.append(sum(any(record["correct"][i] for i in s) for s in subsets) / len(subsets))
        wins = 0
        for subset in subsets:
            answers = [record["answers"][i] for i in subset if record["answers"][i] is not None]
            if not answers:
                continue
            counts = Counter(answers)
            best = max(counts.values())
            winner = next(a for a in answers if counts[a] == best)
            wins += record["correct"][subset[[record["answers"][i] for i in subset].index(winner)]]
        majorities.append(wins / len(subsets))
    return sum(passes) / len(passes), sum(majorities) / len(majorities)


def test_curves_match_brute_force_enumeration():
    rng = random.Random(1)
    n = 5
    records = []
    for _ in range(12):
        answers = [rng.choice(["3", "4", "5", None]) for _ in range(n)]
        records.append({"answers": answers, "correct": [a == "4" for a in answers]})
    computed = curves(records, n, bootstrap=50)
    for k in range(1, n + 1):
        passed, majority = _brute_force(records, n, k)
        assert computed["pass"][k - 1] == pytest.approx(passed)
        assert computed["maj"][k - 1] == pytest.approx(majority)  # C(5, k) <= 20: every subset is taken
        low, high = computed["pass_band"]
        assert low[k - 1] <= computed["pass"][k - 1] <= high[k - 1]


def test_paired_gain_is_the_mean_difference_on_shared_problems_with_a_paired_interval():
    rng = random.Random(2)
    n = 4

    def records(p_correct, ids):
        rows = []
        for i in ids:
            answers = [rng.choice(["4", "5"]) if rng.random() > p_correct else "4" for _ in range(n)]
            rows.append({"id": i, "answers": answers, "correct": [a == "4" for a in answers]})
        return rows

    before = curves(records(0.2, range(20)), n, bootstrap=20)
    after = curves(records(0.7, range(5, 25)), n, bootstrap=20)  # problems 5..19 are shared
    shared = range(5, 20)
    for key in ("pass", "maj"):
        gain = paired_gain(before, after, key, bootstrap=200)
        for k in range(n):
            expected = (
                sum(after["per_problem"][i][key][k] - before["per_problem"][i][key][k] for i in shared) / 15
            )
            assert gain[k][0] == pytest.approx(expected)
            assert gain[k][1] <= gain[k][0] <= gain[k][2]
    # the same model against itself: every resample differs by exactly zero, so the interval has no width
    assert all(g == (0.0, 0.0, 0.0) for g in paired_gain(before, before, "pass", bootstrap=50))
    with pytest.raises(ValueError, match="share no problem"):
        paired_gain(before, curves(records(0.5, ["x"]), n, bootstrap=5), "pass")
