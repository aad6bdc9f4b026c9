"""A recipe resolved once: ``resolve_run`` reads and checks the recipe and builds what the run is made of (the
real ``GRPOConfig``, so that TRL's own checks run; the precision; the stop strings; every reward with its
parameters bound; how training and evaluation grade; the batch arithmetic) into one frozen ``ResolvedRun``,
which the dry run, the trainer, the final evaluation and the model card all read. Nothing heavy loads here,
and nothing is worked out twice.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import data
import rewards
from recipes.checks import config_class, grpo_fields, parse_recipe, resolve_reward_function
from recipes.precision import Precision, precision_policy
from recipes.recipe_yaml import load_recipe
from recipes.schema import Recipe, RecipeError


@dataclass(frozen=True)
class ResolvedRun:
    """Everything a run of a recipe is made of, worked out once (``resolve_run``)."""

    recipe_path: str
    recipe: Recipe
    config: Any  # the trl.GRPOConfig
    injected: dict[str, str]  # GRPOConfig keys the runner set, and why (the dry run shows them)
    precision: Precision
    stop: tuple[str, ...]  # the texts that end a training completion (the template's)
    reward_params: tuple[dict[str, Any], ...]  # each reward's bound parameters, in the recipe's order
    rewards: tuple[Callable, ...]  # the reward functions with those parameters bound
    training_grader: dict[str, Any]  # the accuracy reward's grading parameters
    evaluation_grader: dict[str, Any]  # how evaluation grades: as training, unless the eval section says
    batches: dict[str, int]  # the batch arithmetic on this run's processes (batch_arithmetic)

    @property
    def output_dir(self) -> Path:
        return Path(self.config.output_dir)

    def eval_settings(self, limit: int | None) -> dict[str, Any]:
        """``eval.run.evaluate``'s arguments for the recipe's evaluation protocol (final and during training)."""
        section = self.recipe.eval
        return {
            "benchmarks": section.benchmarks,
            "template": section.template or self.recipe.data.template or "qwen_math_cot",
            "n": section.n,
            "temperature": section.temperature,
            "top_p": section.top_p,
            "max_new_tokens": section.max_new_tokens,
            "limit": limit,
            "data_files": section.data_files,
            "levels": section.levels,
            "seed": self.recipe.seed,
            "grader": self.evaluation_grader,
        }


def resolve_run(recipe_path: str, overrides: list[str] | tuple[str, ...] = ()) -> ResolvedRun:
    """Check the recipe and resolve it (cheap: no model, no data). Raises RecipeError naming every problem."""
    recipe = parse_recipe(load_recipe(recipe_path, list(overrides)), num_processes=num_processes())
    precision = run_precision(recipe)
    stop = stop_strings(recipe)
    config, injected = build_grpo_config(recipe, recipe_path, precision, stop)
    params = bound_reward_params(recipe)
    training = training_grader(recipe, params)
    batches = batch_arithmetic(config, num_processes())
    if batches.get("prompts_per_rollout", 1) < 1:
        raise RecipeError(
            f"a generation batch of {config.generation_batch_size} completions holds no whole group of "
            f"{config.num_generations}; raise per_device_train_batch_size or lower num_generations"
        )
    return ResolvedRun(
        recipe_path=recipe_path,
        recipe=recipe,
        config=config,
        injected=injected,
        precision=precision,
        stop=stop,
        reward_params=tuple(params),
        rewards=tuple(reward_functions(recipe, params)),
        training_grader=training,
        evaluation_grader=evaluation_grader(recipe, training),
        batches=batches,
    )


def num_processes() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def detect_hardware() -> str:
    """``cpu``, ``gpu`` (no bf16) or ``gpu-bf16``: what the precision policy decides from."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    return "gpu-bf16" if torch.cuda.is_bf16_supported() else "gpu"


def run_precision(recipe: Recipe) -> Precision:
    """The run's precision (recipes/precision.py); a recipe's own ``trainer.bf16`` decides the compute."""
    precision = precision_policy(recipe.model.dtype, recipe.model.lora is not None, detect_hardware())
    if isinstance(recipe.trainer.get("bf16"), bool):
        chosen = recipe.trainer["bf16"]
        precision = dataclasses.replace(precision, bf16=chosen, compute="bf16 autocast" if chosen else "fp32")
    return precision


def stop_strings(recipe: Recipe) -> tuple[str, ...]:
    """The texts that end a training completion: the template's (as its source generates)."""
    return data.get_template(recipe.data.template).stop if recipe.data.template in data.TEMPLATES else ()


