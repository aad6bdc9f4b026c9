"""Stand-ins for an experiment's steps (a training run, an evaluation) that write the files the real ones write,
in milliseconds: the findings' wiring and statistics are tested on them; tests/integration runs the real ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def arg(args: list[str], flag: str, default: str | None = None) -> str | None:
    """The value after ``flag`` in a command's arguments."""
    return args[args.index(flag) + 1] if flag in args else default


def override(overrides: list[str], key: str) -> str | None:
    """The value of ``key=value`` among recipe overrides."""
    return next((o.split("=", 1)[1] for o in overrides if o.startswith(f"{key}=")), None)


def record(
    i: int, correct: list[bool], completions: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """One problem's line of an evaluation's samples.jsonl."""
    completions = completions or ["The answer is 5." if c else "The answer is 6." for c in correct]
    return {
        "id": f"p{i}",
        "prompt": f"question {i}",
        "answer": "5",
        "completions": completions,
        "answers": ["5" if c else "6" for c in correct],
        "correct": correct,
        "formatted": [False] * len(correct),
        "tokens": [10] * len(correct),
        "truncated": [False] * len(correct),
        **fields,
    }


class FakeSteps:
    """``train_once`` / ``evaluate_once`` / ``build_model`` for an experiment module: trainings write
    ``history(overrides)`` as their log; evaluations write ``samples(model, args)`` as their samples."""

    def __init__(
        self,
        samples: Callable[[str, list[str]], list[dict[str, Any]]],
        history: Callable[[list[str]], list[dict[str, Any]]] = lambda overrides: [],
    ):
        self.samples, self.history = samples, history
        self.trained: list[list[str]] = []
        self.evaluated: list[tuple[str, list[str]]] = []

    def install(self, monkeypatch: Any, module: Any) -> FakeSteps:
        monkeypatch.setattr(module, "train_once", self.train_once)
        monkeypatch.setattr(module, "evaluate_once", self.evaluate_once)
        monkeypatch.setattr(module, "build_model", lambda model: None)
        return self

    def train_once(self, run: Path, overrides: list[str], recipe: str = "") -> dict[str, Any]:
        self.trained.append(overrides)
        train = run / "train"
        train.mkdir(parents=True, exist_ok=True)
        (train / "log_history.json").write_text(json.dumps(self.history(overrides)))
        return {
            "final_model": f"{run.name}/final",
            "global_step": int(override(overrides, "trainer.max_steps")),
        }

    def evaluate_once(self, model: str, out: Path, args: list[str]) -> Path:
        self.evaluated.append((model, args))
        (out / "arithmetic").mkdir(parents=True, exist_ok=True)
        rows = self.samples(model, args)
        (out / "arithmetic" / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return out
