"""recipes/provenance.py: a recipe's paper section compared with what the recipe resolves to, on a small recipe
written for the test (the smoke recipe with a paper section that follows, departs, differs and names keys
that don't exist)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import data
from recipes.provenance import UnknownKey, compare, problems, resolve_key, same, table
from recipes.resolve import resolve_run

ROOT = Path(__file__).resolve().parents[2]

PAPER = """
paper:
  title: A test paper
  gpus: 2
  settings:
    trainer.learning_rate: {value: 1.0e-3, cite: "sec. 1"}
    trainer.num_generations: {value: 8, cite: "sec. 2"}
    trainer.max_completion_length: {value: 32, cite: "sec. 3"}
    trainer.per_device_train_batch_size: {value: 8, cite: "sec. 4"}
    trainer.no_such_field: {value: 1, cite: "sec. 5"}
    rewards: {value: [accuracy, format, soft_overlong], cite: "sec. 6"}
    rewards.format.weight: {value: 0.1, cite: "sec. 6"}
    rewards.soft_overlong.max_completion_len: {value: 16, cite: "bound from trainer.max_completion_length"}
    data.name: {value: arithmetic, cite: "sec. 7"}
    data.levels: {value: [1], cite: "sec. 7"}
    batch.completions_per_rollout: {value: 16, cite: "8 per GPU on 2 GPUs"}
    precision.weights: {value: float32, cite: "sec. 8"}
  not_stated:
    trainer.logging_steps: {chose: 1, why: "every step"}
    trainer.save_steps: {chose: 10, why: "a checkpoint every ten steps"}
    model.lora.r: {chose: 16, why: "no LoRA in this recipe"}
  departures:
    - {setting: trainer.max_completion_length, paper: 32 tokens, here: 16 tokens, why: "a CPU | seconds", effect: shorter}
    - {setting: trainer.per_device_train_batch_size, paper: "8", here: "8", why: was 4, effect: none}
