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


def _sft(**sections):
    return {
        "trainer_type": "sft",
        "model": {"name_or_path": "tiny"},
        "data": {"name": "arithmetic", "template": "answer_is"},
        **sections,
    }


def _one_problem(raw, **kwargs) -> str:
    """The message of the RecipeError parse_recipe raises, which must be a single line."""
    with pytest.raises(RecipeError) as error:
        parse_recipe(raw, **kwargs)
    message = str(error.value)
    assert "\n" not in message, message
    return message


def test_several_bad_sections_are_reported_at_once_one_line_each():
    raw = _recipe(
        model="tiny",
        data={"name": "arithmetic", "split": "validation", "template": "answer_is"},
        eval={"benchmarks": ["gsm8kk"]},
    )
    with pytest.raises(RecipeError) as error:
        parse_recipe(raw)
    lines = str(error.value).splitlines()
    assert any(line.startswith("model must be a mapping of name_or_path") for line in lines), lines
    raw["model"] = {"name_or_path": "tiny"}
    with pytest.raises(RecipeError) as error:
        parse_recipe(raw)
    lines = str(error.value).splitlines()
    assert "data.split 'validation': arithmetic has splits train, test" in lines
    assert any(
        line.startswith("eval.benchmarks: unknown benchmark 'gsm8kk'; did you mean gsm8k?") for line in lines
    )


def test_data_and_trainer_sections_name_the_entry_and_the_fix():
    twice = {"sources": [{"name": "arithmetic"}, {"name": "arithmetic"}], "template": "answer_is"}
    assert "data.sources[1] is the same source as data.sources[0]" in _one_problem(_recipe(data=twice))
    beside = {"sources": [{"name": "arithmetic"}], "limit": 3, "template": "answer_is"}
    assert "set limit inside each source, not beside the list" in _one_problem(_recipe(data=beside))
    assert _one_problem(_recipe(data={"name": "arithmetic"})).startswith("data.template is required")
    trainer = {"per_device_train_batch_size": 8, "num_generations": 4}
    assert _one_problem(_recipe(trainer={**trainer, "seed": 3})) == (
        "trainer.seed: set seed at the top level of the recipe"
    )
    assert _one_problem(_recipe(trainer={**trainer, "num_generations": None})).startswith(
        "trainer.num_generations can't be null"
    )
    assert (
        _one_problem(_recipe(trainer={**trainer, "top_p": 1.5})) == "trainer.top_p must be at most 1, got 1.5"
    )
    assert "trainer.temperature must be above 0" in _one_problem(
        _recipe(trainer={**trainer, "temperature": 0})
    )
    assert "trainer.max_steps must be -1" in _one_problem(_recipe(trainer={**trainer, "max_steps": 0}))


def _valid_settings(message: str) -> list[dict[str, int]]:
    """The settings an indivisible-batch message suggests ("try a=1 or b=2"), each as trainer overrides."""
    suggestions = message.split("; try ")[1].split(" or ")
    return [{key: int(value)} for key, value in (s.split("=") for s in suggestions)]


@pytest.mark.parametrize(
    ("trainer", "processes"),
    [
        ({"per_device_train_batch_size": 3, "gradient_accumulation_steps": 2, "num_generations": 4}, 1),
        ({"per_device_train_batch_size": 5, "num_generations": 8}, 1),
        ({"per_device_train_batch_size": 3, "num_generations": 4}, 2),
        ({"per_device_train_batch_size": 7, "num_generations": 6}, 3),
    ],
)
def test_every_suggested_batch_setting_is_accepted(trainer, processes):
    message = _one_problem(_recipe(trainer=trainer), num_processes=processes)
    batch = trainer["per_device_train_batch_size"] * trainer.get("gradient_accumulation_steps", 1) * processes
    assert (
        f"= {batch} completions is not divisible by num_generations ({trainer['num_generations']})" in message
    )
    suggested = _valid_settings(message)
    assert len(suggested) >= 2
    for setting in suggested:  # each suggestion, applied alone, makes the recipe valid
        parse_recipe(_recipe(trainer={**trainer, **setting}), num_processes=processes)


