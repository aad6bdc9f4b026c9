"""A recipe checked before anything loads: ``parse_recipe`` builds the typed ``Recipe`` (recipes/schema.py,
with recipes/typecheck.py) and checks it against what it feeds: the model name, the data sources and their
files, the rewards and their parameters, TRL's ``GRPOConfig`` fields and ranges, the evaluation section.
Every problem is one line naming the entry and the fix; all of them are reported at once.

A recipe is code: a reward named ``package.module:function`` imports that module when the recipe is
checked, with whatever that import does.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import math
import typing
from pathlib import Path
from typing import Any

import data
import rewards
from recipes.schema import (
    DataSection,
    DataSource,
    EvalSection,
    ModelSection,
    Recipe,
    RecipeError,
    RewardEntry,
)
from recipes.typecheck import Invalid, build, closest, convert

logger = logging.getLogger("recipes")

DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")


# Trainer keys the runner owns: setting them in the trainer section would be silently overridden.
RUNNER_KEYS = {
    "output_dir": "set output_dir at the top level of the recipe",
    "seed": "set seed at the top level of the recipe",
    "reward_weights": "set each reward's weight in the rewards section",
}


# Ranges TRL only finds out about mid-training (or never): key -> (lowest, highest, lowest excluded).
TRAINER_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "learning_rate": (0, None, False),
    "per_device_train_batch_size": (1, None, False),
    "gradient_accumulation_steps": (1, None, False),
    "num_generations": (2, None, False),
    "max_completion_length": (1, None, False),
    "num_iterations": (1, None, False),
    "steps_per_generation": (1, None, False),
    "generation_batch_size": (1, None, False),
    "beta": (0, None, False),
    "temperature": (0, None, True),
    "top_p": (0, 1, True),
    "num_train_epochs": (0, None, True),
    "save_steps": (0, None, True),
    "logging_steps": (0, None, True),
    "epsilon": (0, None, True),
    "epsilon_high": (0, None, True),
    "warmup_ratio": (0, 1, False),
    "warmup_steps": (0, None, False),
    "weight_decay": (0, None, False),
    "adam_beta1": (0, 1, False),
    "adam_beta2": (0, 1, False),
    "max_grad_norm": (0, None, False),
}


NOT_NULL = {"num_generations", "max_completion_length", "learning_rate", "per_device_train_batch_size"}


LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")  # TRL 1.16


SCALE_REWARDS = ("group", "batch", "none", True, False)


INLINE_SOURCE_KEYS = tuple(f.name for f in dataclasses.fields(DataSource))
_SOURCE_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(DataSource) if f.default is not dataclasses.MISSING
}


def parse_recipe(raw: dict[str, Any], num_processes: int = 1) -> Recipe:
    """Check a recipe mapping against the schema and the libraries it feeds; raises RecipeError listing
    every problem, one per line."""
    problems: list[str] = []
    raw = dict(raw)
    if isinstance(raw.get("rewards"), list):  # "accuracy" is short for {name: accuracy}
        raw["rewards"] = [{"name": entry} if isinstance(entry, str) else entry for entry in raw["rewards"]]
    raw = _read_renamed_keys(raw, problems)
    inline = _fold_inline_source(raw, problems)
    try:
        recipe = build(Recipe, raw, "", problems)
    except Invalid:
        recipe = None
    if recipe is not None:
        problems += _check_model(recipe.model)
        problems += _check_data(recipe.data)
        problems += _check_rewards(recipe.rewards, required=recipe.trainer_type == "grpo")
        problems += _check_trainer(recipe.trainer, num_processes, recipe.trainer_type)
        problems += _check_method(recipe)
        if recipe.shared_prompt and recipe.model.attn_implementation not in (None, "sdpa", "eager"):
            problems.append(
                f"shared_prompt needs an attention implementation that takes a 4-D mask (sdpa or eager), not "
                f"model.attn_implementation={recipe.model.attn_implementation}; set shared_prompt: false"
            )
        if recipe.eval is not None:
            problems += _check_eval(recipe.eval)
        if recipe.dynamic_sampling is not None and num_processes > 1:
            problems.append(
                f"dynamic_sampling runs on one process, and this run has {num_processes} (a group's completions "
                "are spread over ranks, so whole groups can't be selected); remove the dynamic_sampling section "
                "or launch a single process"
            )
    if inline:  # problems of a source written inline are named as it was written: data.levels, not data.sources[0].levels
        problems = [
            p.replace("data.sources[0].", "data.").replace("data.sources[0]", "data") for p in problems
        ]
    if problems:
        raise RecipeError("\n".join(dict.fromkeys(problems)))
    return recipe


def _read_renamed_keys(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Keys renamed since: the paper section was ``source:`` (and a departure's ``paper:`` its ``source:``);
    both are still read, and the rename is said once."""
    if "source" in raw:
        if "paper" in raw:
            problems.append("source: is the old name of paper:; keep one of them (paper:)")
            return raw
        logger.warning("the recipe's source: section is now called paper: (read as paper:; rename it)")
        raw["paper"] = raw.pop("source")
    paper = raw.get("paper")
    if isinstance(paper, dict) and isinstance(paper.get("departures"), list):
        departures = []
        for entry in paper["departures"]:
            if isinstance(entry, dict) and "source" in entry and "paper" not in entry:
                entry = {("paper" if key == "source" else key): value for key, value in entry.items()}
            departures.append(entry)
        raw["paper"] = {**paper, "departures": departures}
    return raw


