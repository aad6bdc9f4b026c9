"""Every data set in one schema: ``data.load(name_or_path, split, ...)``.

Rows come out as ``id`` (stable), ``question``, ``answer`` (the final gold answer, a string ready for
``rewards.accuracy_reward``), ``solution`` (reference reasoning, where the source has it), ``source``, and
the source's metadata (``level``, ``subject``). With ``template=`` a ``prompt`` column is added.

Named sources load from the Hugging Face Hub, or from local files in the hub copy's layout with
``data_files=``; any other hub id or local file loads with a field mapping.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from data import arithmetic
from data.decontaminate import normalize_question
from data.hub import hub_reachable, offline_mode
from data.templates import get_template
from rewards.extract import last_boxed

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """A data set that can't be loaded as asked: the message names the input and the fix."""


class HubError(DataError):
    """A data set the Hugging Face Hub was to provide could not be had from it (no network, not cached)."""


# --- gold answer extractors: raw field value -> (answer, solution) or None when there is no gold ---


def _gsm8k_hash(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or "####" not in value:
        return None
    solution, answer = value.rsplit("####", 1)
    answer = answer.strip().replace(",", "")
    return (answer, solution.strip()) if answer else None


def _last_boxed(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return None
    answer = last_boxed(value)
    return (answer, value) if answer else None


def _as_is(value: Any) -> tuple[str, str] | None:
    if value is None or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    answer = str(value).strip()
    return (answer, "") if answer else None


ANSWER_EXTRACTORS: dict[str, Callable[[Any], tuple[str, str] | None]] = {
    "gsm8k_hash": _gsm8k_hash,
    "last_boxed": _last_boxed,
    "as_is": _as_is,
}


@dataclass(frozen=True)
class Source:
    """How one named data set maps onto the common schema."""

    hub_id: str
    splits: tuple[str, ...]
    question_field: tuple[str, ...]  # the first of these that the data has
    answer_field: str
    answer_extractor: str
    hub_configs: tuple[str | None, ...] = (None,)
    solution_field: str | None = None
    id_field: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # our column -> source field
    levels: tuple[int, ...] = ()  # the difficulty levels its rows carry (empty: none)


MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)

SOURCES: dict[str, Source] = {
    "gsm8k": Source(
        "openai/gsm8k", ("train", "test"), ("question",), "answer", "gsm8k_hash", hub_configs=("main",)
    ),
    "math": Source(
        "EleutherAI/hendrycks_math",
        ("train", "test", "train_12k"),
        ("problem",),
        "solution",
        "last_boxed",
        hub_configs=MATH_SUBJECTS,
        metadata={"level": "level", "subject": "type"},
        levels=(1, 2, 3, 4, 5),
    ),
    "math500": Source(
        "HuggingFaceH4/MATH-500",
        ("test",),
        ("problem",),
        "answer",
        "as_is",
        solution_field="solution",
        id_field="unique_id",
        metadata={"level": "level", "subject": "subject"},
        levels=(1, 2, 3, 4, 5),
    ),
    "aime24": Source(
        "HuggingFaceH4/aime_2024",
        ("test",),
        ("problem", "question"),
        "answer",
        "as_is",
        solution_field="solution",
        id_field="id",
    ),
    "aime25": Source(
        "math-ai/aime25",
        ("test",),
        ("problem", "question"),
        "answer",
        "as_is",
        solution_field="solution",
        id_field="id",
    ),
    "amc23": Source("math-ai/amc23", ("test",), ("question", "problem"), "answer", "as_is", id_field="id"),
}
# Hub copies of single-split benchmarks often call their only split "train".
_HUB_SPLIT = {"math500": "test", "aime24": "train", "aime25": "test", "amc23": "test"}


def levels_of(name_or_path: str) -> tuple[int, ...]:
    """The difficulty levels a named source has (empty for sources without levels).

    >>> levels_of("math"), levels_of("arithmetic"), levels_of("gsm8k")
    ((1, 2, 3, 4, 5), (1, 2, 3, 4), ())
    """
    if name_or_path == "arithmetic":
        return tuple(arithmetic.LEVELS)
    source = SOURCES.get(name_or_path)
    return source.levels if source else ()


def check_levels(name_or_path: str, levels: Any) -> None:
    """Raise DataError unless ``levels`` is a non-empty list of levels that ``name_or_path`` has."""
    known = levels_of(name_or_path)
    if not known:
        raise DataError(
            f"{name_or_path} has no difficulty levels; remove levels (sources with levels: math, math500, arithmetic)"
        )
    if not isinstance(levels, (list, tuple)) or not levels or not all(isinstance(v, int) for v in levels):
        raise DataError(
            f"levels for {name_or_path} must be a list of integers from {list(known)}, got {levels!r}"
        )
    unknown = sorted(set(levels) - set(known))
    if unknown:
        raise DataError(f"{name_or_path} has levels {list(known)}; got {unknown}")


def load(
    name_or_path: str,
    split: str = "train",
    data_files: str | os.PathLike | dict[str, Any] | None = None,
    template: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    *,
    question_field: str | None = None,
    answer_field: str | None = None,
    answer_extractor: str | None = None,
    solution_field: str | None = None,
    strict: bool = False,
    levels: list[int] | tuple[int, ...] | None = None,
    keep_fields: list[str] | tuple[str, ...] = (),
) -> datasets.Dataset:
    """Load a data set in the common schema.

    ``name_or_path``: a named source (``gsm8k``, ``math``, ``math500``, ``aime24``, ``aime25``, ``amc23``,
    ``arithmetic``), any hub id, or a local jsonl/json/parquet/csv file. ``data_files``: local files in the
    named source's hub layout (a path for ``split``, or a dict of splits). Hub ids and files other than the
    named sources need ``question_field`` and ``answer_field`` (``answer_extractor``: ``gsm8k_hash``,
    ``last_boxed`` or ``as_is``, the default); their reference solution is ``solution_field`` (default
    ``solution``) where the rows have one, else what the extractor leaves. Rows without a usable gold are dropped and counted in the
    log, or raise with ``strict=True``. ``levels`` keeps those difficulty levels (sources with levels:
    ``math``, ``math500``, ``arithmetic``), then ``limit`` keeps the first rows (file order); ``seed``
    shapes the generated ``arithmetic`` set. ``template`` adds a ``prompt`` column. ``keep_fields``: fields
    of the source's rows carried through as they are (a file of SFT completions: ``completion``); a row
    without one raises DataError.

    >>> load("arithmetic", split="test", limit=2, template="qwen_math_cot").column_names
    ['id', 'question', 'answer', 'solution', 'source', 'level', 'prompt']
    """
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise DataError(f"limit must be a positive number of rows, got {limit!r}")
    if levels is not None:
        check_levels(name_or_path, levels)
    if name_or_path == "arithmetic":
        if keep_fields:
            raise DataError(
                f"arithmetic is generated: it has no field {keep_fields[0]!r}; read that field from a file of rows"
            )
        rows = arithmetic.generate(split, size=limit, seed=seed, levels=levels or arithmetic.LEVELS)
    elif name_or_path == "math" and split == "train_12k":
        rows = _math_train_12k(data_files, strict, tuple(keep_fields))
    elif name_or_path in SOURCES:
        rows = _load_named(name_or_path, split, data_files, strict, tuple(keep_fields))
    else:
        rows = _load_custom(
            name_or_path,
            split,
            data_files,
            question_field,
            answer_field,
            answer_extractor or "as_is",
            solution_field or "solution",
            strict,
            tuple(keep_fields),
        )
    if levels is not None and name_or_path != "arithmetic":
        rows = [row for row in rows if row.get("level") in levels]
    if limit is not None:
        rows = rows[:limit]
    return _to_dataset(rows, template)


def load_mixture(sources: list[dict[str, Any]], template: str | None = None) -> datasets.Dataset:
    """Several sources in one data set, in the order given; each entry holds ``data.load`` arguments
    (``name_or_path`` and any of its keywords). Columns a source lacks (``level``, ``subject``) are None.

    >>> mixed = load_mixture([{"name_or_path": "arithmetic", "limit": 2, "levels": [1]}, {"name_or_path": "arithmetic", "limit": 1, "levels": [3]}])
    >>> list(mixed["level"])
    [1, 1, 3]
    """
    rows: list[dict[str, Any]] = []
    for spec in sources:
        spec = dict(spec)
        rows += load(spec.pop("name_or_path"), **spec).to_list()
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):  # the same problem twice (two sources overlap): keep the first
        seen: set[str] = set()
        rows = [row for row in rows if not (row["id"] in seen or seen.add(row["id"]))]
        logger.warning(
            "the mixture's sources overlap: %d rows appear in an earlier source too and are kept once",
            len(ids) - len(rows),
        )
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return _to_dataset([{key: row.get(key) for key in columns} for row in rows], template)


