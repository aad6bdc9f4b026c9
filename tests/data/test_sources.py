"""data/sources.py: loading the named sources, local files and the Hub into the common schema,
with clear errors."""

import json
import logging
import time

import pytest

import data
from data import DataError, load
from rewards import accuracy_reward

BENCHMARKS = [
    ("gsm8k", "test", "gsm8k_test.jsonl", 1319),
    ("gsm8k", "train", "gsm8k_train.jsonl", 7473),
    ("math500", "test", "math500_test.jsonl", 500),
    ("aime24", "test", "aime24_test.jsonl", 30),
    ("amc23", "test", "amc23_test.jsonl", 40),
]


@pytest.mark.parametrize(("name", "split", "filename", "rows"), BENCHMARKS)
def test_real_benchmark_files_load_whole_and_grade_correct(shared_dir, name, split, filename, rows):
    path = shared_dir / "benchmarks" / filename
    dataset = load(name, split=split, data_files=path)
    assert len(dataset) == rows == sum(1 for _ in path.open())
    assert set(dataset.column_names) >= {"id", "question", "answer", "solution", "source"}
    assert len(set(dataset["id"])) == rows
    golds = dataset["answer"]
    assert all(isinstance(g, str) and g for g in golds)
    canonical = [f"#### {g}" if name == "gsm8k" else f"The final answer is $\\boxed{{{g}}}$." for g in golds]
    assert accuracy_reward(canonical, golds) == [1.0] * rows


def test_gsm8k_gold_drops_thousands_commas(shared_dir):
    dataset = load("gsm8k", split="test", data_files=shared_dir / "benchmarks" / "gsm8k_test.jsonl")
    assert not any("," in g for g in dataset["answer"])
    assert "-10" in dataset["answer"]  # negative golds survive
    assert dataset[0]["solution"].startswith("Janet sells") and "####" not in dataset[0]["solution"]


def test_math500_keeps_metadata(shared_dir):
    row = load("math500", split="test", data_files=shared_dir / "benchmarks" / "math500_test.jsonl")[0]
    assert row["id"] == "math500-test/precalculus/807.json"
    assert row["subject"] == "Precalculus" and row["level"] == 2


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_hendrycks_math_layout_extracts_the_last_boxed_with_nested_braces(tmp_path):
    rows = [
        {
            "problem": "P1",
            "solution": r"First \boxed{1}, finally $\boxed{\frac{\sqrt{3}}{2}}$.",
            "level": "Level 3",
            "type": "Algebra",
        },
        {"problem": "P2", "solution": "no box here", "level": "Level 1", "type": "Algebra"},
    ]
    path = _write_jsonl(tmp_path / "math.jsonl", rows)
    dataset = load("math", split="test", data_files=path)
    assert dataset["answer"] == [r"\frac{\sqrt{3}}{2}"]  # the row without a gold is dropped, not silently
    assert dataset[0]["level"] == 3 and dataset[0]["subject"] == "Algebra"
    with pytest.raises(DataError, match=r"row 1: no gold answer in field 'solution'"):
        load("math", split="test", data_files=path, strict=True)


def test_dropped_rows_are_counted_in_the_log(tmp_path, caplog):
    path = _write_jsonl(
        tmp_path / "g.jsonl",
        [{"question": "q", "answer": "x\n#### 5"}, {"question": "q2", "answer": "no hash"}],
    )
    with caplog.at_level(logging.WARNING, logger="data.sources"):
        assert len(load("gsm8k", split="test", data_files=path)) == 1
    assert "dropped 1 of 2 rows" in caplog.text


def test_missing_field_names_file_row_and_existing_fields(tmp_path):
    path = _write_jsonl(
        tmp_path / "bad.jsonl", [{"question": "q", "solution": "x"}, {"question": "q", "solution": "y"}]
    )
    with pytest.raises(DataError) as error:
        load("gsm8k", split="test", data_files=path)
    message = str(error.value)
    assert (
        "bad.jsonl" in message
        and "row 0" in message
        and "'answer'" in message
        and "['question', 'solution']" in message
    )
    # a field missing from one row only is that row's missing gold: strict mode names the row
    path = _write_jsonl(
        tmp_path / "gap.jsonl", [{"question": "q", "answer": "#### 1"}, {"question": "q", "solution": "x"}]
    )
    with pytest.raises(DataError, match="gap.jsonl, row 1: no gold answer"):
        load("gsm8k", split="test", data_files=path, strict=True)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load("gsm8k", split="test", data_files=tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="jsonl"):
        load("gsm8k", split="test", data_files=tmp_path / "x.txt")


