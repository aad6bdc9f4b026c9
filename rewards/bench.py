"""Benchmark: the accuracy reward beside TRL's ``trl.rewards.accuracy_reward`` on one GRPO-shaped batch.

``python -m rewards.bench [--prompts 128] [--generations 8]`` builds a batch like the one GRPO scores each
step (128 golds x 8 completions: half GSM8K-style, half MATH-style, realistic reasoning text, right and
wrong answers in the forms models write them, with known labels), grades it with both rewards in the same
process, and prints time, throughput, accuracy against the labels and peak memory, as ratios.
"""

from __future__ import annotations

import argparse
import json
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


def _timed(fn, *args) -> tuple[list, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def _accuracy(scores: list, labels: list[bool]) -> float:
    return sum((s == 1.0) == label for s, label in zip(scores, labels, strict=True)) / len(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument(
        "--synthetic", action="store_true", help="use the built-in synthetic batch even when ../shared exists"
    )
    args = parser.parse_args()
    from trl.rewards import accuracy_reward as trl_accuracy_reward

    shared = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
    batch = None if args.synthetic else build_real_batch(shared, args.prompts, args.generations)
    source = (
        "real GSM8K test / MATH-500 solutions from ../shared"
        if batch
        else "synthetic GSM8K- and MATH-style text"
    )
    completions, golds, labels = batch or build_batch(args.prompts, args.generations)
    n = len(completions)
    mean_chars = sum(map(len, completions)) / n
    print(
        f"batch: {args.prompts} golds x {args.generations} completions = {n}, {source}, {mean_chars:.0f} chars each on average"
    )

    _, cold = _timed(get_pool().check, [("1", "1")], 60.0)  # start the worker processes once
    ours, ours_s = _timed(accuracy_reward, completions, golds)
    ours_again, ours_again_s = _timed(accuracy_reward, completions, golds)
    assert ours == ours_again
    conversations = [[{"role": "assistant", "content": c}] for c in completions]
    theirs, theirs_s = _timed(trl_accuracy_reward, conversations, golds)

    rows = [
        ("this repository (rewards.accuracy_reward)", ours_s, _accuracy(ours, labels)),
        ("this repository, second batch (warm)", ours_again_s, _accuracy(ours_again, labels)),
        ("trl.rewards.accuracy_reward (baseline)", theirs_s, _accuracy(theirs, labels)),
    ]
    print(f"{'reward':<45} {'seconds':>8} {'items/s':>9} {'vs TRL':>7} {'agrees with labels':>19}")
    for name, seconds, accuracy in rows:
        print(f"{name:<45} {seconds:8.2f} {n / seconds:9.0f} {theirs_s / seconds:6.1f}x {accuracy:18.1%}")
    print(f"worker start-up (once per process): {cold:.2f} s")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = [_peak_rss_mib(w.process.pid) for w in get_pool()._workers]
    print(
        f"peak memory: this process {own:.0f} MiB (it also ran TRL), verifier workers {', '.join(f'{m:.0f}' for m in workers)} MiB"
    )


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