def grpo_arguments(
    recipe: Recipe, recipe_path: str, precision: Precision, stops: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """GRPOConfig (SFTConfig) keyword arguments: the trainer section, plus what the runner decides
    (returned separately, key -> why, so that the dry run can show it)."""
    grpo = recipe.trainer_type == "grpo"
    args = dict(recipe.trainer)
    injected: dict[str, str] = {}

    def inject(key: str, value: Any, why: str, override: bool = False) -> None:
        if override or key not in args:
            args[key] = value
            injected[key] = why

    inject(
        "output_dir",
        recipe.output_dir or f"outputs/{Path(recipe_path).stem}",
        "the recipe's output_dir",
        True,
    )
    inject("seed", recipe.seed, "the recipe's seed", True)
    if grpo:
        inject("reward_weights", [entry.weight for entry in recipe.rewards], "the rewards' weights", True)
    if precision.use_cpu:
        # TRL's bf16 default fails without a GPU; use_cpu also gives real multi-process CPU runs (gloo).
        inject("use_cpu", True, "no GPU")
    inject("bf16", precision.bf16, f"precision policy: {precision.describe()}")
    if grpo and args.get("use_vllm") == "auto":
        import importlib.util

        vllm = not precision.use_cpu and importlib.util.find_spec("vllm") is not None
        inject("use_vllm", vllm, "use_vllm: auto", True)
    if grpo and stops:
        # vLLM takes `stop` (kept in the output, as the sources keep it); transformers takes `stop_strings`
        # (and the tokenizer, which the runner hands to generate: see generate_with_stop_strings).
        kwargs = dict(args.get("generation_kwargs") or {})
        if args.get("use_vllm") is True:
            kwargs["stop"] = list(dict.fromkeys([*(kwargs.get("stop") or []), *stops]))
            kwargs.setdefault("include_stop_str_in_output", True)
        else:
            kwargs["stop_strings"] = list(dict.fromkeys([*(kwargs.get("stop_strings") or []), *stops]))
        inject("generation_kwargs", kwargs, f"the template's stop strings ({recipe.data.template})", True)
    inject("report_to", ["tensorboard"], "runner default")
    inject("logging_steps", 1, "runner default")
    inject("run_name", Path(str(args["output_dir"])).name, "the output folder's name")
    return args, injected


def build_grpo_config(recipe: Recipe, recipe_path: str, precision: Precision, stops: tuple[str, ...]):
    """The real ``trl.GRPOConfig`` (``SFTConfig`` for an SFT recipe), so that TRL's own checks run before
    anything loads."""
    config_type = config_class(recipe.trainer_type)
    args, injected = grpo_arguments(recipe, recipe_path, precision, stops)
    try:
        config = config_type(**args)
    except (TypeError, ValueError) as error:
        message = " ".join(str(error).split())
        raise RecipeError(f"trl.{config_type.__name__} rejected the trainer section: {message}") from None
    return config, injected


def bound_reward_params(recipe: Recipe) -> list[dict[str, Any]]:
    """Each reward's parameters as they will be bound: the recipe's, the template's, then the defaults."""
    template = recipe.data.template
    resolved = []
    for entry in recipe.rewards:
        params = dict(entry.params)
        if ":" not in entry.name:
            allowed = rewards.reward_parameters(entry.name)
            if entry.name == "soft_overlong":  # the limit the trainer actually generates to
                default = grpo_fields()["max_completion_length"].default
                params.setdefault("max_completion_len", recipe.trainer.get("max_completion_length", default))
            if entry.name in ("format", "tag_count") and template is not None:
                for key, value in data.get_template(template).reward_params.items():
                    if key in allowed:
                        params.setdefault(key, value)
            signature = inspect.signature(rewards.REGISTRY[entry.name])
            for key in allowed:
                default = signature.parameters[key].default
                if default is not inspect.Parameter.empty:
                    params.setdefault(key, default)
        resolved.append(params)
    return resolved


def reward_functions(recipe: Recipe, bound: list[dict[str, Any]]) -> list[Callable]:
    """The recipe's rewards with their ``bound`` parameters (``recipes.reward_check`` calls them on a batch
    like the run's before the model loads)."""
    functions = []
    for entry, params in zip(recipe.rewards, bound, strict=True):
        if ":" in entry.name:
            function = resolve_reward_function(entry.name)
            if params:
                bound_function = functools.partial(function, **params)
                functools.update_wrapper(bound_function, function)
                function = bound_function
        else:
            function = rewards.get(entry.name, **params)
        functions.append(function)
    return functions


def training_grader(recipe: Recipe, bound: list[dict[str, Any]]) -> dict[str, Any]:
    """The grading parameters of the recipe's accuracy reward (the defaults when it has none)."""
    from eval.grade import grader_params

    for i, (entry, params) in enumerate(zip(recipe.rewards, bound, strict=True)):
        if entry.name == "accuracy":
            try:
                return grader_params(params)
            except ValueError as error:  # a value the reward itself refuses, said as the reward check says it
                raise RecipeError(f"rewards[{i}] ({entry.name}) raised ValueError: {error}") from None
    return grader_params(None)


def evaluation_grader(recipe: Recipe, training: dict[str, Any]) -> dict[str, Any]:
    """How evaluation grades: as training rewarded, except where the eval section states the protocol of
    the published numbers (Dr. GRPO zeroes cut-off answers in training, not in evaluation)."""
    grader = dict(training)
    if recipe.eval is not None:
        for key in ("extract", "zero_if_truncated"):
            if getattr(recipe.eval, key) is not None:
                grader[key] = getattr(recipe.eval, key)
    return grader


def batch_arithmetic(config: Any, processes: int) -> dict[str, int]:
    """Prompts and completions per rollout and per optimizer update, and updates per rollout, on ``processes``
    processes (GPUs). TRL generates ``per_device_train_batch_size x processes x steps_per_generation``
    completions at a time and takes an optimizer step every ``gradient_accumulation_steps`` micro-batches;
    ``num_iterations`` reuses each rollout. An SFT config has no rollouts: its completions per update only."""
    per_update = config.per_device_train_batch_size * processes * config.gradient_accumulation_steps
    if not hasattr(config, "num_generations"):
        return {"processes": processes, "completions_per_update": per_update}
    per_rollout = config.per_device_train_batch_size * processes * config.steps_per_generation
    return {
        "processes": processes,
        "prompts_per_rollout": per_rollout // config.num_generations,
        "completions_per_rollout": per_rollout,
        "completions_per_update": per_update,
        "updates_per_rollout": config.steps_per_generation
        // config.gradient_accumulation_steps
        * config.num_iterations,
    }
