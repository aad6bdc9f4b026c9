"""eval/run.py: evaluate() with a canned generator: grading, reports, resume, settings, stop strings,
grading incidents."""

from __future__ import annotations

import json

import pytest

from eval.generate import Sample
from eval.run import EvalError, evaluate
from recipes.tiny_model import build_tiny_model, build_tokenizer

_tok = build_tokenizer()


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


def test_n_samples_need_a_temperature(tmp_path):
    with pytest.raises(EvalError, match="identical greedy samples"):
        evaluate("x", ["arithmetic"], n=4, temperature=0.0, out=tmp_path)


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


def test_evaluation_generates_with_the_template_stop_strings(tmp_path):
    from eval.generate import Sample
    from eval.run import evaluate

    seen = []

    class Recording:
        tokenizer = _tok

        def generate_batches(self, prompts, settings):
            seen.append(settings.stop)
            yield list(range(len(prompts))), [[Sample("The answer is 7.", 5, False)] for _ in prompts]

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "What is 3 + 4?", "answer": "7 #### 7"}) + "\n")
    evaluate(
        "m",
        ["gsm8k"],
        template="abel",
        data_files={"gsm8k": str(questions)},
        out=tmp_path / "o",
        generator=Recording(),
    )
    assert seen == [("Question:", "Answer:")]