PASS_RATE_FIX = "remake it with python -m eval --benchmarks ... --split train --n 8 (it writes <out>/<benchmark>/pass_rates.jsonl)"


def read_pass_rates(path: str | os.PathLike) -> dict[str, float]:
    """Pass rates by problem id from a ``pass_rates.jsonl`` (as ``python -m eval`` writes them: one JSON
    object per line with ``id`` and ``pass_rate`` in [0, 1]). Any other content raises DataError naming the
    file, the line and the fix, so that a bad file fails the dry run rather than the filter."""
    from data.files import FileError, read_jsonl

    path = Path(path)
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("pass_rates.jsonl"))[:3]
        hint = f" (it holds {', '.join(found)})" if found else ""
        raise DataError(f"data.pass_rate.file {path} is a folder; give its pass_rates.jsonl file{hint}")
    if not path.exists():
        raise DataError(f"data.pass_rate.file {path} does not exist; {PASS_RATE_FIX}")
    try:
        records = read_jsonl(path, PASS_RATE_FIX)
    except FileError as error:
        raise DataError(f"data.pass_rate.file {error}") from None
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if line.strip()]
    rates: dict[str, float] = {}
    # read_jsonl skips blank lines (and a torn last one): number the records as the file does
    for number, record in zip(lines, records, strict=False):
        rate = record.get("pass_rate")
        if "id" not in record or isinstance(record["id"], (dict, list)) or record["id"] is None:
            raise DataError(f"data.pass_rate.file {path}, line {number}: no problem id; {PASS_RATE_FIX}")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise DataError(
                f"data.pass_rate.file {path}, line {number}: pass_rate {rate!r} is not a number from 0 to 1; "
                f"{PASS_RATE_FIX}"
            )
        rates[str(record["id"])] = float(rate)
    if not rates:
        raise DataError(f"data.pass_rate.file {path} holds no pass rates; {PASS_RATE_FIX}")
    return rates


