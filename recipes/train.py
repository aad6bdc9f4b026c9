"""Run a recipe: ``python -m recipes.train recipes/<recipe>.yaml [section.key=value ...] [--dry-run]``.

The GRPO loop is TRL's ``GRPOTrainer``; this file turns a recipe into a correct, reproducible run: check
everything before a model loads (``--dry-run`` stops there and prints the resolved run), pick the
precision from the hardware, record what is needed to rerun the experiment, resume from the last complete
checkpoint when rerun (a run that finished training is evaluated, not trained again), and stop cleanly
when told.

Exit codes: 0 finished; 2 a bad input, a reward that returned infinity, or a full disk (one line says which
and how to fix it); 130 / 143 stopped by Ctrl-C / SIGTERM (after saving a checkpoint when the current step
finished within ``--grace`` seconds; during the final evaluation, at once: the rerun finishes it).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.metadata
import inspect
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

import data
import rewards
from data.files import (
    FileError,
    read_jsonl,
    repair_jsonl,
    storage_failure,
    write_atomic,
    write_json,
    write_problem,
)
from recipes.callbacks import TRUNCATION_RULE
from recipes.config import (
    Recipe,
    RecipeError,
    grpo_fields,
    list_keys,
    load_recipe,
    parse_recipe,
    resolve_reward_function,
)
from recipes.precision import Precision, precision_policy, rounding_warning
from recipes.reward_check import PROMPTS, check_rewards
from rewards.extract import EXTRACTION_MODES

logger = logging.getLogger("recipes.train")

PACKAGES = ("torch", "trl", "transformers", "datasets", "accelerate", "peft", "math-verify")
DEFAULT_GRACE_S = 600.0


BEFORE_TRAINING = "before training started; nothing was written"


class Interrupted(BaseException):
    """A stop signal arrived outside training steps; the run exits at once with 128 + signal. ``stage``
    says what that left behind (before training: nothing). (A BaseException, like KeyboardInterrupt, so
    that no library's ``except Exception`` swallows it.)"""

    def __init__(self, signum: int, stage: str = BEFORE_TRAINING):
        super().__init__(signal.Signals(signum).name)
        self.signum, self.stage = signum, stage


# --- resolving a recipe (loads nothing heavy; shared by --dry-run and the run) -------------------------


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


def grpo_arguments(recipe: Recipe, recipe_path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """GRPOConfig keyword arguments: the trainer section, plus what the runner decides (returned
    separately, key -> why, so that the dry run can show it)."""
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
    inject("reward_weights", [entry.weight for entry in recipe.rewards], "the rewards' weights", True)
    precision = run_precision(recipe)
    if precision.use_cpu:
        # TRL's bf16 default fails without a GPU; use_cpu also gives real multi-process CPU runs (gloo).
        inject("use_cpu", True, "no GPU")
    inject("bf16", precision.bf16, f"precision policy: {precision.describe()}")
    if args.get("use_vllm") == "auto":
        import importlib.util

        vllm = not precision.use_cpu and importlib.util.find_spec("vllm") is not None
        inject("use_vllm", vllm, "use_vllm: auto", True)
    stops = stop_strings(recipe)
    if stops:
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


def build_grpo_config(recipe: Recipe, recipe_path: str):
    """The real ``trl.GRPOConfig``, so that TRL's own checks run before anything loads."""
    from trl import GRPOConfig

    args, injected = grpo_arguments(recipe, recipe_path)
    try:
        config = GRPOConfig(**args)
    except (TypeError, ValueError) as error:
        message = " ".join(str(error).split())
        raise RecipeError(f"trl.GRPOConfig rejected the trainer section: {message}") from None
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


def reward_functions(recipe: Recipe) -> list:
    """The recipe's rewards with their parameters bound (``recipes.reward_check`` calls them on a batch
    like the run's before the model loads)."""
    functions = []
    for entry, params in zip(recipe.rewards, bound_reward_params(recipe), strict=True):
        if ":" in entry.name:
            function = resolve_reward_function(entry.name)
            if params:
                import functools

                bound = functools.partial(function, **params)
                functools.update_wrapper(bound, function)
                function = bound
        else:
            function = rewards.get(entry.name, **params)
        functions.append(function)
    return functions


# report_to names whose package is named otherwise (`make setup-tracking` installs wandb and trackio)
TRACKER_PACKAGES = {"azure_ml": "azureml-core", "flyte": "flytekit flytekitplugins-deck-standard"}


def check_integrations(config: Any) -> None:
    """Trackers and the Hub push fail at start, with the fix, not after the model loaded: each report_to
    name must be one transformers knows (its spelling exactly) and usable here."""
    from transformers.integrations import integration_utils as integrations

    from data.hub import hub_reachable, offline_mode

    known = integrations.INTEGRATION_TO_CALLBACK
    usable = set(integrations.get_available_reporting_integrations())
    if integrations.is_azureml_available():  # listed only without mlflow, usable either way
        usable.add("azure_ml")
    if integrations.is_flyte_deck_standard_available():  # never listed as available
        usable.add("flyte")
    for name in config.report_to or []:
        if name not in known:
            matches = difflib.get_close_matches(name.lower(), list(known), n=2, cutoff=0.5)
            hint = f"; did you mean {', '.join(matches)}?" if matches else ""
            raise RecipeError(
                f"trainer.report_to {name!r} is not a tracker transformers knows{hint} (known: {', '.join(known)}; "
                "[] for none)"
            )
        if name not in usable:
            why = (
                "needs KUBEFLOW_TRAINER_SERVER_URL set"
                if name == "kubeflow"
                else "is not installed or not configured"
            )
            raise RecipeError(
                f"trainer.report_to {name!r} {why}: make setup-tracking (wandb, trackio) or pip install "
                f"{TRACKER_PACKAGES.get(name, name)}; or remove it from trainer.report_to"
            )
    if config.push_to_hub and (offline_mode() or not hub_reachable()):
        raise RecipeError(
            "trainer.push_to_hub needs the Hugging Face Hub, which can't be reached from here; set "
            "trainer.push_to_hub=false (the model card is written to final/README.md either way)"
        )


def run_warnings(recipe: Recipe, config: Any) -> list[str]:
    """What would make the run do less than it seems to, without being an error: the dry run prints these,
    the run logs them."""
    from rewards.format import ANSWER_FORMATS, example_completion, format_reads, has_format

    warnings = []
    every = recipe.eval.every_steps if recipe.eval is not None else None
    if every and config.max_steps > 0 and every > config.max_steps:
        warnings.append(
            f"eval.every_steps={every} is more than trainer.max_steps={config.max_steps}: no evaluation runs "
            "during training (only the final one); lower eval.every_steps"
        )
    template = data.get_template(recipe.data.template)
    follows_template = example_completion(template.answer_format, "17", template.think_prefilled)
    asks = f"template {template.name} asks for the {template.answer_format} format"
    for i, (entry, params) in enumerate(zip(recipe.rewards, bound_reward_params(recipe), strict=True)):
        where = f"rewards[{i}] ({entry.name})"
        # (a value no reward accepts is check_rewards' error, not a warning)
        if (
            entry.name == "accuracy"
            and params.get("grader", "repository") == "repository"  # a source's grader reads its own way
            and params["extract"] in EXTRACTION_MODES
            and not format_reads(params["extract"], template.answer_format, template.think_prefilled)
        ):
            readers = [
                m
                for m in EXTRACTION_MODES
                if format_reads(m, template.answer_format, template.think_prefilled)
            ]
            warnings.append(
                f"{where} reads answers with extract={params['extract']}, but {asks}: a completion that follows "
                f"the template earns no accuracy; use extract {' or '.join(readers)}"
            )
        gates = {"format": "answer_format", "accuracy": "require_format"}
        required = params.get(gates.get(entry.name, ""))
        prefilled = params.get("think_prefilled", False)
        if required in ANSWER_FORMATS and not has_format(follows_template, required, prefilled):
            warnings.append(
                f"{where} requires the {required} format (think_prefilled={prefilled}), "
                f"but {asks} (think_prefilled={template.think_prefilled}): a completion that follows the template "
                f"scores 0; set {gates[entry.name]}: {template.answer_format} or drop it to use the template's"
            )
        if ":" in entry.name:
            warnings += _swallowed_params(resolve_reward_function(entry.name), entry.params, where)
    if recipe.eval is not None:
        eval_template = data.get_template(recipe.eval.template or recipe.data.template)
        extract = evaluation_grader(recipe)["extract"]
        if not format_reads(extract, eval_template.answer_format, eval_template.think_prefilled):
            warnings.append(
                f"evaluation reads answers with extract={extract}, but template {eval_template.name} asks for the "
                f"{eval_template.answer_format} format: every problem would score 0; set eval.extract (or eval.template)"
            )
    rounding = rounding_warning(run_precision(recipe), config.learning_rate)
    return warnings + ([rounding] if rounding else [])


def _swallowed_params(function: Any, params: dict[str, Any], where: str) -> list[str]:
    """A user's reward with **kwargs accepts any parameter name, a misspelt one too, and ignores it."""
    try:
        named = [
            name
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        ]
    except (TypeError, ValueError):
        return []
    warnings = []
    for key in params:
        if key not in named:
            matches = difflib.get_close_matches(key, named, n=2, cutoff=0.5)
            hint = f"; did you mean {', '.join(matches)}?" if matches else ""
            warnings.append(
                f"{where}.params.{key}: the function names no parameter {key!r}, so it lands in **kwargs and may be "
                f"ignored{hint} (its parameters: {', '.join(named)})"
            )
    return warnings


def check_output_dir(output_dir: Path) -> None:
    """The run can make and write its output folder (not a file, not under a file, not read-only): it
    fails here, and not when its first checkpoint is written."""
    if output_dir.exists() and not output_dir.is_dir():
        raise RecipeError(
            f"output_dir {output_dir} is a file; set output_dir to a folder (e.g. {output_dir}_run)"
        )
    problem = write_problem(output_dir)
    if problem:
        raise RecipeError(
            f"output_dir {output_dir}: {problem}; set output_dir to a writable folder, or make that one writable"
        )


def resolve(recipe_path: str, overrides: list[str]) -> tuple[Recipe, Any, dict[str, str]]:
    """Check the recipe, build its GRPOConfig, and check the trackers, the output folder and the evaluation's
    data and folders (cheap: no model is loaded). The rewards are called once the training rows are known
    (``check_rewards``, in the dry run and in the run)."""
    recipe = parse_recipe(load_recipe(recipe_path, overrides), num_processes=num_processes())
    config, injected = build_grpo_config(recipe, recipe_path)
    check_integrations(config)
    check_output_dir(Path(config.output_dir))
    prompts_per_step = config.generation_batch_size // config.num_generations
    if prompts_per_step < 1:
        raise RecipeError(
            f"a generation batch of {config.generation_batch_size} completions holds no whole group of "
            f"{config.num_generations}; raise per_device_train_batch_size or lower num_generations"
        )
    if recipe.eval is not None:
        check_evaluation_data(recipe)
        check_evaluation_folders(recipe, Path(config.output_dir))
    return recipe, config, injected


def check_evaluation_data(recipe: Recipe) -> None:
    """Local evaluation benchmarks hold problems to score: found now, not after training."""
    section = recipe.eval
    for name in section.benchmarks:
        files = section.data_files.get(name)
        if files is None and name != "arithmetic":
            continue  # from the Hub, loaded when the evaluation runs
        if len(data.load(name, split="test", data_files=files, limit=1, levels=section.levels)) == 0:
            raise RecipeError(
                f"eval.data_files.{name}: {files} holds no problem with a usable gold answer"
                f"{' at eval.levels ' + str(section.levels) if section.levels else ''} (the warning above counts "
                "the rows dropped); fix the file's answer field"
            )


def check_evaluation_folders(recipe: Recipe, output_dir: Path) -> None:
    """A rerun into ``output_dir`` evaluates as this recipe says: an evaluation folder made with other
    settings (another eval.max_new_tokens, template, ...) is refused now, not after training."""
    from eval.run import EvalError, evaluation_settings, settings_conflict

    folders = [(output_dir / "eval", str(output_dir / "final"), recipe.eval.limit)]
    during = output_dir / "eval_during_training"
    for folder in sorted(during.glob("step-*")) if during.is_dir() else []:
        step = folder.name.removeprefix("step-")
        if step.isdigit():
            folders.append((folder, f"step {int(step)}", recipe.eval.during_training_limit))
    for folder, model, limit in folders:
        try:
            changed = settings_conflict(folder, evaluation_settings(model, **eval_settings(recipe, limit)))
        except (EvalError, FileError) as error:
            raise RecipeError(str(error)) from None
        if changed:
            top = folder if folder.parent == output_dir else during
            raise RecipeError(
                f"{folder} holds an evaluation made with other settings ({changed}); delete {top} to evaluate "
                f"with this recipe's eval section (the trained model stays), or set output_dir to a new folder"
            )


# --- data -------------------------------------------------------------------------------------------------


def _load_arguments(source: Any, seed: int) -> dict[str, Any]:
    args = {key: value for key, value in dataclasses.asdict(source).items() if value is not None}
    args["name_or_path"] = args.pop("name")
    args["seed"] = source.seed if source.seed is not None else seed  # a generated set's own seed, if given
    return args


def load_training_data(recipe: Recipe, report: dict[str, Any] | None = None):
    """The training set: every source, the template, decontaminated against the eval benchmarks, filtered
    by pass rate. ``report``, when given, receives what decontamination and the filter removed."""
    report = {} if report is None else report
    sources = [_load_arguments(source, recipe.seed) for source in recipe.data.source_list()]
    dataset = data.load_mixture(sources, template=recipe.data.template)
    report["rows"] = len(dataset)
    if recipe.data.decontaminate and recipe.eval is not None:
        held_out = {}
        for name in recipe.eval.benchmarks:
            try:
                held_out[name] = data.load(name, split="test", data_files=recipe.eval.data_files.get(name))
            except data.DataError as error:
                logger.warning(
                    "could not check training data against %s (%s); not decontaminated", name, error
                )
        dataset, removed = data.overlap(dataset, held_out)
        report["decontamination"] = removed
        logger.info("decontamination against %s: %s training problems removed", ", ".join(held_out), removed)
    if recipe.data.pass_rate is not None:
        rates = recipe.data.pass_rate
        pass_rates = data.read_pass_rates(rates.file)
        before = len(dataset)
        dataset, counts = data.filter_by_pass_rate(dataset, pass_rates, rates.min, rates.max, rates.missing)
        report["pass_rate_filter"] = {**counts, "of": before}
        logger.info("pass-rate filter [%s, %s] (%s): %s", rates.min, rates.max, rates.file, counts)
        if before and counts["unmeasured"] == before:
            example = next(iter(pass_rates))
            raise RecipeError(
                f"data.pass_rate.file {rates.file}: none of its {len(pass_rates)} problem ids is one of the "
                f"{before} training problems (its ids look like {example!r}); measure this training data's pass "
                "rates: python -m eval --benchmarks ... --split train --n 8"
            )
    return dataset


def prompt_tokens(tokenizer: Any, prompt: Any, limit: int) -> int:
    """Tokens in a prompt as the model sees it, counted exactly up to ``limit``: a megabyte-long prompt is
    known to be too long after tokenizing a prefix, not all of it."""
    from eval.generate import render_prompt

    text = render_prompt(tokenizer, prompt)
    prefix = text[: limit * 16]
    count = len(tokenizer(prefix, add_special_tokens=False)["input_ids"])
    if count > limit or len(prefix) == len(text):
        return count
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def drop_long_prompts(dataset, tokenizer: Any, recipe: Recipe):
    limit = recipe.data.max_prompt_tokens
    if len(dataset) == 0:
        return dataset
    too_long = [
        i for i, prompt in enumerate(dataset["prompt"]) if prompt_tokens(tokenizer, prompt, limit) > limit
    ]
    if not too_long:
        return dataset
    if recipe.data.long_prompts == "fail":
        raise RecipeError(
            f"{len(too_long)} of {len(dataset)} prompts are longer than data.max_prompt_tokens={limit} "
            f"(first: row {too_long[0]}, id {dataset[too_long[0]]['id']}); raise the limit or set data.long_prompts=drop"
        )
    logger.warning(
        "dropped %d of %d prompts longer than data.max_prompt_tokens=%d (ids %s%s)",
        len(too_long),
        len(dataset),
        limit,
        [dataset[i]["id"] for i in too_long[:5]],
        "..." if len(too_long) > 5 else "",
    )
    dropped = set(too_long)
    return dataset.select([i for i in range(len(dataset)) if i not in dropped])


def require_enough_rows(dataset, config: Any, where: str, report: dict[str, Any] | None = None) -> None:
    """A run that can't make one step fails here, naming the count, instead of 'finishing' untrained; when
    the pass-rate filter removed the rows, the message blames the filter (``report``: load_training_data's)."""
    needed = config.generation_batch_size // config.num_generations
    if len(dataset) >= needed:
        return
    counts = (report or {}).get("pass_rate_filter")
    if counts and counts["kept"] < needed:
        raise RecipeError(
            f"{where}: the pass-rate filter kept {counts['kept']} of {counts['of']} training problems "
            f"({counts['too_hard']} below data.pass_rate.min, {counts['too_easy']} above data.pass_rate.max, "
            f"{counts['unmeasured']} without a rate), but one step samples {needed} distinct prompts; widen "
            "data.pass_rate.min / max, set data.pass_rate.missing=keep, or check the pass-rate file"
        )
    raise RecipeError(
        f"{where}: {len(dataset)} usable training problems, but one step samples {needed} distinct prompts "
        f"({config.generation_batch_size} completions / num_generations {config.num_generations}); add data "
        "or lower per_device_train_batch_size"
    )


# --- models ----------------------------------------------------------------------------------------------


def require_model_available(name: str) -> None:
    """Fail in seconds when a hub model can't be had: not local, no network, not in the cache."""
    from data.hub import model_available

    if name != "tiny" and not model_available(name):
        raise RecipeError(
            f"model {name!r} is not a local folder, the Hugging Face Hub can't be reached, and it is not in the "
            "local cache. Pass a local copy: model.name_or_path=/path/to/model. No network at all? `make demo` "
            "trains a model that ships with this repository, offline."
        )


def load_model(recipe: Recipe, output_dir: Path):
    """(model, tokenizer) for ``model.name_or_path``."""
    import torch
    from transformers import AutoModelForCausalLM

    section = recipe.model
    name = section.name_or_path
    dtype = getattr(
        torch, run_precision(recipe).weights
    )  # fp32 master weights unless the recipe says otherwise
    if name == "tiny":
        # Built in memory on every rank from the same seed (identical weights, no file race); the main
        # process keeps a copy of the initial weights for comparison.
        from recipes.tiny_model import build_tiny_model

        model, tokenizer = build_tiny_model(seed=recipe.seed)
        if is_main_process() and not (output_dir / "tiny-model-init").exists():
            model.save_pretrained(output_dir / "tiny-model-init")
            tokenizer.save_pretrained(output_dir / "tiny-model-init")
        return model.to(dtype), tokenizer
    kwargs: dict[str, Any] = {"dtype": dtype}
    if section.attn_implementation:
        kwargs["attn_implementation"] = section.attn_implementation
    from data.hub import checkpoint_errors, unreadable_model

    try:
        model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    except checkpoint_errors() as error:  # a damaged or incomplete checkpoint: one line naming it
        raise RecipeError(f"model.name_or_path {unreadable_model(name, error)}") from None
    tokenizer = load_tokenizer(name)
    if section.freeze_embeddings:
        model.get_input_embeddings().requires_grad_(False)
    return model, tokenizer


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    if name == "tiny":
        from recipes.tiny_model import build_tokenizer

        return build_tokenizer()
    tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def end_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """The ids that end a completion (EOS of the tokenizer and the generation config, and padding)."""
    ids = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids.update(configured if isinstance(configured, list) else [configured])
    return {i for i in ids if isinstance(i, int)}


def generate_with_stop_strings(model: Any, tokenizer: Any) -> None:
    """transformers matches ``stop_strings`` against decoded text, so ``generate`` needs the tokenizer, which
    TRL's transformers path doesn't pass: this model's ``generate`` gets it by default. (PEFT and DDP
    wrappers call the inner model's ``generate``, so the default reaches them too.)"""
    import functools

    model.generate = functools.partial(type(model).generate, model, tokenizer=tokenizer)


def peft_config(recipe: Recipe):
    lora = recipe.model.lora
    if lora is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def parameter_checksum(model) -> str:
    """A hash of every parameter: equal across ranks after a correct data-parallel run."""
    import hashlib

    digest = hashlib.sha256()
    for name, parameter in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(parameter.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


# --- checkpoints and run files ------------------------------------------------------------------------------


def last_complete_checkpoint(output_dir: Path) -> Path | None:
    """The newest ``checkpoint-N`` whose ``trainer_state.json`` is whole. The Trainer writes that file
    last, so a checkpoint cut off by a kill or a full disk lacks it (or holds half of it): it is skipped
    with a warning, and the previous one is used."""
    if not output_dir.is_dir():
        return None
    checkpoints = []
    for path in output_dir.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if path.is_dir() and suffix.isdigit():
            checkpoints.append((int(suffix), path))
    for _, path in sorted(checkpoints, reverse=True):
        state = path / "trainer_state.json"
        try:
            json.loads(state.read_text())
            return path
        except (OSError, ValueError):
            logger.warning("%s is incomplete (no readable trainer_state.json); skipping it", path)
    return None


def trim_completions(path: Path, last_step: int) -> None:
    """Completions logged after the checkpoint a run resumes from are redone: drop them, so each step
    appears once (also a line torn by the kill)."""
    if not path.exists():
        return
    repair_jsonl(path)
    rows = read_jsonl(path, "delete it to start the log over")
    kept = [row for row in rows if row.get("step", 0) <= last_step]
    if len(kept) != len(rows):
        write_atomic(path, "".join(json.dumps(row, default=str) + "\n" for row in kept))
        logger.info(
            "completions.jsonl: dropped %d rows logged after step %d", len(rows) - len(kept), last_step
        )


def run_info(recipe: Recipe, argv: list[str]) -> dict[str, Any]:
    """What is needed to rerun this experiment: versions, commit, seed, command."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {
        "command": argv,
        "seed": recipe.seed,
        "precision": dataclasses.asdict(run_precision(recipe)),
        "git_commit": commit,
        "git_dirty": dirty,
        "versions": versions,
        "python": sys.version.split()[0],
    }


def recipe_as_dict(recipe: Recipe) -> dict[str, Any]:
    return dataclasses.asdict(recipe)


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors in what people read
        return True


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


# --- signals -------------------------------------------------------------------------------------------------


class StopSignals:
    """Ctrl-C / SIGTERM. Before training: stop at once. During training: the current step finishes and a
    checkpoint is written, then the run exits with 128 + signal; a step that doesn't finish within
    ``grace_s``, or a second signal, exits at once (the previous checkpoint stands). After training (the
    final evaluation): stop at once; ``stage`` says so, and that a rerun only finishes the evaluation."""

    def __init__(self, grace_s: float = DEFAULT_GRACE_S):
        self.grace_s = grace_s
        self.received: int | None = None
        self.training = False
        self.stage = BEFORE_TRAINING  # what a stop outside training steps leaves behind
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            logger.warning("second %s: exiting now, without a checkpoint", name)
            _exit_now(128 + signum)
            return
        self.received = signum
        if not self.training:
            raise Interrupted(signum, self.stage)
        logger.warning(
            "received %s: saving a checkpoint after this step, then stopping (a second signal exits at once)",
            name,
        )
        timer = threading.Timer(self.grace_s, self._give_up, args=(signum,))
        timer.daemon = True
        timer.start()

    def _give_up(self, signum: int) -> None:
        logger.warning(
            "the current step did not finish within %.0f s of the signal; exiting without a checkpoint",
            self.grace_s,
        )
        _exit_now(128 + signum)

    def callback(self):
        from transformers import TrainerCallback

        signals = self

        class CheckpointOnSignal(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if signals.received is not None:
                    control.should_save = True
                    control.should_training_stop = True
                return control

        return CheckpointOnSignal()


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- the run -------------------------------------------------------------------------------------------------


def train(
    recipe_path: str,
    overrides: list[str] = (),
    argv: list[str] | None = None,
    signals: StopSignals | None = None,
) -> dict[str, Any]:
    """Run the recipe; returns a summary (output dir, steps, final metrics, guard verdict). A run that
    finished training in ``output_dir`` before (the same recipe, its eval section aside) is not trained
    again: its final model is evaluated and described."""
    recipe, config, _ = resolve(recipe_path, list(overrides))
    output_dir = Path(config.output_dir)
    for warning in run_warnings(recipe, config):
        logger.warning("%s", warning)
    signals = signals or StopSignals()
    finished = finished_summary(recipe, output_dir)
    if finished is not None:
        logger.info(
            "%s finished training before (step %s): evaluating and describing %s only (delete it to train again)",
            output_dir,
            finished.get("global_step"),
            finished["final_model"],
        )
        return finish(recipe, recipe_path, config, finished, argv, signals) if is_main_process() else finished
    require_model_available(recipe.model.name_or_path)  # before minutes of data loading
    tokenizer = load_tokenizer(recipe.model.name_or_path)
    logger.info("preparing data: %s", ", ".join(source.name for source in recipe.data.source_list()))
    report: dict[str, Any] = {}
    train_set = load_training_data(recipe, report)
    functions = reward_functions(recipe)
    check_rewards(recipe, config, functions, train_set.select(range(min(len(train_set), PROMPTS))).to_list())
    train_set = drop_long_prompts(train_set, tokenizer, recipe)
    require_enough_rows(train_set, config, recipe_path, report)

    output_dir.mkdir(parents=True, exist_ok=True)
    resume_from = last_complete_checkpoint(output_dir)
    main_process = is_main_process()
    signals.stage = (
        f"before training started; rerun the same command to {'resume' if resume_from else 'start'} it"
    )
    if main_process:
        saved = output_dir / "recipe.yaml"
        resolved = recipe_as_dict(recipe)
        if resume_from and saved.exists():
            try:
                previous = yaml.safe_load(saved.read_text())
            except yaml.YAMLError:
                previous = None
            if previous != resolved:
                logger.warning(
                    "%s holds a run of a different recipe; resuming it with the new settings", output_dir
                )
        write_atomic(saved, dump_yaml(resolved))
        write_json(output_dir / "run_info.json", run_info(recipe, argv or sys.argv))
        if resume_from:
            state = json.loads((resume_from / "trainer_state.json").read_text())
            trim_completions(output_dir / "completions.jsonl", int(state.get("global_step", 0)))
        else:
            (output_dir / "completions.jsonl").unlink(missing_ok=True)

    from recipes.callbacks import CollapseGuard, CompletionRecorder, plot_curves
    from recipes.trainer import RecipeGRPOTrainer

    model, tokenizer = load_model(recipe, output_dir)
    recorder = CompletionRecorder(
        output_dir / "completions.jsonl" if main_process else None,
        end_token_ids=end_token_ids(model, tokenizer),
        max_completion_length=config.max_completion_length,
        stop=stop_strings(recipe),
    )
    if not config.use_vllm and (config.generation_kwargs or {}).get("stop_strings"):
        generate_with_stop_strings(model, tokenizer)
    callbacks = [signals.callback()]
    guard = None
    if recipe.guard is not None:
        guard = CollapseGuard(**dataclasses.asdict(recipe.guard))
        callbacks.append(guard)
    if recipe.eval is not None and recipe.eval.every_steps:
        from recipes.callbacks import EvaluateDuringTraining

        if config.fsdp or config.deepspeed:  # sharded weights: one rank can't generate alone
            logger.warning(
                "eval.every_steps is skipped with FSDP / DeepSpeed: the final evaluation still runs"
            )
        else:
            callbacks.append(
                EvaluateDuringTraining(
                    recipe.eval.every_steps,
                    eval_settings(recipe, recipe.eval.during_training_limit),
                    output_dir / "eval_during_training",
                    tokenizer,
                    main_process,
                )
            )
    trainer_class, extra = RecipeGRPOTrainer, {"shared_prompt": recipe.shared_prompt}
    if recipe.dynamic_sampling is not None:
        from recipes.dynamic_sampling import DynamicSamplingGRPOTrainer

        trainer_class = DynamicSamplingGRPOTrainer
        extra["max_rounds"] = recipe.dynamic_sampling.max_rounds
    trainer = trainer_class(
        **extra,
        model=model,
        reward_funcs=recorder.wrap(functions),
        args=config,
        train_dataset=train_set,
        processing_class=tokenizer,
        peft_config=peft_config(recipe),
        callbacks=callbacks,
    )
    if config.fsdp and trainer.accelerator.distributed_type.value != "FSDP":
        # accelerate 1.15 turns FSDP on only for multi-accelerator runs (state.py: MULTI_GPU, ...); on CPU
        # ranks it keeps MULTI_CPU, i.e. plain data parallelism, and says nothing.
        logger.warning(
            "trainer.fsdp is set but accelerate runs %s: FSDP needs accelerators, so this run is plain data "
            "parallel (every rank holds the whole model)",
            trainer.accelerator.distributed_type.value,
        )
    if resume_from:
        logger.info("resuming from %s", resume_from)
    signals.training = True
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except BaseException:
        print(file=sys.stderr)  # the progress bar's line is left open: the error starts on its own line
        raise
    finally:
        signals.training = False
        signals.stage = "after training, while saving the final model; rerun the same command to resume from the last checkpoint"
    interrupted = signals.received is not None
    trained = trainer.state.global_step > 0
    if not interrupted and trained:
        trainer.save_model(str(output_dir / "final"))
        if main_process:
            tokenizer.save_pretrained(str(output_dir / "final"))
    curves = plot_curves(trainer.state.log_history, output_dir / "curves.png") if main_process else None
    if main_process:
        write_json(output_dir / "log_history.json", trainer.state.log_history)
    summary = {
        "output_dir": str(output_dir),
        "parameter_checksum": parameter_checksum(trainer.model),
        "distributed": f"{trainer.accelerator.distributed_type.value} x {trainer.accelerator.num_processes}",
        "global_step": trainer.state.global_step,
        "resumed_from": str(resume_from) if resume_from else None,
        "interrupted": signal.Signals(signals.received).name if interrupted else None,
        "guard": guard.tripped if guard else None,
        "time_budget": guard.timed_out if guard else None,
        "final_model": str(output_dir / "final") if not interrupted and trained else None,
        "curves": str(curves) if curves else None,
        "last_log": next((e for e in reversed(trainer.state.log_history) if "reward" in e), {}),
    }
    write_json(summary_file(output_dir), summary)
    if not trained and not interrupted:
        raise RecipeError(
            f"the run made no training step (global_step 0); nothing was saved as {output_dir / 'final'}"
        )
    if summary["final_model"] and main_process:
        return finish(recipe, recipe_path, config, summary, argv, signals)
    return summary


def summary_file(output_dir: Path) -> Path:
    """This process's summary: ``summary.json``, or one per rank in a multi-process run."""
    rank = int(os.environ.get("RANK", "0"))
    return output_dir / ("summary.json" if num_processes() == 1 else f"summary-rank{rank}.json")


def finished_summary(recipe: Recipe, output_dir: Path) -> dict[str, Any] | None:
    """The summary of a run of this recipe that finished training in ``output_dir`` (its final model saved,
    not interrupted), or None. The eval section may differ: a rerun with another evaluation protocol
    evaluates the same model, while any other change trains (resuming from the last checkpoint)."""
    path, saved = summary_file(output_dir), output_dir / "recipe.yaml"
    if not path.exists() or not saved.exists() or not (output_dir / "final" / "config.json").exists():
        return None
    try:
        summary = json.loads(path.read_text())
        previous = yaml.safe_load(saved.read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(summary, dict) or not isinstance(previous, dict):
        return None
    if not summary.get("final_model") or summary.get("interrupted"):
        return None
    resolved = recipe_as_dict(recipe)
    same = {k: v for k, v in previous.items() if k != "eval"} == {
        k: v for k, v in resolved.items() if k != "eval"
    }
    return summary if same else None


def finish(
    recipe: Recipe,
    recipe_path: str,
    config: Any,
    summary: dict[str, Any],
    argv: list[str] | None,
    signals: StopSignals,
) -> dict[str, Any]:
    """After training, on the main process: the final evaluation, the model card and the Hub push. A stop
    signal here ends the run at once; training is done and is not redone by the rerun that finishes this."""
    output_dir = Path(config.output_dir)
    final = output_dir / "final"
    signals.stage = (
        f"after training finished (the model is saved in {final}), during its final evaluation; rerun the same "
        "command to finish the evaluation (training is not repeated)"
    )
    write_atomic(
        output_dir / "recipe.yaml", dump_yaml(recipe_as_dict(recipe))
    )  # with the eval section run now
    if recipe.eval is not None:
        logger.info("final evaluation of %s on %s", final, ", ".join(recipe.eval.benchmarks))
    summary["eval"] = evaluate_final(recipe, final) if recipe.eval is not None else None
    from recipes.model_card import model_card, push

    card = model_card(
        recipe,
        recipe_path,
        summary,
        run_info(recipe, argv or sys.argv),
        summary["eval"],
        bound_reward_params(recipe),
    )
    write_atomic(final / "README.md", card)
    if config.push_to_hub:
        repo_id = config.hub_model_id or config.run_name
        summary["pushed_to"] = push(final, repo_id, config.hub_private_repo)
        logger.info("pushed %s to %s", final, summary["pushed_to"])
    write_json(summary_file(output_dir), summary)
    return summary


def eval_settings(recipe: Recipe, limit: int | None) -> dict[str, Any]:
    """``eval.run.evaluate``'s arguments for the recipe's evaluation protocol (final and during training)."""
    section = recipe.eval
    return {
        "benchmarks": section.benchmarks,
        "template": section.template or recipe.data.template or "qwen_math_cot",
        "n": section.n,
        "temperature": section.temperature,
        "top_p": section.top_p,
        "max_new_tokens": section.max_new_tokens,
        "limit": limit,
        "data_files": section.data_files,
        "levels": section.levels,
        "seed": recipe.seed,
        "grader": evaluation_grader(recipe),
    }


def evaluate_final(recipe: Recipe, model_path: Path) -> dict[str, Any]:
    """Score the final checkpoint on the recipe's benchmarks with ``python -m eval``'s code."""
    from eval.run import evaluate

    return evaluate(
        str(model_path), out=model_path.parent / "eval", **eval_settings(recipe, recipe.eval.limit)
    )


def training_grader(recipe: Recipe) -> dict[str, Any]:
    """The grading parameters of the recipe's accuracy reward (the defaults when it has none)."""
    from eval.grade import grader_params

    for entry, params in zip(recipe.rewards, bound_reward_params(recipe), strict=True):
        if entry.name == "accuracy":
            return grader_params(params)
    return grader_params(None)


def evaluation_grader(recipe: Recipe) -> dict[str, Any]:
    """How evaluation grades: as training rewarded, except where the eval section states the protocol of
    the published numbers (Dr. GRPO zeroes cut-off answers in training, not in evaluation)."""
    grader = training_grader(recipe)
    if recipe.eval is not None:
        for key in ("extract", "zero_if_truncated"):
            if getattr(recipe.eval, key) is not None:
                grader[key] = getattr(recipe.eval, key)
    return grader


# --- the dry run -------------------------------------------------------------------------------------------


def is_local(source: Any) -> bool:
    """A source the dry run can load: generated, or from local files (not the Hub)."""
    return source.name == "arithmetic" or source.data_files is not None or Path(source.name).exists()


def describe_data(recipe: Recipe) -> dict[str, Any]:
    """What the data section resolves to; local sources are loaded (no model needed) and counted."""
    described: dict[str, Any] = {"sources": []}
    for source in recipe.data.source_list():
        entry = {key: value for key, value in dataclasses.asdict(source).items() if value is not None}
        if is_local(source):
            dataset = data.load(**_load_arguments(source, recipe.seed))
            entry["rows"] = len(dataset)
            if "level" in dataset.column_names:
                entry["rows_per_level"] = {
                    str(k): list(dataset["level"]).count(k) for k in sorted(set(dataset["level"]) - {None})
                }
        else:
            entry["rows"] = "from the Hugging Face Hub (counted when the run loads it)"
        described["sources"].append(entry)
    described["template"] = recipe.data.template
    described["prompts"] = f"longer than {recipe.data.max_prompt_tokens} tokens: {recipe.data.long_prompts}"
    if recipe.data.decontaminate and recipe.eval is not None:
        described["decontaminated_against"] = recipe.eval.benchmarks
    return described


def describe_batches(config: Any) -> dict[str, Any]:
    """The arithmetic of one rollout: prompts, completions, optimizer updates."""
    processes = num_processes()
    per_update = config.per_device_train_batch_size * processes * config.gradient_accumulation_steps
    generation = config.generation_batch_size
    updates = (config.steps_per_generation // config.gradient_accumulation_steps) * config.num_iterations
    return {
        "processes": processes,
        "rollout": f"{generation // config.num_generations} prompts x {config.num_generations} completions = {generation} completions",
        "optimizer update": f"{per_update} completions ({config.per_device_train_batch_size} per device x {processes} x {config.gradient_accumulation_steps} accumulation)",
        "updates per rollout": f"{updates} (steps_per_generation {config.steps_per_generation} / accumulation {config.gradient_accumulation_steps} x num_iterations {config.num_iterations})",
    }


def describe_config(recipe: Recipe, config: Any, injected: dict[str, str]) -> dict[str, Any]:
    fields = grpo_fields()

    def plain(value: Any) -> Any:
        value = getattr(value, "value", value)
        return value if isinstance(value, (int, float, str, bool, list, dict, type(None))) else str(value)

    from_recipe = {key: plain(getattr(config, key)) for key in recipe.trainer}
    from_runner = {f"{key} ({why})": plain(getattr(config, key)) for key, why in injected.items()}
    defaults = {
        key: plain(getattr(config, key))
        for key in sorted(fields)
        if key not in recipe.trainer and key not in injected and not key.startswith(("hub_", "push_to_hub"))
    }
    return {"set by the recipe": from_recipe, "set by the runner": from_runner, "TRL 1.16 defaults": defaults}


def dry_run(recipe_path: str, overrides: list[str]) -> None:
    """Every check the run makes before its model loads, then the resolved run. Local data is prepared as
    the run prepares it (decontamination, the pass-rate filter; not the long-prompt drop, which needs the
    tokenizer), and the rewards are called on its first rows (on canned rows for Hub data)."""
    recipe, config, injected = resolve(recipe_path, overrides)
    described = describe_data(recipe)
    rows = None
    if all(is_local(source) for source in recipe.data.source_list()):
        report: dict[str, Any] = {}
        train_set = load_training_data(recipe, report)
        require_enough_rows(train_set, config, recipe_path, report)
        described["training problems"] = {
            "rows": report["rows"],
            **{key: report[key] for key in ("decontamination", "pass_rate_filter") if key in report},
            "kept": len(train_set),
        }
        rows = train_set.select(range(min(len(train_set), PROMPTS))).to_list()
    check_rewards(recipe, config, reward_functions(recipe), rows)
    rewards_described = [
        {"name": entry.name, "weight": entry.weight, "params": params}
        for entry, params in zip(recipe.rewards, bound_reward_params(recipe), strict=True)
    ]
    resolved = {
        "model": dataclasses.asdict(recipe.model),
        "data": described,
        "rewards": rewards_described,
        "batches": describe_batches(config),
        "precision": run_precision(recipe).describe(),
        "generation": {"stop": list(stop_strings(recipe)), "truncated": TRUNCATION_RULE},
        "eval": dataclasses.asdict(recipe.eval) if recipe.eval else None,
        "guard": dataclasses.asdict(recipe.guard) if recipe.guard else None,
        "GRPOConfig": describe_config(recipe, config, injected),
    }
    print(dump_yaml(resolved))
    for warning in run_warnings(recipe, config):
        print(f"warning: {warning}")
    print()
    if recipe.source is not None:
        from recipes.provenance import compare, problems, table

        rows = compare(recipe, config, bound_reward_params(recipe), evaluation_grader(recipe))
        print(f"source: {recipe.source.title} (batch arithmetic on {recipe.source.gpus} GPU(s))\n")
        print(table(rows) + "\n")
        for departure in recipe.source.departures:
            print(
                f"- departs on {departure.setting}: source {departure.source}; here {departure.here}. Why: {departure.why}. Effect: {departure.effect}"
            )
        for problem in problems(rows):
            print(f"warning: {problem}")
        print()
    print(
        f"ok: {recipe_path} is valid (on {num_processes()} process(es): {config.generation_batch_size} completions "
        f"per generation batch = {config.generation_batch_size // config.num_generations} prompts x "
        f"{config.num_generations} generations; precision: {run_precision(recipe).describe()})"
    )


# --- command line ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None, keep_signal_handlers: bool = False) -> int:
    """The command line; ``keep_signal_handlers``: leave Ctrl-C / SIGTERM handling on until the process
    exits (the CLI does, so that a second signal while the checkpoint is written still exits at once)."""
    from data.cli import ArgumentParser, non_negative_float
    from eval.run import EvalError

    parser = ArgumentParser(
        prog="python -m recipes.train",
        description=__doc__.split("\n\n")[0],
        epilog="Every recipe key, with its help: python -m recipes.train --list-keys",
    )
    parser.add_argument("recipe", nargs="?", help="a YAML recipe, e.g. recipes/smoke.yaml")
    parser.add_argument("overrides", nargs="*", help="section.key=value entries that override the recipe")
    parser.add_argument(
        "--dry-run", action="store_true", help="check everything and print the resolved run; load no model"
    )
    parser.add_argument(
        "--list-keys", action="store_true", help="print every recipe key with its type, default and help"
    )
    parser.add_argument(
        "--grace",
        type=non_negative_float,
        default=DEFAULT_GRACE_S,
        metavar="SECONDS",
        help=f"after Ctrl-C / SIGTERM, how long the current step may take to finish and checkpoint (default {DEFAULT_GRACE_S:.0f})",
    )
    args = parser.parse_intermixed_args(argv)  # --dry-run may come before or after the overrides
    if args.list_keys:
        print(list_keys())
        return 0
    if args.recipe is None:
        parser.error("give a recipe, e.g. python -m recipes.train recipes/smoke.yaml (or --list-keys)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signals = StopSignals(grace_s=args.grace)
    signals.install()
    try:
        if args.dry_run:
            dry_run(args.recipe, args.overrides)
            return 0
        summary = train(args.recipe, args.overrides, argv=sys.argv, signals=signals)
    except Interrupted as stop:
        # after training a progress bar (the evaluation's) may hold the line: start a fresh one
        fresh_line = "" if stop.stage == BEFORE_TRAINING else "\n"
        print(f"{fresh_line}stopped by {stop} {stop.stage}", file=sys.stderr)
        return 128 + stop.signum
    except (RecipeError, data.DataError, FileError, EvalError) as error:
        lines = str(error).splitlines() or [type(error).__name__]
        for line in lines:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except Exception as error:
        failure = storage_failure(error)  # a full disk is no bug: one line, and the rerun resumes
        if failure is None:
            raise
        print(
            f"error: {failure}; free space (or fix the folder), then rerun the same command: it resumes from the "
            "last complete checkpoint",
            file=sys.stderr,
        )
        return 2
    finally:
        if not keep_signal_handlers:
            signals.uninstall()
    print(json.dumps(summary, indent=2, default=str))
    if summary["interrupted"]:
        print(
            f"stopped by {summary['interrupted']} at step {summary['global_step']}; rerun the same command to resume",
            file=sys.stderr,
        )
        return 128 + signal.Signals[summary["interrupted"]].value
    return 0


if __name__ == "__main__":
    sys.exit(main(keep_signal_handlers=True))
