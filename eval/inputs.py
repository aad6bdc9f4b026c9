"""An evaluation's inputs, checked before anything is written or loaded: the benchmarks, the template, the
sampling settings, the data files, the model (local and whole, or reachable), the output folder; and the
settings that change a score, recorded in ``settings.json`` so that a folder made with other settings is
refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

import data
from data.cli import close_matches
from data.files import read_json, write_problem
from data.templates import get_template
from eval.generate import DEFAULT_MAX_NEW_TOKENS
from eval.grade import grader_params

DEFAULT_TEMPLATE = "qwen_math_cot"


class EvalError(RuntimeError):
    """An evaluation that can't run as asked; the message names the input and the fix."""


def default_out_dir(model: str) -> Path:
    return Path("outputs") / "eval" / re.sub(r"[^A-Za-z0-9_.-]+", "_", model.strip("/"))


def check_model(model: str) -> None:
    """Fail in seconds, with what to pass, when ``model`` is neither a local checkpoint nor reachable."""
    from data.hub import CHECKPOINT_FIX, model_problem, unavailable_model

    problem = model_problem(model)
    if problem:
        fix = (
            ""
            if problem.endswith(CHECKPOINT_FIX)
            else "; pass a local checkpoint folder (one with config.json) or a hub id"
        )
        raise EvalError(f"--model {problem}{fix}")
    unavailable = unavailable_model(model, "--model path/to/model")
    if unavailable:
        raise EvalError(unavailable)


def settings_conflict(out: Path, settings: dict[str, Any]) -> str | None:
    """How ``out`` was evaluated differently from ``settings`` (``"max_new_tokens: 4 -> 8"``), or None when
    it holds no evaluation or one made the same way. A damaged settings file raises FileError / EvalError."""
    path = out / "settings.json"
    if not path.exists():
        return None
    fix = f"delete {out} to start over"
    previous = read_json(path, fix)
    if not isinstance(previous, dict):
        raise EvalError(f"{path} is not a settings file; {fix}")
    # A setting an older version didn't record (absent) is not a change.
    changed = {
        k: (previous[k], v)
        for k, v in settings.items()
        if k != "benchmarks" and k in previous and previous[k] != v
    }
    return ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items()) or None


def check_settings(out: Path, settings: dict[str, Any]) -> None:
    """Refuse to mix results made with other settings (the settings are written once the model loaded)."""
    changed = settings_conflict(out, settings)
    if changed:
        raise EvalError(
            f"{out} holds results made with other settings ({changed}); pass another --out, or delete that folder "
            "to start over"
        )


def evaluation_settings(
    model: str,
    benchmarks: list[str],
    template: str = DEFAULT_TEMPLATE,
    n: int = 1,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    data_files: dict[str, str] | None = None,
    limit: int | None = None,
    backend: str = "transformers",
    seed: int = 0,
    levels: list[int] | None = None,
    grader: dict[str, Any] | None = None,
    split: str = "test",
) -> dict[str, Any]:
    """Every setting that changes a score, as ``settings.json`` records it (a folder made with other
    settings is refused, not mixed)."""
    try:
        grader = grader_params(grader)
    except ValueError as error:
        raise EvalError(f"--extract: {error}") from None
    return {
        "model": model,
        "template": template,
        # the template's text too: a template edited in place must not mix with results of its old wording
        "template_digest": hashlib.sha256(repr(get_template(template)).encode()).hexdigest()[:12],
        "n": n,
        "temperature": temperature,
        "top_p": top_p,
        "max_new_tokens": max_new_tokens,
        "limit": limit,
        "backend": backend,
        "seed": seed,
        "data_files": data_files or {},
        "levels": levels,
        "grader": grader,
        "split": split,
        "benchmarks": benchmarks,
    }


def check_inputs(
    benchmarks: list[str],
    template: str,
    n: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    data_files: dict[str, str],
    limit: int | None,
    levels: list[int] | None,
    split: str = "test",
) -> None:
    """Every argument of an evaluation, checked before anything is written or loaded."""
    known = [*data.SOURCES, "arithmetic"]
    if not benchmarks:
        raise EvalError(f"--benchmarks is empty; name at least one of {', '.join(known)}")
    for name in benchmarks:
        splits = data.SOURCES[name].splits if name in data.SOURCES else ("train", "test")
        if name in known and split not in splits:
            raise EvalError(f"--split {split!r}: {name} has splits {', '.join(splits)}")
        if name not in known:
            raise EvalError(
                f"--benchmarks: unknown benchmark {name!r}{_closest(name, known)}; known: {', '.join(known)}"
            )
        if levels is not None:
            try:
                data.check_levels(name, levels)
            except data.DataError as error:
                raise EvalError(f"--levels: {error}") from None
    if template not in data.TEMPLATES:
        raise EvalError(
            f"--template {template!r} is unknown{_closest(template, data.TEMPLATES)}; choose one of {', '.join(data.TEMPLATES)}"
        )
    for name, value, ok, rule in (
        ("--n", n, isinstance(n, int) and n >= 1, "a whole number of samples, 1 or more"),
        (
            "--max-new-tokens",
            max_new_tokens,
            isinstance(max_new_tokens, int) and max_new_tokens >= 1,
            "1 or more",
        ),
        ("--temperature", temperature, 0 <= temperature < math.inf, "a finite number, 0 (greedy) or more"),
        ("--top-p", top_p, 0 < top_p <= 1, "above 0 and at most 1"),
        ("--limit", limit, limit is None or limit >= 1, "1 or more"),
    ):
        if not ok:
            raise EvalError(f"{name} must be {rule}, got {value}")
    if n > 1 and temperature == 0:
        raise EvalError(
            f"--n {n} with --temperature 0 gives {n} identical greedy samples; set --temperature (e.g. 0.6)"
        )
    for name, path in data_files.items():
        if name not in benchmarks:
            raise EvalError(
                f"--data-files {name}=...: {name} is not one of --benchmarks ({', '.join(benchmarks)})"
            )
        if not Path(path).exists():
            raise EvalError(f"--data-files {name}={path}: no such file")


def _closest(name: str, options: Any) -> str:
    matches = close_matches(name, options, n=2)
    return f" (did you mean {', '.join(matches)}?)" if matches else ""


def load_benchmark(
    name: str,
    files: str | None,
    template: str,
    limit: int | None,
    levels: list[int] | None,
    split: str = "test",
):
    """A benchmark's split (test unless asked); ``levels`` keeps those difficulty levels, then ``limit``."""
    return data.load(name, split=split, data_files=files, template=template, limit=limit, levels=levels)


def parse_data_files(entries: list[str]) -> dict[str, str]:
    files = {}
    for entry in entries:
        if "=" not in entry:
            raise EvalError(f"--data-files takes NAME=PATH (e.g. gsm8k=data/gsm8k_test.jsonl), got {entry!r}")
        name, path = entry.split("=", 1)
        files[name] = path
    return files


def check_out_dir(out: Path) -> None:
    """The results folder can be made and written (not a file, not read-only)."""
    if out.exists() and not out.is_dir():
        raise EvalError(f"--out {out} is a file; give a folder for the results")
    problem = write_problem(out)
    if problem:
        raise EvalError(f"--out {out}: {problem}; give another --out")