def filter_by_pass_rate(
    dataset: datasets.Dataset, pass_rates: dict[str, float], low: float, high: float, missing: str = "drop"
) -> tuple[datasets.Dataset, dict[str, int]]:
    """Keep the problems whose pass rate lies in [low, high] (difficulty filtering: a problem the policy
    always or never solves gives GRPO groups without reward spread, which teach nothing). ``missing``:
    ``drop`` or ``keep`` problems without a measured rate. Returns the kept rows and the counts.

    >>> rows = load("arithmetic", split="train", limit=3, levels=[1])
    >>> rates = {rows[0]["id"]: 0.0, rows[1]["id"]: 0.5}
    >>> kept, counts = filter_by_pass_rate(rows, rates, 0.1, 0.9)
    >>> len(kept), counts
    (1, {'kept': 1, 'too_hard': 1, 'too_easy': 0, 'unmeasured': 1})
    """
    counts = {"kept": 0, "too_hard": 0, "too_easy": 0, "unmeasured": 0}
    keep = []
    for index, problem_id in enumerate(dataset["id"]):
        rate = pass_rates.get(problem_id)
        if rate is None:
            counts["unmeasured"] += 1
            if missing == "keep":
                keep.append(index)
                counts["kept"] += 1
        elif rate < low:
            counts["too_hard"] += 1
        elif rate > high:
            counts["too_easy"] += 1
        else:
            keep.append(index)
            counts["kept"] += 1
    return dataset.select(keep), counts


def _to_dataset(rows: list[dict[str, Any]], template: str | None) -> datasets.Dataset:
    dataset = datasets.Dataset.from_list(rows)
    if template is not None:
        chosen = get_template(template)
        dataset = dataset.map(
            lambda row: {"prompt": chosen.apply(row["question"])}, desc=f"template {template}"
        )
    return dataset


# --- loading raw rows -------------------------------------------------------------------------------


