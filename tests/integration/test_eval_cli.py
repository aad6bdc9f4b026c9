"""The evaluation commands end to end: python -m eval on a real (tiny) model, python -m eval.score
in a subprocess, and the model check at the start."""

import json
import subprocess
import sys
from pathlib import Path

from eval.run import main as eval_main
from recipes.tiny_model import save_tiny_model

ROOT = Path(__file__).resolve().parents[2]


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


FIXTURES = ROOT / "tests" / "fixtures" / "harness"


def test_the_cli_tells_formats_apart_and_explains_the_difference(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "eval.score", str(FIXTURES / "lighteval-0.13.0_gsm8k_details.parquet")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert (
        metrics["harness"]["format"] == "lighteval"
        and metrics["harness"]["metrics"]["extractive_match"] == 0.6
    )
    assert "lighteval extractive_match: 60.0% (2 problems disagree with our strict score)" in result.stderr
