"""recipes/recipe_yaml.py: reading a recipe file and command-line overrides."""

import pytest

from recipes.recipe_yaml import load_recipe, parse_override
from recipes.schema import RecipeError


def test_overrides_parse_values_as_yaml_and_numbers():
    assert parse_override("trainer.learning_rate=1e-6") == (["trainer", "learning_rate"], 1e-6)
    assert parse_override("data.limit=64") == (["data", "limit"], 64)
    assert parse_override("trainer.bf16=false") == (["trainer", "bf16"], False)
    with pytest.raises(RecipeError, match="section.key=value"):
        parse_override("trainer.learning_rate")


def test_load_recipe_applies_overrides_and_reads_scientific_notation(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("trainer:\n  learning_rate: 1e-6\n  beta: 0.04\n")
    recipe = load_recipe(path, ["trainer.beta=0.0", "data.name=gsm8k"])
    assert recipe == {"trainer": {"learning_rate": 1e-6, "beta": 0.0}, "data": {"name": "gsm8k"}}
    with pytest.raises(RecipeError, match="shipped recipes .*smoke.yaml"):
        load_recipe(tmp_path / "missing.yaml")
