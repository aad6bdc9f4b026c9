"""Put evaluation runs side by side: ``python -m eval.compare DIR [DIR ...] [--labels ...] [--png PATH]``.

Each DIR is an output folder of ``python -m eval`` (its ``metrics.json``). Prints a Markdown table
(benchmark x run: pass@1 with its 95% interval) and writes a bar chart; with ``--by level`` the chart
shows pass@1 per difficulty level instead (the arithmetic and MATH sets have levels).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from data.files import FileError, write_problem


def load_runs(folders: list[str | Path]) -> list[dict[str, Any]]:
    from data.files import read_json

    runs = []
    for folder in folders:
        path = Path(folder) / "metrics.json"
        if not path.exists():
            raise FileError(f"{path} not found: is {folder} an output folder of python -m eval?")
        fix = f"rerun python -m eval with --out {folder} to rewrite it from its samples"
        run = read_json(path, fix)
        if not isinstance(run, dict) or not isinstance(run.get("benchmarks"), dict):
            raise FileError(f"{path} is not a metrics file of python -m eval; {fix}")
        for benchmark, metrics in run["benchmarks"].items():
            problem = _metrics_problem(metrics)
            if problem:
                raise FileError(f"{path}: benchmarks.{benchmark} {problem}; {fix}")
        runs.append(run)
    return runs


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _metrics_problem(metrics: Any) -> str | None:
    """What a benchmark's entry lacks for the table and the chart (a scored one needs pass@1 and its CI)."""
    if not isinstance(metrics, dict):
        return f"must be a mapping of metrics, got {metrics!r:.40}"
    if not metrics.get("n_problems"):
        return None  # scored nothing: shown as "-"
    if not _number(metrics["n_problems"]):
        return f"n_problems must be a number, got {metrics['n_problems']!r:.40}"
    if "pass@1" not in metrics or "pass@1_ci95" not in metrics:
        return f"lacks {'pass@1' if 'pass@1' not in metrics else 'pass@1_ci95'}"
    if not _number(metrics["pass@1"]):
        return f"pass@1 must be a number, got {metrics['pass@1']!r:.40}"
    interval = metrics["pass@1_ci95"]
    if not isinstance(interval, list) or len(interval) != 2 or not all(_number(v) for v in interval):
        return f"pass@1_ci95 must be [low, high], got {interval!r:.40}"
    for group, entry in [
        (g, e) for key in ("by_level", "by_subject") for g, e in (metrics.get(key) or {}).items()
    ]:
        if not isinstance(entry, dict) or not _number(entry.get("pass@1")):
            return f"breakdown {group} has no numeric pass@1"
    return None


# Settings of python -m eval that change what a score measures: runs that differ in them are not one protocol.
PROTOCOL = (
    "template",
    "template_digest",
    "n",
    "temperature",
    "top_p",
    "max_new_tokens",
    "grader",
    "split",
    "limit",
    "levels",
)


def protocol_differences(runs: list[dict[str, Any]], labels: list[str]) -> list[str]:
    """Each protocol setting on which the runs differ, with every run's value.

    >>> protocol_differences([{"settings": {"n": 1, "temperature": 0.0}}, {"settings": {"n": 4, "temperature": 0.7}}], ["a", "b"])
    ['n (a: 1, b: 4)', 'temperature (a: 0.0, b: 0.7)']
    """
    differences = []
    for key in PROTOCOL:
        values = [
            run.get("settings", {}).get(key) if isinstance(run.get("settings"), dict) else None
            for run in runs
        ]
        if len({repr(v) for v in values}) > 1:
            differences.append(
                f"{key} ({', '.join(f'{label}: {v}' for label, v in zip(labels, values, strict=True))})"
            )
    return differences


def table(runs: list[dict[str, Any]], labels: list[str]) -> str:
    benchmarks = list(dict.fromkeys(b for run in runs for b in run["benchmarks"]))
    lines = [
        "| benchmark | " + " | ".join(labels) + " |",
        "| --- | " + " | ".join("---" for _ in labels) + " |",
    ]
    for benchmark in benchmarks:
        cells = []
        for run in runs:
            metrics = run["benchmarks"].get(benchmark)
            if not metrics or not metrics.get("n_problems"):
                cells.append("-")
                continue
            low, high = metrics["pass@1_ci95"]
            cells.append(f"{metrics['pass@1']:.1%} [{low:.1%}, {high:.1%}] (n={metrics['n_problems']})")
        lines.append(f"| {benchmark} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], labels: list[str], path: Path, by: str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: list[str] = []
    values: list[list[float]] = []
    for run in runs:
        row = {}
        for benchmark, metrics in run["benchmarks"].items():
            if by and f"by_{by}" in metrics:
                for group, entry in metrics[f"by_{by}"].items():
                    row[f"{benchmark} {by} {group}"] = entry["pass@1"]
            elif metrics.get("n_problems"):
                row[benchmark] = metrics["pass@1"]
        for key in row:
            if key not in groups:
                groups.append(key)
        values.append([row.get(g, 0.0) for g in groups])
    values = [v + [0.0] * (len(groups) - len(v)) for v in values]
    width = 0.8 / max(1, len(runs))
    figure, axis = plt.subplots(figsize=(max(6, 1.2 * len(groups) * max(1, len(runs)) / 2 + 3), 4))
    for i, (label, row) in enumerate(zip(labels, values, strict=True)):
        positions = [g + i * width - 0.4 + width / 2 for g in range(len(groups))]
        bars = axis.bar(positions, [100 * v for v in row], width, label=label)
        axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_xticks(range(len(groups)), groups, rotation=20, ha="right")
    axis.set_ylabel("pass@1 (%)")
    axis.set_ylim(0, 105)
    axis.legend()
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser

    parser = ArgumentParser(prog="python -m eval.compare", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="output folders of python -m eval")
    parser.add_argument("--labels", nargs="*", help="a label per run (default: the folder names)")
    parser.add_argument("--png", default="outputs/compare.png", help="where to write the bar chart")
    parser.add_argument("--by", choices=["level", "subject"], help="chart pass@1 per level or subject")
    args = parser.parse_args(argv)
    labels = args.labels or [Path(r).name for r in args.runs]
    if len(labels) != len(args.runs):
        print(f"error: {len(labels)} labels for {len(args.runs)} runs", file=sys.stderr)
        return 2
    try:
        runs = load_runs(args.runs)
        png = chart_path(Path(args.png))
    except FileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    differences = protocol_differences(runs, labels)
    if differences:  # stderr: stdout keeps the table
        print(
            f"warning: the runs were evaluated differently, so their scores are not one protocol: {'; '.join(differences)}",
            file=sys.stderr,
        )
    print(table(runs, labels))
    try:
        written = plot(runs, labels, png, args.by)
    except OSError as error:
        print(
            f"error: --png {png}: can't write the chart ({error.strerror or error}); choose another path",
            file=sys.stderr,
        )
        return 2
    print(f"\nchart: {written}")
    return 0


def chart_path(path: Path) -> Path:
    """Where the chart goes: a folder given as --png holds ``compare.png``; a name without a suffix gets
    ``.png`` (as matplotlib would add it, so that the printed path is the written one). A path that
    can't be written (under a file, read-only) raises FileError before anything is printed."""
    if path.is_dir():
        path = path / "compare.png"
    elif not path.suffix:
        path = path.with_suffix(".png")
    problem = write_problem(path)
    if problem:
        raise FileError(f"--png {path}: {problem}; choose another path")
    return path


if __name__ == "__main__":
    sys.exit(main())
