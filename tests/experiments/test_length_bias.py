"""experiments/length_bias.py: the growth of the incorrect completions' length, the verdict, and the target's
wiring on stand-in steps (tests/integration runs the real commands and checks the logged lengths)."""

import pytest

from experiments import length_bias
from experiments.findings import Estimate
from experiments.length_bias import CORRECT, INCORRECT, growth, growth_estimates
from tests.experiments.fake_steps import FakeSteps, arg, override, record


def _history(overrides: list[str]) -> list[dict]:
    """grpo: the incorrect completions grow 2 tokens a step; dr_grpo: flat. Seeds differ a little; correct
    completions are missing on some steps (a batch without one logs no correct length)."""
    seed, steps = int(override(overrides, "seed")), int(override(overrides, "trainer.max_steps"))
    rate = 2.0 + 0.1 * seed if override(overrides, "trainer.loss_type") == "grpo" else 0.1 * (seed - 1)
    history = []
    for step in range(1, steps + 1):
        entry = {"step": step, "reward": 0.1, INCORRECT: 20.0 + rate * step}
        if step % 3:
            entry[CORRECT] = 15.0
        history.append(entry)
    return history


def _samples(model: str, args: list[str]) -> list[dict]:
    problems = int(arg(args, "--limit"))
    return [record(i, [i % 2 == 0], tokens=[12 if i % 2 == 0 else 30]) for i in range(problems)]


def test_growth_is_the_slope_over_the_steps_that_logged_the_length():
    history = _history(["seed=0", "trainer.max_steps=6", "trainer.loss_type=grpo"])
    assert growth(history) == pytest.approx(2.0)
    assert growth(history, CORRECT) == pytest.approx(0.0)  # logged on 4 of the 6 steps
    assert growth([{"step": 1, INCORRECT: 3.0}]) is None


def test_growth_estimates_pool_seeds_and_pair_the_loss_types_by_seed():
    runs = {
        loss: {
            seed: {"history": _history([f"seed={seed}", "trainer.max_steps=6", f"trainer.loss_type={loss}"])}
            for seed in (0, 1, 2)
        }
        for loss in ("grpo", "dr_grpo")
    }
    rates = growth_estimates(runs)
    assert rates["grpo"].mean == pytest.approx(2.1) and rates["grpo"].above_zero
    assert rates["dr_grpo"].mean == pytest.approx(0.0) and not rates["dr_grpo"].above_zero
    # grpo minus dr_grpo is 2.1 for every seed: the paired difference has no spread
    assert rates["difference"] == Estimate(pytest.approx(2.1), pytest.approx(2.1), pytest.approx(2.1))
    assert length_bias.verdict(rates["grpo"], rates["dr_grpo"], rates["difference"], 6).startswith(
        "Reproduced:"
    )


def test_the_target_trains_both_loss_types_with_three_seeds_and_reports_lengths(tmp_path, monkeypatch):
    steps = FakeSteps(_samples, _history).install(monkeypatch, length_bias)
    argv = ["--model", "base", "--steps", "6", "--problems", "10", "--out", str(tmp_path)]
    assert length_bias.main(argv) == 0
    assert [(override(o, "trainer.loss_type"), o[0]) for o in steps.trained] == [
        (loss, f"seed={s}") for loss in ("grpo", "dr_grpo") for s in range(3)
    ]
    for overrides in steps.trained:  # everything but the loss type equal
        assert override(overrides, "rewards") == "[{name: accuracy}]"
        assert override(overrides, "trainer.max_completion_length") == "96"
        assert override(overrides, "trainer.per_device_train_batch_size") == "16"
    assert all(arg(a, "--max-new-tokens") == "96" for _, a in steps.evaluated)
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** Reproduced: the incorrect completions' length changed by +2.10 tokens/step" in report
    assert "| grpo | +2.10 [" in report and "22.1 -> 32.6" in report  # first -> last step, mean of seeds
    assert "| 50.0% [" in report and "| 30.0 / 12.0 |" in report  # held-out accuracy and lengths
    assert "max_completion_length: 96\n" in report and "Student-t interval over seeds" in report
    assert (tmp_path / "length_bias.png").stat().st_size > 0


def test_a_short_length_budget_is_reported_as_sized_down(tmp_path, monkeypatch):
    FakeSteps(_samples, _history).install(monkeypatch, length_bias)
    argv = ["--model", "base", "--steps", "2", "--problems", "4", "--max-completion-length", "48"]
    assert length_bias.main([*argv, "--seeds", "0", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "max_completion_length: 48 (sized down from the issue's 96)" in report
    assert "training seeds per loss type: 1 (sized down from the issue's 3)" in report
