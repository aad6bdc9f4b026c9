"""Evaluation: metrics against hand-computed values, generation, grading, resume, reports, scoring files."""

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from eval.compare import main as compare_main
from eval.generate import GenerationSettings, Sample, TransformersBackend
from eval.metrics import compute_metrics, majority_correct, pass_at_k
from eval.run import EvalError, evaluate
from eval.run import main as eval_main
from eval.score import score_rows
from recipes.tiny_model import build_tiny_model, save_tiny_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_pass_at_k_equals_the_probability_that_a_random_k_subset_has_a_correct_sample(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(itertools.combinations(outcomes, k))
            expected = sum(any(s) for s in subsets) / len(subsets)
            assert math.isclose(pass_at_k(n, c, k), expected)


def test_majority_vote_counts_equivalent_answers_as_one():
    # "1/2", "0.5" and "\frac{1}{2}" are one answer with three votes against two for "3"
    answers = ["3", "1/2", "0.5", "3", r"\frac{1}{2}"]
    correct = [False, True, True, False, True]
    assert majority_correct(answers, correct)
    assert not majority_correct(["3", "0.5", "3"], [False, True, False])
    assert not majority_correct([None, None], [False, False])
    assert majority_correct([None, None, "7"], [False, False, True])  # no answer never wins


def test_metrics_match_hand_computed_values():
    records = [
        {
            "correct": [True, True, False, False],
            "answers": ["1", "1", "2", "3"],
            "level": 1,
            "tokens": [10, 10, 20, 20],
            "truncated": [False] * 4,
            "formatted": [True] * 4,
        },
        {
            "correct": [False, False, False, True],
            "answers": ["5", "5", "6", "7"],
            "level": 2,
            "tokens": [5, 5, 5, 5],
            "truncated": [True, False, False, False],
            "formatted": [False] * 4,
        },
    ]
    m = compute_metrics(records)
    assert m["pass@1"] == pytest.approx((0.5 + 0.25) / 2)
    assert m["pass@1_stderr"] == pytest.approx(math.sqrt(((0.5 - 0.375) ** 2 + (0.25 - 0.375) ** 2) / 1 / 2))
    assert m["pass@2"] == pytest.approx((1 - 1 / 6 + 1 - 3 / 6) / 2)
    assert m["pass@4"] == 1.0
    assert m["maj@4"] == 0.5  # problem 1: "1" wins (right); problem 2: "5" wins (wrong)
    assert m["maj@2"] == 0.5
    assert (
        m["format_compliance"] == 0.5 and m["mean_completion_tokens"] == 10 and m["truncated_share"] == 1 / 8
    )
    assert m["by_level"] == {"1": {"pass@1": 0.5, "n": 1}, "2": {"pass@1": 0.25, "n": 1}}
    assert compute_metrics([{"correct": None, "answers": ["1"]}]) == {"n_problems": 0, "n_ungradable": 1}


class CannedGenerator:
    """Its first sample is right, its second wrong; counts the prompts it was asked for."""

    def __init__(self):
        import data

        self.tokenizer = build_tiny_model()[1]
        self.prompts_seen = 0
        self.batch_size = 4
        self.golds = {
            row["question"]: row["answer"] for row in data.load("arithmetic", split="test", limit=12)
        }

    def generate_batches(self, prompts, settings):
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            self.prompts_seen += len(batch)
            samples = []
            for prompt in batch:
                value = next(gold for question, gold in self.golds.items() if question in prompt)
                samples.append(
                    [
                        Sample(f"0 + {value} = {value}. The answer is {value}.", 9, False),
                        Sample("The answer is -1.", 5, True),
                    ]
                )
            yield list(range(start, start + len(batch))), samples


def test_evaluate_grades_writes_reports_and_resumes(tmp_path):
    generator = CannedGenerator()
    common = dict(
        benchmarks=["arithmetic"], template="answer_is", n=2, temperature=0.7, limit=12, out=tmp_path
    )
    results = evaluate("canned", generator=generator, **common)
    metrics = results["arithmetic"]
    assert metrics["n_problems"] == 12 and metrics["pass@1"] == 0.5 and metrics["pass@2"] == 1.0
    assert metrics["format_compliance"] == 0.5 and set(metrics["by_level"]) == {"1", "2", "3", "4"}
    rows = [json.loads(line) for line in (tmp_path / "arithmetic" / "samples.jsonl").open()]
    assert len(rows) == 12 and rows[0]["correct"] == [True, False] and rows[0]["answers"][1] == "-1"
    assert "| arithmetic | 12 | 50.0% |" in (tmp_path / "results.md").read_text()
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["settings"]["temperature"] == 0.7 and saved["settings"]["template"] == "answer_is"

    # an interrupted run: the last 5 results never reached the file (and one line was cut mid-write)
    lines = (tmp_path / "arithmetic" / "samples.jsonl").read_text().splitlines()
    (tmp_path / "arithmetic" / "samples.jsonl").write_text("\n".join(lines[:7]) + "\n" + lines[7][:20])
    again = CannedGenerator()
    assert evaluate("canned", generator=again, **common)["arithmetic"] == metrics
    assert again.prompts_seen == 5

    with pytest.raises(EvalError, match="other settings .*temperature"):
        evaluate("canned", generator=again, **{**common, "temperature": 1.0})


def test_greedy_batched_generation_matches_one_prompt_at_a_time():
    model, tokenizer = build_tiny_model(seed=3)
    prompts = ["What is 1 + 2?", "What is 12 + 27 - 5? Think.", "Hi"]
    settings = GenerationSettings(max_new_tokens=12)
    batched = TransformersBackend(model, tokenizer, batch_size=3).generate(prompts, settings)
    single = TransformersBackend(model, tokenizer, batch_size=1).generate(prompts, settings)
    assert [s[0].text for s in batched] == [s[0].text for s in single]
    assert all(len(s) == 1 and s[0].tokens <= 12 for s in batched)


def test_eval_cli_runs_a_real_model_offline(tmp_path):
    model_dir = save_tiny_model(tmp_path / "model")
    code = eval_main(
        [
            "--model",
            str(model_dir),
            "--benchmarks",
            "arithmetic",
            "--template",
            "answer_is",
            "--limit",
            "6",
            "--max-new-tokens",
            "8",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    assert (
        json.loads((tmp_path / "out" / "metrics.json").read_text())["benchmarks"]["arithmetic"]["n_problems"]
        == 6
    )


def test_eval_fails_fast_on_an_unreachable_model(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert (
        eval_main(
            ["--model", "Qwen/Qwen2.5-0.5B-Instruct", "--benchmarks", "arithmetic", "--out", str(tmp_path)]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert "--model path/to/model" in error and "make demo" in error


def test_n_samples_need_a_temperature(tmp_path):
    with pytest.raises(EvalError, match="identical greedy samples"):
        evaluate("x", ["arithmetic"], n=4, temperature=0.0, out=tmp_path)


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


def test_score_cli_prints_one_json_object_on_stdout(tmp_path):
    path = tmp_path / "completions.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"completions": [f"#### {v}" for v in (3, 3, 4, 3)], "answer": "3"}) for _ in range(3)
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "eval.score", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert (
        metrics["pass@1"] == 0.75
        and metrics["pass@4"] == 1.0
        and metrics["maj@4"] == 1.0
        and metrics["n_problems"] == 3
    )


def test_compare_prints_a_table_and_writes_a_chart(tmp_path, capsys):
    for name, value in (("before", 0.25), ("after", 0.5)):
        folder = tmp_path / name
        folder.mkdir()
        metrics = {
            "n_problems": 4,
            "pass@1": value,
            "pass@1_ci95": [0.0, 1.0],
            "by_level": {"1": {"pass@1": value, "n": 4}},
        }
        (folder / "metrics.json").write_text(
            json.dumps({"settings": {}, "benchmarks": {"arithmetic": metrics}})
        )
    png = tmp_path / "chart.png"
    assert (
        compare_main([str(tmp_path / "before"), str(tmp_path / "after"), "--png", str(png), "--by", "level"])
        == 0
    )
    output = capsys.readouterr().out
    assert "| arithmetic | 25.0% [0.0%, 100.0%] (n=4) | 50.0% [0.0%, 100.0%] (n=4) |" in output
    assert png.stat().st_size > 0
    assert compare_main([str(tmp_path / "missing")]) == 2


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


def test_grading_incidents_reach_the_metrics(tmp_path, monkeypatch):
    import rewards.accuracy as accuracy
    from rewards.verifier import TIMEOUT

    class TimingOut:
        def check(self, pairs, timeout_s):
            return [TIMEOUT] * len(pairs)

    class NeedsMathVerify(CannedGenerator):
        def generate_batches(self, prompts, settings):
            for indices, samples in super().generate_batches(prompts, settings):
                yield indices, [[Sample(r"The answer is \cos 2x.", 5, False)] * 2 for _ in samples]

    monkeypatch.setattr(accuracy, "get_pool", lambda: TimingOut())
    results = evaluate(
        "canned", ["arithmetic"], template="answer_is", n=2, temperature=0.7, limit=4, out=tmp_path,
        generator=NeedsMathVerify(),
    )  # fmt: skip
    assert results["arithmetic"]["grader_timeouts"] == 4 and results["arithmetic"]["pass@1"] == 0.0
