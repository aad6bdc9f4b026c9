"""eval/metrics.py: pass@k, majority votes and the metrics against hand-computed values."""

import itertools
import math

import pytest

import rewards.accuracy as accuracy
from eval.metrics import compute_metrics, majority_correct, pass_at_k
from tests.fakes import FakePool


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_pass_at_k_equals_the_probability_that_a_random_k_subset_has_a_correct_sample(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(itertools.combinations(outcomes, k))
            expected = sum(any(s) for s in subsets) / len(subsets)
            assert math.isclose(pass_at_k(n, c, k), expected)


def test_majority_vote_counts_equivalent_answers_as_one():
    # "1/2", "0.5" and "\frac{1}{2}" are one answer with three votes against two for "3"
    answers = ["3", "1/2", "0.5", "3", r"\frac{1}{2}"]
    correct = [False, True, True, False, True]
    assert majority_correct(answers, correct)
    assert not majority_correct(["3", "0.5", "3"], [False, True, False])
    assert not majority_correct([None, None], [False, False])
    assert majority_correct([None, None, "7"], [False, False, True])  # no answer never wins


def test_metrics_match_hand_computed_values():
    records = [
        {
            "correct": [True, True, False, False],
            "answers": ["1", "1", "2", "3"],
            "level": 1,
            "tokens": [10, 10, 20, 20],
            "truncated": [False] * 4,
            "formatted": [True] * 4,
        },
        {
            "correct": [False, False, False, True],
            "answers": ["5", "5", "6", "7"],
            "level": 2,
            "tokens": [5, 5, 5, 5],
            "truncated": [True, False, False, False],
            "formatted": [False] * 4,
        },
    ]
    m = compute_metrics(records)
    assert m["pass@1"] == pytest.approx((0.5 + 0.25) / 2)
    assert m["pass@1_stderr"] == pytest.approx(math.sqrt(((0.5 - 0.375) ** 2 + (0.25 - 0.375) ** 2) / 1 / 2))
    assert m["pass@2"] == pytest.approx((1 - 1 / 6 + 1 - 3 / 6) / 2)
    assert m["pass@4"] == 1.0
    assert m["maj@4"] == 0.5  # problem 1: "1" wins (right); problem 2: "5" wins (wrong)
    assert m["maj@2"] == 0.5
    assert (
        m["format_compliance"] == 0.5 and m["mean_completion_tokens"] == 10 and m["truncated_share"] == 1 / 8
    )
    assert m["by_level"] == {"1": {"pass@1": 0.5, "n": 1}, "2": {"pass@1": 0.25, "n": 1}}
    assert compute_metrics([{"correct": None, "answers": ["1"]}]) == {"n_problems": 0, "n_ungradable": 1}


def test_majority_votes_check_each_pair_of_answers_once_in_one_batch(monkeypatch, caplog):
    from eval.metrics import compute_metrics

    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    pool = FakePool()
    monkeypatch.setattr(accuracy, "get_pool", lambda: pool)
    records = [
        {"correct": [True, True, False, False], "answers": ["x^2+2x+1", "(x+1)^2", "x+2", "x+2"]},
        {"correct": [False, True, True, False], "answers": ["7", "y", "y", None]},
    ]
    with caplog.at_level("WARNING"):
        metrics = compute_metrics(records)
    assert "cannot be parsed" not in caplog.text  # model answers are never treated as golds
    assert len(pool.seen) == 1  # one batched call for the whole benchmark
    assert pool.seen[0] == [("(x+1)^2", "x^2+2x+1")]  # the only pair the fast paths can't settle
    assert metrics["maj@4"] == 1.0  # (x+1)^2 and x^2+2x+1 are one answer with two votes; y wins the second
