"""Benchmark: the accuracy reward beside TRL's ``trl.rewards.accuracy_reward`` on one GRPO-shaped batch.

``python -m rewards.bench [--prompts 128] [--generations 8]`` builds the batch the first epoch of a run
scores (128 golds x 8 completions from real GSM8K-test and MATH-500 reference solutions, each group with
distinct final answers: equal forms of the gold and wrong ones, so nearly every (gold, answer) pair is
new), grades it with both rewards in the same process, cold and then warm, and prints time, throughput,
agreement with the labels and peak memory, as ratios to TRL; then how the math-verify worker pool scales
with workers on pairs only math-verify can decide.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path

from rewards.accuracy import accuracy_reward
from rewards.verifier import get_pool

# (gold as a data set stores it, answers a model may write that equal it, answers that don't)
MATH_ITEMS = [
    (
        r"\frac{1}{2}",
        [r"\frac{1}{2}", "0.5", r"\dfrac{1}{2}", "1/2", r"\frac{2}{4}"],
        [r"\frac{1}{3}", "0.55"],
    ),
    (r"2\sqrt{2}", [r"2\sqrt{2}", r"\sqrt{8}", r"2 \sqrt 2"], ["2", r"\sqrt{2}"]),
    ("[-2, 7]", ["[-2, 7]", "[-2,7]", r"\left[-2, 7\right]"], ["(-2, 7)", "7", "[-2, 8]"]),
    (
        r"\left( 3, \frac{\pi}{2} \right)",
        [r"(3, \frac{\pi}{2})", r"\left(3,\frac{\pi}{2}\right)"],
        [r"(3, \pi)", r"(\frac{\pi}{2}, 3)"],
    ),
    (
        r"\frac{\sqrt{3}}{2}",
        [r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt 3}{2}", r"\frac{1}{2}\sqrt{3}"],
        [r"\frac{\sqrt{2}}{2}", r"\sqrt{3}"],
    ),
    ("x^2+2x+1", ["x^2+2x+1", "(x+1)^2", "1+2x+x^2"], ["x^2+1", "(x-1)^2"]),
    (r"\{1, 2, 3\}", [r"\{1,2,3\}", r"\{3, 2, 1\}"], [r"\{1, 2\}", r"\{1,2,4\}"]),
    (r"(-\infty, 3)", [r"(-\infty, 3)", r"(-\infty,3)"], [r"(-\infty, 3]", r"(3, \infty)"]),
    ("12\\pi", ["12\\pi", "12 \\pi", "\\pi \\cdot 12"], ["12", "6\\pi"]),
    ("5", ["5", "5.0", r"\sqrt{25}"], ["6", "-5"]),
    (r"\text{(C)}", [r"\text{(C)}", "C", r"\textbf{(C)}"], [r"\text{(D)}", "B"]),
    ("3, 5", ["3, 5", "5, 3", "3,5"], ["3", "3, 6"]),
    (
        r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
        [r"\begin{pmatrix}1\\2\end{pmatrix}"],
        [r"\begin{pmatrix}2\\1\end{pmatrix}"],
    ),
    ("90^\\circ", ["90^\\circ", "90", "90^{\\circ}"], ["45^\\circ", "180"]),
    ("10\\%", ["10\\%", "10", "10%"], ["20\\%", "11"]),
    (r"\frac{7}{3}", [r"\frac{7}{3}", r"2\frac{1}{3}", r"\frac{14}{6}"], [r"\frac{3}{7}", "2.33"]),
]

GSM8K_REASONING = (
    "Natalia sold {a} clips in April. In May she sold half as many, so she sold {a} / 2 = {h} clips. "
    "Altogether she sold {a} + {h} = {t} clips. She also spent ${c} on supplies and earned a profit on each clip, "
    "so we need to double-check the total. "
)
GSM8K_ENDINGS = [
    "\n#### {x}",
    " The answer is {x}.",
    " So the final answer is $\\boxed{{{x}}}$.",
    " Final Answer: The final answer is {x}.",
]
MATH_REASONING = (
    "Let me set up the problem carefully. We have $x^2 - 5x + 6 = 0$, so $(x-2)(x-3) = 0$. "
    "Substituting back and simplifying each term, the expression reduces as follows: "
    "\\[ \\frac{a+b}{c} = \\frac{a}{c} + \\frac{b}{c}. \\] "
)


def build_batch(prompts: int, generations: int, seed: int = 0) -> tuple[list[str], list[str], list[bool]]:
    """(completions, golds, labels): GRPO order, each gold repeated for its group of completions."""
    rng = random.Random(seed)
    completions, golds, labels = [], [], []
    for p in range(prompts):
        if p % 2 == 0:  # GSM8K-style: integers, some with thousands commas
            a = rng.randrange(2, 400) * 2
            total = a + a // 2 + rng.choice([0, 1000, 25000])
            gold = f"{total:,}" if rng.random() < 0.3 else str(total)
            for _ in range(generations):
                right = rng.random() < 0.5
                value = total if right else total + rng.choice([-10, -1, 1, 2, 100])
                shown = f"{value:,}" if rng.random() < 0.3 else str(value)
                text = GSM8K_REASONING.format(
                    a=a, h=a // 2, t=a + a // 2, c=rng.randrange(5, 50)
                ) * rng.randint(1, 3)
                completions.append(text + rng.choice(GSM8K_ENDINGS).format(x=shown))
                golds.append(gold)
                labels.append(right)
        else:  # MATH-style: symbolic answers in the forms models write them, boxed
            gold, right_forms, wrong_forms = MATH_ITEMS[(p // 2) % len(MATH_ITEMS)]
            for _ in range(generations):
                right = rng.random() < 0.5
                answer = rng.choice(right_forms if right else wrong_forms)
                ending = rng.choice(
                    [f"Therefore the answer is $\\boxed{{{answer}}}$.", f"<answer>{answer}</answer>"]
                )
                completions.append(MATH_REASONING * rng.randint(1, 4) + ending)
                golds.append(gold)
                labels.append(right)
    return completions, golds, labels


def build_real_batch(
    shared: Path, prompts: int, generations: int, seed: int = 0
) -> tuple[list[str], list[str], list[bool]] | None:
    """A batch made of real reference solutions (GSM8K test and MATH-500 from ../shared/benchmarks) as
    completions, half of them with the final answer swapped for another problem's: the real length and
    LaTeX of benchmark reasoning, with known labels. None when those files are absent."""
    gsm8k_file, math_file = shared / "gsm8k_test.jsonl", shared / "math500_test.jsonl"
    if not (gsm8k_file.exists() and math_file.exists()):
        return None
    rng = random.Random(seed)
    gsm8k = [json.loads(line) for line in gsm8k_file.open()]
    math500 = [json.loads(line) for line in math_file.open()]
    completions, golds, labels = [], [], []
    for p in range(prompts):
        if p % 2 == 0:
            row = rng.choice(gsm8k)
            reasoning, gold = row["answer"].rsplit("####", 1)
            gold = gold.strip()
            for _ in range(generations):
                right = rng.random() < 0.5
                shown = gold if right else str(int(gold.replace(",", "")) + rng.choice([-10, -1, 1, 2]))
                ending = rng.choice(
                    ["\n#### {x}", "\nThe answer is {x}.", "\nSo the answer is $\\boxed{{{x}}}$."]
                )
                completions.append(reasoning + ending.format(x=shown))
                golds.append(gold)
                labels.append(right)
        else:
            row = rng.choice(math500)
            solution, gold = row["solution"], row["answer"]
            start = solution.rfind("\\boxed")
            for _ in range(generations):
                right = rng.random() < 0.5
                if right:
                    completions.append(solution)
                else:
                    other = rng.choice([r for r in math500 if r["answer"] != gold])["answer"]
                    completions.append(solution[:start] + "\\boxed{" + other + "}.")
                golds.append(gold)
                labels.append(right)
    return completions, golds, labels


GSM8K_COLD_ENDINGS = ["\n#### {x}", "\nThe answer is {x}.", "\nSo the answer is $\\boxed{{{x}}}$."]


def _math_variants(gold: str) -> list[str]:
    """Forms of a MATH gold that a model may write and that are equal to it by construction."""
    import re

    variants = [gold]
    tight = re.sub(r"\s*([,+\-=()\[\]{}^_])\s*", r"\1", gold)
    variants.append(tight)
    if "\\frac" in gold:
        variants.append(gold.replace("\\frac", "\\dfrac"))
    if re.fullmatch(r"-?\d+", gold):
        variants += [f"{gold}.0", f"{int(gold):,}"]
    return list(dict.fromkeys(variants))


def build_cold_batch(
    shared: Path, prompts: int, generations: int, seed: int = 0
) -> tuple[list[str], list[str], list[bool]] | None:
    """The first epoch's batch: real GSM8K-test and MATH-500 reference solutions as completions, each
    group with *distinct* final answers (equal forms of the gold, and other problems' answers or nearby
    numbers), so that nearly every (gold, answer) pair is one the grader has never seen. None when
    ../shared is absent."""
    gsm8k_file, math_file = shared / "gsm8k_test.jsonl", shared / "math500_test.jsonl"
    if not (gsm8k_file.exists() and math_file.exists()):
        return None
    rng = random.Random(seed)
    gsm8k = [json.loads(line) for line in gsm8k_file.open()]
    math500 = [json.loads(line) for line in math_file.open()]
    rng.shuffle(gsm8k)
    rng.shuffle(math500)
    completions, golds, labels = [], [], []
    for p in range(prompts):
        if p % 2 == 0:
            row = gsm8k[p // 2 % len(gsm8k)]
            reasoning, gold = row["answer"].rsplit("####", 1)
            gold = gold.strip().replace(",", "")
            value = int(gold)
            right = [gold, f"{value:,}", f"${value}", f"{value}.00", f"{value} dollars"]
            wrong = [str(value + d) for d in rng.sample([-100, -12, -10, -3, -2, -1, 1, 2, 3, 5, 10, 20], 8)]
            make = lambda x, r=reasoning: r + rng.choice(GSM8K_COLD_ENDINGS).format(x=x)  # noqa: E731
        else:
            row = math500[p // 2 % len(math500)]
            solution, gold = row["solution"], row["answer"]
            start = solution.rfind("\\boxed")
            right = _math_variants(gold)
            others = list(dict.fromkeys(r["answer"] for r in rng.sample(math500, 24) if r["answer"] != gold))
            wrong = others[:8]
            make = lambda x, s=solution, i=start: s[:i] + "\\boxed{" + x + "}."  # noqa: E731
        n_right = min(len(right), rng.randint(1, generations // 2))
        answers = [(a, True) for a in rng.sample(right, n_right)] + [
            (a, False) for a in wrong[: generations - n_right]
        ]
        for answer, label in answers:
            completions.append(make(answer))
            golds.append(gold)
            labels.append(label)
    return completions, golds, labels


def _timed(fn, *args) -> tuple[list, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def _accuracy(scores: list, labels: list[bool]) -> float:
    return sum((s == 1.0) == label for s, label in zip(scores, labels, strict=True)) / len(labels)


def _symbolic_pairs(shared: Path, count: int, seed: int = 0) -> list[tuple[str, str]]:
    """(gold, answer) pairs that only math-verify can decide (MATH-500 answers the fast paths refuse)."""
    from rewards.accuracy import _quick_verdict

    math_file = shared / "math500_test.jsonl"
    answers = [json.loads(line)["answer"] for line in math_file.open()] if math_file.exists() else []
    answers += [item[0] for item in MATH_ITEMS] + [form for item in MATH_ITEMS for form in item[1] + item[2]]
    rng = random.Random(seed)
    pairs: dict[tuple[str, str], None] = {}
    for _ in range(200 * count):
        pair = (rng.choice(answers), rng.choice(answers))
        if _quick_verdict(*pair) is None:
            pairs[pair] = None
            if len(pairs) == count:
                break
    return list(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument(
        "--synthetic", action="store_true", help="use the built-in synthetic batch even when ../shared exists"
    )
    parser.add_argument("--symbolic-pairs", type=int, default=96, help="pairs for the worker-scaling check")
    args = parser.parse_args()
    from trl.rewards import accuracy_reward as trl_accuracy_reward

    import rewards.accuracy as accuracy
    from rewards.accuracy import _quick_verdict
    from rewards.extract import extract_final_answer
    from rewards.verifier import VerifierPool

    shared = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
    batch = None if args.synthetic else build_cold_batch(shared, args.prompts, args.generations)
    source = (
        "real GSM8K test / MATH-500 solutions from ../shared"
        if batch
        else "synthetic GSM8K- and MATH-style text"
    )
    completions, golds, labels = batch or build_batch(args.prompts, args.generations)
    n = len(completions)
    answers = [extract_final_answer(c) for c in completions]
    pairs = {(g, a) for g, a in zip(golds, answers, strict=True) if a}
    symbolic = sum(_quick_verdict(*pair) is None for pair in pairs)
    print(
        f"batch: {args.prompts} golds x {args.generations} completions = {n} ({source}, "
        f"{sum(map(len, completions)) / n:.0f} chars each); {len(pairs)} distinct (gold, answer) pairs, "
        f"{symbolic} of them need math-verify"
    )

    _, startup = _timed(get_pool().check, [("1", "1")], 60.0)  # start the worker processes once
    accuracy._RESULTS.clear()
    ours, ours_s = _timed(accuracy_reward, completions, golds)
    ours_again, ours_again_s = _timed(accuracy_reward, completions, golds)
    assert ours == ours_again
    conversations = [[{"role": "assistant", "content": c}] for c in completions]
    theirs, theirs_s = _timed(trl_accuracy_reward, conversations, golds)

    rows = [
        ("this repository, first batch (cold cache)", ours_s, _accuracy(ours, labels)),
        ("this repository, same batch again (warm)", ours_again_s, _accuracy(ours_again, labels)),
        ("trl.rewards.accuracy_reward (baseline)", theirs_s, _accuracy(theirs, labels)),
    ]
    print(f"{'reward':<45} {'seconds':>8} {'items/s':>9} {'vs TRL':>7} {'agrees with labels':>19}")
    for name, seconds, agreement in rows:
        print(f"{name:<45} {seconds:8.2f} {n / seconds:9.0f} {theirs_s / seconds:6.1f}x {agreement:18.1%}")
    print(f"worker start-up (once per process): {startup:.2f} s")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = [_peak_rss_mib(w.process.pid) for w in get_pool()._workers]
    print(
        f"peak memory: this process {own:.0f} MiB (it also ran TRL), verifier workers {', '.join(f'{m:.0f}' for m in workers)} MiB"
    )

    # How the math-verify pool scales: the same pairs, that only math-verify decides, on 1..N workers.
    hard = _symbolic_pairs(shared, args.symbolic_pairs)
    counts = sorted({1, 2, os.cpu_count() or 1})
    print(f"math-verify pool on {len(hard)} pairs the fast paths can't decide ({os.cpu_count()} cores here):")
    base = None
    for count in counts:
        pool = VerifierPool(num_workers=count)
        try:
            pool.check([("1", "1")] * count, 60.0)  # start-up is not throughput
            _, seconds = _timed(pool.check, hard, 10.0)
        finally:
            pool.close()
        base = base or seconds
        print(f"  {count} worker(s): {len(hard) / seconds:6.0f} pairs/s ({base / seconds:.1f}x one worker)")


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


if __name__ == "__main__":
    main()
