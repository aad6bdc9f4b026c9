"""What a run leaves behind besides checkpoints: sampled completions, curves, and guards."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from recipes.schema import RecipeError

logger = logging.getLogger(__name__)


class CollapseGuard(TrainerCallback):
    """Stops (or warns) when the policy collapses: token entropy or completion length stays below a limit
    for ``patience`` logged steps. A collapsed policy writes the same short text for every prompt, has no
    reward spread left inside its groups, and GRPO can't recover it."""

    def __init__(
        self,
        min_entropy: float | None = None,
        min_completion_length: float | None = None,
        min_zero_std_share: float | None = None,
        patience: int = 3,
        action: str = "stop",
        max_minutes: float | None = None,
    ):
        if action not in ("stop", "warn"):
            raise ValueError(f"guard.action must be 'stop' or 'warn', not {action!r}")
        self.max_minutes = max_minutes
        self.started: float | None = None
        self.timed_out: str | None = None
        self.limits = {"entropy": min_entropy, "completions/mean_length": min_completion_length}
        # A policy that has converged on a good answer format also has low entropy; it has collapsed only
        # when, besides, (almost) no group has any reward spread left to learn from.
        self.min_zero_std_share = min_zero_std_share
        self.patience, self.action = patience, action
        self.strikes = 0
        self.tripped: str | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        """A time budget (guard.max_minutes): runs compared at equal minutes, or a cluster's time limit."""
        if self.max_minutes is not None and self.started is not None:
            minutes = (time.monotonic() - self.started) / 60
            if minutes >= self.max_minutes:
                self.timed_out = (
                    f"stopped at step {state.global_step} after {minutes:.1f} minutes (guard.max_minutes)"
                )
                logger.info("%s", self.timed_out)
                control.should_save = True
                control.should_training_stop = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        low = [
            f"{key}={logs[key]:.3g} < {limit}"
            for key, limit in self.limits.items()
            if limit is not None and key in logs and logs[key] < limit
        ]
        if not any(key in logs for key in self.limits):
            return control
        if low and self.min_zero_std_share is not None:
            share = logs.get("frac_reward_zero_std", 1.0)
            low = low + [f"frac_reward_zero_std={share:.2f}"] if share >= self.min_zero_std_share else []
        self.strikes = self.strikes + 1 if low else 0
        if self.strikes >= self.patience:
            self.tripped = f"step {state.global_step}: {', '.join(low)} for {self.strikes} logged steps"
            logger.warning(
                "collapse guard: %s%s",
                self.tripped,
                "; stopping (a checkpoint is saved)" if self.action == "stop" else "",
            )
            if self.action == "stop":
                control.should_save = True
                control.should_training_stop = True
        return control


class EvaluateDuringTraining(TrainerCallback):
    """Every ``every_steps`` steps, scores the current policy on a held-out subset with ``python -m eval``'s
    own code and grader (``evaluate(**settings)``), and logs ``eval/<benchmark>/pass@1`` (and the lenient
    score) beside the training metrics. The main process evaluates; the others wait at the next step."""

    def __init__(
        self, every_steps: int, settings: dict[str, Any], out: Path, tokenizer: Any, main_process: bool
    ):
        self.every_steps, self.settings, self.out = every_steps, settings, out
        self.tokenizer, self.main_process = tokenizer, main_process
        self.results: list[dict[str, Any]] = []

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if not self.main_process or state.global_step % self.every_steps or model is None:
            return control
        from eval.generate import TransformersBackend
        from eval.run import evaluate

        policy = getattr(model, "module", model)  # DDP wraps the model; the parameters are the same
        training = policy.training
        try:
            backend = TransformersBackend(policy, self.tokenizer)
            results = evaluate(
                f"step {state.global_step}",
                generator=backend,
                out=self.out / f"step-{state.global_step:06d}",
                **self.settings,
            )
        finally:
            policy.train(training)
        entry: dict[str, Any] = {"step": state.global_step}
        for benchmark, metrics in results.items():
            for key in ("pass@1", "pass@1_lenient", "format_compliance"):
                if metrics.get(key) is not None:
                    entry[f"eval/{benchmark}/{key}"] = metrics[key]
        state.log_history.append(entry)
        self.results.append(entry)
        logger.info("evaluation at step %d: %s", state.global_step, entry)
        return control


# What "truncated" means, for zero_if_truncated, the completion log and the dry run.
TRUNCATED_WHEN = "finish_reason == 'length'"
TRUNCATION_RULE = f"stopped at max_completion_length ({TRUNCATED_WHEN}); not at EOS, not at a stop string"


