"""What an evaluation writes besides its samples: ``metrics.json`` (every setting and every metric),
``results.md`` (the table), and ``pass_rates.jsonl`` per benchmark (each problem's share of correct samples:
what ``data.pass_rate`` in a recipe filters training problems by).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from data.files import read_json, write_atomic, write_json


def write_pass_rates(path: Path, records: list[dict[str, Any]]) -> None:
    """Each problem's share of correct samples (strict), beside its samples: what ``data.pass_rate`` in a
    recipe filters training problems by (``python -m eval --split train --n 8``)."""
    lines = [
        json.dumps(
            {"id": r["id"], "pass_rate": sum(r["correct"]) / len(r["correct"]), "n": len(r["correct"])}
        )
        for r in records
        if r.get("correct")
    ]
    write_atomic(path, "".join(line + "\n" for line in lines))


def write_reports(out: Path, settings: dict[str, Any], results: dict[str, Any]) -> None:
    previous = {}
    if (out / "metrics.json").exists():
        saved = read_json(
            out / "metrics.json", f"delete it; rerunning recomputes it from {out}/*/samples.jsonl"
        )
        previous = saved.get("benchmarks", {}) if isinstance(saved, dict) else {}
    merged = {**previous, **results}
    write_json(out / "metrics.json", {"settings": settings, "benchmarks": merged})
    lines = [
        f"# {settings['model']}",
        "",
        f"template `{settings['template']}`, n={settings['n']}, temperature={settings['temperature']}, top_p={settings['top_p']}, "
        f"max_new_tokens={settings['max_new_tokens']}, limit={settings['limit']}, backend={settings['backend']}, "
        f"grader {settings.get('grader')}",
        "",
        "pass@1 is strict (the grader's own rule for a stated answer); lenient adds a last-sentence fallback.",
        "",
        "| benchmark | problems | pass@1 | 95% CI | pass@1 lenient | "
        + " | ".join(_extra_keys(merged))
        + " |",
        "| --- | --- | --- | --- | --- | " + " | ".join("---" for _ in _extra_keys(merged)) + " |",
    ]
    for name, metrics in merged.items():
        if not metrics.get("n_problems"):
            lines.append(f"| {name} | 0 | - | - | - | " + " | ".join("-" for _ in _extra_keys(merged)) + " |")
            continue
        low, high = metrics["pass@1_ci95"]
        extras = [_fmt(metrics.get(k)) for k in _extra_keys(merged)]
        lines.append(
            f"| {name} | {metrics['n_problems']} | {metrics['pass@1']:.1%} | {low:.1%} – {high:.1%} | "
            f"{_fmt(metrics.get('pass@1_lenient'))} | " + " | ".join(extras) + " |"
        )
    write_atomic(out / "results.md", "\n".join(lines) + "\n")


def _extra_keys(results: dict[str, Any]) -> list[str]:
    keys = {
        k
        for m in results.values()
        for k in m
        if k.startswith(("pass@", "maj@")) and "_" not in k and k != "pass@1"
    }
    ordered = sorted(keys, key=lambda k: (k.split("@")[0], int(k.split("@")[1])))
    return ordered + ["format_compliance", "mean_completion_tokens", "truncated_share"]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if isinstance(value, float) and value <= 1 else f"{value:.0f}"
