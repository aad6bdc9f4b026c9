"""experiments/r1zero.py: the rewards' spread pre-check, the tag shares, the verdict, and the target's wiring
on stand-in steps (tests/integration runs the real commands)."""

import json

import pytest

from experiments import r1zero
from experiments.r1zero import group_rewards, spread_shares, tag_shares
from tests.experiments.fake_steps import FakeSteps, arg, override, record

FORMATTED = " 2 + 3 = 5 </think> <answer>5</answer>"


def test_group_rewards_are_the_training_rewards_summed_with_their_weights():
    scores = group_rewards(
        [FORMATTED, " 2 + 3 = 5 </think> <answer>6</answer>", " 5", " 5 </think>"], "5", "p"
    )
    assert scores["accuracy"] == [1.0, 0.0, 0.0, 0.0]
    assert scores["format"] == [1.0, 1.0, 0.0, 0.0]
    assert scores["tag_count"] == pytest.approx([1.0, 1.0, 0.0, 1 / 3])
    assert scores["summed"] == pytest.approx([2.0, 1.0, 0.0, 1 / 6])


def test_spread_shares_count_the_groups_whose_rewards_differ():
    groups = [group_rewards([" 5", " 5"], "5", "p"), group_rewards([" 5", " 5 </think>"], "5", "p")]
    assert spread_shares(groups) == {"accuracy": 0.0, "format": 0.0, "tag_count": 0.5, "summed": 0.5}


def test_tag_shares_count_completions_holding_each_tag():
    records = [{"completions": [FORMATTED, "plain text"]}, {"completions": ["<answer>2", "<think>b"]}]
    assert tag_shares(records) == [0.25, 0.25, 0.5, 0.25]


def _samples(spread: bool):
    """Pre-check groups that all score alike (no spread) or differ; held-out records whose format and accuracy
    rise after training."""

    def samples(model: str, args: list[str]) -> list[dict]:
        n, problems = int(arg(args, "--n")), int(arg(args, "--limit"))
        if arg(args, "--split") == "train":
            group = [FORMATTED, " I am not sure"] * (n // 2) if spread else [" I am not sure"] * n
            return [record(i, [c == FORMATTED for c in group], group) for i in range(problems)]
        trained = "seed" in model
        return [
            record(i, [trained and i % 3 != 0], [FORMATTED], formatted=[trained and i % 4 != 0])
            for i in range(problems)
        ]

    return samples


def _history(overrides: list[str]) -> list[dict]:
    steps = int(override(overrides, "trainer.max_steps"))
    return [
        {
            "step": s,
            "reward": 0.1 * s,
            "rewards/format/mean": s / steps,
            "rewards/accuracy/mean": s / (2 * steps),
        }
        for s in range(1, steps + 1)
    ]


def test_the_precheck_stops_the_target_before_training_when_groups_have_no_spread(tmp_path, monkeypatch):
    steps = FakeSteps(_samples(spread=False)).install(monkeypatch, r1zero)
    with pytest.raises(SystemExit, match="the design .* must change, which says nothing about the claim"):
        r1zero.main(["--model", "base", "--out", str(tmp_path)])
    assert steps.trained == [] and len(steps.evaluated) == 1  # the pre-check's sampling only
    _, args = steps.evaluated[0]
    assert arg(args, "--split") == "train" and arg(args, "--n") == "8" and arg(args, "--temperature") == "0.7"
    assert arg(args, "--template") == "r1_zero_chatml" and arg(args, "--max-new-tokens") == "64"
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** Can't tell at this scale: only 0% of the base model's groups" in report
    assert "Nothing was trained" in report


def test_the_target_trains_three_seeds_after_the_precheck_and_reports_before_and_after(tmp_path, monkeypatch):
    steps = FakeSteps(_samples(spread=True), _history).install(monkeypatch, r1zero)
    argv = ["--model", "base", "--steps", "4", "--problems", "24", "--out", str(tmp_path)]
    assert r1zero.main(argv) == 0
    assert [o[0] for o in steps.trained] == ["seed=0", "seed=1", "seed=2"]
    overrides = steps.trained[0]
    assert override(overrides, "data.template") == "r1_zero_chatml"
    assert json.loads(override(overrides, "rewards")) == r1zero.REWARDS
    assert override(overrides, "trainer.per_device_train_batch_size") == "32"
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** Reproduced: " in report
    assert "Pre-check: 32 training problems x 8 samples" in report and "100% of groups" in report
    assert "| base | 0 | 0.0% | 0.0% |" in report and "| seed 2 | 4 | 75.0% | 66.7% |" in report
    assert "format compliance of the sampled completions: 0.25 -> 1.00" in report
    assert "`<think>` prefilled" in report and "resample the seeds" in report
    assert (tmp_path / "r1zero.png").stat().st_size > 0
