"""Real GRPO runs of the recipe runner on the tiny model (CPU): steps, learning, LoRA, shared prompts,
the precision policy, dynamic sampling, evaluation during training with the model card, a time budget."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import torch
from safetensors.torch import load_file

from recipes.train import train

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "recipes" / "smoke.yaml")


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


def test_lora_recipe_trains_adapters_only(tmp_path, monkeypatch):
    """The saved adapters were trained: every lora_B, which PEFT starts at zero, moved (lora_A gets no gradient
    while B is zero, so in two steps only B can move); and the base model is the one the run started from,
    weight for weight."""
    import recipes.train as runner

    built = []  # (trainer, its adapters before training)
    build_trainer = runner.build_trainer

    def keep_the_trainer(*args, **kwargs):
        trainer, guard = build_trainer(*args, **kwargs)
        adapters = {k: v.detach().clone() for k, v in trainer.model.named_parameters() if "lora_" in k}
        built.append((trainer, adapters))
        return trainer, guard

    monkeypatch.setattr(runner, "build_trainer", keep_the_trainer)
    summary = train(
        SMOKE,
        [
            f"output_dir={tmp_path}",
            "model.lora={r: 4, alpha: 8, target_modules: [q_proj, v_proj]}",
            "trainer.max_steps=2",
        ],
    )
    assert summary["global_step"] == 2
    final = tmp_path / "final"
    assert (final / "adapter_config.json").exists() and not (final / "model.safetensors").exists()
    saved = load_file(final / "adapter_model.safetensors")
    ((trainer, initial),) = built
    # the adapters, and nothing else, were saved: A and B on q_proj and v_proj of every layer
    layers = trainer.model.get_base_model().config.num_hidden_layers
    assert len(saved) == len(initial) == 2 * 2 * layers
    assert {k.replace(".default", "") for k in initial} == set(saved)
    b_weights = [k for k in initial if "lora_B" in k]
    assert len(b_weights) == 2 * layers
    for key in b_weights:
        assert not initial[key].any(), key  # B starts at zero: the adapted model starts as the base
        assert saved[key.replace(".default", "")].any(), f"{key} was not trained"
    # the base weights are exactly the ones the run started from
    init = load_file(tmp_path / "tiny-model-init" / "model.safetensors")
    base = {
        k.replace(".base_layer", ""): v
        for k, v in trainer.model.get_base_model().state_dict().items()
        if "lora_" not in k
    }
    assert set(init) <= set(base)
    changed = [k for k in init if not torch.equal(init[k], base[k].to(init[k].dtype))]
    assert not changed, f"base weights changed under LoRA: {changed}"


def test_a_recipe_trains_with_shared_prompts(tmp_path):
    from recipes.train import train

    summary = train(
        "recipes/smoke.yaml", [f"output_dir={tmp_path}", "shared_prompt=true", "trainer.max_steps=2"]
    )
    assert summary["global_step"] == 2 and summary["final_model"]


def _weights_changed_share(run: Path) -> float:
    old, new = (
        load_file(str(run / "tiny-model-init" / "model.safetensors")),
        load_file(str(run / "final" / "model.safetensors")),
    )
    changed = sum(
        int((old[k].to(new[k].dtype) != new[k]).sum()) for k in old
    )  # from the weights it started with
    return changed / sum(v.numel() for v in old.values())


def test_full_fine_tuning_keeps_fp32_master_weights_so_small_updates_land(tmp_path, monkeypatch):
    """On a GPU with bf16 the policy keeps fp32 weights and computes under bf16 autocast; forced here, on the
    CPU. Two steps at lr 1e-6 move nearly every weight; the same steps on bf16 weights round nearly all away."""
    import recipes.resolve
    import recipes.train as runner

    monkeypatch.setattr(recipes.resolve, "detect_hardware", lambda: "gpu-bf16")
    common = [
        "trainer.use_cpu=true",
        "trainer.max_steps=2",
        "trainer.learning_rate=1e-6",
        "trainer.save_steps=100",
    ]
    policy = runner.train(
        str(ROOT / "recipes" / "smoke.yaml"), [f"output_dir={tmp_path / 'policy'}", *common]
    )
    info = json.loads((tmp_path / "policy" / "run_info.json").read_text())["precision"]
    assert (info["weights"], info["compute"], info["masters"]) == ("float32", "bf16 autocast", True)
    assert policy["final_model"] and _weights_changed_share(tmp_path / "policy") > 0.9
    runner.train(
        str(ROOT / "recipes" / "smoke.yaml"),
        [f"output_dir={tmp_path / 'bf16'}", "model.dtype=bfloat16", *common],
    )
    assert _weights_changed_share(tmp_path / "bf16") < 0.1


def test_dynamic_sampling_replaces_groups_without_reward_spread(tmp_path):
    """A real run, TRL generating and scoring every round (which groups are kept and how they are put together:
    tests/recipes/test_dynamic_sampling.py). The untrained model's completions nearly all run to the length
    limit, so its first rounds have almost no reward spread: the hook generates further rounds, a step whose
    informative groups came from a later round trains on them (its first round alone gives no gradient), and
    the metrics reach the run's logs."""
    summary = train(
        SMOKE,
        [
            f"output_dir={tmp_path}",
            "dynamic_sampling={max_rounds: 3}",
            "trainer.max_steps=2",
            "trainer.save_steps=100",
        ],
    )
    assert summary["global_step"] == 2
    logged = [e for e in json.loads((tmp_path / "log_history.json").read_text()) if "reward" in e]
    assert len(logged) == 2
    assert all(1 <= e["dynamic_sampling/rounds"] <= 3 for e in logged)
    assert all(0 <= e["dynamic_sampling/informative_groups"] <= 1 for e in logged)
    replaced = [
        e for e in logged if e["dynamic_sampling/rounds"] > 1 and e["dynamic_sampling/informative_groups"] > 0
    ]
    assert replaced, logged  # a step found informative groups in a later round
    # the batch that trained holds them: every step with informative groups has a gradient
    assert all(e["grad_norm"] > 0 for e in logged if e["dynamic_sampling/informative_groups"] > 0), logged
    # the later rounds were generated and scored by the run's rewards: the completion log has more than one
    # batch (8 completions, each round's call writes up to 16) for each step that took more than one round
    recorded = Counter(json.loads(line)["step"] for line in (tmp_path / "completions.jsonl").open())
    for entry in logged:
        assert (recorded[entry["step"]] > 8) == (entry["dynamic_sampling/rounds"] > 1), (recorded, logged)


