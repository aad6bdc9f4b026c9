"""eval/score.py: scoring rows of completions."""

import pytest

from eval.score import main as score_main
from eval.score import score_rows


def test_score_rows_with_answers_and_with_benchmark_ids(shared_dir):
    rows = [
        {"completions": ["#### 5", "#### 6", "The answer is 5."], "answer": "5"},
        {"completion": r"\boxed{\frac{1}{2}}", "answer": "0.5"},
    ]
    metrics = score_rows(rows)
    assert metrics["n_problems"] == 2 and metrics["n_samples"] == 1
    gsm8k = str(shared_dir / "benchmarks" / "gsm8k_test.jsonl")
    by_id = score_rows([{"id": "gsm8k-test-0", "completions": ["#### 18", "#### 17"]}], {"gsm8k": gsm8k})
    assert by_id["pass@1"] == 0.5 and by_id["maj@2"] == 1.0
    math500 = str(shared_dir / "benchmarks" / "math500_test.jsonl")
    own_ids = score_rows(
        [{"id": "test/precalculus/807.json", "completion": r"\boxed{(3, \frac{\pi}{2})}"}],
        {"math500": math500},
        benchmark="math500",
    )
    assert own_ids["pass@1"] == 1.0 and own_ids["by_level"] == {"2": {"pass@1": 1.0, "n": 1}}
    assert (
        score_rows([{"id": 0, "completion": "#### 18"}], {"gsm8k": gsm8k}, benchmark="gsm8k")["pass@1"] == 1.0
    )
    with pytest.raises(ValueError, match="row 0: no 'answer'"):
        score_rows([{"id": "nope-1", "completion": "x"}])


def test_score_rows_keep_each_problems_sample_count_levels_and_unparseable_golds():
    rows = [
        {
            "completions": ["The answer is 1.", "The answer is 1.", "The answer is 2."],
            "answer": "1",
            "level": 1,
        },
        {"completions": ["The answer is 5."], "answer": "5", "level": "1"},
        {"completions": ["The answer is None."], "answer": None},
        {"completions": ["The answer is nan."], "answer": float("nan")},
        {"completions": ["The answer is True."], "answer": True},
    ]
    metrics = score_rows(rows)
    assert metrics["pass@1"] == pytest.approx((2 / 3 + 1) / 2)  # each problem with its own n, not cut to 1
    assert metrics["n_problems"] == 2 and metrics["n_ungradable"] == 3  # null / NaN / true are no golds
    assert metrics["by_level"] == {"1": {"pass@1": pytest.approx(5 / 6), "n": 2}}  # 1 and "1" are one level


def test_a_harness_output_folder_names_the_files_to_pass(tmp_path, capsys):
    (tmp_path / "samples_gsm8k_2026.jsonl").write_text("{}")
    assert score_main([str(tmp_path)]) == 2
    assert "holds samples_gsm8k_2026.jsonl" in capsys.readouterr().err
