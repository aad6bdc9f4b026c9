"""Data loading: real benchmark files, the common schema, clear errors, templates, decontamination."""

import json
import logging
import re
import time

import pytest

import data
from data import DataError, load, overlap
from data.arithmetic import generate
from rewards import accuracy_reward, format_reward

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


@pytest.mark.parametrize("name", sorted(data.TEMPLATES))
def test_every_template_builds_a_prompt_and_declares_its_format(name):
    template = data.TEMPLATES[name]
    assert template.source
    prompt = load("arithmetic", split="test", limit=1, template=name)[0]["prompt"]
    question = load("arithmetic", split="test", limit=1)[0]["question"]
    if template.plain is not None:
        assert isinstance(prompt, str) and question in prompt
    else:
        assert prompt[-1]["role"] == "user" and question in prompt[-1]["content"]
    # the declared format is one the format reward knows
    assert format_reward(["x"], **template.reward_params) == [0.0]


def test_templates_quote_their_sources():
    assert "\\boxed{}" in data.TEMPLATES["qwen_boxed"].apply("Q")[-1]["content"]
    assert data.TEMPLATES["r1_zero"].apply("Q").startswith("A conversation between User and Assistant.")
    assert data.TEMPLATES["r1_zero_prefill"].think_prefilled
    with pytest.raises(KeyError, match="choose one of"):
        data.get_template("r2")


def test_arithmetic_is_deterministic_disjoint_and_correct():
    first, again = generate("train", 300, seed=1), generate("train", 300, seed=1)
    assert first == again
    assert generate("train", 300, seed=2) != first
    train_ids = {r["id"] for r in generate("train", 2000, seed=0)} | {
        r["id"] for r in generate("train", 2000, seed=5)
    }
    test_ids = {r["id"] for r in generate("test", 500, seed=0)}
    assert not train_ids & test_ids
    for row in generate("test", 200, levels=[1, 2]):
        expression = row["question"].removeprefix("What is ").rstrip("?").replace("x", "*")
        assert eval(expression) == int(row["answer"])  # noqa: S307 - our own generated arithmetic
    levels = {r["level"] for r in generate("test", 40)}
    assert levels == {1, 2, 3, 4}


def test_arithmetic_test_problems_never_appear_commuted_in_training():
    def operands(row):
        match = re.fullmatch(r"What is (\d+) ([+x]) (\d+)\?", row["question"])
        return (match.group(2), frozenset([match.group(1), match.group(3)])) if match else None

    train = {operands(r) for r in generate("train", 4000, levels=[1])} - {None}
    test = {operands(r) for r in generate("test", 500, levels=[1])} - {None}
    assert test and not train & test


def test_overlap_reports_and_removes(tmp_path):
    train = load("arithmetic", split="train", limit=50, levels=[1])
    import datasets

    leaked = datasets.Dataset.from_list([{"question": "what is  " + train[3]["question"][8:].upper() + " "}])
    cleaned, report = overlap(train, {"leak": leaked, "none": leaked.select([])})
    assert report == {"leak": 1, "none": 0}
    assert len(cleaned) == 49 and train[3]["id"] not in cleaned["id"]
    kept, _ = overlap(train, {"leak": leaked}, remove=False)
    assert len(kept) == 50


def test_decontamination_keeps_operators_and_numbers():
    import datasets

    def questions(*texts):
        return datasets.Dataset.from_list([{"question": text} for text in texts])

    train = questions("What is 89 + 44?", "What is 10 + 77?", "What is $\\frac{1}{2}$ of 1,000?")
    held_out = questions("What is 89 - 44?", "What is 10 + 7 - 7?", "what is \\frac{1}{2}  of 1000")
    kept, report = overlap(train, {"test": held_out})
    # different problems stay; a true copy (case, spacing, delimiters, a thousands comma) goes
    assert report == {"test": 1} and kept["question"] == ["What is 89 + 44?", "What is 10 + 77?"]


def test_the_generated_arithmetic_sets_share_no_problem():
    # disjoint by construction: the demo's training set loses nothing to its held-out set
    train = load("arithmetic", split="train", levels=[1], limit=2000)
    _, report = overlap(train, {"arithmetic": load("arithmetic", split="test")}, remove=False)
    assert report == {"arithmetic": 0}


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


def test_atomic_writes_keep_the_usual_file_mode(tmp_path):
    """mkstemp's private 0600 must not leak into results that others on a cluster read: an atomic write
    gets the mode a plain write gets."""
    import stat

    from data.files import write_atomic

    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    atomic = write_atomic(tmp_path / "metrics.json", "{}")
    assert stat.S_IMODE(atomic.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
