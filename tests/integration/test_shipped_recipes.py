"""The shipped recipes: each passes a dry run offline, and the paper recipes follow their sources (every
stated setting resolves to the source's value or is a listed departure, nothing drifts silently, each states
its truncation rule and precision); the R1-Zero recipe trains on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recipes.checks import parse_recipe
from recipes.provenance import compare, problems
from recipes.recipe_yaml import load_recipe
from recipes.resolve import resolve_run
from recipes.train import main, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_shipped_recipe_passes_a_dry_run_offline(recipe, capsys):
    assert main([str(ROOT / "recipes" / recipe), "--dry-run"]) == 0
    assert "is valid" in capsys.readouterr().out


PAPER_RECIPES = sorted(p.name for p in (ROOT / "recipes").glob("*.yaml") if "\npaper:" in p.read_text())


def _rows(name, overrides=()):
    return compare(resolve_run(str(ROOT / "recipes" / name), list(overrides)))


def test_every_paper_recipe_has_a_source_section():
    assert set(PAPER_RECIPES) >= {
        "deepseekmath_grpo.yaml",
        "math_drgrpo_qwen2.5-math-1.5b.yaml",
        "simplerl_zoo_qwen2.5-0.5b.yaml",
        "gsm8k_qwen2.5-0.5b-instruct.yaml",
        "r1zero_qwen2.5-math-1.5b.yaml",
    }


@pytest.mark.parametrize("name", PAPER_RECIPES)
def test_resolved_settings_match_the_source_or_a_listed_departure(name):
    rows = _rows(name)
    assert len([r for r in rows if r.status == "follows"]) >= 15  # transcribed setting by setting
    assert not problems(rows), problems(rows)
    recipe = parse_recipe(load_recipe(ROOT / "recipes" / name))
    for departure in recipe.paper.departures:  # each departure says what, why and with what effect
        assert departure.paper and departure.here and departure.why and departure.effect
    assert recipe.paper.published and recipe.paper.protocol


@pytest.mark.parametrize(
    ("name", "override", "key"),
    [
        ("deepseekmath_grpo.yaml", "trainer.beta=0.0", "trainer.beta"),  # a value the source states
        ("deepseekmath_grpo.yaml", "trainer.use_bias_correction_kl=true", "trainer.use_bias_correction_kl"),
        ("deepseekmath_grpo.yaml", "trainer.steps_per_generation=128", "batch.updates_per_rollout"),
        ("math_drgrpo_qwen2.5-math-1.5b.yaml", "rewards=[{name: accuracy}]", "rewards.accuracy.extract"),
        ("simplerl_zoo_qwen2.5-0.5b.yaml", "eval.top_p=1.0", "eval.top_p"),  # the evaluation protocol
        ("gsm8k_qwen2.5-0.5b-instruct.yaml", "trainer.lr_scheduler_type=linear", "trainer.lr_scheduler_type"),
    ],
)
def test_an_edit_that_drifts_from_the_source_is_caught(name, override, key):
    found = problems(_rows(name, [override]))
    assert any(problem.startswith(key) for problem in found), found


def test_the_dry_run_shows_the_source_table(capsys):
    assert main([str(ROOT / "recipes" / "math_drgrpo_qwen2.5-math-1.5b.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "| trainer.adam_beta2 | 0.95 | 0.95 | follows | Table 6" in out
    assert "| batch.updates_per_rollout | 8 | 8 | follows |" in out
    assert "departs on data.levels" in out and "warning:" not in out


def test_the_r1_zero_recipe_trains_on_the_tiny_model_on_a_cpu(tmp_path):
    summary = train(
        str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml"),
        [
            f"output_dir={tmp_path}",
            "model.name_or_path=tiny",
            "data.name=arithmetic",
            "data.split=train",
            "data.levels=[1]",
            "data.limit=64",
            "eval=null",
            "trainer.use_vllm=false",
            "trainer.per_device_train_batch_size=8",
            "trainer.steps_per_generation=2",  # two optimizer updates per rollout, as the source's eight
            "trainer.num_generations=4",
            "trainer.max_completion_length=16",
            "trainer.max_steps=2",
            "trainer.learning_rate=1e-3",
            "trainer.save_steps=100",
            "trainer.report_to=[]",
        ],
    )
    assert summary["global_step"] == 2 and summary["final_model"]
    rows = [json.loads(line) for line in (tmp_path / "completions.jsonl").open()]
    assert rows and rows[0]["prompt"].endswith("Assistant: <think>")


PAPER_RECIPE_STEMS = [
    "deepseekmath_grpo",
    "gsm8k_qwen2.5-0.5b-instruct",
    "math_drgrpo_qwen2.5-math-1.5b",
    "r1zero_qwen2.5-math-1.5b",
    "simplerl_zoo_qwen2.5-0.5b",
]


@pytest.mark.parametrize("name", PAPER_RECIPE_STEMS)
def test_each_paper_recipe_states_its_truncation_rule_and_precision(name):
    recipe = parse_recipe(load_recipe(ROOT / "recipes" / f"{name}.yaml", []))
    listed = set(recipe.paper.settings) | set(recipe.paper.not_stated)
    assert "generation.truncated" in listed
    assert {"precision.compute", "precision.masters"} & listed or "precision.weights" in listed
