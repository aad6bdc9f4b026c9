"""eval/harness.py: other harnesses' real output files (tests/fixtures/harness, written by the tools
themselves) read back to their own scores, beside ours."""

import json
from pathlib import Path

import pytest

from eval.harness import detect_format, read_harness_file
from eval.score import main as score_main
from eval.score import score_rows

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "harness"
# (file, format, the harness's own aggregate file, the task's key in it)
FILES = [
    ("lm_eval-0.4.13_gsm8k_samples.jsonl", "lm-eval", "lm_eval-0.4.13_results.json", "gsm8k_local"),
    (
        "lm_eval-0.4.13_minerva_math500_samples.jsonl",
        "lm-eval",
        "lm_eval-0.4.13_results.json",
        "minerva_math500_local",
    ),
    ("lighteval-0.13.0_gsm8k_details.parquet", "lighteval", "lighteval-0.13.0_results.json", "gsm8k_local|0"),
    (
        "lighteval-0.13.0_math_500_details.parquet",
        "lighteval",
        "lighteval-0.13.0_results.json",
        "math_500_local|0",
    ),
    (
        "lighteval-0.10.0_gsm8k_details.parquet",
        "lighteval",
        "lighteval-0.10.0_results.json",
        "community|gsm8k_local|0",
    ),
    (
        "lighteval-0.10.0_math_500_details.parquet",
        "lighteval",
        "lighteval-0.10.0_results.json",
        "community|math_500_local|0",
    ),
]


@pytest.mark.parametrize(("name", "kind", "results", "task"), FILES, ids=[f[0] for f in FILES])
def test_per_sample_scores_read_back_to_the_harness_own_aggregates(name, kind, results, task):
    path = FIXTURES / name
    assert detect_format(path) == kind
    rows = read_harness_file(path, kind)
    assert len(rows) == 5 and all(row["completions"] and row["answer"] for row in rows)
    published = json.loads((FIXTURES / results).read_text())["results"][task]
    metrics = score_rows(rows)["harness"]["metrics"]
    assert metrics and all(pytest.approx(published[metric]) == value for metric, value in metrics.items())


def test_lm_eval_strict_and_flexible_against_ours_strict_and_lenient():
    rows = read_harness_file(FIXTURES / "lm_eval-0.4.13_gsm8k_samples.jsonl", "lm-eval")
    assert [row["id"] for row in rows] == ["0", "1", "2", "3", "4"]
    metrics = score_rows(rows)
    # our strict score is lm-eval's strict-match, and our lenient one its flexible-extract, on these five
    assert metrics["pass@1"] == metrics["harness"]["metrics"]["exact_match,strict-match"] == 0.6
    assert metrics["pass@1_lenient"] == metrics["harness"]["metrics"]["exact_match,flexible-extract"] == 0.8
    [differs] = metrics["harness"]["disagreements"]["exact_match,flexible-extract"]
    assert differs["id"] == "2" and differs["gold"] == "70000"
    assert differs["harness"] == {
        "score": 1.0,
        "extracted": "70,000",
    }  # the number, never stated as the answer
    assert differs["ours"] == {"answer": None, "strict": 0.0, "lenient": 1.0}


def test_golds_are_read_as_the_data_sets_store_them(shared_dir):
    from rewards import grade_answers

    gsm8k = [json.loads(line) for line in (shared_dir / "benchmarks" / "gsm8k_test.jsonl").open()]
    math500 = {
        row["unique_id"]: row["answer"]
        for row in map(json.loads, (shared_dir / "benchmarks" / "math500_test.jsonl").open())
    }
    for row in read_harness_file(FIXTURES / "lm_eval-0.4.13_gsm8k_samples.jsonl", "lm-eval"):
        assert row["answer"] == gsm8k[int(row["id"])]["answer"].split("####")[-1].strip().replace(",", "")
    for row in read_harness_file(FIXTURES / "lighteval-0.13.0_gsm8k_details.parquet", "lighteval"):
        assert row["answer"] == gsm8k[int(row["id"])]["answer"].split("####")[-1].strip().replace(",", "")
    minerva = read_harness_file(FIXTURES / "lm_eval-0.4.13_minerva_math500_samples.jsonl", "lm-eval")
    golds = [math500[row["id"]] for row in minerva]
    assert grade_answers(golds, [row["answer"] for row in minerva]) == [1.0] * len(minerva)


@pytest.mark.parametrize(
    ("content", "suffix", "fmt", "expected"),
    [
        (b"not parquet", ".parquet", "auto", "not a readable parquet file"),
        (
            b'{"doc_id": 0, "resps": [["x"]]}\n',
            ".jsonl",
            "lm-eval",
            "line 1: not an lm-eval --log_samples record",
        ),
        (
            b'{"doc_id": 0, "doc": {}, "resps": [["x"]], "filtered_resps": ["x"]}\n{oops\n',
            ".jsonl",
            "auto",
            "line 2: not JSON",
        ),
    ],
)
def test_damaged_harness_files_are_one_line_errors(content, suffix, fmt, expected, tmp_path, capsys):
    path = tmp_path / f"samples{suffix}"
    path.write_bytes(content)
    assert score_main([str(path), "--format", fmt]) == 2
    error = capsys.readouterr().err
    assert expected in error and "Traceback" not in error and error.count("\n") == 1
