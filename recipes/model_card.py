"""A model card for a trained checkpoint, written from the run itself: the recipe and what it transcribes,
the data, the rewards with their parameters, the seed and steps, the final evaluation table and the
library versions. ``recipes.train`` writes it as ``final/README.md`` after every finished run, and uploads
``final/`` with it when the recipe sets ``trainer.push_to_hub`` (``trainer.hub_model_id`` names the repo).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from recipes.resolve import ResolvedRun

_METHODS = {
    "grpo": ("GRPO", "TRL's GRPOTrainer, rule-based rewards"),
    "online_rft": (
        "Online RFT",
        "TRL's GRPOTrainer sampling from the policy, trained on its correct completions",
    ),
    "sft": ("SFT", "TRL's SFTTrainer, the loss on the completions"),
}


def _method(recipe) -> str:
    return "sft" if recipe.trainer_type == "sft" else "online_rft" if recipe.online_rft else "grpo"


def model_card(run: ResolvedRun, summary: dict[str, Any], run_info: dict[str, Any]) -> str:
    """The card's Markdown, with the Hub's YAML header (base model, tags, data sets); ``summary`` holds the
    run's steps and its final evaluation (``eval``), ``run_info`` its versions and commit."""
    recipe, recipe_path, reward_params = run.recipe, run.recipe_path, run.reward_params
    evaluation = summary.get("eval")
    sources = [source.name for source in recipe.data.sources]
    header = {
        "base_model": recipe.model.name_or_path,
        "library_name": "transformers",
        "tags": [_method(recipe).replace("_", "-"), "trl", "math"]
        + (["reinforcement-learning"] if recipe.trainer_type == "grpo" else []),
        "datasets": [s for s in sources if "/" in s] or None,
    }
    lines = [
        "---",
        yaml.safe_dump({k: v for k, v in header.items() if v}, sort_keys=False).strip(),
        "---",
        "",
        f"# {Path(str(summary.get('output_dir', 'run'))).name}",
        "",
        f"{_METHODS[_method(recipe)][0]} fine-tune of `{recipe.model.name_or_path}` with the recipe "
        f"`{Path(recipe_path).name}` of grpo-math-recipes ({_METHODS[_method(recipe)][1]}).",
        "",
    ]
    if recipe.paper is not None:
        departures = "; ".join(f"{d.setting} ({d.why})" for d in recipe.paper.departures)
        lines += [
            f"The recipe transcribes **{recipe.paper.title}**"
            + (f"; it departs from that source on: {departures}." if departures else ", with no departure."),
            "",
        ]
        if recipe.paper.published:
            lines += [
                "Published by the source (for comparison):",
                "",
                "| benchmark | before | after |",
                "| --- | --- | --- |",
            ]
            lines += [
                f"| {p.benchmark} | {_number(p.before)} | {_number(p.after)} |"
                for p in recipe.paper.published
            ]
            lines += ["", f"Protocol: {recipe.paper.protocol}", ""]
    lines += ["## Training", ""]
    data = recipe.data
    lines.append(
        "- Data: "
        + ", ".join(
            f"{s.name} ({s.split}{f', levels {s.levels}' if s.levels else ''}{f', first {s.limit}' if s.limit else ''})"
            for s in data.sources
        )
        + f"; prompt template `{data.template}`"
        + (f"; pass-rate filter [{data.pass_rate.min}, {data.pass_rate.max}]" if data.pass_rate else "")
    )
    for entry, params in zip(recipe.rewards, reward_params, strict=True):
        lines.append(f"- Reward `{entry.name}`, weight {entry.weight}, parameters {params}")
    trainer = {k: v for k, v in recipe.trainer.items() if k not in ("report_to",)}
    lines.append(
        f"- Trainer settings (the rest are TRL {run_info['versions'].get('trl')}'s defaults): `{trainer}`"
    )
    lines.append(
        f"- Seed {recipe.seed}; {summary.get('global_step')} optimizer steps"
        + (f"; {summary['time_budget']}" if summary.get("time_budget") else "")
        + (f"; collapse guard: {summary['guard']}" if summary.get("guard") else "")
    )
    lines.append(
        f"- Code: git commit `{run_info.get('git_commit')}`{' (with local changes)' if run_info.get('git_dirty') else ''}"
    )
    lines += ["", "## Evaluation", ""]
    if evaluation:
        lines += [
            "| benchmark | problems | pass@1 (strict) | 95% CI | pass@1 (lenient) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for benchmark, metrics in evaluation.items():
            if not metrics.get("n_problems"):
                continue
            low, high = metrics["pass@1_ci95"]
            lenient = metrics.get("pass@1_lenient")
            lines.append(
                f"| {benchmark} | {metrics['n_problems']} | {metrics['pass@1']:.1%} | {low:.1%} - {high:.1%} | "
                f"{'' if lenient is None else f'{lenient:.1%}'} |"
            )
        if recipe.eval is not None:
            protocol = {k: v for k, v in dataclasses.asdict(recipe.eval).items() if v not in (None, {}, [])}
            lines += ["", f"Protocol (the recipe's eval section): `{protocol}`"]
    else:
        lines.append("Not evaluated by the run (the recipe has no eval section).")
    lines += ["", "## Versions", ""]
    lines += [f"- {package} {version}" for package, version in run_info["versions"].items() if version]
    lines += [f"- python {run_info.get('python')}", ""]
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def push(folder: Path, repo_id: str, private: bool | None = None) -> str:
    """Upload a finished checkpoint folder (model, tokenizer, card) to the Hub; returns the repo URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(
        folder_path=str(folder), repo_id=repo_id, commit_message="grpo-math-recipes: final checkpoint"
    )
    return str(url)