def _fold_inline_source(raw: dict[str, Any], problems: list[str]) -> bool:
    """A single source written inline (``data: {name: gsm8k, split: train, template: ...}``) is the one entry of
    ``data.sources``; returns whether it was inline."""
    section = raw.get("data")
    if not isinstance(section, dict):
        return False
    valid = [*INLINE_SOURCE_KEYS, *(f.name for f in dataclasses.fields(DataSection))]
    for key in [key for key in section if key not in valid]:  # named against both, then left out
        problems.append(f"unknown entry data.{key}{closest(key, valid)} (valid: {', '.join(valid)})")
    section = {key: value for key, value in section.items() if key in valid}
    raw["data"] = section
    written = {key: section[key] for key in INLINE_SOURCE_KEYS if key in section}
    if section.get("sources") is not None:
        raw["data"] = {key: value for key, value in section.items() if key not in written}
        beside = [key for key, value in written.items() if value != _SOURCE_DEFAULTS.get(key)]
        if beside:  # keys left at their defaults beside the list say nothing
            problems.append(
                f"data: with data.sources, set {', '.join(beside)} inside each source, not beside the list"
            )
        return False
    inline = written
    if not inline:
        return False
    raw["data"] = {
        **{key: value for key, value in section.items() if key not in inline},
        "sources": [inline],
    }
    return True


