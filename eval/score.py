"""Score completions produced elsewhere: ``python -m eval.score FILE.jsonl [--data-files NAME=PATH ...]``.

One row per problem with ``completions`` (a list) or ``completion`` (a string), and the gold as ``answer``
or the ``id`` of a named benchmark's problem (as ``python -m eval`` writes ids, e.g. ``gsm8k-test-12`` or
``math500-test/precalculus/807.json``, or the source's own id such as ``test/precalculus/807.json`` with
``--benchmark math500``). Optional ``level`` / ``subject`` give breakdowns. Prints one JSON
object of metrics on stdout (``pass@1``, ``pass@k`` and ``maj@k`` for the k the samples allow,
``n_problems``, ...); logs go to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from eval.grade import correct_flags, grade
from eval.harness import HARNESS_FORMATS, compare, detect_format, read_harness_file
from eval.inputs import parse_data_files
from eval.metrics import compute_metrics
from rewards.extract import EXTRACTION_MODES

logger = logging.getLogger("eval.score")


def _gold_lookup(
    ids: list[Any], data_files: dict[str, str], benchmark: str | None = None
) -> dict[str, dict[str, Any]]:
    """Gold rows by id. Ids may be this repository's (``gsm8k-test-12``, ``math500-test/precalculus/807.json``)
    or the source's own (``test/precalculus/807.json``, ``12``) when ``benchmark`` names the set."""
    import data

    names = [benchmark] if benchmark else []
    names += [
        n
        for n in [*data.SOURCES, "arithmetic"]
        if n != benchmark and any(str(i).startswith(n + "-") for i in ids)
    ]
    lookup: dict[str, dict[str, Any]] = {}
    for name in names:
        for row in data.load(name, split="test", data_files=data_files.get(name)):
            own = row["id"].removeprefix(f"{name}-")
            for key in (row["id"], own, own.removeprefix("test-")):
                lookup.setdefault(key, row)
    return lookup