def stopped_at_limit(
    ids: list[int], text: str | None, limit: int | None, end_ids: set[int], stop: tuple[str, ...] = ()
) -> bool:
    """Whether generation stopped on the length limit, rather than at EOS or at a stop string: the only
    meaning of "truncated" (Dr. GRPO's train_zero_math.py zeroes ``finish_reason == "length"``).

    TRL hands the rewards token ids, not a finish reason, and what its generation paths return differs:
    transformers ends a completion at its EOS, or pads it after a stop string when other completions ran on
    (a stop string that ended the longest one leaves no padding); vLLM (colocate and server) returns the
    tokens up to EOS or through the stop string, padding nothing. So: a completion is truncated when it
    ends on neither EOS nor padding, fills the limit, and its text does not end with a stop string.

    >>> stopped_at_limit([5, 6, 1], "ab", 3, {1})  # EOS
    False
    >>> stopped_at_limit([5, 6, 7], "<answer>4</answer>", 3, {1}, ("</answer>",))  # a stop string at the limit
    False
    >>> stopped_at_limit([5, 6], "<answer>4</answer>", 3, {1}, ("</answer>",))  # a stop string, before it
    False
    >>> stopped_at_limit([5, 6, 7], "<answer>4", 3, {1}, ("</answer>",))  # the limit
    True
    """
    if not ids or ids[-1] in end_ids:
        return False
    if limit is not None and len(ids) < limit:
        return False  # it ended early on no end token: a stop string (kept in the output or not)
    return not (text is not None and any(s and text.endswith(s) for s in stop))


# The reward whose full score means "correct": the completion lengths are logged split by it.
CORRECTNESS_REWARD = "accuracy"


def mean_lengths_by_correctness(lengths: list[int], scores: list[float | None]) -> dict[str, float]:
    """The mean length of the completions the accuracy reward paid in full, and of the others: Dr. GRPO's
    length bias (Liu et al. 2025, §3.1) lengthens the incorrect ones, which the overall mean hides. A
    completion without a verdict (None) counts in neither; a side with no completion is left out.

    >>> mean_lengths_by_correctness([10, 20, 30, 7], [1.0, 0.0, 0.0, None])
    {'completions/mean_length_correct': 10.0, 'completions/mean_length_incorrect': 25.0}
    >>> mean_lengths_by_correctness([10], [0.0])
    {'completions/mean_length_incorrect': 10.0}
    """
    sides: dict[str, list[int]] = {"correct": [], "incorrect": []}
    for length, score in zip(lengths, scores, strict=True):
        if score is not None:
            sides["correct" if score >= 1.0 else "incorrect"].append(length)
    return {f"completions/mean_length_{side}": sum(v) / len(v) for side, v in sides.items() if v}


