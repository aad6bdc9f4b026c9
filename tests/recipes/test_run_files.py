"""recipes/run_files.py: the checkpoint a rerun resumes from, the completion log trimmed to it, and the summary
of a run that finished before."""

from __future__ import annotations

import json
import logging

from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe
from recipes.run_files import (
    dump_yaml,
    finished_summary,
    last_complete_checkpoint,
    recipe_as_dict,
    trim_completions,
)


def _checkpoint(output_dir, step, state="whole"):
    folder = output_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    if state == "whole":
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": []}))
    elif state == "cut":
        (folder / "trainer_state.json").write_text('{"global_step": ' + str(step) + ', "log_hi')
    return folder


def test_the_newest_checkpoint_with_a_readable_trainer_state_is_resumed_from(tmp_path, caplog):
    assert last_complete_checkpoint(tmp_path / "missing") is None
    assert last_complete_checkpoint(tmp_path) is None
    _checkpoint(tmp_path, 2)
    ten = _checkpoint(tmp_path, 10)  # numerically newest, though "checkpoint-10" < "checkpoint-9" as text
    _checkpoint(tmp_path, 9)
    assert last_complete_checkpoint(tmp_path) == ten
    _checkpoint(tmp_path, 12, state="cut")  # a kill or a full disk mid-write
    _checkpoint(tmp_path, 14, state="absent")  # nothing written at all
    (tmp_path / "checkpoint-final").mkdir()  # not a step
    (tmp_path / "checkpoint-20").write_text("a file, not a folder")
    with caplog.at_level(logging.WARNING, logger="recipes.train"):
        assert last_complete_checkpoint(tmp_path) == ten
    assert "checkpoint-14 is incomplete" in caplog.text and "checkpoint-12 is incomplete" in caplog.text


def test_a_folder_of_only_incomplete_checkpoints_starts_over(tmp_path):
    _checkpoint(tmp_path, 4, state="cut")
    _checkpoint(tmp_path, 2, state="absent")
    assert last_complete_checkpoint(tmp_path) is None


def _log(path, steps):
    path.write_text("".join(json.dumps({"step": step, "completion": f"c{step}"}) + "\n" for step in steps))


def test_completions_logged_after_the_resumed_step_are_dropped(tmp_path):
    path = tmp_path / "completions.jsonl"
    _log(path, [1, 1, 2, 2, 3, 3, 4])
    trim_completions(path, 2)
    assert [json.loads(line)["step"] for line in path.open()] == [1, 1, 2, 2]
    trim_completions(path, 2)  # nothing after step 2 left: the file stays as it is
    assert [json.loads(line)["step"] for line in path.open()] == [1, 1, 2, 2]
    trim_completions(tmp_path / "absent.jsonl", 2)  # no log yet: nothing to do
    assert not (tmp_path / "absent.jsonl").exists()


def test_a_line_torn_by_the_kill_is_dropped_with_the_later_steps(tmp_path):
    path = tmp_path / "completions.jsonl"
    _log(path, [1, 2, 3])
    path.write_text(path.read_text() + '{"step": 3, "compl')  # the write the kill cut short
    trim_completions(path, 3)
    assert [json.loads(line)["step"] for line in path.open()] == [1, 2, 3]


def test_a_finished_run_of_the_same_recipe_is_found_whatever_its_eval_section(tmp_path):
    def recipe(*overrides):
        return parse_recipe(load_recipe("recipes/smoke.yaml", [f"output_dir={tmp_path}", *overrides]))

    assert finished_summary(recipe(), tmp_path) is None  # nothing there yet
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.json").write_text("{}")
    (tmp_path / "recipe.yaml").write_text(dump_yaml(recipe_as_dict(recipe())))
    summary = {"final_model": str(tmp_path / "final"), "global_step": 3, "interrupted": None}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert finished_summary(recipe(), tmp_path) == summary
    assert finished_summary(recipe("eval={benchmarks: [arithmetic], limit: 2}"), tmp_path) == summary
    assert finished_summary(recipe("trainer.learning_rate=1e-4"), tmp_path) is None  # trains (and resumes)
    (tmp_path / "summary.json").write_text(json.dumps({**summary, "interrupted": "SIGTERM"}))
    assert finished_summary(recipe(), tmp_path) is None
