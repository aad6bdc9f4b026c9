"""The make targets' experiments end to end on the tiny model: commands, report and figure."""

import argparse
import json
from pathlib import Path

import pytest
import yaml

from experiments import r1zero, sharpening, unified_paradigm
from recipes.tiny_model import save_tiny_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return str(save_tiny_model(folder / "before", seed=0)), str(save_tiny_model(folder / "after", seed=1))


def test_the_sharpening_target_writes_its_report_and_figure(tiny_models, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    before, after = tiny_models
    argv = [
        "--model",
        before,
        "--after",
        after,
        "--n",
        "2",
        "--problems",
        "3",
        "--levels",
        "1",
        "2",
    ]
    assert sharpening.main([*argv, "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "| 1 | before |" in report and "| 2 | after GRPO |" in report and "pass@n" in report
    assert "| 2 | maj@k |" in report and "k=2 |" in report  # the paired change table
    assert (tmp_path / "sharpening.png").stat().st_size > 0
    samples = [
        json.loads(line) for line in (tmp_path / "level2_after" / "arithmetic" / "samples.jsonl").open()
    ]
    assert len(samples) == 3 and all(len(s["completions"]) == 2 and s["level"] == 2 for s in samples)


def test_the_r1zero_target_trains_and_measures_the_format(tiny_models, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    before, _ = tiny_models
    train_args = [
        "trainer.per_device_train_batch_size=8",
        "trainer.num_generations=4",
        "trainer.max_completion_length=16",
        "trainer.learning_rate=1e-3",
        "trainer.report_to=[]",
        "data.limit=32",
    ]
    argv = [
        "--model",
        before,
        "--minutes",
        "0.05",
        "--limit",
        "4",
        "--out",
        str(tmp_path),
        "--train-args",
        *train_args,
    ]
    assert r1zero.main(argv) == 0
    report = (tmp_path / "report.md").read_text()
    assert "| before |" in report and "| after |" in report and "format compliance" in report
    assert (tmp_path / "r1zero.png").stat().st_size > 0
    summary = json.loads((tmp_path / "seed0" / "train" / "summary.json").read_text())
    assert summary["final_model"] and "guard.max_minutes" in summary["time_budget"]
    rows = [json.loads(line) for line in (tmp_path / "seed0" / "train" / "completions.jsonl").open()]
    assert set(rows[0]["rewards"]) == {"accuracy", "format", "tag_count"} and rows[0]["prompt"].endswith(
        "Assistant:"
    )


def test_the_unified_paradigm_target_trains_four_ways_and_judges_the_claims(
    tiny_models, tmp_path, monkeypatch
):
    """SFT, RFT, online RFT and GRPO from the tiny model; its RFT samples come from a canned policy (an
    untrained model answers nothing right, and RFT would have nothing to train on)."""
    import data
    from eval.run import evaluate
    from tests.fakes import CannedPolicy, right_wrong_and_cut

    monkeypatch.chdir(ROOT)
    before, _ = tiny_models
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
