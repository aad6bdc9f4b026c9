"""python -m data.rft end to end: an evaluation of training problems -> the SFT data file and its
provenance -> an SFT recipe trains the tiny model on it."""

import json
import shlex
from pathlib import Path

from data.rft import main as rft_main
from recipes.train import train
from tests.fakes import evaluate_training_problems

ROOT = Path(__file__).resolve().parents[2]


def test_an_sft_recipe_trains_on_the_file_the_command_writes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    samples = evaluate_training_problems(tmp_path / "samples")
    out = tmp_path / "rft.jsonl"
    assert rft_main([str(samples), "--out", str(out), "--dedupe", "--max-per-problem", "2"]) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in out.open()]
    assert f"kept {len(rows)} of 30 completions" in printed and (tmp_path / "rft.provenance.json").exists()
    command = next(line for line in printed.splitlines() if line.startswith("train on it:"))
    overrides = shlex.split(command.split("RECIPE", 1)[1])
    summary = train(
        "recipes/sft_smoke.yaml", [*overrides, f"output_dir={tmp_path / 'sft'}", "trainer.max_steps=2"]
    )
    assert summary["global_step"] == 2 and summary["final_model"]
    recipe = (tmp_path / "sft" / "recipe.yaml").read_text()
    assert "completion_field: completion" in recipe and str(out) in recipe