def _read_files(files: Any, where: str) -> tuple[list[dict], str]:
    """Rows of local file(s), with a label for error messages."""
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    for path in paths:
        if not Path(path).exists():
            raise DataError(f"{where}: file {str(path)!r} does not exist")
    suffix = Path(paths[0]).suffix.lower().lstrip(".")
    builder = {"jsonl": "json", "json": "json", "parquet": "parquet", "csv": "csv"}.get(suffix)
    if builder is None:
        raise DataError(f"{where}: can't read {str(paths[0])!r}; use a .jsonl, .json, .parquet or .csv file")
    prefix = "" if where == str(paths[0]) else f"{where}: "  # a custom file's label is its path
    for path in paths:
        if Path(path).is_dir():
            raise DataError(f"{prefix}{path} is a folder; give a .jsonl, .json, .parquet or .csv file")
        if Path(path).stat().st_size == 0:
            raise DataError(f"{prefix}{path} is empty; it needs one row per problem")
    try:
        raw = datasets.load_dataset(builder, data_files=[str(p) for p in paths], split="train")
    except Exception as error:  # noqa: BLE001 - every parser error becomes one clear message
        reasons = [_jsonl_problem(Path(p)) for p in paths] if suffix == "jsonl" else []
        reason = next((r for r in reasons if r), None)
        reason = reason or f"{', '.join(map(str, paths))}: {_error_text(error)}"
        raise DataError(f"{prefix}can't parse {reason}") from error
    return raw.to_list(), ", ".join(map(str, paths))


def _jsonl_problem(path: Path) -> str | None:
    """The first line of a JSONL file that isn't a JSON object (datasets' own message names no line)."""
    import json

    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as error:
                reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
                return f"{path}, line {number}: not JSON ({reason}); each line must be one JSON object"
            if not isinstance(row, dict):
                return f"{path}, line {number}: a {type(row).__name__}, not a JSON object; each line must be one row"
    return None


def _error_text(error: BaseException) -> str:
    """datasets wraps the parser's error in one that only says one occurred: the innermost says what."""
    while error.__cause__ is not None or (error.__context__ is not None and not str(error).strip()):
        error = error.__cause__ or error.__context__
    return " ".join(str(error).split()) or type(error).__name__


def _read_hub(hub_id: str, configs: tuple[str | None, ...], split: str, hint: str) -> tuple[list[dict], str]:
    # Without a network, datasets retries for most of a minute: check first and fail in seconds.
    if not offline_mode() and not hub_reachable():
        raise HubError(
            f"can't reach the Hugging Face Hub to load {hub_id!r} (split {split!r}). {hint} "
            "(or set HF_HUB_OFFLINE=1 to use a copy in the local cache)"
        )
    rows: list[dict] = []
    for config in configs:
        try:
            part = datasets.load_dataset(hub_id, config, split=split)
        except Exception as error:  # noqa: BLE001
            offline = " (HF_HUB_OFFLINE is set and no cached copy exists)" if offline_mode() else ""
            raise HubError(
                f"can't load {hub_id!r} config {config!r} split {split!r} from the Hub{offline}: {error}. {hint}"
            ) from error
        for row in part:
            rows.append({**row, "_config": config})
    return rows, f"{hub_id} ({split})"


def _load_named(
    name: str, split: str, data_files: Any, strict: bool, keep_fields: tuple[str, ...] = ()
) -> list[dict]:
    source = SOURCES[name]
    if split not in source.splits:
        raise DataError(f"{name} has splits {', '.join(source.splits)}; got split={split!r}")
    hint = f'Pass a local copy instead: data.load("{name}", split="{split}", data_files="path/to/{split}.jsonl").'
    if data_files is not None:
        files = data_files.get(split) if isinstance(data_files, dict) else data_files
        if files is None:
            raise DataError(f"data_files for {name} has no {split!r} entry; it has {sorted(data_files)}")
        raw, where = _read_files(files, f"{name} {split}")
    else:
        raw, where = _read_hub(source.hub_id, source.hub_configs, _HUB_SPLIT.get(name, split), hint)
    return _normalize(raw, where, name, split, source, strict, keep_fields)