def score_rows(
    rows: list[dict[str, Any]],
    data_files: dict[str, str] | None = None,
    benchmark: str | None = None,
    grader: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metrics for rows of completions (see the module docstring for the row format), strict and lenient;
    with ``harness`` entries (rows read from another harness's file), its own scores beside ours."""
    missing_gold = [row.get("id") for row in rows if "answer" not in row]
    golds = (
        _gold_lookup([i for i in missing_gold if i is not None], data_files or {}, benchmark)
        if missing_gold
        else {}
    )
    records, strict, lenient, answers = [], [], [], []
    for number, row in enumerate(rows):
        completions = row.get("completions", [row["completion"]] if "completion" in row else None)
        if not isinstance(completions, list) or not completions:
            raise ValueError(
                f"row {number}: needs 'completions' (a list) or 'completion' (a string); it has {sorted(row)}"
            )
        if "answer" in row:
            gold, meta = row["answer"], row
        elif str(row.get("id")) in golds:
            gold, meta = golds[str(row["id"])]["answer"], golds[str(row["id"])]
        else:
            raise ValueError(
                f"row {number}: no 'answer', and id {row.get('id')!r} is not a problem of a named benchmark"
            )
        if not all(isinstance(c, str) for c in completions):
            raise ValueError(f"row {number}: completions must be text, got {completions[:1]!r}")
        harness = row.get("harness", {"scores": {}})
        if not isinstance(harness, dict) or not isinstance(harness.get("scores"), dict):
            raise ValueError(
                f"row {number}: 'harness' is this tool's field for another harness's scores (a mapping with "
                f"'scores'), got {harness!r:.60}; rename that field"
            )
        graded = grade(completions, [gold] * len(completions), grader)  # a null / true / NaN gold is None
        record = {
            "answers": graded.answers,
            "correct": correct_flags(graded.scores),
            "correct_lenient": correct_flags(graded.lenient),
        }
        for key in ("level", "subject"):
            if meta.get(key) is not None:
                record[key] = meta[key]
        records.append(record)
        strict.append(record["correct"])
        lenient.append(record["correct_lenient"])
        answers.append(graded.answers)
    if not any(flags is not None for flags in strict):
        golds = sorted({repr(gold) for gold in (row.get("answer") for row in rows)})[:3]
        raise ValueError(
            f"none of its {len(rows)} rows has a gold answer the grader can read (golds such as {', '.join(golds)}); "
            "give each row its gold final answer as 'answer' (e.g. \"72\"), or ids of a named benchmark"
        )
    metrics = compute_metrics(records)
    if rows and all("harness" in row for row in rows):
        metrics["harness"] = compare(rows, strict, lenient, answers)
    return metrics


def read_rows(path: Path) -> list[dict[str, Any]]:
    """One JSON object per line; any problem with the file raises FileError naming the file and line."""
    from data.files import FileError

    if path.is_dir():
        raise FileError(f"{path} is a folder; give a JSONL file of completions (e.g. {path}/samples.jsonl)")
    if not path.exists():
        raise FileError(f"{path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise FileError(f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8 JSONL") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise FileError(f"{path}, line {number}: not JSON ({error.msg}, column {error.colno})") from None
        except RecursionError:
            raise FileError(
                f"{path}, line {number}: JSON nested too deeply to be a row of completions"
            ) from None
        if not isinstance(row, dict):
            raise FileError(
                f"{path}, line {number}: each line must be a JSON object, got {type(row).__name__}"
            )
        rows.append(row)
    if not rows:
        raise FileError(f"{path} holds no rows; write one JSON object per line with completions and answer")
    return rows


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser
    from data.files import FileError

    parser = ArgumentParser(prog="python -m eval.score", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a JSONL file of completions")
    parser.add_argument(
        "--benchmark",
        default=None,
        help="the benchmark whose ids the rows use, when they are the source's own ids",
    )
    parser.add_argument(
        "--data-files",
        nargs="*",
        default=[],
        metavar="NAME=PATH",
        help="local benchmark copies for id lookups",
    )
    parser.add_argument(
        "--format",
        choices=["auto", "rows", *HARNESS_FORMATS],
        default="auto",
        help="rows (this repository's), lm-eval (--log_samples JSONL), lighteval (details parquet); "
        "auto tells them apart",
    )
    parser.add_argument(
        "--extract",
        default="stated",
        choices=EXTRACTION_MODES,
        help="what counts as the stated answer in the strict score (the training reward's default: stated)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    path = Path(args.file)
    try:
        if path.is_dir():
            found = sorted(p.name for p in path.rglob("*") if p.name.startswith(("samples_", "details_")))
            hint = f" (it holds {', '.join(found[:4])})" if found else ""
            raise FileError(f"{path} is a folder; give one file of completions{hint}")
        harness = detect_format(path) if args.format == "auto" and path.exists() else args.format
        if harness in HARNESS_FORMATS:
            rows = read_harness_file(path, harness)
        else:
            rows = read_rows(path)
        metrics = score_rows(
            rows, parse_data_files(args.data_files), args.benchmark, {"extract": args.extract}
        )
    except FileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - one clear line for bad input
        print(f"error: {path}: {error}", file=sys.stderr)
        return 2
    if "harness" in metrics:
        metrics["harness"]["format"] = harness
        _summarize(metrics)
    print(json.dumps(metrics))
    return 0


def _summarize(metrics: dict[str, Any]) -> None:
    """A readable comparison on stderr (stdout keeps its one JSON object)."""
    lines = [
        f"{metrics['n_problems']} problems: ours strict {metrics['pass@1']:.1%}, lenient {metrics.get('pass@1_lenient', 0):.1%}"
    ]
    for name, value in metrics["harness"]["metrics"].items():
        differing = metrics["harness"]["disagreements"][name]
        lines.append(
            f"  {metrics['harness']['format']} {name}: {value:.1%} ({len(differing)} problems disagree with our strict score)"
        )
        for entry in differing[:5]:
            lines.append(
                f"    {entry['id']}: gold {entry['gold']!r}, ours {entry['ours']['answer']!r} -> {entry['ours']['strict']:.0f}, "
                f"harness {entry['harness']['extracted']!r} -> {entry['harness']['score']:.0f}"
            )
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