def test_data_files_dict_of_splits(tmp_path):
    train = _write_jsonl(tmp_path / "train.jsonl", [{"question": "a", "answer": "#### 1"}])
    test = _write_jsonl(
        tmp_path / "test.jsonl",
        [{"question": "b", "answer": "#### 2"}, {"question": "c", "answer": "#### 3"}],
    )
    files = {"train": str(train), "test": str(test)}
    assert len(load("gsm8k", split="train", data_files=files)) == 1
    assert load("gsm8k", split="test", data_files=files)["answer"] == ["2", "3"]


def test_any_local_file_with_a_field_mapping(tmp_path):
    for suffix in ("jsonl", "csv", "parquet"):
        path = tmp_path / f"mine.{suffix}"
        rows = [{"q": "What is 2+2?", "a": 4}, {"q": "What is 3+3?", "a": 6}]
        if suffix == "jsonl":
            _write_jsonl(path, rows)
        else:
            import datasets

            getattr(datasets.Dataset.from_list(rows), f"to_{suffix}")(str(path))
        dataset = load(str(path), question_field="q", answer_field="a", limit=1)
        assert dataset[0]["question"] == "What is 2+2?" and dataset[0]["answer"] == "4"
    with pytest.raises(DataError, match="question_field"):
        load(str(path))


def test_a_files_reference_solution_is_its_solution_field(tmp_path):
    """What SFT on reference solutions trains on, from a file of problems."""
    rows = [{"q": "What is 2+2?", "a": 4, "solution": "2 + 2 = 4", "worked": "two and two"}]
    path = _write_jsonl(tmp_path / "mine.jsonl", rows)
    assert load(str(path), question_field="q", answer_field="a")[0]["solution"] == "2 + 2 = 4"
    assert (
        load(str(path), question_field="q", answer_field="a", solution_field="worked")[0]["solution"]
        == "two and two"
    )
    path = _write_jsonl(tmp_path / "bare.jsonl", [{"q": "What is 2+2?", "a": 4}])
    assert load(str(path), question_field="q", answer_field="a")[0]["solution"] == ""


def test_kept_fields_come_through_as_they_are_and_a_row_without_one_is_named(tmp_path):
    """A file of SFT completions (data.completion_field) keeps its completions; the common schema alone
    would drop them."""
    rows = [{"q": "What is 2+2?", "a": 4, "completion": "2 + 2 = 4\nThe answer is 4."}]
    path = _write_jsonl(tmp_path / "sft.jsonl", rows)
    dataset = load(str(path), question_field="q", answer_field="a", keep_fields=["completion"])
    assert dataset[0]["completion"] == "2 + 2 = 4\nThe answer is 4." and dataset[0]["answer"] == "4"
    assert "completion" not in load(str(path), question_field="q", answer_field="a").column_names
    path = _write_jsonl(tmp_path / "plain.jsonl", [{"q": "What is 2+2?", "a": 4, "text": "x"}])
    with pytest.raises(
        DataError,
        match=r"plain.jsonl, row 0: no field 'completion'; the rows have fields \['a', 'q', 'text'\]",
    ):
        load(str(path), question_field="q", answer_field="a", keep_fields=["completion"])
    with pytest.raises(DataError, match="arithmetic is generated: it has no field 'completion'"):
        load("arithmetic", limit=1, keep_fields=["completion"])


def test_a_hub_name_fails_fast_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(DataError) as error:
        load("gsm8k", split="test")
    assert time.monotonic() - start < 30  # not a minute of retries (a generous bound, not a benchmark)
    assert "openai/gsm8k" in str(error.value) and "data_files=" in str(error.value)


def test_a_hub_name_without_network_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(data.sources, "hub_reachable", lambda timeout_s=3.0: False)
    with pytest.raises(DataError, match=r"can't reach the Hugging Face Hub.*data_files="):
        load("math500", split="test")


def test_unknown_split_and_bad_limit():
    with pytest.raises(DataError, match="splits train, test"):
        load("gsm8k", split="validation", data_files="x.jsonl")
    with pytest.raises(DataError, match="limit"):
        load("arithmetic", limit=0)


def test_math_train_12k_excludes_math500(tmp_path):
    def math_row(problem, answer):
        return {
            "problem": problem,
            "solution": f"so \\boxed{{{answer}}}",
            "level": "Level 1",
            "type": "Algebra",
        }

    train = _write_jsonl(tmp_path / "train.jsonl", [math_row("Find $x$.", 1), math_row("Find y.", 2)])
    test = _write_jsonl(tmp_path / "test.jsonl", [math_row("Find z.", 3), math_row("Find w.", 4)])
    math500 = _write_jsonl(
        tmp_path / "m500.jsonl",
        [
            {
                "problem": "Find  x.",
                "solution": "",
                "answer": "1",
                "subject": "Algebra",
                "level": 1,
                "unique_id": "t/1",
            }
        ],
    )
    dataset = load("math", split="train_12k", data_files={"train": train, "test": test, "math500": math500})
    assert sorted(dataset["question"]) == ["Find w.", "Find y.", "Find z."]
