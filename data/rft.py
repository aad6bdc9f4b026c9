"""Rejection-sampling fine-tuning data: ``python -m data.rft EVAL_FOLDER [--out FILE] [--dedupe]
[--max-per-problem N]``.

RFT (DeepSeekMath §5.2.1; Yuan et al. 2023) fine-tunes a model on its own completions that reached the right
answer. The completions come from an evaluation of the model on training problems, which already samples,
grades and records them::

    python -m eval --model M --benchmarks arithmetic --levels 1 --template answer_is --split train \\
        --n 8 --temperature 0.7 --out outputs/rft/samples

This keeps the completions graded correct under strict grading (a stated answer equal to the gold; a
completion cut off at the token limit is no whole solution and is dropped too), optionally without
duplicates and at most N per problem, and writes an SFT data file: one row per completion with the problem's
``question`` and ``answer`` and the ``completion``, for a recipe with ``trainer_type: sft`` and
``data.completion_field: completion`` (the command prints the overrides). Its provenance (the model, the
evaluation's settings, the counts kept and dropped) goes beside it, ``<name>.provenance.json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from data.files import FileError, read_json, read_jsonl, write_atomic, write_json
from data.sources import DataError, load

EVAL_FIX = "give the --out folder of python -m eval --split train --n K (it holds settings.json and <benchmark>/samples.jsonl)"


@dataclass(frozen=True)
class Evaluation:
    """What an evaluation folder holds for one benchmark: its settings, metrics and sample records."""

    folder: Path
    benchmark: str
    settings: dict[str, Any]
    metrics: dict[str, Any]
    records: list[dict[str, Any]]


@dataclass
class Counts:
    """What happened to the sampled completions (every one lands in exactly one of the last five)."""

    problems: int = 0
    completions: int = 0
    incorrect: int = 0
    truncated: int = 0
    duplicate: int = 0
    over_cap: int = 0
    kept: int = 0
    problems_kept: int = 0  # problems with at least one completion kept


def read_evaluation(path: Path, benchmark: str | None = None) -> Evaluation:
    """An evaluation's folder (or one benchmark's samples.jsonl in it), checked: it exists, it is an
    evaluation's output, it was graded strictly and it sampled training problems."""
    if path.is_file() and path.name == "samples.jsonl":
        path, benchmark = path.parent.parent, benchmark or path.parent.name
    if not path.exists():
        raise DataError(f"{path} does not exist; {EVAL_FIX}")
    if not path.is_dir() or not (path / "settings.json").is_file():
        raise DataError(f"{path} is not an evaluation's output folder (no settings.json); {EVAL_FIX}")
    settings = read_json(path / "settings.json", EVAL_FIX)
    if not isinstance(settings, dict) or not isinstance(settings.get("benchmarks"), list):
        raise DataError(f"{path / 'settings.json'} is not an evaluation's settings file; {EVAL_FIX}")
    benchmarks = settings["benchmarks"]
    if benchmark is None:
        if len(benchmarks) != 1:
            raise DataError(f"{path} evaluated {', '.join(benchmarks)}; choose one with --benchmark")
        benchmark = benchmarks[0]
    samples = path / benchmark / "samples.jsonl"
    if not samples.is_file():
        raise DataError(f"{path} holds no samples of {benchmark} ({samples} is missing); {EVAL_FIX}")
    extract = (settings.get("grader") or {}).get("extract")
    if extract == "lenient":
        raise DataError(
            f"{path} was graded with --extract lenient; RFT keeps completions graded correct under strict grading: "
            "evaluate again without --extract lenient"
        )
    if settings.get("split", "test") == "test":
        raise DataError(
            f"{path} sampled the test split of {benchmark}; RFT data from held-out problems would train on them: "
            "evaluate the training problems (--split train)"
        )
    metrics = read_json(path / "metrics.json", EVAL_FIX) if (path / "metrics.json").is_file() else {}
    benchmark_metrics = (
        (metrics.get("benchmarks") or {}).get(benchmark, {}) if isinstance(metrics, dict) else {}
    )
    return Evaluation(path, benchmark, settings, benchmark_metrics, read_jsonl(samples, EVAL_FIX))


def select_completions(
    records: list[dict[str, Any]], dedupe: bool = False, max_per_problem: int | None = None
) -> tuple[list[tuple[dict[str, Any], str]], Counts]:
    """The (record, completion) pairs RFT keeps: graded correct (strict), not cut off at the token limit,
    without repeats of a problem's earlier kept completion (``dedupe``; equal up to whitespace), at most
    ``max_per_problem`` per problem, in sampling order.

    >>> record = {"completions": ["1 + 1 = 2", "1 + 1  = 2", "3", "2"], "correct": [True, True, False, True],
    ...           "truncated": [False, False, False, True]}
    >>> kept, counts = select_completions([record], dedupe=True)
    >>> [text for _, text in kept], counts.duplicate, counts.incorrect, counts.truncated
    (['1 + 1 = 2'], 1, 1, 1)
    """
    counts, kept = Counts(problems=len(records)), []
    for record in records:
        completions = record.get("completions") or []
        correct = record.get("correct") or [False] * len(completions)  # None: the problem had no gold
        truncated = record.get("truncated") or [False] * len(completions)
        if not len(completions) == len(correct) == len(truncated):
            raise DataError(
                f"problem {record.get('id')}: {len(completions)} completions but {len(correct)} grades; "
                "the samples file is damaged: evaluate again into a fresh folder"
            )
        seen: set[str] = set()
        taken = 0
        for text, right, cut in zip(completions, correct, truncated, strict=True):
            counts.completions += 1
            key = " ".join(text.split())
            if not right:
                counts.incorrect += 1
            elif cut:
                counts.truncated += 1
            elif dedupe and key in seen:
                counts.duplicate += 1
            elif max_per_problem is not None and taken >= max_per_problem:
                counts.over_cap += 1
            else:
                seen.add(key)
                taken += 1
                kept.append((record, text))
        counts.problems_kept += taken > 0
    counts.kept = len(kept)
    return kept, counts


