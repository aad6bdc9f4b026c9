"""The make targets' experiments end to end on the tiny model: commands, report and figure."""

import json
from pathlib import Path

import pytest

from experiments import r1zero, sharpening
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
