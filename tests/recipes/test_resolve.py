"""recipes/resolve.py: a recipe resolved once into what the run is made of."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
R1 = str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml")


def test_stop_strings_reach_vllm_and_transformers_generation():
    from recipes.resolve import resolve_run

    def generation_kwargs(*overrides: str) -> dict:
        return resolve_run(R1, ["model.name_or_path=tiny", *overrides]).config.generation_kwargs

    assert generation_kwargs("trainer.use_vllm=true") == {
        "stop": ["</answer>"],
        "include_stop_str_in_output": True,
    }
    assert generation_kwargs("trainer.use_vllm=false") == {"stop_strings": ["</answer>"]}
    abel = generation_kwargs("trainer.use_vllm=false", "data.template=abel")
    assert abel == {"stop_strings": ["Question:", "Answer:"]}  # SimpleRL's evaluation stops (math_eval.py)


SMOKE = str(ROOT / "recipes" / "smoke.yaml")
SFT = str(ROOT / "recipes" / "sft_smoke.yaml")


def test_a_resolved_run_is_frozen():
    from recipes.resolve import resolve_run

    run = resolve_run(SMOKE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.recipe = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.config = None
    # its sequences can't be appended to either
    assert (
        isinstance(run.reward_params, tuple)
        and isinstance(run.rewards, tuple)
        and isinstance(run.stop, tuple)
    )
    assert len(run.rewards) == len(run.reward_params) == len(run.recipe.rewards) == 3


def test_overrides_reach_the_config_and_the_runner_fills_only_what_the_recipe_leaves_out(tmp_path):
    from recipes.resolve import resolve_run

    plain = resolve_run(SMOKE)
    run = resolve_run(
        SMOKE,
        [
            f"output_dir={tmp_path / 'run-a'}",
            "seed=7",
            "trainer.learning_rate=3e-4",
            "trainer.logging_steps=5",
            "rewards=[{name: accuracy, weight: 2.0}]",
        ],
    )
    assert (plain.config.learning_rate, run.config.learning_rate) == (1e-3, 3e-4)
    assert run.config.seed == 7 and run.recipe.seed == 7
    assert run.output_dir == tmp_path / "run-a" and run.config.run_name == "run-a"
    assert run.config.reward_weights == [2.0] and [e.name for e in run.recipe.rewards] == ["accuracy"]
    assert run.config.logging_steps == 5 and "logging_steps" not in run.injected  # the recipe's own value
    assert {"output_dir", "seed", "reward_weights", "run_name"} <= set(run.injected)
    without_output_dir = resolve_run(SMOKE, ["output_dir=null"])
    assert without_output_dir.output_dir == Path("outputs/smoke")  # outputs/<recipe name>


def test_rewards_are_bound_with_the_recipes_parameters_then_the_templates_then_the_defaults():
    from recipes.resolve import resolve_run

    run = resolve_run(SMOKE, ["trainer.max_completion_length=24"])
    params = dict(zip([e.name for e in run.recipe.rewards], run.reward_params, strict=True))
    assert params["soft_overlong"]["max_completion_len"] == 24  # the limit the trainer generates to
    assert params["soft_overlong"]["soft_punish_cache"] == 8  # the recipe's own
    assert params["format"]["answer_format"] == "answer_is"  # the template's
    written = resolve_run(
        SMOKE,
        [
            "trainer.max_completion_length=12",
            "rewards=[{name: soft_overlong, params: {soft_punish_cache: 4}}, "
            "{name: format, params: {answer_format: boxed}}]",
        ],
    )
    assert written.reward_params[1]["answer_format"] == "boxed"  # the recipe's, not the template's answer_is
    # the reward the run calls has the bound values: 10 tokens, 2 into the last 4 before the limit of 12
    assert written.rewards[0](completions=["x"], completion_ids=[[1] * 10]) == [-0.5]
    assert written.rewards[1](completions=["The final answer is $\\boxed{3}$."]) == [1.0]
    assert written.rewards[1](completions=["The answer is 3."]) == [0.0]


def test_evaluation_grades_as_training_unless_the_eval_section_says_otherwise():
    from recipes.resolve import resolve_run

    same = resolve_run(SMOKE, ["eval={benchmarks: [arithmetic]}"])
    assert same.evaluation_grader == same.training_grader
    own = resolve_run(SMOKE, ["eval={benchmarks: [arithmetic], extract: lenient, zero_if_truncated: true}"])
    assert own.evaluation_grader == {**own.training_grader, "extract": "lenient", "zero_if_truncated": True}
    settings = own.eval_settings(limit=5)
    assert settings["template"] == "answer_is" and settings["limit"] == 5 and settings["seed"] == 0
    assert settings["grader"] is own.evaluation_grader


def test_an_sft_recipe_resolves_to_an_sft_config_without_grpo_settings():
    from trl import GRPOConfig, SFTConfig

    from recipes.resolve import resolve_run

    run = resolve_run(SFT, ["trainer.per_device_train_batch_size=4", "trainer.gradient_accumulation_steps=3"])
    assert isinstance(run.config, SFTConfig) and not isinstance(run.config, GRPOConfig)
    assert run.config.max_length == 256 and run.config.per_device_train_batch_size == 4
    assert not {"reward_weights", "generation_kwargs", "use_vllm"} & set(run.injected)
    assert run.rewards == () and run.reward_params == ()
    assert run.batches == {"processes": 1, "completions_per_update": 12}  # no rollouts
    grpo = resolve_run(SMOKE)
    assert isinstance(grpo.config, GRPOConfig) and "prompts_per_rollout" in grpo.batches


def test_the_batch_arithmetic_scales_with_the_processes():
    from recipes.resolve import batch_arithmetic, resolve_run

    run = resolve_run(SMOKE, ["trainer.gradient_accumulation_steps=2"])
    one, three = batch_arithmetic(run.config, 1), batch_arithmetic(run.config, 3)
    assert (
        one == run.batches and one["completions_per_rollout"] == 8 * 2
    )  # steps_per_generation follows accumulation
    assert one["prompts_per_rollout"] == 16 // 4 and one["updates_per_rollout"] == 1
    assert three["completions_per_rollout"] == 3 * one["completions_per_rollout"]
    assert three["completions_per_update"] == 3 * one["completions_per_update"]


def test_what_trl_itself_refuses_is_a_recipe_error():
    from recipes.resolve import resolve_run
    from recipes.schema import RecipeError

    # generation_batch_size skips the recipe check's batch arithmetic: TRL's own check refuses 6 for groups of 4
    with pytest.raises(RecipeError, match=r"^trl\.GRPOConfig rejected the trainer section: .*6"):
        resolve_run(SMOKE, ["trainer.generation_batch_size=6"])
