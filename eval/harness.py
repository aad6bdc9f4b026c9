"""Readers for other evaluation harnesses' per-sample outputs, so ``python -m eval.score`` can regrade them.

- lm-evaluation-harness ``--log_samples`` files (``samples_<task>_<date>.jsonl``): one line per
  (document, filter); the completion is ``resps[0]``, the harness's extraction ``filtered_resps[0]``,
  its score the top-level key named in ``metrics`` (e.g. ``exact_match`` under ``strict-match`` and
  ``flexible-extract``).
- lighteval ``--save-details`` files (``details_<task>_<date>.parquet``), both schemas: since 0.11 the
  struct columns ``doc`` / ``metric`` / ``model_response``, up to 0.10 the flat ``example`` /
  ``predictions`` / ``gold`` / ``metrics`` / ``specifics``.

Each becomes eval.score's row format (``id``, ``completions``, ``answer``, ``level``, ``subject``) plus
``harness``: the harness's own per-problem scores and extracted answers, keyed ``metric,filter``.
Golds are read from what the harness stored: GSM8K's ``#### N``, MATH's last ``\\boxed{}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from data.files import FileError
from data.sources import ANSWER_EXTRACTORS

HARNESS_FORMATS = ("lm-eval", "lighteval")


def _gold_from(text: Any) -> str | None:
    """A gold answer from a stored target: ``#### N``, else the last box, else the text itself."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text.startswith("ANSWER:"):  # lighteval's math_500 stores "ANSWER: " + the whole solution
        text = text[len("ANSWER:") :]
    for extractor in ("gsm8k_hash", "last_boxed", "as_is"):
        gold = ANSWER_EXTRACTORS[extractor](text)
        if gold is not None and (extractor == "as_is" or gold[0]):
            return gold[0]
    return None


def detect_format(path: Path) -> str | None:
    """``lm-eval``, ``lighteval`` or None (this repository's own row format), from the file itself."""
    if path.suffix == ".parquet":
        return "lighteval"
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
        record = json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if isinstance(record, dict) and {"doc_id", "resps", "filtered_resps"} <= set(record):
        return "lm-eval"
    return None


