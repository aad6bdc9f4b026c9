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


SFT_SMOKE = str(ROOT / "recipes" / "sft_smoke.yaml")


def test_the_dry_run_of_an_sft_recipe_describes_sft_not_sampling(capsys):
    from recipes.dry_run import describe_method, dry_run

    run = resolve_run(SFT_SMOKE)
    assert describe_method(run).startswith(
        "SFT: TRL's SFTTrainer on reference solutions, written in template answer_is"
    )
    batches = describe_batches(run)
    assert batches["optimizer update"].startswith("8 prompt-completion pairs") and "rollout" not in batches
    assert batches["loss"].startswith("on the completion tokens only; sequences longer than max_length 256")
    dry_run(SFT_SMOKE, [])
    printed = capsys.readouterr().out
    assert "SFTConfig:" in printed and "GRPOConfig" not in printed and "generation:" not in printed
    assert "rewards: none (SFT" in printed and "num_generations" not in printed
    first = printed.split("first:", 1)[1].split("training problems:", 1)[0]
    assert "The answer is" in first  # the first completion, written in the template's format
    assert "SFT, 8 prompt-completion pairs per optimizer update" in printed.splitlines()[-1]


def test_the_dry_run_says_what_online_rft_trains_on():
    from recipes.dry_run import describe_method

    method = describe_method(resolve_run(str(ROOT / "recipes" / "smoke.yaml"), ["online_rft=true"]))
    assert "coefficient 1 for a completion rewards[0] (accuracy) pays in full, 0 otherwise" in method
    assert "the other rewards are logged, not trained on" in method
    assert describe_method(resolve_run(str(ROOT / "recipes" / "smoke.yaml"))).startswith("GRPO: ")
