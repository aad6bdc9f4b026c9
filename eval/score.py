"""Score completions produced elsewhere: ``python -m eval.score FILE.jsonl [--data-files NAME=PATH ...]``.

One row per problem with ``completions`` (a list) or ``completion`` (a string), and the gold as ``answer``
or the ``id`` of a named benchmark's problem (as ``python -m eval`` writes ids, e.g. ``gsm8k-test-12`` or
``math500-test/precalculus/807.json``). Optional ``level`` / ``subject`` give breakdowns. Prints one JSON
object of metrics on stdout (``pass@1``, ``pass@k`` and ``maj@k`` for the k the samples allow,
``n_problems``, ...); logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from eval.metrics import compute_metrics
from rewards import accuracy_reward, extract_final_answer

logger = logging.getLogger("eval.score")


def _gold_lookup(ids: list[str], data_files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Gold rows for benchmark ids, loading each named benchmark the ids refer to."""
    import data

    lookup: dict[str, dict[str, Any]] = {}
    names = sorted(
        {name for name in [*data.SOURCES, "arithmetic"] if any(i.startswith(name + "-") for i in ids)},
        key=len,
        reverse=True,
    )
    for name in names:
        for row in data.load(name, split="test", data_files=data_files.get(name)):
            lookup.setdefault(row["id"], row)
    return lookup


def score_rows(rows: list[dict[str, Any]], data_files: dict[str, str] | None = None) -> dict[str, Any]:
    """Metrics for rows of completions (see the module docstring for the row format)."""
    missing_gold = [row.get("id") for row in rows if "answer" not in row]
    golds = _gold_lookup([i for i in missing_gold if i], data_files or {}) if missing_gold else {}
    records = []
    for number, row in enumerate(rows):
        completions = row.get("completions", [row["completion"]] if "completion" in row else None)
        if not isinstance(completions, list) or not completions:
            raise ValueError(
                f"row {number}: needs 'completions' (a list) or 'completion' (a string); it has {sorted(row)}"
            )
        if "answer" in row:
            gold, meta = row["answer"], row
        elif row.get("id") in golds:
            gold, meta = golds[row["id"]]["answer"], golds[row["id"]]
        else:
            raise ValueError(
                f"row {number}: no 'answer', and id {row.get('id')!r} is not a problem of a named benchmark"
            )
        scores = accuracy_reward(completions, [str(gold)] * len(completions))
        record = {
            "correct": None if None in scores else [s == 1.0 for s in scores],
            "answers": [extract_final_answer(c) for c in completions],
        }
        for key in ("level", "subject"):
            if meta.get(key) is not None:
                record[key] = meta[key]
        records.append(record)
    return compute_metrics(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.score", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a JSONL file of completions")
    parser.add_argument(
        "--data-files",
        nargs="*",
        default=[],
        metavar="NAME=PATH",
        help="local benchmark copies for id lookups",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    path = Path(args.file)
    if not path.exists():
        print(f"error: {path} does not exist", file=sys.stderr)
        return 2
    rows = []
    for number, line in enumerate(path.open()):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                print(f"error: {path}, line {number + 1}: not JSON ({error})", file=sys.stderr)
                return 2
    files = dict(entry.split("=", 1) for entry in args.data_files)
    try:
        metrics = score_rows(rows, files)
    except Exception as error:  # noqa: BLE001 - one clear line for bad input
        print(f"error: {path}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
