"""The recipe runner: validation, overrides, real GRPO steps on a tiny model, learning, resume, two ranks."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe, parse_override
from recipes.schema import RecipeError
from recipes.train import main, train

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "recipes" / "smoke.yaml")


def _recipe(**sections):
    base = {
        "model": {"name_or_path": "tiny"},
        "data": {"name": "arithmetic", "template": "answer_is"},
        "rewards": [{"name": "accuracy"}],
        "trainer": {"per_device_train_batch_size": 8, "num_generations": 4},
    }
    base.update(sections)
    return base


def test_overrides_parse_values_as_yaml_and_numbers():
    assert parse_override("trainer.learning_rate=1e-6") == (["trainer", "learning_rate"], 1e-6)
    assert parse_override("data.limit=64") == (["data", "limit"], 64)
    assert parse_override("trainer.bf16=false") == (["trainer", "bf16"], False)
    with pytest.raises(RecipeError, match="section.key=value"):
        parse_override("trainer.learning_rate")


def test_load_recipe_applies_overrides_and_reads_scientific_notation(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("trainer:\n  learning_rate: 1e-6\n  beta: 0.04\n")
    recipe = load_recipe(path, ["trainer.beta=0.0", "data.name=gsm8k"])
    assert recipe == {"trainer": {"learning_rate": 1e-6, "beta": 0.0}, "data": {"name": "gsm8k"}}
    with pytest.raises(RecipeError, match="shipped recipes .*smoke.yaml"):
        load_recipe(tmp_path / "missing.yaml")


def test_unknown_keys_fail_with_the_closest_valid_names():
    with pytest.raises(RecipeError) as error:
        parse_recipe(
            _recipe(
                trainer={"learning_rat": 1e-6, "per_device_train_batch_size": 8, "num_generations": 4},
                modle={},
            )
        )
    message = str(error.value)
    assert "unknown entry trainer.learning_rat; did you mean learning_rate" in message
    assert "unknown entry modle; did you mean model" in message


def test_loss_type_and_scale_rewards_are_checked_before_training():
    with pytest.raises(RecipeError, match="loss_type 'drgrpo' is not one TRL accepts: grpo, dr_grpo"):
        parse_recipe(
            _recipe(trainer={"loss_type": "drgrpo", "per_device_train_batch_size": 8, "num_generations": 4})
        )
    with pytest.raises(RecipeError, match="scale_rewards 'std'"):
        parse_recipe(
            _recipe(trainer={"scale_rewards": "std", "per_device_train_batch_size": 8, "num_generations": 4})
        )


def test_indivisible_batch_suggests_the_nearest_valid_settings():
    with pytest.raises(RecipeError) as error:
        parse_recipe(_recipe(trainer={"per_device_train_batch_size": 6, "num_generations": 4}))
    message = str(error.value)
    assert "not divisible by num_generations (4)" in message
    assert "per_device_train_batch_size=4" in message and "num_generations=3" in message
    # two processes double the batch: 6 x 2 = 12 completions hold 3 groups of 4
    parse_recipe(_recipe(trainer={"per_device_train_batch_size": 6, "num_generations": 4}), num_processes=2)


def test_rewards_and_templates_are_checked():
    with pytest.raises(RecipeError, match="unknown reward 'acuracy'; did you mean accuracy"):
        parse_recipe(_recipe(rewards=[{"name": "acuracy"}]))
    with pytest.raises(RecipeError, match="unknown parameter 'answer_fmt'"):
        parse_recipe(_recipe(rewards=[{"name": "format", "params": {"answer_fmt": "boxed"}}]))
    with pytest.raises(RecipeError, match="template 'qwen_boxd' is unknown; did you mean qwen_boxed"):
        parse_recipe(_recipe(data={"name": "gsm8k", "template": "qwen_boxd"}))
    with pytest.raises(RecipeError, match="no module 'nowhere'"):
        parse_recipe(_recipe(rewards=[{"name": "nowhere.module:reward"}]))


@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_shipped_recipe_passes_a_dry_run_offline(recipe, capsys):
    assert main([str(ROOT / "recipes" / recipe), "--dry-run"]) == 0
    assert "is valid" in capsys.readouterr().out


def test_dry_run_reports_errors_without_a_traceback(capsys):
    assert main([SMOKE, "trainer.loss_type=ppo", "--dry-run"]) == 2
    assert "loss_type 'ppo'" in capsys.readouterr().err


def test_smoke_recipe_runs_real_grpo_steps(tmp_path):
    summary = train(SMOKE, [f"output_dir={tmp_path}"])
    assert summary["global_step"] == 3 and not summary["interrupted"]
    before = load_file(tmp_path / "tiny-model-init" / "model.safetensors")
    after = load_file(tmp_path / "final" / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)
    state = json.loads((tmp_path / "checkpoint-3" / "trainer_state.json").read_text())
    logged = [entry for entry in state["log_history"] if "reward" in entry]
    assert len(logged) == 3 and all(
        "rewards/accuracy/mean" in e and "rewards/format/mean" in e for e in logged
    )
    rows = [json.loads(line) for line in (tmp_path / "completions.jsonl").open()]
    assert rows and {"step", "prompt", "completion", "answer", "rewards"} <= set(rows[0])
    assert set(rows[0]["rewards"]) == {"accuracy", "format", "soft_overlong"}
    info = json.loads((tmp_path / "run_info.json").read_text())
    assert info["seed"] == 0 and info["versions"]["trl"] == "1.16.0"
    assert (tmp_path / "recipe.yaml").exists() and (tmp_path / "curves.png").stat().st_size > 0


def test_grpo_learns_a_trivially_learnable_reward(tmp_path):
    summary = train(
        SMOKE,
        [
            f"output_dir={tmp_path}",
            'rewards=[{name: "tests.learnable:share_of_sevens"}]',
            "trainer.max_steps=30",
            "trainer.learning_rate=5e-3",
            "trainer.per_device_train_batch_size=16",
            "trainer.num_generations=8",
            "trainer.max_completion_length=8",
            "trainer.save_steps=100",
        ],
    )
    state = json.loads((tmp_path / "checkpoint-30" / "trainer_state.json").read_text())
    rewards = [entry["reward"] for entry in state["log_history"] if "reward" in entry]
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    assert last > first + 0.3, (first, last, summary)


def _run_cli(output_dir, *overrides, env=None):
    command = [sys.executable, "-m", "recipes.train", SMOKE, f"output_dir={output_dir}", *overrides]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_checkpoints_and_a_rerun_resumes_where_it_stopped(tmp_path):
    overrides = ["trainer.max_steps=40", "trainer.save_steps=4"]
    process = _run_cli(tmp_path, *overrides)
    deadline = time.monotonic() + 300
    while not (tmp_path / "checkpoint-4").exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 143, output  # a scheduler sees an interrupted run, not a finished one
    interrupted = json.loads((tmp_path / "summary.json").read_text())
    assert interrupted["interrupted"] == "SIGTERM" and 4 <= interrupted["global_step"] < 40
    stopped_at = interrupted["global_step"]
    assert (tmp_path / f"checkpoint-{stopped_at}").exists()  # written on SIGTERM, whatever save_steps says

    rerun = _run_cli(tmp_path, *overrides)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output
    resumed = json.loads((tmp_path / "summary.json").read_text())
    assert resumed["resumed_from"].endswith(f"checkpoint-{stopped_at}")
    assert resumed["global_step"] == 40 and not resumed["interrupted"]
    state = json.loads((tmp_path / "checkpoint-40" / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "reward" in entry]
    assert steps == list(range(1, 41))  # continued from the saved step: nothing lost, nothing repeated


@pytest.mark.skipif(sys.platform != "linux", reason="two gloo ranks on one CPU machine")
def test_two_ranks_finish_with_identical_parameters(tmp_path):
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29531",
        "-m",
        "recipes.train",
        SMOKE,
        f"output_dir={tmp_path}",
        "trainer.per_device_train_batch_size=4",
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"summary-rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["global_step"] == ranks[1]["global_step"] == 3
    assert ranks[0]["parameter_checksum"] == ranks[1]["parameter_checksum"]


def test_an_unreachable_hub_model_fails_at_start_with_what_to_pass(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main([str(ROOT / "recipes" / "gsm8k_qwen2.5-0.5b-instruct.yaml")]) == 2
    error = capsys.readouterr().err
    assert "Qwen/Qwen2.5-0.5B-Instruct" in error and "model.name_or_path=" in error and "make demo" in error


def test_collapse_guard_stops_after_patience_low_logs():
    from transformers import TrainerControl, TrainerState

    from recipes.callbacks import CollapseGuard

    guard, state, control = CollapseGuard(min_entropy=0.1, patience=2), TrainerState(), TrainerControl()
    guard.on_log(None, state, control, logs={"entropy": 0.05})
    assert not control.should_training_stop
    guard.on_log(None, state, control, logs={"entropy": 0.5})  # recovered: the count starts again
    guard.on_log(None, state, control, logs={"entropy": 0.05})
    assert not control.should_training_stop
    guard.on_log(None, state, control, logs={"entropy": 0.04})
    assert control.should_training_stop and control.should_save and "entropy" in guard.tripped


def test_lora_recipe_trains_adapters_only(tmp_path):
    summary = train(
        SMOKE,
        [
            f"output_dir={tmp_path}",
            "model.lora={r: 4, alpha: 8, target_modules: [q_proj, v_proj]}",
            "trainer.max_steps=2",
        ],
    )
    assert summary["global_step"] == 2
    assert (tmp_path / "final" / "adapter_config.json").exists()


def test_collapse_guard_can_require_that_no_reward_spread_is_left():
    from transformers import TrainerControl, TrainerState

    from recipes.callbacks import CollapseGuard

    guard, state, control = (
        CollapseGuard(min_entropy=0.1, min_zero_std_share=0.75, patience=2),
        TrainerState(),
        TrainerControl(),
    )
    for _ in range(3):  # low entropy while groups still disagree: a converged format, still learning
        guard.on_log(None, state, control, logs={"entropy": 0.05, "frac_reward_zero_std": 0.5})
    assert not control.should_training_stop
    for _ in range(2):
        guard.on_log(None, state, control, logs={"entropy": 0.05, "frac_reward_zero_std": 1.0})
    assert control.should_training_stop
