"""Run a recipe: ``python -m recipes.train recipes/<recipe>.yaml [section.key=value ...] [--dry-run]``.

The GRPO loop is TRL's ``GRPOTrainer``; this file turns a recipe into a correct, reproducible run:
validate everything first, pick the precision from the hardware, record what is needed to rerun the
experiment, resume from the last checkpoint when rerun, checkpoint on Ctrl-C / SIGTERM, and leave
sampled completions and a reward curve behind.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import rewards
from recipes.config import RecipeError, grpo_fields, load_recipe, resolve_reward_function, validate

logger = logging.getLogger("recipes.train")

PACKAGES = ("torch", "trl", "transformers", "datasets", "accelerate", "peft", "math-verify")


# --- pieces that load nothing heavy (also used by --dry-run) -------------------------------------


def num_processes() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def trainer_arguments(recipe: dict[str, Any]) -> dict[str, Any]:
    """GRPOConfig keyword arguments: the recipe's trainer section plus what the hardware decides."""
    args = dict(recipe["trainer"])
    args.setdefault("output_dir", recipe.get("output_dir") or "outputs/run")
    args.setdefault("seed", recipe["seed"])
    args["reward_weights"] = [float(entry.get("weight", 1.0)) for entry in recipe["rewards"]]
    gpu = has_gpu()
    if not gpu:
        # TRL's bf16 default fails without a GPU; use_cpu also gives real multi-process CPU runs (gloo).
        args.setdefault("use_cpu", True)
        args.setdefault("bf16", False)
    else:
        import torch

        args.setdefault("bf16", torch.cuda.is_bf16_supported())
    if args.get("use_vllm") == "auto":  # vLLM generation when it is installed and a GPU is present
        import importlib.util

        args["use_vllm"] = gpu and importlib.util.find_spec("vllm") is not None
    args.setdefault("report_to", ["tensorboard"])
    args.setdefault("logging_steps", 1)
    return args


def reward_functions(recipe: dict[str, Any]) -> list:
    """The recipe's rewards, parameters bound; format rewards default to the template's answer format."""
    from data.templates import get_template

    template = recipe["data"].get("template")
    functions = []
    for entry in recipe["rewards"]:
        name, params = entry["name"], dict(entry.get("params") or {})
        if ":" in name:
            function = resolve_reward_function(name)
            functions.append(function)
            continue
        if name in ("format", "tag_count") and template is not None:
            for key, value in get_template(template).reward_params.items():
                if key in rewards.reward_parameters(name):
                    params.setdefault(key, value)
        functions.append(rewards.get(name, **params))
    return functions


def data_arguments(section: dict[str, Any], seed: int) -> dict[str, Any]:
    args = {key: value for key, value in section.items() if key not in ("name", "eval")}
    args.setdefault("seed", seed)
    return args


def resolve(recipe_path: str, overrides: list[str]) -> tuple[dict[str, Any], Any]:
    """Validate the recipe and build its GRPOConfig (cheap: no model or data is loaded)."""
    recipe = validate(load_recipe(recipe_path, overrides), num_processes=num_processes())
    from trl import GRPOConfig

    try:
        config = GRPOConfig(**trainer_arguments(recipe))
    except (TypeError, ValueError) as error:
        raise RecipeError(f"trl.GRPOConfig rejected the trainer section: {error}") from error
    reward_functions(recipe)  # binds parameters: fails now, not after the model loaded
    return recipe, config


# --- the run --------------------------------------------------------------------------------------


def run_info(recipe: dict[str, Any], argv: list[str]) -> dict[str, Any]:
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
        "seed": recipe["seed"],
        "git_commit": commit,
        "git_dirty": dirty,
        "versions": versions,
        "python": sys.version.split()[0],
    }


def require_model_available(name: str) -> None:
    """Fail in seconds when a hub model can't be had: not local, no network, not in the cache."""
    from data.hub import model_available

    if name != "tiny" and not model_available(name):
        raise RecipeError(
            f"model {name!r} is not a local folder, the Hugging Face Hub can't be reached, and it is not in the "
            "local cache. Pass a local copy: model.name_or_path=/path/to/model."
        )


