"""What the findings (``make finding-*``) share: an estimate with its 95% interval and its wording, the sizes a
report prints beside what the issue asked for, and training curves over seeds (a mean with the seeds' range);
for the findings that train the demo recipe with GRPO, one run per seed, their command-line arguments, recipe
overrides and sizes.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

from eval.statistics import pooled_over_seeds

SEEDS = [0, 1, 2]  # every finding trains three seeds (the issue's minimum)


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% interval."""

    mean: float
    low: float
    high: float

    @property
    def above_zero(self) -> bool:
        return self.low > 0

    @property
    def rise_excluded(self) -> bool:
        """The interval reaches no value above zero: no rise, measurably."""
        return self.high <= 0

    def points(self) -> str:
        """A difference of shares in percentage points.

        >>> Estimate(0.123, 0.05, 0.2).points()
        '+12.3 points [+5.0, +20.0]'
        """
        return f"{100 * self.mean:+.1f} points [{100 * self.low:+.1f}, {100 * self.high:+.1f}]"

    def share(self) -> str:
        """A share in percent.

        >>> Estimate(0.5, 0.25, 0.75).share()
        '50.0% [25.0, 75.0]'
        """
        return f"{100 * self.mean:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"

    def number(self, unit: str = "") -> str:
        """A signed number with its unit.

        >>> Estimate(1.25, -0.5, 3.0).number(" tokens/step")
        '+1.25 tokens/step [-0.50, +3.00]'
        """
        return f"{self.mean:+.2f}{unit} [{self.low:+.2f}, {self.high:+.2f}]"


def pooled(rows_by_seed: list[list[list[float]]], bootstrap: int = 1000) -> list[Estimate]:
    """The mean over seeds and problems at each column, with its 95% interval from a bootstrap that resamples
    both (``eval.statistics.pooled_over_seeds``; ``rows_by_seed[seed][problem][column]``).

    >>> pooled([[[1.0], [0.0]], [[1.0], [0.0]]], bootstrap=20)[0].mean
    0.5
    """
    return [Estimate(*e) for e in pooled_over_seeds(rows_by_seed, bootstrap)]


def size_line(label: str, value: Any, issue: float | None = None) -> str:
    """One line of a report's sizes: what this run used and, where the issue asked for more, that it was sized
    down (every size is a command-line argument; the defaults fit this 2-core CPU).

    >>> size_line("held-out problems", 64, issue=200)
    "- held-out problems: 64 (sized down from the issue's 200)"
    >>> size_line("training seeds", 3, issue=3)
    '- training seeds: 3'
    """
    note = f" (sized down from the issue's {issue:g})" if issue is not None and value < issue else ""
    return f"- {label}: {value}{note}"


def add_grpo_arguments(
    parser: argparse.ArgumentParser,
    steps: int,
    prompts_per_step: int,
    help_texts: dict[str, str | None] | None = None,
) -> None:
    """The arguments ``grpo_overrides`` and ``grpo_size_lines`` read: ``--seeds`` (a run each, three by default),
    ``--steps`` per run, and a step's batch, ``--prompts-per-step`` prompts x ``--generations`` completions (the
    group, 8 by default); ``help_texts`` replaces the help of some, by flag."""
    from data.cli import positive_int

    texts = {
        "--seeds": "training seeds (each a full run)",
        "--steps": "GRPO steps per seed",
        "--prompts-per-step": None,
        "--generations": "completions per prompt (the group)",
        **(help_texts or {}),
    }
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS, help=texts["--seeds"])
    parser.add_argument("--steps", type=positive_int, default=steps, help=texts["--steps"])
    parser.add_argument(
        "--prompts-per-step", type=positive_int, default=prompts_per_step, help=texts["--prompts-per-step"]
    )
    parser.add_argument("--generations", type=positive_int, default=8, help=texts["--generations"])


def grpo_overrides(args: argparse.Namespace, seed: int, *specific: str) -> list[str]:
    """The recipe overrides of a GRPO finding's run: its seed and base model, what the finding sets itself
    (``specific``), ``--steps`` steps of ``--prompts-per-step`` x ``--generations`` completions, and
    ``--train-args`` last (they win).

    >>> args = argparse.Namespace(model="base", generations=8, prompts_per_step=2, steps=3, train_args=["x=1"])
    >>> grpo_overrides(args, 0, "trainer.loss_type=grpo")[:4]
    ['seed=0', 'model.name_or_path=base', 'trainer.loss_type=grpo', 'trainer.num_generations=8']
    >>> grpo_overrides(args, 0)[-3:]
    ['trainer.save_total_limit=1', 'guard.action=warn', 'x=1']
    """
    return [
        f"seed={seed}",
        f"model.name_or_path={args.model}",
        *specific,
        f"trainer.num_generations={args.generations}",
        f"trainer.per_device_train_batch_size={args.prompts_per_step * args.generations}",
        f"trainer.max_steps={args.steps}",
        "trainer.save_total_limit=1",
        "guard.action=warn",  # every run trains its --steps: the collapse guard only warns
        *args.train_args,
    ]


def grpo_size_lines(
    args: argparse.Namespace, seeds: str = "training seeds", steps: str = "GRPO steps per seed"
) -> list[str]:
    """The head of a GRPO finding's sizes: its seeds, its steps per run and its training batch, under
    ``seeds`` and ``steps`` as the report names them.

    >>> grpo_size_lines(argparse.Namespace(seeds=[0], steps=12, prompts_per_step=4, generations=8))[2:]
    ["- training seeds: 1 (sized down from the issue's 3)", '- GRPO steps per seed: 12', '- prompts per step x completions per prompt: 4 x 8']
    """
    return [
        "Sizes (each a command-line argument):",
        "",
        size_line(seeds, len(args.seeds), issue=len(SEEDS)),
        size_line(steps, args.steps),
        size_line(
            "prompts per step x completions per prompt", f"{args.prompts_per_step} x {args.generations}"
        ),
    ]


def across_seeds(histories: list[list[dict[str, Any]]], key: str) -> list[tuple[int, float, float, float]]:
    """``key`` at each logged step over the seeds' training logs: (step, mean, lowest, highest) over the seeds
    that logged it at that step (a step where none did is left out; so is a NaN).

    >>> across_seeds([[{"step": 1, "x": 1.0}, {"step": 2, "x": 3.0}], [{"step": 1, "x": 2.0}]], "x")
    [(1, 1.5, 1.0, 2.0), (2, 3.0, 3.0, 3.0)]
    """
    by_step: dict[int, list[float]] = {}
    for history in histories:
        for entry in history:
            value = entry.get(key)
            if isinstance(value, (int, float)) and not math.isnan(value):
                by_step.setdefault(entry["step"], []).append(float(value))
    return [(step, sum(v) / len(v), min(v), max(v)) for step, v in sorted(by_step.items())]


def plot_across_seeds(
    axis: Any, series: list[tuple[int, float, float, float]], label: str, color: str, scale: float = 1.0
) -> None:
    """The mean over seeds as a line, the seeds' range as a band."""
    if not series:
        return
    steps = [s for s, _, _, _ in series]
    axis.plot(steps, [scale * m for _, m, _, _ in series], color=color, label=label)
    axis.fill_between(
        steps,
        [scale * lo for _, _, lo, _ in series],
        [scale * hi for _, _, _, hi in series],
        color=color,
        alpha=0.2,
    )
