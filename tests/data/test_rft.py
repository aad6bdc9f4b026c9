"""data/rft.py: which sampled completions RFT keeps, and the evaluation folders it reads."""

import json

import pytest

import data
from data.rft import read_evaluation, select_completions, write_rft_data
from tests.fakes import evaluate_training_problems

PROBLEMS = 6  # tests.fakes.evaluate_training_problems' default


@pytest.fixture
def evaluation(tmp_path):
    """A real evaluation folder of the training split, sampled from a canned policy: per solved problem two
    right answers equal up to whitespace, a third right one, a wrong one, a right one cut off."""
    return evaluate_training_problems(tmp_path / "samples")


def _even(rows) -> int:
    return sum(int(r["answer"]) % 2 == 0 for r in rows)


def test_only_strictly_correct_whole_completions_are_kept(evaluation):
    loaded = read_evaluation(evaluation)
    kept, counts = select_completions(loaded.records)
    solved = _even(loaded.records)
    assert 0 < solved < PROBLEMS and counts.problems_kept == solved
    assert counts.kept == 3 * solved and counts.truncated == solved
    assert counts.incorrect == 5 * (PROBLEMS - solved) + solved
    assert all(record["answer"] in text.splitlines()[-1] for record, text in kept)
    assert counts.kept + counts.incorrect + counts.truncated == counts.completions == 5 * PROBLEMS


def test_dedupe_drops_repeats_up_to_whitespace_and_the_cap_keeps_the_first(evaluation):
    records = read_evaluation(evaluation).records
    solved = _even(records)
    kept, counts = select_completions(records, dedupe=True)
    assert counts.kept == 2 * solved and counts.duplicate == solved
    kept, counts = select_completions(records, dedupe=True, max_per_problem=1)
    assert counts.kept == solved and counts.over_cap == solved
    assert all(
        text.endswith(f"The answer is {record['answer']}.") and "=  " not in text for record, text in kept
    )


def test_the_file_holds_what_sft_reads_and_the_provenance_counts_it(evaluation, tmp_path):
    out = tmp_path / "rft.jsonl"
    counts = write_rft_data(read_evaluation(evaluation), out, dedupe=True, max_per_problem=2)
    rows = [json.loads(line) for line in out.open()]
    assert len(rows) == counts.kept > 0
    problems = {r["id"]: r for r in data.load("arithmetic", split="train", limit=PROBLEMS, levels=[1])}
    for row in rows:
        assert {"question", "answer", "completion", "problem_id", "level"} <= set(row)
        assert row["question"] == problems[row["problem_id"]]["question"]
    provenance = json.loads((tmp_path / "rft.provenance.json").read_text())
    assert provenance["model"] == "canned-model" and provenance["benchmark"] == "arithmetic"
    assert (
        provenance["evaluation_settings"]["n"] == 5 and provenance["evaluation_settings"]["split"] == "train"
    )
    assert provenance["options"] == {"dedupe": True, "max_per_problem": 2}
    assert provenance["counts"]["kept"] == counts.kept and provenance["counts"]["incorrect"] > 0
    assert "data.completion_field=completion" in provenance["recipe_overrides"]
    assert "data.template=answer_is" in provenance["recipe_overrides"]


def test_evaluations_rft_cant_use_are_refused(tmp_path, evaluation):
    with pytest.raises(data.DataError, match="does not exist"):
        read_evaluation(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(data.DataError, match="is not an evaluation's output folder"):
        read_evaluation(tmp_path / "plain")
    settings = json.loads((evaluation / "settings.json").read_text())
    (evaluation / "settings.json").write_text(json.dumps({**settings, "split": "test"}))
    with pytest.raises(data.DataError, match="sampled the test split"):
        read_evaluation(evaluation)
    lenient = {**settings, "grader": {**settings["grader"], "extract": "lenient"}}
    (evaluation / "settings.json").write_text(json.dumps(lenient))
    with pytest.raises(data.DataError, match="graded with --extract lenient"):
        read_evaluation(evaluation)
