"""``--dry-run``: every check the run makes before its model loads, then the resolved run printed: the model,
the data (rows per source and level when local, what decontamination and the pass-rate filter removed), the
rewards with every bound parameter, the batch arithmetic, the precision, the stop strings and the truncation
rule, the evaluation protocol, the whole GRPOConfig split into what the recipe set, what the runner injected
(and why) and TRL's defaults; for a paper recipe, the paper's settings beside the recipe's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import data
from recipes.callbacks import TRUNCATION_RULE
from recipes.checks import grpo_fields
from recipes.preflight import preflight, run_warnings
from recipes.resolve import ResolvedRun, resolve_run
from recipes.reward_check import PROMPTS, check_rewards
from recipes.run_files import dump_yaml
from recipes.schema import Recipe
from recipes.training_data import (
    completions_source,
    is_local,
    load_arguments,
    load_training_data,
    require_enough_rows,
    sft_dataset,
)


def describe_data(recipe: Recipe) -> dict[str, Any]:
    """What the data section resolves to; local sources are loaded (no model needed) and counted."""
    described: dict[str, Any] = {"sources": []}
    for source in recipe.data.sources:
        entry = {key: value for key, value in dataclasses.asdict(source).items() if value is not None}
        if is_local(source):
            dataset = data.load(**load_arguments(source, recipe.seed))
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


def describe_method(run: ResolvedRun) -> str:
    """What the run trains on, and with which gradient coefficient, in a line (DeepSeekMath §5.2.1's terms)."""
    recipe = run.recipe
    if recipe.trainer_type == "sft":
        return (
            f"SFT: TRL's SFTTrainer on {completions_source(recipe)}; every completion token has coefficient 1; "
            "nothing is sampled"
        )
    if recipe.online_rft:
        index = [entry.name for entry in recipe.rewards].index("accuracy")
        return (
            "online RFT: completions sampled from the current policy; coefficient 1 for a completion "
            f"rewards[{index}] (accuracy) pays in full, 0 otherwise (DeepSeekMath Eq. 10); the other rewards are "
            "logged, not trained on"
        )
    return "GRPO: completions sampled from the current policy; coefficient: the group-relative advantage of the summed rewards"


def describe_batches(run: ResolvedRun) -> dict[str, Any]:
    """The arithmetic of one rollout (``run.batches``) in words: prompts, completions, optimizer updates."""
    config, batches = run.config, run.batches
    processes = batches["processes"]
    per_update = f"({config.per_device_train_batch_size} per device x {processes} x {config.gradient_accumulation_steps} accumulation)"
    if "prompts_per_rollout" not in batches:  # SFT: no rollouts
        only = config.completion_only_loss is not False  # None: TRL's default, on for prompt-completion data
        return {
            "processes": processes,
            "optimizer update": f"{batches['completions_per_update']} prompt-completion pairs {per_update}",
            "loss": f"on {'the completion tokens only' if only else 'the prompt and the completion'}; "
            f"sequences longer than max_length {config.max_length} tokens are cut ({config.truncation_mode})",
        }
    update = f"{batches['completions_per_update']} completions {per_update}"
    return {
        "processes": processes,
        "rollout": f"{batches['prompts_per_rollout']} prompts x {config.num_generations} completions = {batches['completions_per_rollout']} completions",
        "optimizer update": update,
        "updates per rollout": f"{batches['updates_per_rollout']} (steps_per_generation {config.steps_per_generation} / accumulation {config.gradient_accumulation_steps} x num_iterations {config.num_iterations})",
    }


def describe_config(recipe: Recipe, config: Any, injected: dict[str, str]) -> dict[str, Any]:
    fields = grpo_fields(recipe.trainer_type)

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
    run = resolve_run(recipe_path, overrides)
    recipe, config = run.recipe, run.config
    preflight(run)
    described = describe_data(recipe)
    rows = None
    sft = recipe.trainer_type == "sft"
    if sft:
        described["SFT completions"] = {"from": completions_source(recipe)}
    if all(is_local(source) for source in recipe.data.sources):
        report: dict[str, Any] = {}
        train_set = load_training_data(recipe, report)
        if sft:  # the completions, checked as the run checks them
            train_set = sft_dataset(train_set, recipe)
            first = train_set[0]["completion"]
            described["SFT completions"].update(
                rows=len(train_set), first=first if isinstance(first, str) else first[0]["content"]
            )
        require_enough_rows(train_set, config, recipe_path, report)
        described["training problems"] = {
            "rows": report["rows"],
            **{key: report[key] for key in ("decontamination", "pass_rate_filter") if key in report},
            "kept": len(train_set),
        }
        rows = train_set.select(range(min(len(train_set), PROMPTS))).to_list()
    if not sft:
        check_rewards(run, rows)
    resolved = {
        "method": describe_method(run),
        "model": dataclasses.asdict(recipe.model),
        "data": described,
        "rewards": [
            {"name": entry.name, "weight": entry.weight, "params": params}
            for entry, params in zip(recipe.rewards, run.reward_params, strict=True)
        ],
        "batches": describe_batches(run),
        "precision": run.precision.describe(),
        "generation": {"stop": list(run.stop), "truncated": TRUNCATION_RULE},
        "eval": dataclasses.asdict(recipe.eval) if recipe.eval else None,
        "guard": dataclasses.asdict(recipe.guard) if recipe.guard else None,
        type(config).__name__: describe_config(recipe, config, run.injected),
    }
    if sft:  # nothing is generated in training; rewards only say how the final evaluation grades
        del resolved["generation"]
        if not recipe.rewards:
            resolved["rewards"] = (
                "none (SFT; the final evaluation grades with the accuracy reward's defaults)"
            )
    print(dump_yaml(resolved))
    for warning in run_warnings(run):
        print(f"warning: {warning}")
    print()
    if recipe.paper is not None:
        from recipes.provenance import compare, problems, table

        rows = compare(run)
        print(f"paper: {recipe.paper.title} (batch arithmetic on {recipe.paper.gpus} GPU(s))\n")
        print(table(rows) + "\n")
        for departure in recipe.paper.departures:
            print(
                f"- departs on {departure.setting}: paper {departure.paper}; here {departure.here}. Why: {departure.why}. Effect: {departure.effect}"
            )
        for problem in problems(rows):
            print(f"warning: {problem}")
        print()
    if sft:
        batches = f"SFT, {run.batches['completions_per_update']} prompt-completion pairs per optimizer update"
    else:
        batches = (
            f"{config.generation_batch_size} completions per generation batch = {run.batches['prompts_per_rollout']} "
            f"prompts x {config.num_generations} generations"
        )
    print(
        f"ok: {recipe_path} is valid (on {run.batches['processes']} process(es): {batches}; precision: "
        f"{run.precision.describe()})"
    )
