"""recipes/checks.py: parse_recipe checks a recipe against the schema, the data, the rewards and TRL."""

from pathlib import Path

import pytest

from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe
from recipes.schema import RecipeError

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "recipes" / "smoke.yaml")


def _recipe(**sections):
    base = {
        "model": {"name_or_path": "tiny"},
        "data": {"name": "arithmetic", "template": "answer_is"},
        "rewards": [{"name": "accuracy"}],
        "trainer": {"per_device_train_batch_size": 8, "num_generations": 4},
    }
    base.update(sections)
    return base


def test_unknown_keys_fail_with_the_closest_valid_names():
    with pytest.raises(RecipeError) as error:
        parse_recipe(
            _recipe(
                trainer={"learning_rat": 1e-6, "per_device_train_batch_size": 8, "num_generations": 4},
                modle={},
            )
        )
    message = str(error.value)
    assert "unknown entry trainer.learning_rat; did you mean learning_rate" in message
    assert "unknown entry modle; did you mean model" in message


def test_loss_type_and_scale_rewards_are_checked_before_training():
    with pytest.raises(RecipeError, match="loss_type 'drgrpo' is not one TRL accepts: grpo, dr_grpo"):
        parse_recipe(
            _recipe(trainer={"loss_type": "drgrpo", "per_device_train_batch_size": 8, "num_generations": 4})
        )
    with pytest.raises(RecipeError, match="scale_rewards 'std'"):
        parse_recipe(
            _recipe(trainer={"scale_rewards": "std", "per_device_train_batch_size": 8, "num_generations": 4})
        )


def test_indivisible_batch_suggests_the_nearest_valid_settings():
    with pytest.raises(RecipeError) as error:
        parse_recipe(_recipe(trainer={"per_device_train_batch_size": 6, "num_generations": 4}))
    message = str(error.value)
    assert "not divisible by num_generations (4)" in message
    assert "per_device_train_batch_size=4" in message and "num_generations=3" in message
    # two processes double the batch: 6 x 2 = 12 completions hold 3 groups of 4
    parse_recipe(_recipe(trainer={"per_device_train_batch_size": 6, "num_generations": 4}), num_processes=2)


def test_rewards_and_templates_are_checked():
    with pytest.raises(RecipeError, match="unknown reward 'acuracy'; did you mean accuracy"):
        parse_recipe(_recipe(rewards=[{"name": "acuracy"}]))
    with pytest.raises(RecipeError, match="unknown parameter 'answer_fmt'"):
        parse_recipe(_recipe(rewards=[{"name": "format", "params": {"answer_fmt": "boxed"}}]))
    with pytest.raises(RecipeError, match="template 'qwen_boxd' is unknown; did you mean qwen_boxed"):
        parse_recipe(_recipe(data={"name": "gsm8k", "template": "qwen_boxd"}))
    with pytest.raises(RecipeError, match="no module 'nowhere'"):
        parse_recipe(_recipe(rewards=[{"name": "nowhere.module:reward"}]))


def test_a_bad_pass_rate_file_is_one_line(tmp_path):
    path = tmp_path / "rates.jsonl"
    path.write_text('{"problem": 1}\n')
    with pytest.raises(RecipeError, match="rates.jsonl, line 1: no problem id"):  # found by the recipe check
        parse_recipe(load_recipe(SMOKE, [f"data.pass_rate={{file: {path}}}"]))
