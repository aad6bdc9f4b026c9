"""experiments/sharpening.py: the crossing k on hand-made curves, the pooled difference, and the target's
wiring on stand-in steps (tests/integration runs the real commands)."""

import pytest

from experiments import sharpening
from experiments.findings import Estimate, pooled
from experiments.sharpening import crossing_k, meeting_k, seed_rows
from tests.experiments.fake_steps import FakeSteps, arg, record


def _curves(per_problem: dict[str, list[float]]) -> dict:
    return {"per_problem": {i: {"pass": row} for i, row in per_problem.items()}}


def test_the_crossing_k_is_where_the_interval_of_the_difference_first_reaches_zero():
    # the base model's pass@k climbs past GRPO's: a gain at k=1 that shrinks, then turns negative
    base = _curves({f"p{i}": [0.1, 0.3, 0.5, 0.7] for i in range(20)})
    grpo = [_curves({f"p{i}": [0.6 + 0.01 * s] * 4 for i in range(20)}) for s in range(3)]
    gain = pooled(seed_rows(grpo, "pass", base), bootstrap=200)
    assert [round(e.mean, 2) for e in gain] == [0.51, 0.31, 0.11, -0.09]
    assert crossing_k(gain) == 4 and meeting_k(gain) == 4
    assert sharpening.verdict(gain, 10).startswith("Reproduced: ")


def test_a_noisy_difference_crosses_before_the_means_meet():
    rows = {f"p{i}": [0.5, 0.2 if i % 2 else -0.15, 0.3 if i % 2 else -0.2] for i in range(40)}
    gain = pooled([[rows[i] for i in rows]] * 3, bootstrap=400)
    assert gain[1].mean > 0 and gain[1].low <= 0  # k=2: above zero on average, its interval not
    assert crossing_k(gain) == 2 and meeting_k(gain) is None
    assert sharpening.verdict(gain, 10).startswith("Reproduced in direction only")


def test_no_crossing_up_to_the_largest_k():
    gain = [Estimate(0.3, 0.2, 0.4), Estimate(0.2, 0.1, 0.3)]
    assert crossing_k(gain) is None and meeting_k(gain) is None
    assert sharpening.verdict(gain, 10).startswith("Not reproduced up to k=2")


def test_seed_rows_pair_problems_and_refuse_curves_without_a_shared_problem():
    base = _curves({"a": [0.5], "b": [0.0]})
    grpo = [_curves({"a": [1.0], "b": [0.5], "c": [1.0]})]
    assert seed_rows(grpo, "pass", base) == [[[0.5], [0.5]]]  # "c" has no base record: left out
    with pytest.raises(ValueError, match="share no problem"):
        seed_rows([_curves({"z": [1.0]})], "pass", base)


def _samples(model: str, args: list[str]) -> list[dict]:
    """The base model right on 2 of n samples of every problem; each GRPO seed on all n samples of half the
    problems and as the base on the others: ahead at k=1, level with the base by k=n."""
    n, problems = int(arg(args, "--n")), int(arg(args, "--limit"))
    rows = []
    for i in range(problems):
        if "grpo" in model:
            correct = [True] * n if i % 2 == 0 else [j < 2 for j in range(n)]
        else:
            correct = [j < 2 for j in range(n)]
        rows.append(record(i, correct))
    return rows


def test_the_target_trains_three_seeds_samples_each_and_reports_the_crossing(tmp_path, monkeypatch):
    steps = FakeSteps(_samples).install(monkeypatch, sharpening)
    argv = ["--model", "base", "--steps", "3", "--problems", "12", "--n", "8", "--out", str(tmp_path)]
    assert sharpening.main(argv) == 0
    assert [o[0] for o in steps.trained] == ["seed=0", "seed=1", "seed=2"]
    assert all("trainer.max_steps=3" in o and "data.levels=[1]" in o for o in steps.trained)
    assert all("trainer.per_device_train_batch_size=32" in o for o in steps.trained)  # the demo's 4 x 8
    assert [m for m, _ in steps.evaluated] == ["base"] + [f"grpo_steps3_seed{s}/final" for s in range(3)]
    assert all(arg(a, "--n") == "8" and arg(a, "--temperature") == "0.7" for _, a in steps.evaluated)
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** Reproduced: " in report
    assert "held-out problems: 12 (sized down from the issue's 200)" in report
    assert "samples per problem n (pass@k up to k = n): 8 (sized down from the issue's 64)" in report
    assert "training seeds: 3\n" in report  # the three: not sized down
    assert "Crossing k (the smallest k whose interval" in report and "resample the seeds" in report
    assert "| 8 | " in report  # a row per reported k, up to n
    assert (tmp_path / "sharpening.png").stat().st_size > 0