class CompletionRecorder:
    """Wraps the reward functions: passes each a ``truncated`` column (completions that generation stopped
    at ``max_completion_length``: ``stopped_at_limit``), lands every step's completions, with each reward,
    in a JSONL file, and logs the mean completion length of correct and of incorrect completions
    (``completions/mean_length_correct`` / ``_incorrect``, through TRL's ``log_metric``: they join the
    step's entry in ``log_history``) when the recipe has an accuracy reward.

    TRL calls the reward functions one after the other on the same batch; each wrapper stores its scores,
    and the last one writes the rows (at most ``per_step`` of them per step, whole groups first).
    """

    def __init__(
        self,
        path: Path | None,
        per_step: int = 16,
        end_token_ids: set[int] | frozenset = frozenset(),
        max_completion_length: int | None = None,
        stop: tuple[str, ...] = (),
    ):
        self.path, self.per_step = path, per_step  # path None: score only (ranks other than the first)
        self.end_token_ids = set(end_token_ids)
        self.max_completion_length, self.stop = max_completion_length, tuple(stop)
        self.scores: dict[str, list] = {}

    def wrap(self, reward_functions: list[Callable]) -> list[Callable]:
        wrapped = []
        for index, func in enumerate(reward_functions):
            wrapped.append(self._wrap_one(func, is_last=index == len(reward_functions) - 1))
        return wrapped

    def truncated(
        self, completion_ids: list[list[int]] | None, completions: list | None = None
    ) -> list[bool] | None:
        if completion_ids is None:
            return None
        from rewards.extract import completion_text

        texts = (
            [completion_text(c) for c in completions]
            if completions is not None
            else [None] * len(completion_ids)
        )
        return [
            stopped_at_limit(list(ids), text, self.max_completion_length, self.end_token_ids, self.stop)
            for ids, text in zip(completion_ids, texts, strict=True)
        ]

    def _wrap_one(self, func: Callable, is_last: bool) -> Callable:
        def reward(prompts=None, completions=None, **kwargs):
            kwargs.setdefault("truncated", self.truncated(kwargs.get("completion_ids"), completions))
            scores = func(prompts=prompts, completions=completions, **kwargs)
            for index, score in enumerate(scores):
                # TRL treats None as "leave out" (NaN); an infinity would make every advantage NaN, so that
                # the run trains nothing and still finishes: stop it, naming the reward
                if isinstance(score, (int, float)) and not math.isfinite(score):
                    raise RecipeError(
                        f"reward {func.__name__} returned {score} for completion {index} of step "
                        f"{getattr(kwargs.get('trainer_state'), 'global_step', -1) + 1}; a reward must return "
                        "finite numbers (or None to leave a completion out): fix the reward, then rerun the "
                        "same command to resume from the last checkpoint"
                    )
            self.scores[func.__name__] = scores
            if is_last:
                self._log_lengths(kwargs.get("completion_ids"), kwargs.get("log_metric"))
            if is_last and self.per_step > 0 and self.path is not None:
                try:
                    self._write(prompts, completions, kwargs)
                except Exception:  # noqa: BLE001 - logging must never break training
                    logger.exception("could not record completions")
            return scores

        reward.__name__ = func.__name__
        return reward

    def _log_lengths(self, completion_ids: list | None, log_metric: Callable | None) -> None:
        """Each process logs its own batch's means; TRL averages a name over the processes that logged it (a
        batch with no correct completion logs no ``mean_length_correct``: the step has none)."""
        correctness = self.scores.get(CORRECTNESS_REWARD)
        if completion_ids is None or log_metric is None or correctness is None:
            return
        lengths = [len(ids) for ids in completion_ids]
        for name, value in mean_lengths_by_correctness(lengths, list(correctness)).items():
            log_metric(name, value)

    def _write(self, prompts, completions, columns: dict[str, Any]) -> None:
        state = columns.get("trainer_state")
        step = getattr(state, "global_step", -1) + 1  # the step these completions train
        with self.path.open("a") as out:
            for i in range(min(self.per_step, len(completions))):
                row = {
                    "step": step,
                    "prompt": prompts[i] if prompts else None,
                    "completion": completions[i],
                    "answer": (columns.get("answer") or [None] * len(completions))[i],
                    "rewards": {name: scores[i] for name, scores in self.scores.items()},
                }
                out.write(json.dumps(row, default=str) + "\n")
        self.scores = {}


def plot_curves(log_history: list[dict[str, Any]], path: Path) -> Path | None:
    """Reward, per-reward means and completion length against the step, as a PNG."""
    rows = [entry for entry in log_history if "reward" in entry and "step" in entry]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    evaluations = [e for e in log_history if any(k.startswith("eval/") for k in e)]
    columns = 3 if evaluations else 2
    figure, axes = plt.subplots(1, columns, figsize=(5.5 * columns, 4))
    left, right = axes[0], axes[1]
    left.plot(steps, [r["reward"] for r in rows], label="total reward", linewidth=2)
    for key in sorted({k for r in rows for k in r if k.startswith("rewards/") and k.endswith("/mean")}):
        left.plot(steps, [r.get(key) for r in rows], label=key.split("/")[1], alpha=0.8)
    left.set_xlabel("step")
    left.set_ylabel("mean reward")
    left.legend()
    left.grid(alpha=0.3)
    right.plot(steps, [r.get("completions/mean_length") for r in rows], color="tab:purple")
    right.set_xlabel("step")
    right.set_ylabel("mean completion length (tokens)")
    right.grid(alpha=0.3)
    if evaluations:
        keys = sorted({k for e in evaluations for k in e if k.startswith("eval/") and "pass@1" in k})
        for key in keys:
            points = [(e["step"], e[key]) for e in evaluations if key in e]
            axes[2].plot([p[0] for p in points], [100 * p[1] for p in points], marker="o", label=key[5:])
        axes[2].set_xlabel("step")
        axes[2].set_ylabel("held-out accuracy (%)")
        axes[2].legend(fontsize=8)
        axes[2].grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