def test_the_generation_batch_counts_steps_per_generation_not_gradient_accumulation():
    # TRL generates per_device_train_batch_size x steps_per_generation completions at a time: 2 x 3 = 6
    # holds no whole groups of 4, though 2 x gradient_accumulation_steps (2) would
    trainer = {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2, "num_generations": 4}
    parse_recipe(_recipe(trainer=trainer))
    message = _one_problem(_recipe(trainer={**trainer, "steps_per_generation": 3}))
    assert "x steps_per_generation (3) x processes (1) = 6 completions" in message
    # a generation batch of its own is TRL's to check
    parse_recipe(_recipe(trainer={**trainer, "steps_per_generation": 3, "generation_batch_size": 8}))


def test_dynamic_sampling_is_refused_on_several_processes():
    recipe = _recipe(dynamic_sampling={"max_rounds": 2})
    parse_recipe(recipe)
    assert "dynamic_sampling runs on one process, and this run has 2" in _one_problem(recipe, num_processes=2)


def test_an_sft_recipe_checks_its_trainer_against_sft_config_and_needs_no_reward():
    recipe = parse_recipe(_sft(trainer={"max_length": 256, "per_device_train_batch_size": 3}))
    assert recipe.trainer_type == "sft" and recipe.rewards == []
    # the same recipe as GRPO needs a reward, and its batch must hold whole groups
    with pytest.raises(RecipeError, match="rewards: list at least one reward"):
        parse_recipe({**_sft(trainer={"per_device_train_batch_size": 8}), "trainer_type": "grpo"})
    with pytest.raises(RecipeError, match="unknown entry trainer.max_length"):
        parse_recipe(
            _recipe(trainer={"max_length": 256, "per_device_train_batch_size": 8, "num_generations": 4})
        )


@pytest.mark.parametrize("key", ["num_generations", "max_completion_length", "beta", "temperature"])
def test_an_sft_recipe_refuses_a_grpo_only_trainer_key_in_one_line(key):
    from trl import GRPOConfig

    value = GRPOConfig.__dataclass_fields__[key].default  # a valid GRPO value: only the trainer type is wrong
    message = _one_problem(_sft(trainer={key: value}))
    assert message.startswith(f"trainer.{key} is a GRPO option, not a field of trl.SFTConfig; remove it")
    assert "did you mean" not in message  # not num_train_epochs for num_generations


@pytest.mark.parametrize(
    ("key", "value"), [("online_rft", True), ("dynamic_sampling", {"max_rounds": 2}), ("shared_prompt", True)]
)
def test_an_sft_recipe_refuses_the_sampling_options_in_one_line(key, value):
    message = _one_problem(_sft(**{key: value}))
    assert (
        message == f"{key} is a GRPO option; remove it (trainer_type: sft trains on the data's completions)"
    )


def test_a_completion_field_is_for_sft_only():
    data_section = {"name": "arithmetic", "template": "answer_is", "completion_field": "completion"}
    assert parse_recipe(_sft(data=data_section)).data.completion_field == "completion"
    assert _one_problem(_recipe(data=data_section)).startswith(
        "data.completion_field is for trainer_type: sft"
    )


def test_online_rft_needs_the_accuracy_reward_and_excludes_dynamic_sampling():
    assert parse_recipe(_recipe(online_rft=True)).online_rft
    message = _one_problem(_recipe(online_rft=True, rewards=[{"name": "format"}]))
    assert message == (
        "online_rft trains on the completions the accuracy reward pays: add {name: accuracy} to rewards"
    )
    assert parse_recipe(
        _recipe(online_rft=True, rewards=["format", "accuracy"])
    ).online_rft  # anywhere in the list
    assert _one_problem(_recipe(online_rft=True, dynamic_sampling={})) == (
        "online_rft and dynamic_sampling both decide which completions train; keep one"
    )


def test_an_sft_recipe_takes_the_losses_sft_trainer_takes():
    assert parse_recipe(_sft(trainer={"loss_type": "dft"})).trainer["loss_type"] == "dft"
    message = _one_problem(_sft(trainer={"loss_type": "dapo"}))  # a GRPO loss: SFTTrainer would refuse it
    assert message.startswith("trainer.loss_type 'dapo' is not one trl.SFTConfig accepts: nll, dft")
