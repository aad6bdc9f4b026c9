"""A paper recipe's ``source:`` section, checked against what the recipe actually resolves to.

``source.settings`` lists every setting the source states (value and citation), ``source.not_stated``
what the recipe chose where the source is silent, and ``source.departures`` what it can't follow.
``compare`` resolves the recipe the way a run would (the real GRPOConfig with TRL's defaults, the rewards'
bound parameters, the data, the evaluation protocol, the batch arithmetic on the source's GPUs) and
reports, for every listed key: ``follows``, ``departs`` (listed as a departure) or ``differs`` (an
unexplained difference: a test fails on it, so a later edit can't drift silently).

Keys: ``trainer.<GRPOConfig field>``, ``model.<key>``, ``model.lora.<key>``, ``data.<key>``,
``rewards`` (the reward names), ``rewards.<name>.weight``, ``rewards.<name>.<parameter>``,
``eval.<key>`` (``eval.extract`` / ``eval.zero_if_truncated`` resolved as evaluation will grade; ``eval.stop``
the evaluation template's stop strings), and
``batch.prompts_per_rollout``, ``batch.completions_per_rollout``, ``batch.completions_per_update``,
``batch.updates_per_rollout`` (on ``source.gpus`` GPUs), ``generation.stop`` (the stop strings training generates
with) and ``generation.truncated`` (what counts as truncated), and ``precision.weights`` / ``precision.compute`` /
``precision.masters`` (the precision policy on GPUs with bf16, recipes/precision.py).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import data
from recipes.callbacks import TRUNCATED_WHEN
from recipes.config import Recipe
from recipes.precision import precision_policy


class UnknownKey(KeyError):
    pass


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)  # enums (lr_scheduler_type)
    if isinstance(value, tuple):
        return list(value)
    return value


def resolve_key(
    key: str, recipe: Recipe, config: Any, reward_params: list[dict[str, Any]], grader: dict[str, Any]
) -> Any:
    """The value ``key`` has in this recipe as a run would see it."""
    section, _, rest = key.partition(".")
    if section == "trainer":
        if not hasattr(config, rest):
            raise UnknownKey(key)
        return _plain(getattr(config, rest))
    if section == "batch":
        return batch_arithmetic(config, recipe.source.gpus if recipe.source else 1)[rest]
    if section == "generation":
        kwargs = config.generation_kwargs or {}
        if rest == "stop":
            return list(kwargs.get("stop") or kwargs.get("stop_strings") or [])
        if rest == "truncated":
            return TRUNCATED_WHEN
        raise UnknownKey(key)
    if section == "precision":
        # as on the source's hardware (GPUs with bf16), whatever this machine has
        precision = precision_policy(recipe.model.dtype, recipe.model.lora is not None, "gpu-bf16")
        if rest not in ("weights", "compute", "masters"):
            raise UnknownKey(key)
        return getattr(precision, rest)
    if section == "rewards":
        if not rest:
            return [entry.name for entry in recipe.rewards]
        name, _, field = rest.partition(".")
        for entry, params in zip(recipe.rewards, reward_params, strict=True):
            if entry.name == name:
                if field == "weight":
                    return entry.weight
                if field in params:
                    return _plain(params[field])
        raise UnknownKey(key)
    if section == "eval" and recipe.eval is not None:
        if rest in grader:
            return grader[rest]
        if rest == "stop":
            return list(data.get_template(recipe.eval.template or recipe.data.template).stop)
        target: Any = recipe.eval
    elif section == "model":
        target = recipe.model
    elif section == "data":
        target = recipe.data
    else:
        raise UnknownKey(key)
    for part in rest.split("."):
        if target is None or not hasattr(target, part):
            raise UnknownKey(key)
        target = getattr(target, part)
    return _plain(dataclasses.asdict(target) if dataclasses.is_dataclass(target) else target)


def batch_arithmetic(config: Any, gpus: int) -> dict[str, int]:
    """Prompts and completions per rollout and per optimizer update, and updates per rollout, on ``gpus``.

    TRL generates ``per_device_train_batch_size x gpus x steps_per_generation`` completions at a time and
    takes an optimizer step every ``gradient_accumulation_steps`` micro-batches; ``num_iterations``
    reuses each rollout."""
    per_update = config.per_device_train_batch_size * gpus * config.gradient_accumulation_steps
    per_rollout = config.per_device_train_batch_size * gpus * config.steps_per_generation
    return {
        "prompts_per_rollout": per_rollout // config.num_generations,
        "completions_per_rollout": per_rollout,
        "completions_per_update": per_update,
        "updates_per_rollout": config.steps_per_generation
        // config.gradient_accumulation_steps
        * config.num_iterations,
    }


def same(a: Any, b: Any) -> bool:
    """Equal values; numbers up to rounding, lists element by element.

    >>> same(1e-6, 0.000001), same([0.9, 0.95], (0.9, 0.95)), same("dapo", "grpo")
    (True, True, False)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@dataclasses.dataclass