"""


@pytest.fixture
def recipe_path(tmp_path) -> str:
    path = tmp_path / "paper_smoke.yaml"
    path.write_text((ROOT / "recipes" / "smoke.yaml").read_text() + PAPER)
    return str(path)


def test_each_setting_follows_departs_differs_or_is_unknown(recipe_path):
    rows = {row.key: row for row in compare(resolve_run(recipe_path))}
    status = {key: row.status for key, row in rows.items()}
    assert status == {
        "trainer.learning_rate": "follows",
        "trainer.num_generations": "differs",  # the recipe has 4, and no departure says why
        "trainer.max_completion_length": "departs",
        "trainer.per_device_train_batch_size": "stale departure",  # listed, but the recipe follows now
        "trainer.no_such_field": "unknown key",
        "rewards": "follows",
        "rewards.format.weight": "follows",
        "rewards.soft_overlong.max_completion_len": "follows",  # bound from the trainer section
        "data.name": "follows",  # the one inline source's name
        "data.levels": "follows",
        "batch.completions_per_rollout": "follows",  # on the paper's 2 GPUs, not this run's 1 process
        "precision.weights": "follows",
        "trainer.logging_steps": "chose",
        "trainer.save_steps": "differs",  # the smoke recipe saves every 2 steps
        "model.lora.r": "unknown key",
    }
    assert rows["trainer.num_generations"].recipe == 4 and rows["trainer.num_generations"].paper == 8
    assert rows["trainer.max_completion_length"].note == "a CPU | seconds (shorter)"  # why (effect)
    assert rows["trainer.logging_steps"].paper == "not stated"
    assert rows["trainer.learning_rate"].note == "sec. 1"


def test_problems_name_only_what_a_reader_cannot_explain(recipe_path):
    found = problems(compare(resolve_run(recipe_path)))
    assert found == [
        "trainer.num_generations: paper 8, recipe 4, and no departure explains it",
        "trainer.per_device_train_batch_size is listed as a departure but now follows the paper (8)",
        "paper setting 'trainer.no_such_field' is not a key this recipe resolves",
        "trainer.save_steps: paper 'not stated', recipe 2, and no departure explains it",
        "paper setting 'model.lora.r' is not a key this recipe resolves",
    ]
    fixed = resolve_run(recipe_path, ["trainer.num_generations=8", "trainer.save_steps=10"])
    assert not [p for p in problems(compare(fixed)) if "num_generations" in p or "save_steps" in p]


def test_a_recipe_without_a_paper_section_has_no_rows():
    assert compare(resolve_run(str(ROOT / "recipes" / "smoke.yaml"))) == []


def test_keys_resolve_as_the_run_sees_them(recipe_path):
    run = resolve_run(recipe_path)
    # the batch on the paper's GPUs: twice this one-process run's
    assert resolve_key("batch.completions_per_rollout", run) == 2 * run.batches["completions_per_rollout"]
    assert resolve_key("batch.prompts_per_rollout", run) == 2 * run.batches["prompts_per_rollout"]
    assert resolve_key("rewards", run) == [entry.name for entry in run.recipe.rewards]
    # a reward parameter the recipe doesn't write: the bound default
    assert resolve_key("rewards.soft_overlong.soft_punish_cache", run) == 8
    assert resolve_key("rewards.format.answer_format", run) == data.get_template("answer_is").answer_format
    for key in (
        "rewards.nothing.weight",
        "trainer.nothing",
        "generation.nothing",
        "precision.dtype",
        "other.x",
    ):
        with pytest.raises(UnknownKey):
            resolve_key(key, run)


def test_generation_stop_is_what_reaches_the_generator(recipe_path):
    run = resolve_run(
        recipe_path, ["data.template=r1_drgrpo", 'trainer.generation_kwargs={stop_strings: ["Q:"]}']
    )
    assert resolve_key("generation.stop", run) == ["Q:", *data.get_template("r1_drgrpo").stop]
    assert data.get_template("r1_drgrpo").stop  # the template has stop strings of its own


def test_precision_is_the_policy_on_the_papers_gpus_whatever_this_machine_has(recipe_path):
    full, lora = resolve_run(recipe_path), resolve_run(recipe_path, ["model.lora={}"])
    assert full.precision.weights == lora.precision.weights == "float32"  # on this CPU
    assert resolve_key("precision.weights", full) == "float32"  # fp32 master weights on a bf16 GPU
    assert resolve_key("precision.weights", lora) == "bfloat16"  # a frozen bf16 base under LoRA
    # a section that is a dataclass resolves to its fields; "model.lora.r" to the one field
    assert resolve_key("model.lora", lora) == dataclasses.asdict(lora.recipe.model.lora)
    assert resolve_key("model.lora.r", lora) == lora.recipe.model.lora.r


def test_eval_keys_resolve_as_evaluation_grades(recipe_path):
    run = resolve_run(recipe_path, ["eval={benchmarks: [arithmetic], extract: lenient}"])
    assert resolve_key("eval.extract", run) == "lenient"  # the eval section's, over the accuracy reward's
    assert resolve_key("eval.zero_if_truncated", run) == run.training_grader["zero_if_truncated"]
    assert resolve_key("eval.benchmarks", run) == ["arithmetic"]
    assert resolve_key("eval.stop", run) == list(data.get_template("answer_is").stop)


def test_same_compares_numbers_up_to_rounding_and_never_a_bool_with_a_number():
    assert same(1e-6, 0.000001) and same(0.1 + 0.2, 0.3) and same(3, 3.0)
    assert not same(1e-6, 1.1e-6)
    assert not same(True, 1) and not same(0, False) and same(False, False)
    assert same([0.9, 0.95], (0.9, 0.95)) and not same([1, 2], [1, 2, 3]) and not same([1, 2], [2, 1])
    assert same({"a": [1, 2]}, {"a": (1, 2)}) and not same({"a": 1}, {"b": 1})
    assert not same("dapo", "grpo") and same("dapo", "dapo")


def test_the_table_has_a_row_per_setting_with_cells_that_keep_the_table_whole(recipe_path):
    rows = compare(resolve_run(recipe_path))
    lines = table(rows).splitlines()
    assert lines[0] == "| setting | paper | this recipe | status | citation / reason |"
    assert len(lines) == 2 + len(rows)
    assert all(line.count("|") == 6 for line in lines)  # the note's own "|" does not add a column
    departs = next(line for line in lines if line.startswith("| trainer.max_completion_length |"))
    assert departs == "| trainer.max_completion_length | 32 | 16 | departs | a CPU / seconds (shorter) |"
    long = rows[0].__class__("k", "x" * 100, 1, "follows", "n")
    assert table([long]).splitlines()[2] == f"| k | {'x' * 60}... | 1 | follows | n |"
