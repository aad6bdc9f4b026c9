"""The findings' make targets end to end on the tiny model, one seed and a step or two: the real commands (training,
evaluation), the report with its verdict, the figure, and what the runs log. The statistics and the wiring with
three seeds are tested on stand-in steps in tests/experiments/."""

import argparse
import json
from pathlib import Path

import pytest
import yaml

from experiments import length_bias, r1zero, sharpening, unified_paradigm
from recipes.tiny_model import save_tiny_model

ROOT = Path(__file__).resolve().parents[2]
TINY_TRAINING = ["trainer.learning_rate=1e-3", "trainer.report_to=[]", "data.limit=32"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(save_tiny_model(tmp_path_factory.mktemp("models") / "tiny", seed=0))


def test_the_sharpening_target_trains_samples_and_reports(tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ["--model", tiny_model, "--seeds", "0", "--steps", "1", "--n", "2", "--problems", "3"]
    argv += ["--prompts-per-step", "2", "--generations", "4", "--max-new-tokens", "8", "--out", str(tmp_path)]
    argv += ["--train-args", *TINY_TRAINING, "trainer.max_completion_length=8"]
    assert sharpening.main(argv) == 0
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** " in report and "| 2 | " in report and "Crossing k" in report
    assert (tmp_path / "sharpening.png").stat().st_size > 0
    folder = tmp_path / "samples_level1_n2_problems3" / "grpo_steps1_seed0" / "arithmetic"
    rows = [json.loads(line) for line in (folder / "samples.jsonl").open()]
    assert len(rows) == 3 and all(len(r["completions"]) == 2 and r["level"] == 1 for r in rows)


def test_the_r1zero_target_checks_spread_then_trains_with_the_chat_prompt(tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    sizes = [
        "--seeds",
        "0",
        "--steps",
        "1",
        "--generations",
        "4",
        "--prompts-per-step",
        "2",
        "--max-tokens",
        "16",
    ]
    sizes += ["--precheck-problems", "2", "--problems", "4"]
    # the untrained tiny model writes noise: no group has any spread, and the pre-check stops the target
    with pytest.raises(SystemExit, match="must change"):
        r1zero.main(["--model", tiny_model, *sizes, "--out", str(tmp_path)])
    assert not list(tmp_path.glob("steps*"))
    assert (
        r1zero.main(
            [
                "--model",
                tiny_model,
                *sizes,
                "--min-spread",
                "0",
                "--out",
                str(tmp_path),
                "--train-args",
                *TINY_TRAINING,
            ]
        )
        == 0
    )
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** " in report and "Pre-check: 2 training problems x 4 samples" in report
    assert (tmp_path / "r1zero.png").stat().st_size > 0
    rows = [json.loads(line) for line in (tmp_path / "steps1_seed0" / "train" / "completions.jsonl").open()]
    assert set(rows[0]["rewards"]) == {"accuracy", "format", "tag_count"}
    assert rows[0]["prompt"].endswith("<|im_start|>assistant\n<think>")


def test_the_length_bias_target_logs_lengths_by_correctness_each_step(tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = [
        "--model",
        tiny_model,
        "--seeds",
        "0",
        "--steps",
        "2",
        "--generations",
        "4",
        "--prompts-per-step",
        "2",
    ]
    argv += [
        "--max-completion-length",
        "16",
        "--problems",
        "3",
        "--out",
        str(tmp_path),
        "--train-args",
        *TINY_TRAINING,
    ]
    assert length_bias.main(argv) == 0
    for loss_type in ("grpo", "dr_grpo"):
        run = tmp_path / f"{loss_type}_steps2_seed0" / "train"
        steps = [e for e in json.loads((run / "log_history.json").read_text()) if "reward" in e]
        # the tiny model is never right: every step logs the incorrect completions' length, none the correct
        assert [e["step"] for e in steps] == [1, 2]
        assert all(0 < e["completions/mean_length_incorrect"] <= 16 for e in steps)
        assert not any("completions/mean_length_correct" in e for e in steps)
        assert yaml.safe_load((run / "recipe.yaml").read_text())["trainer"]["loss_type"] == loss_type
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict:** " in report and "| grpo | " in report and "| dr_grpo | " in report
    assert (tmp_path / "length_bias.png").stat().st_size > 0


def test_the_unified_paradigm_target_trains_four_ways_and_judges_the_claims(
    tiny_model, tmp_path, monkeypatch
):
    """SFT, RFT, online RFT and GRPO from the tiny model; its RFT samples come from a canned policy (an
    untrained model answers nothing right, and RFT would have nothing to train on)."""
    import data
    from eval.run import evaluate
    from tests.fakes import CannedPolicy, right_wrong_and_cut

    monkeypatch.chdir(ROOT)
    before = tiny_model
    sizes = ["--steps", "2", "--eval-every", "1", "--limit", "3", "--prompts", "2", "--group", "2"]
    sizes += ["--completion-tokens", "8", "--max-new-tokens", "8", "--seeds", "0"]
    args = argparse.Namespace(steps=2, prompts=2, group=2, completion_tokens=8)
    settings = unified_paradigm.rft_sampling(args, seed=0)
    rows = data.load("arithmetic", split="train", limit=settings["limit"], levels=[1])
    evaluate(
        before,
        out=tmp_path / "rft_samples" / "seed0",
        generator=CannedPolicy(rows, right_wrong_and_cut),
        **settings,
    )
    train_args = ["trainer.report_to=[]", "trainer.learning_rate=1e-3", "data.limit=32"]
    argv = ["--model", before, *sizes, "--out", str(tmp_path), "--train-args", *train_args]
    assert unified_paradigm.main(argv) == 0
    report = (tmp_path / "report.md").read_text()
    for method in ("SFT", "RFT", "online RFT", "GRPO"):
        assert f"| {method} | 0 | 2 |" in report  # each trained its 2 updates
    assert "| step 0 | step 1 | step 2 |" in report and "## What was equalised" in report
    assert (
        "online sampling beats offline sampling:" in report
        and "coefficients beat online RFT's uniform ones:" in report
    )
    assert "Sizes: --steps 2" in report and (tmp_path / "unified_paradigm.png").stat().st_size > 0
    rft_recipe = yaml.safe_load((tmp_path / "rft_seed0" / "train" / "recipe.yaml").read_text())
    assert rft_recipe["trainer_type"] == "sft" and rft_recipe["data"]["completion_field"] == "completion"
    assert yaml.safe_load((tmp_path / "online_rft_seed0" / "train" / "recipe.yaml").read_text())["online_rft"]
    steps = sorted(p.name for p in (tmp_path / "sft_seed0" / "train" / "eval_during_training").iterdir())
    assert steps == ["step-000001", "step-000002"]