class Row:
    key: str
    source: Any  # the source's value, or "not stated"
    recipe: Any
    status: str  # follows | departs | chose | differs | unknown key
    note: str  # the citation, the reason for the choice, or the departure


def compare(
    recipe: Recipe, config: Any, reward_params: list[dict[str, Any]], grader: dict[str, Any]
) -> list[Row]:
    """One row per setting of the source section (see the module docstring)."""
    if recipe.source is None:
        return []
    departures = {d.setting: d for d in recipe.source.departures}
    rows = []

    def value_of(key: str) -> tuple[Any, bool]:
        try:
            return resolve_key(key, recipe, config, reward_params, grader), True
        except (UnknownKey, KeyError, AttributeError):
            return None, False

    for key, stated in recipe.source.settings.items():
        value, known = value_of(key)
        if not known:
            rows.append(Row(key, stated.value, None, "unknown key", stated.cite))
        elif same(value, stated.value):
            status = "stale departure" if key in departures else "follows"
            rows.append(Row(key, stated.value, value, status, stated.cite))
        elif key in departures:
            departure = departures[key]
            rows.append(Row(key, stated.value, value, "departs", f"{departure.why} ({departure.effect})"))
        else:
            rows.append(Row(key, stated.value, value, "differs", stated.cite))
    for key, unstated in recipe.source.not_stated.items():
        value, known = value_of(key)
        if not known:
            rows.append(Row(key, "not stated", None, "unknown key", unstated.why))
        else:
            status = "chose" if same(value, unstated.chose) else "differs"
            rows.append(Row(key, "not stated", value, status, unstated.why))
    return rows


def problems(rows: list[Row]) -> list[str]:
    """The rows a reader can't explain: values that differ from the source without a departure, a
    departure that no longer departs, a key that doesn't exist."""
    out = []
    for row in rows:
        if row.status == "unknown key":
            out.append(f"source setting {row.key!r} is not a key this recipe resolves")
        elif row.status == "differs":
            out.append(
                f"{row.key}: source {row.source!r}, recipe {row.recipe!r}, and no departure explains it"
            )
        elif row.status == "stale departure":
            out.append(f"{row.key} is listed as a departure but now follows the source ({row.recipe!r})")
    return out


def table(rows: list[Row]) -> str:
    """The comparison as a Markdown table (``--dry-run`` prints it)."""

    def cell(value: Any) -> str:
        text = str(value)
        return (text[:60] + "...") if len(text) > 63 else text

    lines = [
        "| setting | source | this recipe | status | citation / reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        note = row.note.replace("|", "/").replace("\n", " ")
        lines.append(f"| {row.key} | {cell(row.source)} | {cell(row.recipe)} | {row.status} | {cell(note)} |")
    return "\n".join(lines)
