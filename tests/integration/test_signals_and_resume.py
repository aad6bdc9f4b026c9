"""Interrupted and crashed runs: a signal checkpoints (or exits at once, a second time), a full disk or a
reward gone infinite is one line, and the rerun resumes where the run stopped, from the last complete
checkpoint (or only evaluates, when training had finished)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from recipes.train import main as train_main

ROOT = Path(__file__).resolve().parents[2]


def _one_error_line(stderr: str, expected: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert "Traceback" not in stderr, stderr
    assert len(errors) == 1, stderr
    assert expected in errors[0], (expected, errors[0])


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


SMOKE = str(ROOT / "recipes" / "smoke.yaml")


def _run_cli(output_dir, *overrides, env=None):
    command = [sys.executable, "-m", "recipes.train", SMOKE, f"output_dir={output_dir}", *overrides]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_checkpoints_and_a_rerun_resumes_where_it_stopped(tmp_path):
    overrides = ["trainer.max_steps=40", "trainer.save_steps=4"]
    process = _run_cli(tmp_path, *overrides)
    deadline = time.monotonic() + 300
    while not (tmp_path / "checkpoint-4").exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 143, output  # a scheduler sees an interrupted run, not a finished one
    interrupted = json.loads((tmp_path / "summary.json").read_text())
    assert interrupted["interrupted"] == "SIGTERM" and 4 <= interrupted["global_step"] < 40
    stopped_at = interrupted["global_step"]
    assert (tmp_path / f"checkpoint-{stopped_at}").exists()  # written on SIGTERM, whatever save_steps says

    rerun = _run_cli(tmp_path, *overrides)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output
    resumed = json.loads((tmp_path / "summary.json").read_text())
    assert resumed["resumed_from"].endswith(f"checkpoint-{stopped_at}")
    assert resumed["global_step"] == 40 and not resumed["interrupted"]
    state = json.loads((tmp_path / "checkpoint-40" / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "reward" in entry]
    assert steps == list(range(1, 41))  # continued from the saved step: nothing lost, nothing repeated


# --- interrupted and crashed runs ---------------------------------------------------------------------------


def test_resume_skips_a_checkpoint_cut_off_mid_write(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ["recipes/smoke.yaml", f"output_dir={tmp_path}", "trainer.max_steps=4", "trainer.save_steps=2"]
    assert train_main(argv) == 0
    # checkpoint-4 as a kill or a full disk leaves it: no complete trainer_state.json
    state = tmp_path / "checkpoint-4" / "trainer_state.json"
    state.write_text(state.read_text()[:40])
    (tmp_path / "checkpoint-5").mkdir()  # and one with nothing in it at all
    summary = tmp_path / "summary.json"
    summary.unlink()
    with caplog.at_level("WARNING"):
        assert train_main(argv) == 0
    assert "checkpoint-5 is incomplete" in caplog.text and "checkpoint-4 is incomplete" in caplog.text
    resumed = json.loads(summary.read_text())
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["global_step"] == 4
    steps = [json.loads(line)["step"] for line in (tmp_path / "completions.jsonl").open()]
    assert sorted(set(steps)) == [1, 2, 3, 4]
    assert all(steps.count(step) == steps.count(1) for step in (2, 3, 4))  # each step once, not redone twice


def test_a_full_disk_mid_run_is_one_line_and_the_rerun_resumes(tmp_path, capsys, monkeypatch):
    from transformers import Trainer

    monkeypatch.chdir(ROOT)
    save = Trainer._save_checkpoint

    def disk_fills_at_step_4(self, model, trial):
        if self.state.global_step < 4:
            return save(self, model, trial)
        folder = Path(self.args.output_dir) / f"checkpoint-{self.state.global_step}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.safetensors").write_bytes(b"\0" * 64)  # what got written before the disk filled
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "optimizer.pt"))

    monkeypatch.setattr(Trainer, "_save_checkpoint", disk_fills_at_step_4)
    argv = ["recipes/smoke.yaml", f"output_dir={tmp_path}", "trainer.max_steps=4", "trainer.save_steps=2"]
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, "no space left on device (writing")
    assert not (tmp_path / "final").exists() and not (tmp_path / "summary.json").exists()
    monkeypatch.setattr(Trainer, "_save_checkpoint", save)  # space freed
    assert train_main(argv) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resumed_from"].endswith("checkpoint-2") and summary["global_step"] == 4


def test_an_infinite_reward_during_training_stops_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ["recipes/smoke.yaml", f"output_dir={tmp_path}", "trainer.max_steps=1"]
    # finite on the dry run's batch, infinite once training calls it: the run's own guard stops it
    assert (
        train_main([*argv, "rewards=[{name: accuracy}, {name: 'tests.user_rewards:inf_in_training'}]"]) == 2
    )
    _one_error_line(capsys.readouterr().err, "reward inf_in_training returned inf for completion 0 of step 1")
    assert not (tmp_path / "final").exists() and not (tmp_path / "summary.json").exists()
    assert train_main(argv) == 0  # the reward fixed (here: dropped), same folder
    assert (tmp_path / "final").exists()


EVAL_SECTION = "eval={benchmarks: [arithmetic], limit: 2, max_new_tokens: 4}"


def test_a_finished_run_rerun_with_another_eval_protocol_evaluates_without_training(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    argv = ["recipes/smoke.yaml", f"output_dir={tmp_path}"]
    assert train_main([*argv, EVAL_SECTION]) == 0
    checkpoints = sorted(p.name for p in tmp_path.glob("checkpoint-*"))
    capsys.readouterr()
    other = EVAL_SECTION.replace("max_new_tokens: 4", "max_new_tokens: 8")
    assert train_main([*argv, other]) == 2  # was a traceback naming --out, after the model loaded
    _one_error_line(
        capsys.readouterr().err,
        f"holds an evaluation made with other settings (max_new_tokens: 4 -> 8); delete {tmp_path / 'eval'}",
    )
    import shutil

    shutil.rmtree(tmp_path / "eval")
    assert train_main([*argv, other]) == 0
    assert (
        sorted(p.name for p in tmp_path.glob("checkpoint-*")) == checkpoints
    )  # evaluated, not trained again
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["global_step"] == 3 and summary["eval"]["arithmetic"]["n_problems"] == 2
    assert json.loads((tmp_path / "eval" / "settings.json").read_text())["max_new_tokens"] == 8


def _start(argv, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "recipes.train", *argv],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process, text, timeout=600):  # generous: a loaded machine starts training late
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen: {''.join(seen)[-2000:]}")


def test_sigterm_during_data_preparation_exits_promptly_with_143(tmp_path):
    rows = [{"q": f"What is {i} + 1? " + "word " * 20, "a": str(i + 1)} for i in range(200_000)]
    path = _write_jsonl(tmp_path / "big.jsonl", rows)
    process = _start(
        [
            "recipes/smoke.yaml",
            f"output_dir={tmp_path / 'run'}",
            f"data.name={path}",
            "data.question_field=q",
            "data.answer_field=a",
            "data.levels=null",
            "data.limit=null",
        ]
    )
    _wait_for_line(process, "preparing data")
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 143, output
    assert time.monotonic() - sent < 30, "the signal waited for data preparation to finish"
    assert "stopped by SIGTERM before training started" in output and "Traceback" not in output
    assert not (tmp_path / "run" / "recipe.yaml").exists()


def test_sigterm_during_the_final_evaluation_says_training_finished_and_the_rerun_only_evaluates(
    tmp_path, monkeypatch
):
    argv = [
        "recipes/smoke.yaml",
        f"output_dir={tmp_path}",
        "eval={benchmarks: [arithmetic], limit: 16, max_new_tokens: 32}",
    ]
    process = _start(argv)
    _wait_for_line(process, "final evaluation of")
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 143, output
    assert (
        f"stopped by SIGTERM after training finished (the model is saved in {tmp_path / 'final'})" in output
    )
    assert "rerun the same command to finish the evaluation (training is not repeated)" in output
    assert "nothing was written" not in output and "Traceback" not in output
    checkpoints = sorted(p.name for p in tmp_path.glob("checkpoint-*"))
    monkeypatch.chdir(ROOT)
    assert train_main(argv) == 0
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == checkpoints
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["global_step"] == 3 and summary["eval"]["arithmetic"]["n_problems"] == 16
    assert (tmp_path / "final" / "README.md").exists()


def test_a_second_signal_exits_at_once_without_a_checkpoint(tmp_path):
    process = _start(
        [
            "recipes/smoke.yaml",
            f"output_dir={tmp_path}",
            "trainer.max_steps=100000",
            "trainer.save_steps=100000",
            "trainer.max_completion_length=800",
            "model.name_or_path=tiny",
        ]  # steps of a second or more
    )
    _wait_for_line(process, "'loss'")  # training has started
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)  # two signals at the same instant are one signal to Python
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert "second SIGINT: exiting now" in output
    assert not (tmp_path / "summary.json").exists()
