"""recipes/dry_run.py: what the dry run shows: the precision and the batch arithmetic."""

from __future__ import annotations

from pathlib import Path

from recipes.dry_run import describe_batches
from recipes.resolve import resolve_run

ROOT = Path(__file__).resolve().parents[2]
R1 = str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml")


def test_the_dry_run_shows_the_precision_and_warns_when_updates_would_round_away(capsys, monkeypatch):
    import recipes.resolve

    monkeypatch.setattr(recipes.resolve, "detect_hardware", lambda: "gpu-bf16")
    from recipes.dry_run import dry_run

    cpu = "trainer.use_cpu=true"  # GRPOConfig refuses bf16 on a machine without a GPU otherwise
    dry_run(R1, [cpu])
    printed = capsys.readouterr().out
    assert "precision: weights float32, compute bf16 autocast, fp32 master weights" in printed
    assert "round away" not in printed
    dry_run(R1, [cpu, "model.dtype=bfloat16"])
    assert "warning: model.dtype bfloat16 trains the weights themselves" in capsys.readouterr().out
    dry_run(R1, [cpu, "model.lora={}"])  # LoRA: a bf16 base is frozen, nothing to round away
    assert "round away" not in capsys.readouterr().out


def test_the_batch_arithmetic_counts_updates_per_rollout(tmp_path):
    run = resolve_run(
        str(ROOT / "recipes" / "smoke.yaml"),
        [
            "trainer.per_device_train_batch_size=8",
            "trainer.gradient_accumulation_steps=1",
            "trainer.steps_per_generation=4",
        ],
    )
    described = describe_batches(run)
    assert described["rollout"] == "8 prompts x 4 completions = 32 completions"
    assert described["updates per rollout"].startswith("4 ")
