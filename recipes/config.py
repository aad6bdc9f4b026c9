"""Recipes: one YAML file per experiment, validated completely before anything heavy is loaded.

A recipe has the sections ``model``, ``data``, ``rewards``, ``trainer`` (any field of TRL's ``GRPOConfig``,
passed through), optional ``eval`` and ``guard``, and the top-level ``seed`` and ``output_dir``.
``key=value`` overrides on the command line address any entry by its dotted path
(``trainer.learning_rate=1e-6 data.limit=64``); values are read as YAML (numbers, booleans, lists).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import importlib
from pathlib import Path
from typing import Any

import yaml

import rewards

SECTIONS: dict[str, dict[str, str]] = {
    "model": {
        "name_or_path": "hub id, local folder, or 'tiny' (a ~1M-parameter model built on the fly, no download)",
        "dtype": "auto, float32, bfloat16 or float16 (auto: bf16 on a GPU that has it, else fp32)",
        "attn_implementation": "e.g. sdpa, flash_attention_2, eager (null: transformers' default)",
        "lora": "LoRA settings (r, alpha, dropout, target_modules); omit for full fine-tuning",
        "freeze_embeddings": "keep the input embeddings (and a tied LM head) fixed",
    },
    "data": {
        "name": "a data.load name (gsm8k, math, math500, aime24, aime25, amc23, arithmetic), hub id or local file",
        "split": "split to train on (default train)",
        "data_files": "local file(s) in the hub copy's layout, or a dict of splits",
        "template": "prompt template (data/templates.py)",
        "limit": "use the first N rows",
        "levels": "arithmetic levels (1-4)",
        "question_field": "field mapping for hub ids / files other than the named sources",
        "answer_field": "field mapping for hub ids / files other than the named sources",
        "answer_extractor": "gsm8k_hash, last_boxed or as_is",
        "eval": "an optional in-training evaluation set: the same keys as data",
    },
    "eval": {
        "benchmarks": "benchmarks scored on the final checkpoint (names for python -m eval)",
        "template": "prompt template for evaluation (default: the training template)",
        "limit": "problems per benchmark",
        "max_new_tokens": "generation limit",
        "n": "samples per problem",
        "temperature": "sampling temperature (0: greedy)",
        "data_files": "NAME=PATH local copies of benchmarks",
        "levels": "difficulty levels to keep (arithmetic 1-4, MATH 1-5)",
    },
    "guard": {
        "min_entropy": "stop (or warn) when the policy's mean token entropy stays below this",
        "min_completion_length": "stop (or warn) when the mean completion length stays below this",
        "min_zero_std_share": "only then, and when at least this share of groups has no reward spread left",
        "patience": "consecutive logged steps below a limit before the guard acts",
        "action": "stop or warn",
    },
}
TOP_LEVEL = {"seed", "output_dir", "model", "data", "rewards", "trainer", "eval", "guard"}
REWARD_KEYS = {"name", "weight", "params"}

# What TRL 1.16 accepts (GRPOConfig only checks these deep inside training).
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")
SCALE_REWARDS = ("group", "batch", "none", True, False)


class RecipeError(ValueError):
    """An invalid recipe; the message says which entry and how to fix it."""


def _closest(name: str, options: Any) -> str:
    matches = difflib.get_close_matches(name, list(options), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"trainer.learning_rate=1e-6"`` -> ``(["trainer", "learning_rate"], 1e-06)``.

    >>> parse_override("trainer.learning_rate=1e-6")
    (['trainer', 'learning_rate'], 1e-06)
    >>> parse_override("data.levels=[1, 2]")
    (['data', 'levels'], [1, 2])
    >>> parse_override("model.name_or_path=Qwen/Qwen2.5-0.5B")
    (['model', 'name_or_path'], 'Qwen/Qwen2.5-0.5B')
    """
    if "=" not in text:
        raise RecipeError(
            f"override {text!r} must look like section.key=value (e.g. trainer.learning_rate=1e-6)"
        )
    key, value = text.split("=", 1)
    if not key or any(not part for part in key.split(".")):
        raise RecipeError(f"override {text!r} has an empty key")
    parsed = _coerce_numbers(yaml.safe_load(value)) if value.strip() else None
    return key.split("."), parsed