def problems_of(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """The evaluated problems by id, loaded as the evaluation loaded them (the samples hold the rendered
    prompt, not the question a recipe's template needs)."""
    settings, name = evaluation.settings, evaluation.benchmark
    rows = load(
        name,
        split=settings.get("split", "test"),
        data_files=(settings.get("data_files") or {}).get(name),
        limit=settings.get("limit"),
        levels=settings.get("levels"),
    )
    return {row["id"]: row for row in rows}


def rft_rows(evaluation: Evaluation, kept: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
    """The SFT file's rows: the problem's question and gold, the completion, where it came from."""
    problems = problems_of(evaluation)
    missing = sorted({record["id"] for record, _ in kept} - problems.keys())
    if missing:
        raise DataError(
            f"{evaluation.folder}: {len(missing)} sampled problem(s) are not in {evaluation.benchmark} as its "
            f"settings.json describes it (first: {missing[0]}); evaluate again into a fresh folder"
        )
    rows = []
    for record, text in kept:
        problem = problems[record["id"]]
        row = {"question": problem["question"], "answer": problem["answer"], "completion": text}
        row["problem_id"] = record["id"]
        for key in ("level", "subject"):
            if problem.get(key) is not None:
                row[key] = problem[key]
        rows.append(row)
    return rows


def provenance_path(out: Path) -> Path:
    """Where a data file's provenance goes: ``train.jsonl`` -> ``train.provenance.json``."""
    return out.with_name(f"{out.stem}.provenance.json")


def recipe_overrides(out: Path, template: str) -> list[str]:
    """The recipe keys that train on the file (with ``trainer_type=sft``)."""
    return [
        "trainer_type=sft",
        f"data.name={out}",
        "data.question_field=question",
        "data.answer_field=answer",
        "data.completion_field=completion",
        "data.levels=null",
        "data.limit=null",
        f"data.template={template}",
    ]


def write_rft_data(
    evaluation: Evaluation, out: Path, dedupe: bool = False, max_per_problem: int | None = None
) -> Counts:
    """Select, write the file and its provenance; returns the counts. No correct completion is an error."""
    kept, counts = select_completions(evaluation.records, dedupe, max_per_problem)
    if not kept:
        raise DataError(
            f"{evaluation.folder}: none of the {counts.completions} completions of {evaluation.benchmark} was "
            f"graded correct and whole ({counts.incorrect} wrong, {counts.truncated} cut off at the token limit); "
            "sample more (--n), at another temperature, or more problems"
        )
    rows = rft_rows(evaluation, kept)
    write_atomic(out, "".join(json.dumps(row) + "\n" for row in rows))
    settings = evaluation.settings
    write_json(
        provenance_path(out),
        {
            "file": str(out),
            "method": "rejection sampling: completions graded correct (strict) and not cut off, of "
            f"{settings.get('model')} on {evaluation.benchmark} ({settings.get('split')} split)",
            "model": settings.get("model"),
            "evaluation": str(evaluation.folder),
            "benchmark": evaluation.benchmark,
            "evaluation_settings": settings,
            "evaluation_metrics": {
                k: v for k, v in evaluation.metrics.items() if not isinstance(v, (dict, list))
            },
            "options": {"dedupe": dedupe, "max_per_problem": max_per_problem},
            "counts": asdict(counts),
            "recipe_overrides": recipe_overrides(out, settings.get("template")),
        },
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(
        prog="python -m data.rft",
        description="Rejection-sampling fine-tuning data: the correct completions of an evaluation of training "
        "problems (python -m eval --split train --n K), as an SFT data file with its provenance beside it.",
        epilog="Train on it: python -m recipes.train RECIPE trainer_type=sft data.name=FILE "
        "data.question_field=question data.answer_field=answer data.completion_field=completion ... "
        "(printed at the end, with the evaluation's template).",
    )
    parser.add_argument(
        "evaluation", help="the --out folder of python -m eval --split train --n K (or a samples.jsonl in it)"
    )
    parser.add_argument("--benchmark", default=None, help="which benchmark, when the folder holds several")
    parser.add_argument(
        "--out", default=None, help="the SFT data file to write (default: EVALUATION/rft_<benchmark>.jsonl)"
    )
    parser.add_argument(
        "--dedupe",
        action="store_true",
        help="keep one of a problem's completions that are equal up to whitespace",
    )
    parser.add_argument(
        "--max-per-problem",
        type=positive_int,
        default=None,
        help="keep at most this many completions per problem",
    )
    args = parser.parse_args(argv)
    try:
        evaluation = read_evaluation(Path(args.evaluation), args.benchmark)
        out = Path(args.out) if args.out else evaluation.folder / f"rft_{evaluation.benchmark}.jsonl"
        if out.suffix != ".jsonl":
            raise DataError(f"--out {out}: the SFT data file is JSON lines; give a .jsonl name")
        counts = write_rft_data(evaluation, out, args.dedupe, args.max_per_problem)
    except (DataError, FileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"kept {counts.kept} of {counts.completions} completions ({counts.problems_kept} of {counts.problems} "
        f"problems); dropped {counts.incorrect} wrong, {counts.truncated} cut off, {counts.duplicate} duplicates, "
        f"{counts.over_cap} over the cap"
    )
    print(f"wrote {out} and {provenance_path(out)}")
    overrides = " ".join(recipe_overrides(out, evaluation.settings.get("template")))
    print(f"train on it: python -m recipes.train RECIPE {overrides}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