def read_lm_eval(path: Path) -> list[dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise FileError(f"{path}, line {number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict) or "resps" not in record or "doc" not in record:
            raise FileError(f"{path}, line {number}: not an lm-eval --log_samples record (no doc / resps)")
        _check_lm_eval_record(record, f"{path}, line {number}")
        doc = record["doc"] if isinstance(record["doc"], dict) else {}
        key = record.get("doc_id")
        row = rows.get(key)
        if row is None:
            completions = (
                record["resps"][0] if record["resps"] and isinstance(record["resps"][0], list) else []
            )
            gold = _gold_from(doc.get("solution")) if "\\boxed" in str(doc.get("solution", "")) else None
            row = rows[key] = {
                "id": str(doc.get("unique_id", key)),
                "completions": [str(c) for c in completions],
                "answer": gold if gold is not None else _gold_from(record.get("target")),
                "harness": {"scores": {}, "extracted": {}},
            }
            for field in ("level", "subject"):
                if doc.get(field) is not None:
                    row[field] = doc[field]
        name = record.get("filter", "none")
        for metric in record.get("metrics", []):
            if isinstance(record.get(metric), (int, float)):
                row["harness"]["scores"][f"{metric},{name}"] = float(record[metric])
        if record.get("filtered_resps"):
            row["harness"]["extracted"][name] = str(record["filtered_resps"][0])
    return list(rows.values())


def _check_lm_eval_record(record: dict[str, Any], where: str) -> None:
    """The fields this reader uses have lm-eval's types; another type is one line naming it."""
    fix = "is this file as lm-eval --log_samples wrote it?"
    resps = record["resps"]
    if not isinstance(resps, list) or not all(
        isinstance(group, list) and all(isinstance(text, str) for text in group) for group in resps
    ):
        raise FileError(
            f"{where}: 'resps' must be a list of lists of completions (text), got {resps!r:.60}; {fix}"
        )
    for field, kind in (("filtered_resps", list), ("metrics", list), ("doc", dict)):
        if field in record and not isinstance(record[field], kind):
            raise FileError(
                f"{where}: {field!r} must be a {'list' if kind is list else 'mapping'}, got {record[field]!r:.60}; {fix}"
            )
    for metric in record.get("metrics", []):
        value = record.get(metric)
        if not isinstance(metric, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FileError(f"{where}: metric {metric!r} must be a number, got {value!r:.60}; {fix}")


def read_lighteval(path: Path) -> list[dict[str, Any]]:
    try:
        import pyarrow.parquet as parquet

        records = parquet.read_table(path).to_pylist()
    except Exception as error:  # noqa: BLE001 - any unreadable file is one message
        raise FileError(f"{path}: not a readable parquet file ({type(error).__name__}: {error})") from None
    rows = []
    for index, record in enumerate(records):
        for field in ("doc", "model_response", "metric", "metrics", "specifics"):
            if record.get(field) is not None and not isinstance(record[field], dict):
                raise FileError(
                    f"{path}, row {index}: {field!r} must be a struct (mapping), got {record[field]!r:.60}; is this "
                    "file as lighteval --save-details wrote it?"
                )
        if "model_response" in record and "doc" in record:  # lighteval >= 0.11
            doc, response = record["doc"] or {}, record["model_response"] or {}
            choices, gold_index = doc.get("choices") or [], doc.get("gold_index") or 0
            gold_index = gold_index[0] if isinstance(gold_index, list) else gold_index
            specific = doc.get("specific") or {}
            row_id = doc.get("id", index)
            completions, scores = response.get("text") or [], record.get("metric") or {}
            gold_text = choices[gold_index] if gold_index < len(choices) else None
        elif "predictions" in record and "gold" in record:  # lighteval <= 0.10: no document id
            specific = record.get("specifics") or {}
            row_id = f"row-{index}"
            completions, scores = record.get("predictions") or [], record.get("metrics") or {}
            gold_text = (record.get("gold") or [None])[0]
        else:
            raise FileError(f"{path}: not a lighteval details file (columns {sorted(record)})")
        extracted = specific.get("extracted_predictions") if isinstance(specific, dict) else None
        rows.append(
            {
                "id": str(row_id),
                "completions": [str(c) for c in completions],
                "answer": _gold_from(gold_text),
                "harness": {
                    "scores": {name: float(v) for name, v in scores.items() if isinstance(v, (int, float))},
                    "extracted": {"extracted_predictions": str(extracted[-1])} if extracted else {},
                },
            }
        )
    return rows


def read_harness_file(path: Path, harness: str) -> list[dict[str, Any]]:
    if harness not in HARNESS_FORMATS:
        raise FileError(f"unknown harness format {harness!r}; choose one of {', '.join(HARNESS_FORMATS)}")
    if path.is_dir():
        raise FileError(f"{path} is a folder; give one {harness} file")
    if not path.exists():
        raise FileError(f"{path} does not exist")
    rows = read_lm_eval(path) if harness == "lm-eval" else read_lighteval(path)
    if not rows:
        raise FileError(f"{path} holds no rows; is it the {harness} file of a finished run?")
    return rows


def compare(
    rows: list[dict[str, Any]],
    strict: list[list[bool] | None],
    lenient: list[list[bool] | None],
    answers: list,
) -> dict[str, Any]:
    """The harness's own scores beside ours: its mean per metric, and per metric the problems where our
    strict verdict and its score disagree (with both extractions, so a user can see why)."""
    names = sorted({name for row in rows for name in row["harness"]["scores"]})
    summary: dict[str, Any] = {"metrics": {}, "disagreements": {}}
    for name in names:
        scored = [
            (i, row["harness"]["scores"][name])
            for i, row in enumerate(rows)
            if name in row["harness"]["scores"]
        ]
        summary["metrics"][name] = sum(v for _, v in scored) / len(scored) if scored else None
        differing = []
        for i, value in scored:
            if strict[i] is None:
                continue
            ours = sum(strict[i]) / len(strict[i])
            if abs(ours - value) > 1e-9:
                extracted = rows[i]["harness"]["extracted"]
                differing.append(
                    {
                        "id": rows[i]["id"],
                        "gold": rows[i]["answer"],
                        "ours": {
                            "answer": answers[i][0] if answers[i] else None,
                            "strict": ours,
                            "lenient": sum(lenient[i]) / len(lenient[i]) if lenient[i] else None,
                        },
                        "harness": {
                            "score": value,
                            "extracted": extracted.get(
                                name.split(",", 1)[-1], next(iter(extracted.values()), None)
                            ),
                        },
                        "completion_end": rows[i]["completions"][0][-160:] if rows[i]["completions"] else "",
                    }
                )
        summary["disagreements"][name] = differing
    return summary
