"""The training set of a recipe: every source loaded in one schema with the template applied, decontaminated
against the recipe's evaluation benchmarks, filtered by pass rate; prompts longer than the limit dropped (or
fatal); and a set too small for one step refused, naming the count and what removed the rows.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import data
from recipes.schema import Recipe, RecipeError

logger = logging.getLogger("recipes.train")


def load_arguments(source: Any, seed: int) -> dict[str, Any]:
    args = {key: value for key, value in dataclasses.asdict(source).items() if value is not None}
    args["name_or_path"] = args.pop("name")
    args["seed"] = source.seed if source.seed is not None else seed  # a generated set's own seed, if given
    return args


def load_training_data(recipe: Recipe, report: dict[str, Any] | None = None):
    """The training set: every source, the template, decontaminated against the eval benchmarks, filtered
    by pass rate. ``report``, when given, receives what decontamination and the filter removed."""
    report = {} if report is None else report
    kept = [recipe.data.completion_field] if recipe.data.completion_field else []  # SFT completions
    sources = [{**load_arguments(source, recipe.seed), "keep_fields": kept} for source in recipe.data.sources]
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
    if not hasattr(config, "num_generations"):  # SFT: any row trains
        if len(dataset) == 0:
            raise RecipeError(f"{where}: no usable training rows; add data")
        return
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


def is_local(source: Any) -> bool:
    """A source the dry run can load: generated, or from local files (not the Hub)."""
    return source.name == "arithmetic" or source.data_files is not None or Path(source.name).exists()


def _completion_text(row: dict[str, Any], recipe: Recipe) -> str:
    """An SFT completion: ``data.completion_field`` as it is, or the reference solution written out in the
    template's answer format; empty when the row has neither."""
    field = recipe.data.completion_field
    if field is not None:
        value = row.get(field)
        return value.strip() if isinstance(value, str) else ""
    solution = row.get("solution") or ""
    if not solution.strip():
        return ""
    return data.get_template(recipe.data.template).write_answer(solution, str(row["answer"]))


def completions_source(recipe: Recipe) -> str:
    """Where a recipe's SFT completions come from, in words."""
    field = recipe.data.completion_field
    if field:
        return f"the data's field {field!r}, as it is"
    return f"reference solutions, written in template {recipe.data.template}'s answer format"


def sft_dataset(dataset, recipe: Recipe):
    """The training rows as SFTTrainer's prompt-completion pairs (the loss on the completion only): the
    template's prompt, and the completion as a chat turn for chat templates or text for plain ones. Rows
    without a completion are dropped with a count; none at all is an error naming the fix, and so are
    completions none of which follows the template's answer format (trained on, the model would learn
    to answer the template's prompts in another format)."""
    completions = [_completion_text(row, recipe) for row in dataset]
    keep = [i for i, text in enumerate(completions) if text]
    field = recipe.data.completion_field
    if not keep:
        if field:
            raise RecipeError(
                f"data: none of the {len(dataset)} training rows has a completion in field {field!r}; fill that "
                "field, or remove data.completion_field to train on the reference solutions"
            )
        raise RecipeError(
            f"data: none of the {len(dataset)} training rows has a reference solution; SFT needs them: use a "
            "data set with solutions (gsm8k, math, arithmetic; a file's solution_field), or a file of completions "
            "with data.completion_field: completion"
        )
    if len(keep) < len(dataset):
        logger.warning(
            "SFT: dropped %d of %d rows without a completion", len(dataset) - len(keep), len(dataset)
        )
    texts = [completions[i] for i in keep]
    require_template_format(texts, recipe)
    chat = not isinstance(dataset[0]["prompt"], str)
    rows = dataset.select(keep)
    if "completion" in rows.column_names:  # a file's own completion field, replaced by the stripped text
        rows = rows.remove_columns("completion")
    values = [[{"role": "assistant", "content": text}] for text in texts] if chat else texts
    return rows.add_column("completion", values)


def require_template_format(texts: list[str], recipe: Recipe) -> None:
    """SFT completions must answer in the format the template's prompts ask for: none that does is an error
    (completions written for another template, or solutions the template's format can't hold), some that
    don't are counted in a warning."""
    from rewards import has_format

    template = data.get_template(recipe.data.template)
    following = sum(has_format(text, template.answer_format, template.think_prefilled) for text in texts)
    if following == 0:
        field = recipe.data.completion_field
        what, fix = (
            (
                f"in field {field!r}",
                "set data.template to the template they were written for (an RFT file's provenance names it)",
            )
            if field
            else (
                "written from the reference solutions",
                "choose a template whose format these solutions fit",
            )
        )
        raise RecipeError(
            f"data: none of the {len(texts)} SFT completions {what} follows template {template.name}'s "
            f"{template.answer_format} format (the first: {texts[0][:80]!r}); {fix}"
        )
    if following < len(texts):
        logger.warning(
            "SFT: %d of %d completions do not follow template %s's %s format",
            len(texts) - following,
            len(texts),
            template.name,
            template.answer_format,
        )
