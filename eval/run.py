"""Score a checkpoint on held-out benchmarks: ``python -m eval --model PATH_OR_ID --benchmarks gsm8k,math500``.

Grading is the training reward itself (``rewards.accuracy_reward``), so a number here means what a reward
in a training log means. Samples are appended to ``<out>/<benchmark>/samples.jsonl`` as each batch
finishes; rerunning the same command skips the problems already done. ``<out>/metrics.json`` and
``<out>/results.md`` hold the metrics and every setting that changes a score.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

import data
from data.files import FileError, read_json, read_jsonl, repair_jsonl, storage_failure, write_json
from data.templates import Template, get_template
from eval.generate import DEFAULT_MAX_NEW_TOKENS, GenerationSettings, TransformersBackend, render_prompt
from eval.grade import correct_flags, grade
from eval.inputs import (
    DEFAULT_TEMPLATE,
    EvalError,
    check_inputs,
    check_model,
    check_out_dir,
    check_settings,
    default_out_dir,
    evaluation_settings,
    load_benchmark,
    parse_data_files,
)
from eval.metrics import compute_metrics
from eval.report import write_pass_rates, write_reports
from rewards import has_format
from rewards.extract import EXTRACTION_MODES

logger = logging.getLogger("eval")


def evaluate(
    model: str,
    benchmarks: list[str],
    template: str = DEFAULT_TEMPLATE,
    n: int = 1,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    data_files: dict[str, str] | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    backend: str = "transformers",
    batch_size: int | None = None,
    seed: int = 0,
    levels: list[int] | None = None,
    grader: dict[str, Any] | None = None,
    split: str = "test",
    generator: Any = None,
) -> dict[str, Any]:
    """Evaluate ``model`` on ``benchmarks``; returns ``{benchmark: metrics}`` and writes the outputs.

    ``grader``: the accuracy reward's grading parameters (``extract``, ``zero_if_truncated``); a recipe
    passes its own, so that evaluation grades as its training reward did."""
    data_files = data_files or {}
    check_inputs(
        benchmarks, template, n, temperature, top_p, max_new_tokens, data_files, limit, levels, split
    )
    settings = evaluation_settings(
        model,
        benchmarks,
        template,
        n,
        temperature,
        top_p,
        max_new_tokens,
        data_files,
        limit,
        backend,
        seed,
        levels,
        grader,
        split,
    )
    grader = settings["grader"]
    chosen = get_template(template)
    out = Path(out) if out else default_out_dir(model)
    check_out_dir(out)
    sets = {
        name: load_benchmark(name, data_files.get(name), template, limit, levels, split)
        for name in benchmarks
    }
    for name, dataset in sets.items():
        if len(dataset) == 0:
            where = data_files.get(name) or f"the {split} split"
            raise EvalError(
                f"--benchmarks {name}: {where} holds no problem with a usable gold answer"
                f"{' at --levels ' + ','.join(map(str, levels)) if levels else ''} (the warning above counts the "
                "rows dropped); fix the file's answer field, or pass the benchmark's own file"
            )
    if generator is None and backend == "transformers":
        check_model(model)
    if generator is None and backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise EvalError(
            "--backend vllm needs vLLM, which is not installed here: pip install vllm (on a machine with a GPU), or use --backend transformers"
        )
    check_settings(out, settings)
    todo = {}
    for name, dataset in sets.items():
        done = _read_done(out / name / "samples.jsonl")
        todo[name] = (done, [row for row in dataset if row["id"] not in done])
    if generator is None and any(rows for _, rows in todo.values()):
        generator = _make_backend(backend, model, batch_size)
    # Only now, with the inputs checked and the model loaded: a run that failed before leaves nothing behind
    write_json(out / "settings.json", settings)

    generation = GenerationSettings(
        n=n, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed, stop=chosen.stop
    )
    results: dict[str, Any] = {}
    for name, dataset in sets.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        samples_path = folder / "samples.jsonl"
        done, rows = todo[name]
        if rows:
            job = Benchmark(name, rows, len(dataset), samples_path, done)
            _run_benchmark(job, generator, generation, chosen, grader)
        records = [done[row["id"]] for row in dataset if row["id"] in done]
        write_pass_rates(folder / "pass_rates.jsonl", records)
        results[name] = compute_metrics(records)
        incidents = folder / "grader_incidents.json"
        counts = read_json(incidents, f"delete {incidents}") if incidents.exists() else {}
        results[name]["grader_timeouts"] = counts.get("timeout", 0)
        results[name]["grader_crashes"] = counts.get("crashed", 0)
        logger.info(
            "%s: %s", name, {k: v for k, v in results[name].items() if not isinstance(v, (dict, list))}
        )
    write_reports(out, settings, results)
    return results


@dataclass
class Benchmark:
    """One benchmark's share of an evaluation: the problems still to do, and where their samples go."""

    name: str
    todo: list[dict[str, Any]]
    total: int  # problems in the benchmark, the done ones included (for the progress bar)
    samples_path: Path
    done: dict[str, dict[str, Any]]  # id -> record, filled as batches finish


