"""Benchmark: a GRPO step of the demo recipe, this runner's trainer against plain TRL, in one process.

``python -m recipes.bench [--steps 4] [--model models/smollm2-135m-instruct]`` trains the demo recipe's
model on its rows for a few steps twice, from the same weights and seed: once with TRL's ``GRPOTrainer`` as
a plain script would (the same settings, rewards and rows), once with the runner's trainer
(``RecipeGRPOTrainer`` with ``shared_prompt``). It prints the median time of a step (the first step is a
warm-up and not counted), split into generation, the loss's forward, backward and the rest (rewards,
optimizer), the ratio, and the achieved GFLOP/s of each phase against this machine's measured fp32
matrix-multiply peak.

FLOPs are counted from the tokens the model's backbone actually processes (2 x non-embedding parameters per
token for a forward, twice that for a backward) plus the LM head over the positions it scores; attention's
own FLOPs are left out (a few percent at these lengths).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from typing import Any

import torch

from eval.bench import matmul_peak

RECIPE = "recipes/demo_smollm2_arithmetic.yaml"


class PhaseTimer:
    """Times the phases of GRPOTrainer's steps (class-level wrappers, so subclasses are timed too) and counts
    the tokens the backbone processes in each."""

    PHASES = {
        "_generate_and_score_completions": "prepare",
        "_generate_single_turn": "generation",
        "compute_loss": "forward",
    }

    def __init__(self):
        from trl import GRPOTrainer

        from recipes.trainer import RecipeGRPOTrainer

        # Both classes: the runner's trainer overrides some phases (its own decoding), and a phase is timed
        # where it is defined; a call that reaches the parent's through super() is counted once (below).
        self.classes = (GRPOTrainer, RecipeGRPOTrainer)
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.tokens: dict[str, int] = defaultdict(int)
        self.head_positions: dict[str, int] = defaultdict(int)
        self.phase = "other"
        self._originals: dict[str, Any] = {}

    def install(self, backbone: Any) -> None:
        for name, phase in self.PHASES.items():
            self._wrap(name, phase)
        self._wrap("training_step", "training_step")
        backbone.register_forward_pre_hook(self._count, with_kwargs=True)

    def _wrap(self, name: str, phase: str) -> None:
        for cls in self.classes:
            if name in vars(cls):
                self._originals[(cls, name)] = vars(cls)[name]
                setattr(cls, name, self._timed(vars(cls)[name], phase))

    def _timed(self, original: Any, phase: str) -> Any:
        timer = self

        def timed(trainer, *args, **kwargs):
            outer = timer.phase
            if outer == phase:  # the subclass's override called the parent's: already being timed
                return original(trainer, *args, **kwargs)
            if phase != "training_step":
                timer.phase = phase
            start = time.perf_counter()
            try:
                return original(trainer, *args, **kwargs)
            finally:
                timer.seconds[phase].append(time.perf_counter() - start)
                timer.phase = outer

        return timed

    def _count(self, module: Any, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            return
        self.tokens[self.phase] += ids.numel()
        # the LM head: one position per row when generating, every position in the loss (TRL on a CPU)
        self.head_positions[self.phase] += ids.size(0) if self.phase == "generation" else ids.numel()

    def uninstall(self) -> None:
        for (cls, name), original in self._originals.items():
            setattr(cls, name, original)


def _run(trainer_class: type, run: Any, rows: Any, steps: int, **extra: Any) -> dict[str, Any]:
    from transformers import TrainerCallback

    from recipes.models import load_model

    model, tokenizer = load_model(run, run.output_dir)
    timer = PhaseTimer()
    timer.install(model.model)
    step_seconds: list[float] = []
    marks: dict[str, Any] = {}

    class StepClock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            marks["start"] = time.perf_counter()
            marks["seconds"] = {k: len(v) for k, v in timer.seconds.items()}
            marks["tokens"] = dict(timer.tokens)
            marks["head"] = dict(timer.head_positions)

        def on_step_end(self, args, state, control, **kwargs):
            step_seconds.append(time.perf_counter() - marks["start"])
            per_step.append(
                {
                    "step": time.perf_counter() - marks["start"],
                    **{k: sum(v[marks["seconds"].get(k, 0) :]) for k, v in timer.seconds.items()},
                    "tokens": {k: v - marks["tokens"].get(k, 0) for k, v in timer.tokens.items()},
                    "head": {k: v - marks["head"].get(k, 0) for k, v in timer.head_positions.items()},
                }
            )

    per_step: list[dict[str, Any]] = []
    trainer = trainer_class(
        model=model,
        reward_funcs=list(run.rewards),
        args=run.config,
        train_dataset=rows,
        processing_class=tokenizer,
        callbacks=[StepClock()],
        **extra,
    )
    try:
        trainer.train()
    finally:
        timer.uninstall()
    return {"steps": per_step, "model": model}


def _phase_table(step: dict[str, Any]) -> dict[str, float]:
    """training_step = preparing the batch (generation, then rewards and advantages) + the loss's forward +
    backward; the step adds the optimizer and the callbacks."""
    generation, forward = step.get("generation", 0.0), step.get("forward", 0.0)
    prepare, training = step.get("prepare", 0.0), step.get("training_step", 0.0)
    backward = max(0.0, training - prepare - forward)
    return {
        "generation": generation,
        "forward": forward,
        "backward": backward,
        "rest": max(0.0, step["step"] - generation - forward - backward),
        "step": step["step"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipes.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="steps per trainer (the first is a warm-up)")
    parser.add_argument("--out", default="outputs/bench")
    args = parser.parse_args(argv)
    import logging

    from trl import GRPOTrainer

    from recipes.models import load_tokenizer
    from recipes.resolve import resolve_run
    from recipes.trainer import RecipeGRPOTrainer
    from recipes.training_data import drop_long_prompts, load_training_data

    logging.disable(logging.WARNING)
    overrides = [
        f"trainer.max_steps={args.steps}",
        "trainer.save_strategy='no'",  # quoted: YAML reads a bare no as false
        "trainer.report_to=[]",
        "guard=null",
    ]
    results = {}
    peak = matmul_peak()
    for label, cls, extra in (
        ("plain TRL GRPOTrainer", GRPOTrainer, {}),
        ("runner (shared prompt)", RecipeGRPOTrainer, {"shared_prompt": True}),
    ):
        run = resolve_run(RECIPE, [*overrides, f"output_dir={args.out}/{cls.__name__}"])
        recipe = run.recipe
        rows = drop_long_prompts(
            load_training_data(recipe), load_tokenizer(recipe.model.name_or_path), recipe
        )
        torch.manual_seed(recipe.seed)
        results[label] = _run(cls, run, rows, args.steps, **extra)
    peak = max(peak, matmul_peak())  # measured again after: a busy moment at the start lowers one reading
    model = results["runner (shared prompt)"]["model"]
    body = sum(
        p.numel() for n, p in model.named_parameters() if "embed_tokens" not in n and "lm_head" not in n
    )
    head = model.get_output_embeddings().weight.numel()

    def flops(step: dict[str, Any], phase: str) -> float:
        tokens, positions = step["tokens"].get(phase, 0), step["head"].get(phase, 0)
        return 2 * body * tokens + 2 * head * positions

    print(f"fp32 matrix multiply on {torch.get_num_threads()} threads: {peak:.0f} GFLOP/s (the limit)")
    print(f"{args.steps} steps per trainer of {RECIPE}; medians of steps 2..{args.steps}\n")
    print(f"{'phase':<12}" + "".join(f"{label:>34}" for label in results) + f"{'speed-up':>10}")
    medians: dict[str, dict[str, float]] = {}
    rates: dict[str, dict[str, float]] = {}
    for label, result in results.items():
        steps = result["steps"][1:] or result["steps"]
        tables = [_phase_table(s) for s in steps]
        medians[label] = {k: statistics.median(t[k] for t in tables) for k in tables[0]}
        rates[label] = {}
        for phase in ("generation", "forward", "backward"):
            source = "forward" if phase == "backward" else phase
            work = statistics.median(flops(s, source) for s in steps) * (2 if phase == "backward" else 1)
            rates[label][phase] = work / max(medians[label][phase], 1e-9) / 1e9
    plain, ours = results
    for phase in ("generation", "forward", "backward", "rest", "step"):
        cells = []
        for label in results:
            rate = f" {rates[label][phase]:5.0f} GF/s" if phase in rates[label] else " " * 11
            cells.append(f"{medians[label][phase]:>21.2f} s{rate}")
        ratio = medians[plain][phase] / max(medians[ours][phase], 1e-9)
        print(f"{phase:<12}" + "".join(f"{c:>34}" for c in cells) + f"{ratio:>9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