def _looks_like_file(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


def _check_model(model: ModelSection) -> list[str]:
    from data.hub import model_problem

    problem = None if model.name_or_path == "tiny" else model_problem(model.name_or_path)
    return [f"model.name_or_path: {problem}"] if problem else []


def _check_source(source: DataSource, where: str) -> list[str]:
    problems = []
    name = source.name
    named = name in data.SOURCES or name == "arithmetic"
    if not named:
        if _looks_like_file(name) and not Path(name).exists():
            problems.append(f"{where}.name: file {name!r} does not exist")
        elif not _looks_like_file(name) and "/" not in name:
            problems.append(
                f"{where}.name {name!r} is not a named source{closest(name, [*data.SOURCES, 'arithmetic'])} "
                f"({', '.join([*data.SOURCES, 'arithmetic'])}), a local file or a hub id (owner/name)"
            )
        elif not source.question_field or not source.answer_field:
            problems.append(
                f"{where}: {name!r} is not a named source, so give its fields: question_field and answer_field"
            )
    elif name in data.SOURCES and source.split not in data.SOURCES[name].splits:
        problems.append(
            f"{where}.split {source.split!r}: {name} has splits {', '.join(data.SOURCES[name].splits)}"
        )
    elif name == "arithmetic" and source.split not in ("train", "test"):
        problems.append(f"{where}.split {source.split!r}: arithmetic has splits train, test")
    if source.levels is not None and not problems:
        try:
            data.check_levels(name, source.levels)
        except data.DataError as error:
            problems.append(f"{where}.levels: {error}")
    for path in _files(source.data_files, source.split):
        if not Path(path).exists():
            problems.append(f"{where}.data_files: {path!r} does not exist")
    if isinstance(source.data_files, dict) and source.split not in source.data_files and name != "math":
        problems.append(
            f"{where}.data_files has no entry for split {source.split!r} (it has {', '.join(source.data_files)})"
        )
    return problems


def _files(data_files: Any, split: str) -> list[str]:
    if data_files is None:
        return []
    if isinstance(data_files, dict):
        return [p for value in data_files.values() for p in ([value] if isinstance(value, str) else value)]
    return [data_files] if isinstance(data_files, str) else list(data_files)


def _check_data(section: DataSection) -> list[str]:
    problems = []
    if not section.sources:
        problems.append(
            "data.name is required (e.g. gsm8k, math, arithmetic, or a local file), or list data.sources"
        )
    for i, source in enumerate(section.sources or []):
        problems += _check_source(source, f"data.sources[{i}]")
        if source in section.sources[:i]:
            first = section.sources.index(source)
            problems.append(
                f"data.sources[{i}] is the same source as data.sources[{first}] (the run would keep its rows "
                "once); remove one, or give it another split, levels or limit"
            )
    if section.pass_rate is not None:
        rates = section.pass_rate
        try:
            data.read_pass_rates(rates.file)
        except data.DataError as error:
            problems.append(str(error))
        if rates.min > rates.max:
            problems.append(f"data.pass_rate: min ({rates.min}) is above max ({rates.max})")
    if section.template is None:
        problems.append(
            f"data.template is required: it turns each question into the prompt (one of {', '.join(data.TEMPLATES)})"
        )
    elif section.template not in data.TEMPLATES:
        problems.append(
            f"data.template {section.template!r} is unknown{closest(section.template, data.TEMPLATES)} (valid: {', '.join(data.TEMPLATES)})"
        )
    return problems


def resolve_reward_function(name: str) -> typing.Callable:
    """Import a user's reward given as ``"package.module:function"`` (this runs that module's code)."""
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise RecipeError(f"reward {name!r}: write package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise RecipeError(
            f"reward {name!r}: no module {error.name!r} (run from the repository root, or put it on PYTHONPATH)"
        ) from None
    except Exception as error:  # noqa: BLE001 - the user's module failed while importing
        raise RecipeError(
            f"reward {name!r}: importing {module_name} failed: {type(error).__name__}: {error}"
        ) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise RecipeError(
            f"reward {name!r}: {module_name} has no function {attribute!r}{closest(attribute, dir(module))}"
        )
    return function


def _check_method(recipe: Recipe) -> list[str]:
    """What goes with what: SFT trains on completions (no sampling hooks); online RFT needs the accuracy
    reward to say which completions are right, and replaces the advantages dynamic sampling selects on."""
    problems = []
    if recipe.trainer_type == "sft":
        for key in ("online_rft", "shared_prompt", "dynamic_sampling"):
            if getattr(recipe, key):
                problems.append(
                    f"{key} is a GRPO option; remove it (trainer_type: sft trains on the data's completions)"
                )
    if recipe.online_rft and recipe.trainer_type == "grpo":  # SFT: removing it is the one fix (above)
        if not any(entry.name == "accuracy" for entry in recipe.rewards):
            problems.append(
                "online_rft trains on the completions the accuracy reward pays: add {name: accuracy} to rewards"
            )
        if recipe.dynamic_sampling is not None:
            problems.append("online_rft and dynamic_sampling both decide which completions train; keep one")
    if recipe.trainer_type == "grpo" and recipe.data.completion_field is not None:
        problems.append(
            "data.completion_field is for trainer_type: sft (GRPO samples its own completions); remove it"
        )
    return problems


def _check_rewards(entries: list[RewardEntry], required: bool = True) -> list[str]:
    if not entries:
        return ["rewards: list at least one reward, e.g. [{name: accuracy}]"] if required else []
    problems = []
    for i, entry in enumerate(entries):
        where = f"rewards[{i}] ({entry.name})"
        if not math.isfinite(entry.weight):
            problems.append(f"{where}.weight must be a finite number, got {entry.weight!r}")
        if ":" in entry.name:
            try:
                function = resolve_reward_function(entry.name)
            except RecipeError as error:
                problems.append(f"rewards[{i}]: {error}")
                continue
            problems += _check_signature(function, entry.params, where)
            problems += _check_param_types(function, entry.params, i)
            continue
        if entry.name not in rewards.REGISTRY:
            problems.append(
                f"rewards[{i}]: unknown reward {entry.name!r}{closest(entry.name, rewards.REGISTRY)} (registered: {', '.join(rewards.REGISTRY)})"
            )
            continue
        allowed = rewards.reward_parameters(entry.name)
        for key in entry.params:
            if key not in allowed:
                problems.append(
                    f"{where}: unknown parameter {key!r}{closest(key, allowed)} (valid: {', '.join(allowed)})"
                )
        problems += _check_param_types(rewards.REGISTRY[entry.name], entry.params, i)
    return problems


def _check_param_types(function: typing.Callable, params: dict[str, Any], index: int) -> list[str]:
    """Each parameter against the function's annotation (``zero_if_truncated: "no"`` is text, not false);
    converted in place where the schema converts (a whole number for a float)."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - annotations that don't resolve: the dry run's call checks the values
        return []
    problems: list[str] = []
    for key, value in params.items():
        if key in hints:
            try:
                params[key] = convert(hints[key], value, f"rewards[{index}].params.{key}", problems)
            except Invalid:
                continue
    return problems


def _check_signature(function: typing.Callable, params: dict[str, Any], where: str) -> list[str]:
    """A user's reward must take TRL's call: completions plus **kwargs (TRL passes every column)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    kinds = {p.kind for p in signature.parameters.values()}
    problems = []
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(
            f"{where}: the function must accept **kwargs (TRL passes prompts, completions and every column)"
        )
    if "completions" not in signature.parameters and inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(f"{where}: the function must take a completions argument")
    unknown = [k for k in params if k not in signature.parameters]
    if unknown and inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(f"{where}: unknown parameter(s) {unknown}")
    return problems


def config_class(trainer_type: str = "grpo") -> type:
    """The TRL config a recipe's trainer section fills: GRPOConfig, or SFTConfig for ``trainer_type: sft``."""
    from trl import GRPOConfig, SFTConfig

    return SFTConfig if trainer_type == "sft" else GRPOConfig


def grpo_fields(trainer_type: str = "grpo") -> dict[str, dataclasses.Field]:
    """The fields of the recipe's TRL config (GRPOConfig, or SFTConfig for SFT recipes)."""
    return {f.name: f for f in dataclasses.fields(config_class(trainer_type)) if f.init}


def _grpo_hints(trainer_type: str = "grpo") -> dict[str, Any]:
    try:
        return typing.get_type_hints(config_class(trainer_type))
    except Exception:  # noqa: BLE001 - a hint that doesn't resolve is checked by TRL itself
        return {}


def _check_trainer(trainer: dict[str, Any], num_processes: int, trainer_type: str = "grpo") -> list[str]:
    fields, hints = grpo_fields(trainer_type), _grpo_hints(trainer_type)
    config_name = config_class(trainer_type).__name__
    problems: list[str] = []
    for key, value in trainer.items():
        if key in RUNNER_KEYS:
            problems.append(f"trainer.{key}: {RUNNER_KEYS[key]}")
            continue
        if key not in fields:
            # a GRPO key in an SFT recipe (num_generations) is named as one, not matched to num_train_epochs
            if trainer_type == "sft" and key in grpo_fields("grpo"):
                problems.append(
                    f"trainer.{key} is a GRPO option, not a field of trl.SFTConfig; remove it "
                    "(trainer_type: sft trains on the data's completions)"
                )
                continue
            problems.append(
                f"unknown entry trainer.{key}{closest(key, fields)} (any field of trl.{config_name})"
            )
            continue
        if value is None and key in NOT_NULL:
            problems.append(f"trainer.{key} can't be null (TRL default: {fields[key].default!r})")
            continue
        if (
            key == "use_vllm" and value == "auto"
        ):  # the runner decides: vLLM when installed and a GPU is present
            continue
        if key in hints:
            try:
                trainer[key] = value = convert(hints[key], value, f"trainer.{key}", problems)
            except Invalid:
                continue
        if key in TRAINER_RANGES and isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high, low_excluded = TRAINER_RANGES[key]
            if low is not None and (value < low or (low_excluded and value == low)):
                problems.append(
                    f"trainer.{key} must be {'above' if low_excluded else 'at least'} {low}, got {value!r}"
                )
            elif high is not None and value > high:
                problems.append(f"trainer.{key} must be at most {high}, got {value!r}")
    max_steps = trainer.get("max_steps")
    if isinstance(max_steps, int) and not isinstance(max_steps, bool) and (max_steps == 0 or max_steps < -1):
        problems.append(
            f"trainer.max_steps must be -1 (use num_train_epochs) or a positive number, got {max_steps}"
        )
    if trainer_type == "sft":  # SFTConfig takes any text; SFTTrainer refuses it once the model has loaded
        loss_type, accepted = trainer.get("loss_type"), fields["loss_type"].metadata.get("choices") or []
        if loss_type is not None and accepted and loss_type not in accepted:
            problems.append(
                f"trainer.loss_type {loss_type!r} is not one trl.SFTConfig accepts: {', '.join(accepted)}"
            )
        return problems
    loss_type = trainer.get("loss_type", fields["loss_type"].default)
    if loss_type not in LOSS_TYPES:
        problems.append(
            f"trainer.loss_type {loss_type!r} is not one TRL accepts: {', '.join(LOSS_TYPES)}{closest(loss_type, LOSS_TYPES)}"
        )
    scale = trainer.get("scale_rewards", fields["scale_rewards"].default)
    if scale not in SCALE_REWARDS:
        problems.append(
            f"trainer.scale_rewards {scale!r} is not one TRL accepts: group, batch, none, true, false"
        )
    if problems:
        return problems
    generations = trainer.get("num_generations", fields["num_generations"].default)
    batch = trainer.get("per_device_train_batch_size", fields["per_device_train_batch_size"].default)
    # TRL generates per_device_train_batch_size x processes x steps_per_generation completions at a time
    # (steps_per_generation defaults to gradient_accumulation_steps)
    factor = "steps_per_generation" if trainer.get("steps_per_generation") else "gradient_accumulation_steps"
    accumulation = trainer.get("steps_per_generation") or trainer.get("gradient_accumulation_steps", 1)
    if (batch * accumulation * num_processes) % generations != 0 and "generation_batch_size" not in trainer:
        problems.append(
            f"per_device_train_batch_size ({batch}) x {factor} ({accumulation}) x processes "
            f"({num_processes}) = {batch * accumulation * num_processes} completions is not divisible by "
            f"num_generations ({generations}); try {nearest_valid_batches(batch, accumulation, num_processes, generations)}"
        )
    return problems


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


def _check_eval(section: EvalSection) -> list[str]:
    problems = []
    known = [*data.SOURCES, "arithmetic"]
    if not section.benchmarks:
        problems.append("eval.benchmarks: list at least one benchmark, e.g. [gsm8k]")
    for name in section.benchmarks:
        if name not in known:
            problems.append(
                f"eval.benchmarks: unknown benchmark {name!r}{closest(name, known)} (known: {', '.join(known)})"
            )
        elif section.levels is not None:
            try:
                data.check_levels(name, section.levels)
            except data.DataError as error:
                problems.append(f"eval.levels: {error}")
    if section.template is not None and section.template not in data.TEMPLATES:
        problems.append(
            f"eval.template {section.template!r} is unknown{closest(section.template, data.TEMPLATES)} (valid: {', '.join(data.TEMPLATES)})"
        )
    if section.n > 1 and section.temperature == 0:
        problems.append(
            f"eval.n is {section.n} with temperature 0: {section.n} identical greedy samples; set eval.temperature (e.g. 0.6)"
        )
    for name, path in section.data_files.items():
        if name not in section.benchmarks:
            problems.append(
                f"eval.data_files.{name}: not one of eval.benchmarks ({', '.join(section.benchmarks)})"
            )
        elif not Path(path).exists():
            problems.append(f"eval.data_files.{name}: {path!r} does not exist")
    return problems
