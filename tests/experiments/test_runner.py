"""experiments/runner.py: training runs reused or started over."""

import json
from pathlib import Path


def test_train_once_reuses_a_finished_run_and_starts_an_unfinished_one_over(tmp_path, monkeypatch):
    """Runs are compared at equal minutes; a resume would restart guard.max_minutes, so no resuming here."""
    import experiments.runner as experiments

    calls = []

    def fake_run(command, log):
        calls.append(command)
        train = Path(next(a for a in command if a.startswith("output_dir=")).split("=", 1)[1])
        assert not (train / "checkpoint-3").exists(), "the unfinished run's checkpoint was resumed"
        train.mkdir(parents=True, exist_ok=True)
        (train / "summary.json").write_text(json.dumps({"final_model": str(train / "final")}))

    monkeypatch.setattr(experiments, "run_step", fake_run)
    run = tmp_path / "run"
    (run / "train" / "checkpoint-3").mkdir(parents=True)
    summary = experiments.train_once(run, ["seed=0"])
    assert summary["final_model"].endswith("final") and len(calls) == 1
    experiments.train_once(run, ["seed=0"])
    assert len(calls) == 1, "a finished run was trained again"
