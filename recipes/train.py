"""Run a recipe: ``python -m recipes.train recipes/<recipe>.yaml [section.key=value ...] [--dry-run]``.

The GRPO loop is TRL's ``GRPOTrainer``. This file is the run, top to bottom, as open-r1's ``grpo.py``:
resolve the recipe (recipes/resolve.py) and check what it needs (recipes/preflight.py) → the training data
(recipes/training_data.py) → the model (recipes/models.py) → the rewards, called on the real rows before
training (recipes/reward_check.py) → the trainer (recipes/trainer.py) → save → evaluate → the model card.
``--dry-run`` stops before the model loads and prints the resolved run (recipes/dry_run.py). A rerun resumes
from the last complete checkpoint (recipes/run_files.py); a run that finished training is evaluated, not
trained again; Ctrl-C and SIGTERM stop cleanly (recipes/signals.py).

Exit codes: 0 finished; 2 a bad input, a reward that returned infinity, or a full disk (one line says which
and how to fix it); 130 / 143 stopped by Ctrl-C / SIGTERM (after saving a checkpoint when the current step
finished within ``--grace`` seconds; during the final evaluation, at once: the rerun finishes it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import data
from data.files import FileError, storage_failure, write_atomic, write_json
from recipes.dry_run import dry_run
from recipes.models import (
    end_token_ids,
    generate_with_stop_strings,
    load_model,
    load_tokenizer,
    parameter_checksum,
    peft_config,
    require_model_available,
)
from recipes.preflight import preflight, run_warnings
from recipes.resolve import ResolvedRun, is_main_process, resolve_run
from recipes.reward_check import PROMPTS, check_rewards
from recipes.run_files import (
    dump_yaml,
    finished_summary,
    prepare_output_dir,
    recipe_as_dict,
    run_info,
    summary_file,
)
from recipes.schema import RecipeError, list_keys
from recipes.signals import BEFORE_TRAINING, DEFAULT_GRACE_S, Interrupted, StopSignals
from recipes.training_data import drop_long_prompts, load_training_data, require_enough_rows, sft_dataset

logger = logging.getLogger("recipes.train")


def train(
    recipe_path: str,
    overrides: list[str] = (),
    argv: list[str] | None = None,
    signals: StopSignals | None = None,
) -> dict[str, Any]:
    """Run the recipe; returns a summary (output dir, steps, final metrics, guard verdict). A run that
    finished training in ``output_dir`` before (the same recipe, its eval section aside) is not trained
    again: its final model is evaluated and described."""
    run = resolve_run(recipe_path, overrides)
    recipe, config, output_dir = run.recipe, run.config, run.output_dir
    preflight(run)
    for warning in run_warnings(run):
        logger.warning("%s", warning)
    signals = signals or StopSignals()
    info = run_info(run, argv or sys.argv)
    finished = finished_summary(recipe, output_dir)
    if finished is not None:
        logger.info(
            "%s finished training before (step %s): evaluating and describing %s only (delete it to train again)",
            output_dir,
            finished.get("global_step"),
            finished["final_model"],
        )
        return finish(run, finished, info, signals) if is_main_process() else finished

    # the data
    require_model_available(recipe.model.name_or_path)  # before minutes of data loading
    tokenizer = load_tokenizer(recipe.model.name_or_path)
    logger.info("preparing data: %s", ", ".join(source.name for source in recipe.data.sources))
    report: dict[str, Any] = {}
    train_set = load_training_data(recipe, report)
    if recipe.trainer_type == "grpo":
        check_rewards(run, train_set.select(range(min(len(train_set), PROMPTS))).to_list())
    train_set = drop_long_prompts(train_set, tokenizer, recipe)
    if recipe.trainer_type == "sft":
        train_set = sft_dataset(train_set, recipe)
    require_enough_rows(train_set, config, recipe_path, report)
    resume_from = prepare_output_dir(run, info)
    signals.stage = (
        f"before training started; rerun the same command to {'resume' if resume_from else 'start'} it"
    )

    # the model and the trainer
    model, tokenizer = load_model(run, output_dir)
    trainer, guard = build_trainer(run, model, tokenizer, train_set, signals)
    if resume_from:
        logger.info("resuming from %s", resume_from)

    # training
    signals.training = True
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except BaseException:
        print(file=sys.stderr)  # the progress bar's line is left open: the error starts on its own line
        raise
    finally:
        signals.training = False
        signals.stage = "after training, while saving the final model; rerun the same command to resume from the last checkpoint"

    # save
    summary = save(run, trainer, tokenizer, guard, resume_from, signals)
    if not summary["global_step"] and not summary["interrupted"]:
        raise RecipeError(
            f"the run made no training step (global_step 0); nothing was saved as {output_dir / 'final'}"
        )
    # evaluate and describe
    if summary["final_model"] and is_main_process():
        return finish(run, summary, info, signals)
    return summary


def build_trainer(run: ResolvedRun, model: Any, tokenizer: Any, train_set: Any, signals: StopSignals):
    """The runner's GRPOTrainer (recipes/trainer.py; TRL's SFTTrainer for an SFT recipe) with the completion
    log, the guard, the evaluation during training and the stop signals; returns (trainer, guard or None)."""
    from recipes.callbacks import CollapseGuard, CompletionRecorder, EvaluateDuringTraining
    from recipes.trainer import RecipeGRPOTrainer

    recipe, config, main_process = run.recipe, run.config, is_main_process()
    callbacks = [signals.callback()]
    guard = CollapseGuard(**dataclasses.asdict(recipe.guard)) if recipe.guard is not None else None
    if guard is not None:
        callbacks.append(guard)
    if recipe.eval is not None and recipe.eval.every_steps:
        if config.fsdp or config.deepspeed:  # sharded weights: one rank can't generate alone
            logger.warning(
                "eval.every_steps is skipped with FSDP / DeepSpeed: the final evaluation still runs"
            )
        else:
            settings = run.eval_settings(recipe.eval.during_training_limit)
            out = run.output_dir / "eval_during_training"
            callbacks.append(
                EvaluateDuringTraining(recipe.eval.every_steps, settings, out, tokenizer, main_process)
            )
    if recipe.trainer_type == "sft":
        from trl import SFTTrainer

        trainer = SFTTrainer(
            model=model,
            args=config,
            train_dataset=train_set,
            processing_class=tokenizer,
            peft_config=peft_config(recipe),
            callbacks=callbacks,
        )
        return trainer, guard
    recorder = CompletionRecorder(
        run.output_dir / "completions.jsonl" if main_process else None,
        end_token_ids=end_token_ids(model, tokenizer),
        max_completion_length=config.max_completion_length,
        stop=run.stop,
    )
    if not config.use_vllm and (config.generation_kwargs or {}).get("stop_strings"):
        generate_with_stop_strings(model, tokenizer)
    names = [entry.name for entry in recipe.rewards]
    trainer_class, extra = (
        RecipeGRPOTrainer,
        {
            "shared_prompt": recipe.shared_prompt,
            "online_rft_reward": names.index("accuracy") if recipe.online_rft else None,
        },
    )
    if recipe.dynamic_sampling is not None:
        from recipes.dynamic_sampling import DynamicSamplingGRPOTrainer

        trainer_class = DynamicSamplingGRPOTrainer
        extra["max_rounds"] = recipe.dynamic_sampling.max_rounds
    trainer = trainer_class(
        **extra,
        model=model,
        reward_funcs=recorder.wrap(list(run.rewards)),
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
    return trainer, guard


def save(
    run: ResolvedRun, trainer: Any, tokenizer: Any, guard: Any, resume_from: Path | None, signals: StopSignals
) -> dict[str, Any]:
    """``final/`` (unless the run was stopped or made no step), the curves and the log, and the summary."""
    from recipes.callbacks import plot_curves

    output_dir, main_process = run.output_dir, is_main_process()
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
        # The last training log (a GRPO one has a reward; an SFT one a loss), not the run's closing totals.
        "last_log": next(
            (e for e in reversed(trainer.state.log_history) if "reward" in e or "loss" in e), {}
        ),
    }
    write_json(summary_file(output_dir), summary)
    return summary


def finish(
    run: ResolvedRun, summary: dict[str, Any], info: dict[str, Any], signals: StopSignals
) -> dict[str, Any]:
    """After training, on the main process: the final evaluation, the model card and the Hub push. A stop
    signal here ends the run at once; training is done and is not redone by the rerun that finishes this."""
    recipe, config, final = run.recipe, run.config, run.output_dir / "final"
    signals.stage = (
        f"after training finished (the model is saved in {final}), during its final evaluation; rerun the same "
        "command to finish the evaluation (training is not repeated)"
    )
    write_atomic(
        run.output_dir / "recipe.yaml", dump_yaml(recipe_as_dict(recipe))
    )  # with the eval section run now
    summary["eval"] = None
    if recipe.eval is not None:
        from eval.run import evaluate

        logger.info("final evaluation of %s on %s", final, ", ".join(recipe.eval.benchmarks))
        summary["eval"] = evaluate(
            str(final), out=run.output_dir / "eval", **run.eval_settings(recipe.eval.limit)
        )
    from recipes.model_card import model_card, push

    write_atomic(final / "README.md", model_card(run, summary, info))
    if config.push_to_hub:
        repo_id = config.hub_model_id or config.run_name
        summary["pushed_to"] = push(final, repo_id, config.hub_private_repo)
        logger.info("pushed %s to %s", final, summary["pushed_to"])
    write_json(summary_file(run.output_dir), summary)
    return summary


# --- command line ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None, keep_signal_handlers: bool = False) -> int:
    """The command line; ``keep_signal_handlers``: leave Ctrl-C / SIGTERM handling on until the process
    exits (the CLI does, so that a second signal while the checkpoint is written still exits at once)."""
    from data.cli import ArgumentParser, non_negative_float
    from eval.inputs import EvalError

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
