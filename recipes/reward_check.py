"""The reward check before a model loads: every reward called as TRL calls it, on a batch shaped like the run's.

TRL 1.16's ``GRPOTrainer._calculate_rewards`` calls each reward with ``prompts``, ``completions``,
``completion_ids``, every dataset column but ``prompt`` (one entry per completion), ``trainer_state``,
``log_extra`` and ``log_metric``; the runner's ``CompletionRecorder`` adds ``truncated``. The check does the
same with the training set's first prompts (canned ones when the data comes from the Hub and isn't loaded
yet) times ``num_generations`` completions of every shape a run meets: one in the template's format with
the right answer, one with a wrong answer, an empty one, a long one that states nothing, and one cut off at
the length limit. A reward must return one finite number (or None, which TRL skips) per completion; a
reward that raises, returns text, a fixed number of scores or infinity fails here, naming the reward and
the completion it failed on, instead of at step 1 (or, for infinity, training nothing and reporting success).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import data
from recipes.resolve import ResolvedRun
from recipes.schema import Recipe, RecipeError
from rewards.format import example_completion

# Prompts per checked batch: several groups, so that every completion shape meets a real row.
PROMPTS = 4
# Plain-number golds: graded without starting math-verify's worker processes
CANNED = [("What is 1 + 1?", "2"), ("What is 3 + 4?", "7"), ("What is 10 - 4?", "6")]


def canned_rows(template: str) -> list[dict[str, Any]]:
    """Rows in the common schema for a data set that is not loaded (a Hub source in the dry run)."""
    chosen = data.get_template(template)
    return [
        {
            "id": f"check-{i}",
            "question": q,
            "answer": a,
            "solution": "",
            "source": "check",
            "prompt": chosen.apply(q),
        }
        for i, (q, a) in enumerate(CANNED)
    ]


def _completion_shapes(answer: Any, template: data.Template, limit: int) -> list[tuple[str, str, int, bool]]:
    """(shape, text, tokens, truncated) for one prompt: every kind of completion a run produces."""
    gold = str(answer)
    right = example_completion(template.answer_format, gold, template.think_prefilled)
    wrong = example_completion(template.answer_format, gold + "1", template.think_prefilled)
    rambling = " ".join(["Let me check that step once more."] * max(1, limit // 8))
    return [
        (
            "the completion with the right answer in the template's format",
            right,
            min(limit - 1, len(right.split())),
            False,
        ),
        (
            "the completion with a wrong answer in the template's format",
            wrong,
            min(limit - 1, len(wrong.split())),
            False,
        ),
        ("the empty completion", "", 1, False),
        ("the long completion that states no answer", rambling, max(1, limit - 1), False),
        ("the completion cut off at max_completion_length", right[: len(right) // 2], limit, True),
    ]


def reward_batch(recipe: Recipe, config: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """TRL's keyword arguments for one reward call on a batch like the run's, and each completion's shape."""
    template = data.get_template(recipe.data.template)
    groups = max(1, min(PROMPTS, config.generation_batch_size // config.num_generations))
    rows = [rows[i % len(rows)] for i in range(groups)]
    limit = max(2, config.max_completion_length or 256)
    batch: dict[str, list] = {"prompts": [], "completions": [], "completion_ids": [], "truncated": []}
    shapes: list[str] = []
    columns = [key for key in rows[0] if key not in ("prompt", "completion", "completion_ids")]
    for key in columns:
        batch[key] = []
    for p, row in enumerate(rows):
        options = _completion_shapes(row["answer"], template, limit)
        for g in range(config.num_generations):
            shape, text, tokens, cut = options[(p * config.num_generations + g) % len(options)]
            batch["prompts"].append(row["prompt"])
            chat = not isinstance(row["prompt"], str)
            batch["completions"].append([{"role": "assistant", "content": text}] if chat else text)
            batch["completion_ids"].append([1] * tokens)
            batch["truncated"].append(cut)
            for key in columns:
                batch[key].append(row.get(key))
            shapes.append(shape)
    batch.update(
        trainer_state=None, log_extra=lambda column, values: None, log_metric=lambda name, value: None
    )
    return batch, shapes


def _columns(batch: dict[str, Any]) -> list[str]:
    """The dataset columns among a reward call's keyword arguments."""
    trl = (
        "prompts",
        "completions",
        "completion_ids",
        "trainer_state",
        "log_extra",
        "log_metric",
        "truncated",
    )
    return [key for key in batch if key not in trl]


def _one(batch: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        key: value[index : index + 1] if isinstance(value, list) else value for key, value in batch.items()
    }


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def check_rewards(run: ResolvedRun, rows: list[dict[str, Any]] | None = None) -> None:
    """Call each of the run's rewards on a batch shaped like the run's (``rows``: the training set's first
    rows; canned rows when None or empty) and check what it returns; raises RecipeError naming the reward and
    the fix."""
    recipe, config, functions = run.recipe, run.config, run.rewards
    batch, shapes = reward_batch(recipe, config, rows or canned_rows(recipe.data.template))
    size = len(shapes)
    batch_words = f"{size} completions ({size // config.num_generations} prompts x {config.num_generations} generations)"
    for i, (entry, function) in enumerate(zip(recipe.rewards, functions, strict=True)):
        where = f"rewards[{i}] ({entry.name})"
        for key in entry.params:
            if key in batch:  # the call's own keyword replaces a bound one, silently
                what = "the dataset column" if key in _columns(batch) else "the argument"
                raise RecipeError(
                    f"rewards[{i}].params.{key}: every reward is called with {what} {key!r}, which would "
                    "replace this parameter; give the parameter another name"
                )
        try:
            scores = function(**batch)
        except Exception as error:  # noqa: BLE001 - any failure here is the reward's, named with its input
            raise RecipeError(f"{where} {_failure(function, batch, shapes, error)}") from None
        if isinstance(scores, (str, bytes, dict)) or not hasattr(scores, "__len__"):
            raise RecipeError(
                f"{where} must return a list with one score per completion, returned {_describe(scores)}"
            )
        if len(scores) != size:
            raise RecipeError(
                f"{where} returned {len(scores)} scores for a batch of {batch_words}; it must return one "
                "score per completion"
            )
        for score, shape in zip(scores, shapes, strict=True):
            if score is None:
                continue
            if not isinstance(score, numbers.Real):
                raise RecipeError(
                    f"{where} returned {_describe(score)} for {shape}; a score must be a number "
                    "(or None, which TRL leaves out)"
                )
            if not math.isfinite(score):
                raise RecipeError(
                    f"{where} returned {score} for {shape}; a score must be a finite number (or "
                    "None, which TRL leaves out): an infinite reward makes every advantage NaN and trains nothing"
                )


def _failure(function: Callable, batch: dict[str, Any], shapes: list[str], error: Exception) -> str:
    """Which completion a reward fails on: each shape alone, the first that raises; else the batch."""
    for index, shape in enumerate(shapes):
        if shape in shapes[:index]:
            continue
        try:
            function(**_one(batch, index))
        except Exception as alone:  # noqa: BLE001
            return f"raised {_one_line(alone)} on {shape}; fix the reward function or its params"
    return f"raised {_one_line(error)} on a batch of {len(shapes)} completions; fix the reward function or its params"


def _one_line(error: Exception) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"