def load_model_for_eval(model: str, batch_size: int | None = None) -> TransformersBackend:
    check_model(model)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from data.hub import checkpoint_errors, unreadable_model

    gpu = torch.cuda.is_available()
    dtype = torch.bfloat16 if gpu and torch.cuda.is_bf16_supported() else torch.float32
    try:
        loaded = AutoModelForCausalLM.from_pretrained(model, dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(model)
    except checkpoint_errors() as error:  # a damaged or incomplete checkpoint: one line naming it
        raise EvalError(f"--model {unreadable_model(model, error)}") from None
    if gpu:
        loaded = loaded.to("cuda")
    return TransformersBackend(loaded, tokenizer, batch_size=batch_size)


def _read_done(path: Path) -> dict[str, dict[str, Any]]:
    """Finished problems in a samples file; a last line torn by a crash is cut off, and redone."""
    repair_jsonl(path)
    fix = f"delete {path} to redo that benchmark"
    done = {}
    for record in read_jsonl(path, fix):
        if "id" not in record:
            raise EvalError(f"{path}: a record without an id; {fix}")
        done[record["id"]] = record
    return done


def _add_incidents(path: Path, new: Any) -> None:
    """Items the symbolic checker could not judge (timeouts, crashes; each scored 0), kept per benchmark
    across resumed runs and reported in its metrics."""
    if not any(new.values()):
        return
    counts = read_json(path, f"delete {path}") if path.exists() else {}
    for kind, count in new.items():
        counts[kind] = counts.get(kind, 0) + count
    write_json(path, counts)


def _make_backend(backend: str, model: str, batch_size: int | None):
    if backend == "vllm":
        from eval.generate import VLLMBackend

        return VLLMBackend(model)
    if backend != "transformers":
        raise EvalError(f"--backend must be transformers or vllm, not {backend!r}")
    return load_model_for_eval(model, batch_size)


def _run_benchmark(
    job: Benchmark, generator: Any, generation: GenerationSettings, template: Template, grader: dict[str, Any]
) -> None:
    """Generate and grade ``job``'s problems batch by batch, appending each finished record to its samples
    file (a rerun skips them) and counting the grader's incidents beside it."""
    import torch

    name, todo, samples_path, done, total = job.name, job.todo, job.samples_path, job.done, job.total

    torch.manual_seed(generation.seed)
    prompts = [render_prompt(generator.tokenizer, row["prompt"]) for row in todo]
    started, tokens, correct, problems = time.perf_counter(), 0, 0.0, 0
    progress = tqdm(total=total, initial=total - len(todo), desc=name, unit="problem", file=sys.stderr)
    with samples_path.open("a") as out:
        for indices, samples in generator.generate_batches(prompts, generation):
            rows = [todo[i] for i in indices]
            texts = [[s.text for s in group] for group in samples]
            flat = [t for group in texts for t in group]
            golds = [row["answer"] for row, group in zip(rows, texts, strict=True) for _ in group]
            asked = [row["prompt"] for row, group in zip(rows, texts, strict=True) for _ in group]
            cut = [s.truncated for group in samples for s in group]
            graded = grade(flat, golds, grader, truncated=cut, prompts=asked)
            _add_incidents(samples_path.parent / "grader_incidents.json", graded.incidents)
            cursor = 0
            for row, group, prompt_index in zip(rows, samples, indices, strict=True):
                span = slice(cursor, cursor + len(group))
                cursor += len(group)
                record = {
                    "id": row["id"],
                    "prompt": prompts[prompt_index],
                    "answer": row["answer"],
                    "completions": [s.text for s in group],
                    "answers": graded.answers[span],
                    "correct": correct_flags(graded.scores[span]),
                    "correct_lenient": correct_flags(graded.lenient[span]),
                    "formatted": [
                        has_format(s.text, template.answer_format, template.think_prefilled) for s in group
                    ],
                    "tokens": [s.tokens for s in group],
                    "truncated": [s.truncated for s in group],
                }
                for key in ("level", "subject"):
                    if row.get(key) is not None:
                        record[key] = row[key]
                out.write(json.dumps(record) + "\n")
                done[row["id"]] = record
                tokens += sum(s.tokens for s in group)
                if record["correct"] is not None:
                    correct += sum(record["correct"]) / len(group)
                    problems += 1
            out.flush()
            elapsed = time.perf_counter() - started
            progress.set_postfix(tok_s=f"{tokens / elapsed:.0f}", acc=f"{correct / max(1, problems):.3f}")
            progress.update(len(rows))
    progress.close()


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, int_list, name_list, non_negative_float, positive_int, probability

    parser = ArgumentParser(prog="python -m eval", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="hub id or local checkpoint")
    parser.add_argument(
        "--benchmarks",
        type=name_list,
        default="gsm8k,math500,aime24,amc23",
        help="comma-separated data.load names",
    )
    parser.add_argument(
        "--template", default=DEFAULT_TEMPLATE, help="prompt template (default: Qwen-Math boxed instruction)"
    )
    parser.add_argument("--n", type=positive_int, default=1, help="samples per problem")
    parser.add_argument("--temperature", type=non_negative_float, default=0.0, help="0 = greedy")
    parser.add_argument("--top-p", type=probability, default=1.0)
    parser.add_argument("--max-new-tokens", type=positive_int, default=DEFAULT_MAX_NEW_TOKENS)
    parser.add_argument(
        "--data-files", nargs="*", default=[], metavar="NAME=PATH", help="local copies of benchmarks"
    )
    parser.add_argument("--limit", type=positive_int, default=None, help="first N problems of each benchmark")
    parser.add_argument("--out", default=None, help="output folder (default outputs/eval/<model>)")
    parser.add_argument("--backend", default="transformers", choices=["transformers", "vllm"])
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="prompts decoded at a time (default: 64 on a GPU; on a CPU up to 512 rows, as many as 3 GiB of KV cache holds)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--levels",
        type=int_list,
        default=None,
        help="comma-separated difficulty levels to keep (arithmetic 1-4, MATH 1-5)",
    )
    parser.add_argument(
        "--extract",
        default="stated",
        choices=EXTRACTION_MODES,
        help="what counts as the stated answer in the headline (strict) score: stated (answer tags, box, ####, "
        "'the answer is'; the training reward's default), boxed, answer_tag, gsm8k_hash or lenient; "
        "the lenient score is reported beside it either way",
    )
    parser.add_argument(
        "--zero-if-truncated", action="store_true", help="a completion cut off at --max-new-tokens scores 0"
    )
    parser.add_argument(
        "--split",
        default="test",
        help="the split to score (test); --split train --n 8 measures training problems' pass rates for data.pass_rate",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        results = evaluate(
            args.model,
            args.benchmarks,
            template=args.template,
            n=args.n,
            temperature=args.temperature,
            top_p=args.top_p,
            max_new_tokens=args.max_new_tokens,
            data_files=parse_data_files(args.data_files),
            limit=args.limit,
            out=args.out,
            backend=args.backend,
            batch_size=args.batch_size,
            seed=args.seed,
            levels=args.levels,
            grader={"extract": args.extract, "zero_if_truncated": args.zero_if_truncated},
            split=args.split,
        )
    except (EvalError, data.DataError, FileError) as error:
        message = str(error)
        if isinstance(error, data.HubError):
            message += " Pass local copies: --data-files gsm8k=path/to/test.jsonl --model path/to/model, or run `make demo`."
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as error:
        failure = storage_failure(error)  # a full disk is no bug: one line, and the rerun continues
        if failure is None:
            raise
        print(
            f"\nerror: {failure}; free space, then rerun the same command: it skips the problems already done",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out) if args.out else default_out_dir(args.model)
    print((out / "results.md").read_text())
    print(
        json.dumps(
            {name: {k: v for k, v in m.items() if not isinstance(v, dict)} for name, m in results.items()},
            indent=2,
        )
    )
    return 0