def test_evaluation_during_training_is_logged_and_drawn_and_the_run_writes_a_model_card(tmp_path):
    eval_section = "eval={benchmarks: [arithmetic], levels: [1], limit: 3, every_steps: 2, during_training_limit: 3, max_new_tokens: 8}"
    summary = train(
        SMOKE, [f"output_dir={tmp_path}", eval_section, "trainer.max_steps=4", "trainer.save_steps=100"]
    )
    history = json.loads((tmp_path / "log_history.json").read_text())
    evaluations = [e for e in history if "eval/arithmetic/pass@1" in e]
    assert [e["step"] for e in evaluations] == [2, 4]
    assert all("eval/arithmetic/pass@1_lenient" in e for e in evaluations)
    assert (tmp_path / "eval_during_training" / "step-000002" / "arithmetic" / "samples.jsonl").exists()
    assert summary["eval"]["arithmetic"]["n_problems"] == 3  # the final evaluation, with the same code
    card = (tmp_path / "final" / "README.md").read_text()
    assert card.startswith("---\nbase_model: tiny") and "## Training" in card and "## Evaluation" in card
    assert "Reward `accuracy`, weight 1.0" in card and "| arithmetic | 3 |" in card and "- trl 1.16.0" in card


def test_a_time_budget_stops_the_run_as_finished(tmp_path):
    summary = train(SMOKE, [f"output_dir={tmp_path}", "trainer.max_steps=10000", "guard={max_minutes: 0.02}"])
    assert 1 <= summary["global_step"] < 10000 and summary["final_model"]
    assert "guard.max_minutes" in summary["time_budget"]


SFT_SMOKE = str(ROOT / "recipes" / "sft_smoke.yaml")


def test_an_sft_recipe_learns_its_completions_and_its_final_model_starts_a_grpo_run(tmp_path):
    sft = train(SFT_SMOKE, [f"output_dir={tmp_path / 'sft'}"])
    assert sft["global_step"] == 3 and sft["final_model"] == str(tmp_path / "sft" / "final")
    losses = [
        e["loss"] for e in json.loads((tmp_path / "sft" / "log_history.json").read_text()) if "loss" in e
    ]
    assert len(losses) == 3 and losses[-1] < losses[0]
    card = (tmp_path / "sft" / "final" / "README.md").read_text()
    assert "SFT fine-tune of `tiny`" in card and "reinforcement-learning" not in card
    grpo = train(
        SMOKE,
        [
            f"output_dir={tmp_path / 'grpo'}",
            f"model.name_or_path={sft['final_model']}",
            "trainer.max_steps=1",
        ],
    )
    assert grpo["global_step"] == 1 and grpo["final_model"]
    before = load_file(tmp_path / "sft" / "final" / "model.safetensors")
    after = load_file(tmp_path / "grpo" / "final" / "model.safetensors")
    assert before.keys() == after.keys() and any(not torch.equal(before[k], after[k]) for k in before)


# accuracy, which online RFT trains on, and a reward with spread in every group, which GRPO would train on
ONLINE_RFT = [
    'rewards=[{name: accuracy}, {name: "tests.learnable:share_of_sevens"}]',
    "trainer.max_steps=2",
    "trainer.save_steps=100",
]


def _moved(run: Path) -> bool:
    before = load_file(run / "tiny-model-init" / "model.safetensors")
    after = load_file(run / "final" / "model.safetensors")
    return any(not torch.equal(before[k], after[k]) for k in before)


def _paid(run: Path) -> list[float]:
    return [json.loads(line)["rewards"]["accuracy"] for line in (run / "completions.jsonl").open()]


def test_online_rft_gives_wrong_completions_no_gradient(tmp_path):
    """The untrained model answers nothing right: every coefficient is 0, so the policy must not move, though
    the other reward has spread that GRPO's advantages do train on (the same run without online_rft moves)."""
    train(SMOKE, [f"output_dir={tmp_path / 'rft'}", "online_rft=true", *ONLINE_RFT])
    assert set(_paid(tmp_path / "rft")) == {0.0}
    logged = [e for e in json.loads((tmp_path / "rft" / "log_history.json").read_text()) if "grad_norm" in e]
    assert logged and all(e["grad_norm"] == 0 for e in logged)
    assert not _moved(tmp_path / "rft")
    train(SMOKE, [f"output_dir={tmp_path / 'grpo'}", *ONLINE_RFT])
    assert _moved(tmp_path / "grpo")


def test_online_rft_trains_on_the_completions_the_accuracy_reward_pays(tmp_path, monkeypatch):
    import rewards
    from tests.learnable import pays_odd_lengths

    monkeypatch.setitem(rewards.REGISTRY, "accuracy", pays_odd_lengths)
    train(SMOKE, [f"output_dir={tmp_path}", "online_rft=true", *ONLINE_RFT])
    assert 1.0 in _paid(tmp_path) and 0.0 in _paid(tmp_path)
    assert _moved(tmp_path)
