"""What a run leaves in its output folder besides the trainer's checkpoints, and how a rerun finds its place:
``recipe.yaml`` (the resolved recipe), ``run_info.json`` (versions, commit, seed, command, precision),
``summary.json``; the last complete checkpoint to resume from; the completion log trimmed to it; a run that
finished training before (evaluated and described again, not retrained).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from data.files import read_jsonl, repair_jsonl, write_atomic, write_json
from recipes.resolve import ResolvedRun, is_main_process, num_processes
from recipes.schema import Recipe

logger = logging.getLogger("recipes.train")

PACKAGES = ("torch", "trl", "transformers", "datasets", "accelerate", "peft", "math-verify")


def last_complete_checkpoint(output_dir: Path) -> Path | None:
    """The newest ``checkpoint-N`` whose ``trainer_state.json`` is whole. The Trainer writes that file
    last, so a checkpoint cut off by a kill or a full disk lacks it (or holds half of it): it is skipped
    with a warning, and the previous one is used."""
    if not output_dir.is_dir():
        return None
    checkpoints = []
    for path in output_dir.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if path.is_dir() and suffix.isdigit():
            checkpoints.append((int(suffix), path))
    for _, path in sorted(checkpoints, reverse=True):
        state = path / "trainer_state.json"
        try:
            json.loads(state.read_text())
            return path
        except (OSError, ValueError):
            logger.warning("%s is incomplete (no readable trainer_state.json); skipping it", path)
    return None


def trim_completions(path: Path, last_step: int) -> None:
    """Completions logged after the checkpoint a run resumes from are redone: drop them, so each step
    appears once (also a line torn by the kill)."""
    if not path.exists():
        return
    repair_jsonl(path)
    rows = read_jsonl(path, "delete it to start the log over")
    kept = [row for row in rows if row.get("step", 0) <= last_step]
    if len(kept) != len(rows):
        write_atomic(path, "".join(json.dumps(row, default=str) + "\n" for row in kept))
        logger.info(
            "completions.jsonl: dropped %d rows logged after step %d", len(rows) - len(kept), last_step
        )


def run_info(run: ResolvedRun, argv: list[str]) -> dict[str, Any]:
    """What is needed to rerun this experiment: versions, commit, seed, command, precision (worked out once
    per run: it asks git)."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {
        "command": argv,
        "seed": run.recipe.seed,
        "precision": dataclasses.asdict(run.precision),
        "git_commit": commit,
        "git_dirty": dirty,
        "versions": versions,
        "python": sys.version.split()[0],
    }


def recipe_as_dict(recipe: Recipe) -> dict[str, Any]:
    return dataclasses.asdict(recipe)


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors in what people read
        return True


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


def summary_file(output_dir: Path) -> Path:
    """This process's summary: ``summary.json``, or one per rank in a multi-process run."""
    rank = int(os.environ.get("RANK", "0"))
    return output_dir / ("summary.json" if num_processes() == 1 else f"summary-rank{rank}.json")


def finished_summary(recipe: Recipe, output_dir: Path) -> dict[str, Any] | None:
    """The summary of a run of this recipe that finished training in ``output_dir`` (its final model saved,
    not interrupted), or None. The eval section may differ: a rerun with another evaluation protocol
    evaluates the same model, while any other change trains (resuming from the last checkpoint)."""
    path, saved = summary_file(output_dir), output_dir / "recipe.yaml"
    if not path.exists() or not saved.exists() or not (output_dir / "final" / "config.json").exists():
        return None
    try:
        summary = json.loads(path.read_text())
        previous = yaml.safe_load(saved.read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(summary, dict) or not isinstance(previous, dict):
        return None
    if not summary.get("final_model") or summary.get("interrupted"):
        return None
    resolved = recipe_as_dict(recipe)
    same = {k: v for k, v in previous.items() if k != "eval"} == {
        k: v for k, v in resolved.items() if k != "eval"
    }
    return summary if same else None


def prepare_output_dir(run: ResolvedRun, info: dict[str, Any]) -> Path | None:
    """Make the output folder and find the checkpoint to resume from (or None); on the main process write
    ``recipe.yaml`` and ``run_info.json`` and trim the completion log to that checkpoint (a fresh run starts
    the log over)."""
    output_dir = run.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    resume_from = last_complete_checkpoint(output_dir)
    if not is_main_process():
        return resume_from
    saved = output_dir / "recipe.yaml"
    resolved = recipe_as_dict(run.recipe)
    if resume_from and saved.exists():
        try:
            previous = yaml.safe_load(saved.read_text())
        except yaml.YAMLError:
            previous = None
        if previous != resolved:
            logger.warning(
                "%s holds a run of a different recipe; resuming it with the new settings", output_dir
            )
    write_atomic(saved, dump_yaml(resolved))
    write_json(output_dir / "run_info.json", info)
    if resume_from:
        state = json.loads((resume_from / "trainer_state.json").read_text())
        trim_completions(output_dir / "completions.jsonl", int(state.get("global_step", 0)))
    else:
        (output_dir / "completions.jsonl").unlink(missing_ok=True)
    return resume_from