def load_model(section: dict[str, Any], output_dir: Path, seed: int):
    """(model, tokenizer) for ``model.name_or_path``; fails fast with a useful message when offline."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = str(section["name_or_path"])
    if name == "tiny":
        # Built in memory on every rank from the same seed (identical weights, no file race); the main
        # process keeps a copy of the initial weights for comparison.
        from recipes.tiny_model import build_tiny_model

        model, tokenizer = build_tiny_model(seed=seed)
        if int(os.environ.get("RANK", "0")) == 0 and not (output_dir / "tiny-model-init").exists():
            model.save_pretrained(output_dir / "tiny-model-init")
            tokenizer.save_pretrained(output_dir / "tiny-model-init")
        return model, tokenizer
    require_model_available(name)
    dtype = section.get("dtype", "auto")
    if dtype == "auto":
        dtype = torch.bfloat16 if has_gpu() and torch.cuda.is_bf16_supported() else torch.float32
    else:
        dtype = getattr(torch, dtype)
    kwargs = {"dtype": dtype}
    if section.get("attn_implementation"):
        kwargs["attn_implementation"] = section["attn_implementation"]
    model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if section.get("freeze_embeddings"):
        model.get_input_embeddings().requires_grad_(False)
    return model, tokenizer


def peft_config(section: dict[str, Any]):
    lora = section.get("lora")
    if not lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora.get("r", 16),
        lora_alpha=lora.get("alpha", 32),
        lora_dropout=lora.get("dropout", 0.05),
        target_modules=lora.get("target_modules", "all-linear"),
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


def last_checkpoint(output_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None


def train(recipe_path: str, overrides: list[str] = (), argv: list[str] | None = None) -> dict[str, Any]:
    """Run the recipe; returns a summary (output dir, steps, final metrics, guard verdict)."""
    recipe, config = resolve(recipe_path, overrides)
    from trl import GRPOTrainer

    import data
    from recipes.callbacks import CheckpointOnSignal, CollapseGuard, CompletionRecorder, plot_curves

    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    resume_from = last_checkpoint(output_dir)
    main_process = int(os.environ.get("RANK", "0")) == 0
    if main_process:
        saved = output_dir / "recipe.yaml"
        if resume_from and saved.exists() and yaml.safe_load(saved.read_text()) != recipe:
            logger.warning(
                "%s holds a run of a different recipe; resuming it with the new settings", output_dir
            )
        saved.write_text(yaml.safe_dump(recipe, sort_keys=False))
        (output_dir / "run_info.json").write_text(json.dumps(run_info(recipe, argv or sys.argv), indent=2))

    require_model_available(str(recipe["model"]["name_or_path"]))  # before minutes of data loading
    train_set = data.load(recipe["data"]["name"], **data_arguments(recipe["data"], recipe["seed"]))
    eval_section = recipe["data"].get("eval")
    eval_set = None
    if eval_section:
        merged = {"template": recipe["data"].get("template"), **eval_section}
        eval_set = data.load(merged["name"], **data_arguments(merged, recipe["seed"]))
    model, tokenizer = load_model(recipe["model"], output_dir, recipe["seed"])

    recorder = CompletionRecorder(output_dir / "completions.jsonl")
    signals = CheckpointOnSignal()
    callbacks = [signals]
    guard = None
    if recipe.get("guard"):
        guard = CollapseGuard(**recipe["guard"])
        callbacks.append(guard)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=recorder.wrap(reward_functions(recipe)),
        args=config,
        train_dataset=train_set,
        eval_dataset=eval_set,
        processing_class=tokenizer,
        peft_config=peft_config(recipe["model"]),
        callbacks=callbacks,
    )
    if resume_from:
        logger.info("resuming from %s", resume_from)
    signals.install()
    try:
        trainer.train(resume_from_checkpoint=resume_from)
    finally:
        signals.uninstall()
    interrupted = signals.received is not None
    if not interrupted:
        trainer.save_model(str(output_dir / "final"))
        if main_process:
            tokenizer.save_pretrained(str(output_dir / "final"))
    curves = plot_curves(trainer.state.log_history, output_dir / "curves.png") if main_process else None
    summary = {
        "output_dir": str(output_dir),
        "parameter_checksum": parameter_checksum(trainer.model),
        "global_step": trainer.state.global_step,
        "resumed_from": resume_from,
        "interrupted": interrupted,
        "guard": guard.tripped if guard else None,
        "final_model": None if interrupted else str(output_dir / "final"),
        "curves": str(curves) if curves else None,
        "last_log": next((e for e in reversed(trainer.state.log_history) if "reward" in e), {}),
    }
    rank = int(os.environ.get("RANK", "0"))
    summary_name = "summary.json" if num_processes() == 1 else f"summary-rank{rank}.json"
    (output_dir / summary_name).write_text(json.dumps(summary, indent=2, default=str))
    if recipe.get("eval") and not interrupted and main_process:
        evaluate_final(recipe, output_dir / "final")
    return summary


def evaluate_final(recipe: dict[str, Any], model_path: Path) -> None:
    """Score the final checkpoint on the recipe's benchmarks through the eval package."""
    try:
        from eval.run import evaluate_from_recipe
    except ImportError:
        logger.warning("the eval package is not available; skipping the recipe's eval section")
        return
    evaluate_from_recipe(recipe, model_path)


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors in what people read
        return True


def dry_run(recipe_path: str, overrides: list[str]) -> None:
    recipe, config = resolve(recipe_path, overrides)
    fields = grpo_fields()
    changed = {
        k: getattr(getattr(config, k), "value", getattr(config, k))
        for k in sorted(recipe["trainer"])
        if k in fields
    }
    print(
        yaml.dump(
            {"recipe": recipe, "GRPOConfig (set by the recipe)": changed},
            Dumper=_PlainDumper,
            sort_keys=False,
        )
    )
    print(
        f"ok: {recipe_path} is valid (on {num_processes()} process(es): {config.generation_batch_size} completions "
        f"per generation batch = {config.generation_batch_size // config.num_generations} prompts x "
        f"{config.num_generations} generations; precision {'bf16' if config.bf16 else 'fp32'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipes.train", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", help="a YAML recipe, e.g. recipes/smoke.yaml")
    parser.add_argument("overrides", nargs="*", help="section.key=value entries that override the recipe")
    parser.add_argument(
        "--dry-run", action="store_true", help="resolve and validate everything, load nothing heavy"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.dry_run:
            dry_run(args.recipe, args.overrides)
        else:
            summary = train(args.recipe, args.overrides, argv=sys.argv)
            print(json.dumps(summary, indent=2, default=str))
    except Exception as error:
        from data import DataError

        if not isinstance(error, (RecipeError, DataError)):
            raise
        print(f"error: {error}", file=sys.stderr)
        if "Hub" in str(error):
            print(
                "In a recipe, point at local copies with overrides: data.data_files=path/to/train.jsonl "
                "model.name_or_path=path/to/model.\nNo network at all? `make demo` trains a real model that "
                "ships with this repository, offline.",
                file=sys.stderr,
            )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
