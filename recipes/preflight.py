"""Checks that need more than the recipe: the trackers named in ``report_to`` (known and installed), the Hub
for ``push_to_hub``, the output folder (writable), the evaluation's local data (problems to score) and its
folders (made with the same settings), and the warnings: settings that would make a run do less than it
seems to without being errors. The dry run and the run call these before a model loads.
"""

from __future__ import annotations

import difflib
import inspect
from pathlib import Path
from typing import Any

import data
from data.files import FileError, write_problem
from recipes.checks import resolve_reward_function
from recipes.precision import rounding_warning
from recipes.resolve import ResolvedRun
from recipes.schema import Recipe, RecipeError
from rewards.extract import EXTRACTION_MODES

# report_to names whose package is named otherwise (`make setup-tracking` installs wandb and trackio)
TRACKER_PACKAGES = {"azure_ml": "azureml-core", "flyte": "flytekit flytekitplugins-deck-standard"}


def preflight(run: ResolvedRun) -> None:
    """The checks a run needs before its model loads, besides the recipe's own (recipes/checks.py)."""
    check_integrations(run.config)
    check_output_dir(run.output_dir)
    if run.recipe.eval is not None:
        check_evaluation_data(run.recipe)
        check_evaluation_folders(run)


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


def run_warnings(run: ResolvedRun) -> list[str]:
    """What would make the run do less than it seems to, without being an error: the dry run prints these,
    the run logs them."""
    from rewards.format import ANSWER_FORMATS, example_completion, format_reads, has_format

    recipe, config = run.recipe, run.config
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
    for i, (entry, params) in enumerate(zip(recipe.rewards, run.reward_params, strict=True)):
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
        extract = run.evaluation_grader["extract"]
        if not format_reads(extract, eval_template.answer_format, eval_template.think_prefilled):
            warnings.append(
                f"evaluation reads answers with extract={extract}, but template {eval_template.name} asks for the "
                f"{eval_template.answer_format} format: every problem would score 0; set eval.extract (or eval.template)"
            )
    rounding = rounding_warning(run.precision, config.learning_rate)
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


def check_evaluation_folders(run: ResolvedRun) -> None:
    """A rerun into ``output_dir`` evaluates as this recipe says: an evaluation folder made with other
    settings (another eval.max_new_tokens, template, ...) is refused now, not after training."""
    recipe, output_dir = run.recipe, run.output_dir
    from eval.inputs import EvalError, evaluation_settings, settings_conflict

    folders = [(output_dir / "eval", str(output_dir / "final"), recipe.eval.limit)]
    during = output_dir / "eval_during_training"
    for folder in sorted(during.glob("step-*")) if during.is_dir() else []:
        step = folder.name.removeprefix("step-")
        if step.isdigit():
            folders.append((folder, f"step {int(step)}", recipe.eval.during_training_limit))
    for folder, model, limit in folders:
        try:
            changed = settings_conflict(folder, evaluation_settings(model, **run.eval_settings(limit)))
        except (EvalError, FileError) as error:
            raise RecipeError(str(error)) from None
        if changed:
            top = folder if folder.parent == output_dir else during
            raise RecipeError(
                f"{folder} holds an evaluation made with other settings ({changed}); delete {top} to evaluate "
                f"with this recipe's eval section (the trained model stays), or set output_dir to a new folder"
            )