def _coerce_numbers(value: Any) -> Any:
    """YAML 1.1 reads ``1e-6`` as text; recipes mean numbers."""
    if isinstance(value, dict):
        return {k: _coerce_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce_numbers(v) for v in value]
    if isinstance(value, str):
        try:
            return float(value) if "e" in value.lower() and value.lower() not in ("e", "inf") else value
        except ValueError:
            return value
    return value


def load_recipe(path: str | Path, overrides: list[str] = ()) -> dict[str, Any]:
    """The recipe at ``path`` with ``overrides`` applied (not yet validated)."""
    path = Path(path)
    if not path.exists():
        shipped = sorted(p.name for p in Path(__file__).parent.glob("*.yaml"))
        raise RecipeError(f"recipe {str(path)!r} not found; shipped recipes: {', '.join(shipped)}")
    recipe = yaml.safe_load(path.read_text()) or {}
    if not isinstance(recipe, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of sections, got {type(recipe).__name__}")
    recipe = _coerce_numbers(recipe)
    for text in overrides:
        keys, value = parse_override(text)
        target = recipe
        for key in keys[:-1]:
            if not isinstance(target.setdefault(key, {}), dict):
                raise RecipeError(f"override {text!r}: {key!r} is not a section")
            target = target[key]
        target[keys[-1]] = value
    return recipe


def grpo_fields() -> dict[str, dataclasses.Field]:
    from trl import GRPOConfig

    return {f.name: f for f in dataclasses.fields(GRPOConfig) if f.init}


def nearest_valid_batches(batch: int, accumulation: int, processes: int, generations: int) -> str:
    """Suggestions for a batch that holds whole groups of ``generations`` completions."""
    options = []
    for b in range(max(1, batch - 8), batch + 9):
        if (b * accumulation * processes) % generations == 0:
            options.append(f"per_device_train_batch_size={b}")
            if len(options) == 2:
                break
    divisors = [g for g in range(2, generations + 9) if (batch * accumulation * processes) % g == 0]
    if divisors:
        nearest = min(divisors, key=lambda g: abs(g - generations))
        options.append(f"num_generations={nearest}")
    return " or ".join(options)


def validate(recipe: dict[str, Any], num_processes: int = 1) -> dict[str, Any]:
    """Check every entry; returns a copy with defaults filled in. Raises RecipeError listing all problems."""
    recipe = copy.deepcopy(recipe)
    problems: list[str] = []
    for key in recipe:
        if key not in TOP_LEVEL:
            problems.append(
                f"unknown top-level entry {key!r}{_closest(key, TOP_LEVEL)} (valid: {', '.join(sorted(TOP_LEVEL))})"
            )
    for section, known in SECTIONS.items():
        value = recipe.get(section) or {}
        if not isinstance(value, dict):
            problems.append(f"{section}: must be a mapping")
            continue
        for key in value:
            if key not in known:
                problems.append(
                    f"unknown entry {section}.{key}{_closest(key, known)} (valid: {', '.join(known)})"
                )
        recipe[section] = value

    if not recipe["model"].get("name_or_path"):
        problems.append("model.name_or_path is required (a hub id, a local folder, or 'tiny')")
    if not recipe["data"].get("name"):
        problems.append("data.name is required (e.g. gsm8k, math, arithmetic, or a local file)")
    template = recipe["data"].get("template")
    if template is not None:
        from data.templates import TEMPLATES

        if template not in TEMPLATES:
            problems.append(
                f"data.template {template!r} is unknown{_closest(template, TEMPLATES)} (valid: {', '.join(TEMPLATES)})"
            )

    problems += _validate_rewards(recipe)
    problems += _validate_trainer(recipe, num_processes)
    if problems:
        raise RecipeError("invalid recipe:\n  - " + "\n  - ".join(problems))
    recipe.setdefault("seed", 42)
    return recipe


def _validate_rewards(recipe: dict[str, Any]) -> list[str]:
    problems = []
    entries = recipe.get("rewards")
    if not entries or not isinstance(entries, list):
        return ["rewards: list at least one reward, e.g. [{name: accuracy}]"]
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entries[i] = entry = {"name": entry}
        if not isinstance(entry, dict) or "name" not in entry:
            problems.append(f"rewards[{i}]: each reward is {{name: ..., weight: ..., params: {{...}}}}")
            continue
        for key in entry:
            if key not in REWARD_KEYS:
                problems.append(f"rewards[{i}]: unknown entry {key!r}{_closest(key, REWARD_KEYS)}")
        name = entry["name"]
        if ":" in name:  # "package.module:function", a user's own reward
            try:
                resolve_reward_function(name)
            except (ImportError, AttributeError) as error:
                problems.append(f"rewards[{i}]: can't import {name!r}: {error}")
            continue
        if name not in rewards.REGISTRY:
            problems.append(
                f"rewards[{i}]: unknown reward {name!r}{_closest(name, rewards.REGISTRY)} (registered: {', '.join(rewards.REGISTRY)})"
            )
            continue
        params = entry.get("params") or {}
        allowed = rewards.reward_parameters(name)
        for key in params:
            if key not in allowed:
                problems.append(
                    f"rewards[{i}] ({name}): unknown parameter {key!r}{_closest(key, allowed)} (valid: {', '.join(allowed)})"
                )
        if not isinstance(entry.get("weight", 1.0), (int, float)):
            problems.append(f"rewards[{i}] ({name}): weight must be a number")
    return problems


def _validate_trainer(recipe: dict[str, Any], num_processes: int) -> list[str]:
    trainer = recipe.setdefault("trainer", {}) or {}
    recipe["trainer"] = trainer
    fields = grpo_fields()
    problems = []
    for key in trainer:
        if key not in fields:
            problems.append(
                f"unknown trainer entry {key!r}{_closest(key, fields)} (any field of trl.GRPOConfig)"
            )
    loss_type = trainer.get("loss_type", fields["loss_type"].default)
    if loss_type not in LOSS_TYPES:
        problems.append(f"trainer.loss_type {loss_type!r} is not one TRL accepts: {', '.join(LOSS_TYPES)}")
    scale = trainer.get("scale_rewards", fields["scale_rewards"].default)
    if scale not in SCALE_REWARDS:
        problems.append(
            f"trainer.scale_rewards {scale!r} is not one TRL accepts: group, batch, none, true, false"
        )
    if "reward_weights" in trainer:
        problems.append("set reward weights in the rewards section (weight: ...), not trainer.reward_weights")
    generations = int(trainer.get("num_generations", fields["num_generations"].default))
    batch = int(trainer.get("per_device_train_batch_size", fields["per_device_train_batch_size"].default))
    accumulation = int(trainer.get("steps_per_generation") or trainer.get("gradient_accumulation_steps", 1))
    if generations < 2:
        problems.append(
            f"trainer.num_generations={generations}: GRPO needs at least 2 completions per prompt"
        )
    elif (batch * accumulation * num_processes) % generations != 0 and "generation_batch_size" not in trainer:
        problems.append(
            f"per_device_train_batch_size ({batch}) x gradient_accumulation_steps ({accumulation}) x processes "
            f"({num_processes}) = {batch * accumulation * num_processes} completions is not divisible by "
            f"num_generations ({generations}); try {nearest_valid_batches(batch, accumulation, num_processes, generations)}"
        )
    return problems


def resolve_reward_function(name: str):
    """Import a user's reward given as ``"package.module:function"``."""
    module_name, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
