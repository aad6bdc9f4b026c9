"""experiments/unified_paradigm.py: the SFT recipe it derives, the equal budgets, and its statistics."""

import argparse
from pathlib import Path

import yaml

from experiments.unified_paradigm import compare, curve, moved, rft_sampling, sft_recipe, verdict
from recipes.checks import parse_recipe

ROOT = Path(__file__).resolve().parents[2]
DEMO = yaml.safe_load((ROOT / "recipes" / "demo_smollm2_arithmetic.yaml").read_text())


def test_the_sft_recipe_is_the_demo_recipe_without_sampling():
    recipe = parse_recipe(sft_recipe(DEMO))  # a valid SFT recipe: no GRPO key left in its trainer section
    assert recipe.trainer_type == "sft" and recipe.rewards == [] and recipe.guard is None
    assert recipe.trainer["learning_rate"] == DEMO["trainer"]["learning_rate"]
    assert recipe.trainer["lr_scheduler_type"] == DEMO["trainer"]["lr_scheduler_type"]
    assert recipe.model.name_or_path == DEMO["model"]["name_or_path"] and recipe.data.template == "answer_is"


def test_rft_samples_as_many_completions_as_a_sampling_run_draws_and_as_it_draws_them(monkeypatch):
    monkeypatch.chdir(ROOT)
    args = argparse.Namespace(steps=6, prompts=4, group=8, completion_tokens=32)
    settings = rft_sampling(args, seed=1)
    assert settings["limit"] * settings["n"] == args.steps * args.prompts * args.group
    assert settings["split"] == "train" and settings["seed"] == 1
    assert settings["temperature"] == DEMO["trainer"]["temperature"] and settings["max_new_tokens"] == 32


def _runs(right_at: dict[int, int], problems: int = 40, seeds: int = 3) -> dict:
    """Seed -> step -> problem -> right: ``right_at[step]`` problems right, the same for every seed."""
    return {
        s: {step: {f"p{i}": i < n for i in range(problems)} for step, n in right_at.items()}
        for s in range(seeds)
    }


def test_curves_average_the_seeds_with_a_band_over_problems():
    runs = _runs({0: 4, 3: 10, 6: 20})
    runs[2][6] = {f"p{i}": i < 26 for i in range(40)}  # one seed does better at the end
    c = curve(runs, bootstrap=200)
    assert c["steps"] == [0, 3, 6]
    assert c["mean"][:2] == [0.1, 0.25] and abs(c["mean"][2] - 22 / 40) < 1e-9
    assert c["per_seed"][2][-1] == 26 / 40 and c["per_seed"][0][-1] == 0.5
    assert all(lo <= m <= hi for m, lo, hi in zip(c["mean"], c["low"], c["high"], strict=True))
    assert c["high"][2] - c["low"][2] > 0  # the problems vary


def test_a_claim_is_judged_by_the_paired_difference_and_only_where_something_was_learned():
    better, other = _runs({0: 4, 6: 30}), _runs({0: 4, 6: 10})
    difference = compare(better, other, 6)
    assert difference[0] == 0.5 and difference[1] > 0
    assert moved(better, 6) and verdict(difference, True) == "reproduced"
    assert verdict(compare(other, better, 6), True) == "not reproduced"
    close = _runs({0: 4, 6: 11})
    assert verdict(compare(close, other, 6), True) == "in direction only"
    flat = _runs({0: 4, 6: 4})
    assert (
        not moved(flat, 6) and verdict(compare(flat, flat, 6), moved(flat, 6)) == "can't tell at this scale"
    )
