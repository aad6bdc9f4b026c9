"""A paper recipe's ``paper:`` section, checked against what the recipe actually resolves to.

``paper.settings`` lists every setting the paper (or its code) states (value and citation), ``paper.not_stated``
what the recipe chose where the paper is silent, and ``paper.departures`` what it can't follow.
``compare`` resolves the recipe the way a run would (the real GRPOConfig with TRL's defaults, the rewards'
bound parameters, the data, the evaluation protocol, the batch arithmetic on the paper's GPUs) and
reports, for every listed key: ``follows``, ``departs`` (listed as a departure) or ``differs`` (an
unexplained difference: a test fails on it, so a later edit can't drift silently).

Keys: ``trainer.<GRPOConfig field>``, ``model.<key>``, ``model.lora.<key>``, ``data.<key>``,
``rewards`` (the reward names), ``rewards.<name>.weight``, ``rewards.<name>.<parameter>``,
``eval.<key>`` (``eval.extract`` / ``eval.zero_if_truncated`` resolved as evaluation will grade; ``eval.stop``
the evaluation template's stop strings), and
``batch.prompts_per_rollout``, ``batch.completions_per_rollout``, ``batch.completions_per_update``,
``batch.updates_per_rollout`` (on ``paper.gpus`` GPUs), ``generation.stop`` (the stop strings training generates
with) and ``generation.truncated`` (what counts as truncated), and ``precision.weights`` / ``precision.compute`` /
``precision.masters`` (the precision policy on GPUs with bf16, recipes/precision.py).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import data
from recipes.callbacks import TRUNCATED_WHEN
from recipes.checks import INLINE_SOURCE_KEYS
from recipes.precision import precision_policy
from recipes.resolve import ResolvedRun, batch_arithmetic


class UnknownKey(KeyError):
    pass


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)  # enums (lr_scheduler_type)
    if isinstance(value, tuple):
        return list(value)
    return value


def resolve_key(key: str, run: ResolvedRun) -> Any:
    """The value ``key`` has in this recipe as a run would see it."""
    recipe, config, reward_params, grader = run.recipe, run.config, run.reward_params, run.evaluation_grader
    section, _, rest = key.partition(".")
    if section == "trainer":
        if not hasattr(config, rest):
            raise UnknownKey(key)
        return _plain(getattr(config, rest))
    if section == "batch":
        return batch_arithmetic(config, recipe.paper.gpus if recipe.paper else 1)[rest]
    if section == "generation":
        kwargs = config.generation_kwargs or {}
        if rest == "stop":
            return list(kwargs.get("stop") or kwargs.get("stop_strings") or [])
        if rest == "truncated":
            return TRUNCATED_WHEN
        raise UnknownKey(key)
    if section == "precision":
        # as on the paper's hardware (GPUs with bf16), whatever this machine has
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
        first = rest.split(".")[0]
        if first in INLINE_SOURCE_KEYS and len(recipe.data.sources) == 1:  # data.name: the one source's name
            target = recipe.data.sources[0]
    else:
        raise UnknownKey(key)
    for part in rest.split("."):
        if target is None or not hasattr(target, part):
            raise UnknownKey(key)
        target = getattr(target, part)
    return _plain(dataclasses.asdict(target) if dataclasses.is_dataclass(target) else target)


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
    paper: Any  # the paper's value, or "not stated"
    recipe: Any
    status: str  # follows | departs | chose | differs | unknown key
    note: str  # the citation, the reason for the choice, or the departure


def compare(run: ResolvedRun) -> list[Row]:
    """One row per setting of the paper section (see the module docstring)."""
    recipe = run.recipe
    if recipe.paper is None:
        return []
    departures = {d.setting: d for d in recipe.paper.departures}
    rows = []

    def value_of(key: str) -> tuple[Any, bool]:
        try:
            return resolve_key(key, run), True
        except (UnknownKey, KeyError, AttributeError):
            return None, False

    for key, stated in recipe.paper.settings.items():
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
    for key, unstated in recipe.paper.not_stated.items():
        value, known = value_of(key)
        if not known:
            rows.append(Row(key, "not stated", None, "unknown key", unstated.why))
        else:
            status = "chose" if same(value, unstated.chose) else "differs"
            rows.append(Row(key, "not stated", value, status, unstated.why))
    return rows


def problems(rows: list[Row]) -> list[str]:
    """The rows a reader can't explain: values that differ from the paper without a departure, a
    departure that no longer departs, a key that doesn't exist."""
    out = []
    for row in rows:
        if row.status == "unknown key":
            out.append(f"paper setting {row.key!r} is not a key this recipe resolves")
        elif row.status == "differs":
            out.append(f"{row.key}: paper {row.paper!r}, recipe {row.recipe!r}, and no departure explains it")
        elif row.status == "stale departure":
            out.append(f"{row.key} is listed as a departure but now follows the paper ({row.recipe!r})")
    return out


def table(rows: list[Row]) -> str:
    """The comparison as a Markdown table (``--dry-run`` prints it)."""

    def cell(value: Any) -> str:
        text = str(value)
        return (text[:60] + "...") if len(text) > 63 else text

    lines = [
        "| setting | paper | this recipe | status | citation / reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        note = row.note.replace("|", "/").replace("\n", " ")
        lines.append(f"| {row.key} | {cell(row.paper)} | {cell(row.recipe)} | {row.status} | {cell(note)} |")
    return "\n".join(lines)