def _load_custom(
    path: str,
    split: str,
    data_files: Any,
    question_field: str | None,
    answer_field: str | None,
    extractor: str,
    solution_field: str,
    strict: bool,
    keep_fields: tuple[str, ...] = (),
) -> list[dict]:
    if not question_field or not answer_field:
        named = ", ".join([*SOURCES, "arithmetic"])
        raise DataError(
            f"{path!r} is not a named data set ({named}); to load it give its fields: "
            f'data.load("{path}", question_field="...", answer_field="...", answer_extractor="as_is")'
        )
    if extractor not in ANSWER_EXTRACTORS:
        raise DataError(
            f"unknown answer_extractor {extractor!r}; choose one of {', '.join(ANSWER_EXTRACTORS)}"
        )
    source = Source(path, (split,), (question_field,), answer_field, extractor, solution_field=solution_field)
    if data_files is not None or Path(path).exists():
        files = data_files if data_files is not None else path
        files = files.get(split) if isinstance(files, dict) else files
        raw, where = _read_files(files, path)
    else:
        raw, where = _read_hub(
            path,
            (None,),
            split,
            f'Pass a local file instead: data.load("path/to/file.jsonl", question_field="{question_field}", answer_field="{answer_field}").',
        )
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).stem if Path(path).exists() else path)
    return _normalize(raw, where, name, split, source, strict, keep_fields)


# --- normalising rows ------------------------------------------------------------------------------


def _normalize(
    raw: list[dict],
    where: str,
    name: str,
    split: str,
    source: Source,
    strict: bool,
    keep_fields: tuple[str, ...] = (),
) -> list[dict]:
    extract = ANSWER_EXTRACTORS[source.answer_extractor]
    rows, dropped = [], []
    for index, row in enumerate(raw):
        question_key = next((key for key in source.question_field if key in row), None)
        wanted = [key for key in (source.answer_field, *keep_fields) if key not in row]
        if question_key is None or wanted:
            wanted = source.question_field[0] if question_key is None else wanted[0]
            fields = sorted(k for k in row if not k.startswith("_"))
            raise DataError(f"{where}, row {index}: no field {wanted!r}; the rows have fields {fields}")
        question = row[question_key]
        gold = extract(row[source.answer_field])
        if not isinstance(question, str) or not question.strip() or gold is None:
            problem = (
                "question is empty"
                if gold is not None
                else f"no gold answer in field {source.answer_field!r} ({source.answer_extractor})"
            )
            if strict:
                raise DataError(
                    f"{where}, row {index}: {problem}: {str(row.get(source.answer_field))[:120]!r}"
                )
            dropped.append(index)
            continue
        answer, solution = gold
        if source.solution_field and isinstance(row.get(source.solution_field), str):
            solution = row[source.solution_field]
        out = {
            "id": _row_id(name, split, index, row, source),
            "question": question.strip(),
            "answer": answer,
            "solution": solution,
            "source": name,
        }
        for column, source_field in source.metadata.items():
            out[column] = _metadata_value(column, row.get(source_field))
        out.update({key: row[key] for key in keep_fields})
        rows.append(out)
    if dropped:
        logger.warning(
            "%s: dropped %d of %d rows with no usable gold answer (rows %s%s)",
            where,
            len(dropped),
            len(raw),
            dropped[:10],
            "..." if len(dropped) > 10 else "",
        )
    return rows


def _row_id(name: str, split: str, index: int, row: dict, source: Source) -> str:
    if source.id_field and row.get(source.id_field) not in (None, ""):
        return f"{name}-{row[source.id_field]}"
    config = row.get("_config")
    return f"{name}-{split}-{config}-{index}" if config else f"{name}-{split}-{index}"


def _metadata_value(column: str, value: Any) -> Any:
    if column == "level" and isinstance(value, str):  # hendrycks MATH stores "Level 3"
        match = re.search(r"\d+", value)
        return int(match.group()) if match else None
    return value


def _math_train_12k(data_files: Any, strict: bool, keep_fields: tuple[str, ...] = ()) -> list[dict]:
    """MATH train + test minus the MATH-500 problems (the "12k" split of RL recipes)."""
    if data_files is not None and not (isinstance(data_files, dict) and {"train", "test"} <= set(data_files)):
        raise DataError(
            'math train_12k needs data_files={"train": ..., "test": ..., "math500": ...} (math500 optional: else from the Hub)'
        )
    files = data_files or {}
    train = _load_named("math", "train", files or None, strict, keep_fields)
    test = _load_named("math", "test", files or None, strict, keep_fields)
    math500 = _load_named("math500", "test", files.get("math500"), strict)
    held_out = {normalize_question(row["question"]) for row in math500}
    kept = [row for row in train + test if normalize_question(row["question"]) not in held_out]
    logger.info(
        "math train_12k: %d train + %d test - %d MATH-500 problems = %d rows",
        len(train),
        len(test),
        len(train) + len(test) - len(kept),
        len(kept),
    )
    return kept
