"""eval/statistics.py: the pass@k / maj@k curves against brute force, paired gains, and intervals over seeds."""

import itertools
import random
from collections import Counter

import pytest

from eval.statistics import bootstrap_band, curves, paired_gain, pooled_over_seeds, seed_interval, student_t95


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


def test_pooled_over_seeds_averages_seeds_and_problems_and_widens_with_seed_spread():
    rng = random.Random(3)
    problems = [[rng.random(), rng.random()] for _ in range(30)]
    # one seed: the problem bootstrap alone (same mean; an interval of about the same width)
    [(mean, low, high), _] = pooled_over_seeds([problems], bootstrap=400)
    band_low, band_high = bootstrap_band(problems, 400, random.Random(0))
    assert mean == pytest.approx(sum(p[0] for p in problems) / 30)
    assert high - low == pytest.approx(band_high[0] - band_low[0], rel=0.3)
    # three seeds that agree: the interval stays; three that disagree by a constant: it widens
    same = pooled_over_seeds([problems] * 3, bootstrap=400)
    apart = pooled_over_seeds(
        [[[v + shift for v in row] for row in problems] for shift in (-0.3, 0, 0.3)], bootstrap=400
    )
    assert same[0][0] == pytest.approx(apart[0][0])
    assert apart[0][2] - apart[0][1] > 1.5 * (same[0][2] - same[0][1])
    # a difference that is the same on every problem and seed has no width
    assert pooled_over_seeds([[[0.25]] * 5] * 3, bootstrap=50) == [(0.25, 0.25, 0.25)]
    with pytest.raises(ValueError, match="same problems"):
        pooled_over_seeds([[[0.0]], [[0.0], [1.0]]])


def test_seed_interval_is_a_student_t_interval():
    mean, low, high = seed_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(4.303 / 3**0.5)  # sd 1, n 3, t(2) = 4.303
    assert seed_interval([5.0]) == (5.0, 5.0, 5.0)
    assert student_t95(10) == 2.228
    assert abs(student_t95(11) - 2.201) < 0.001 and abs(student_t95(60) - 2.000) < 0.001
