"""recipes/shared_prompt.py: shared-prompt GRPO is exact: the same per-token log-probabilities, loss and
gradient of every parameter as TRL's own computation (fp32, tight tolerance), with left-padded prompts of
different lengths, groups that finish at different lengths, shuffled rows and LoRA; and the comparison fails
when the sharing is wrong."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from trl import GRPOConfig

import eval.prefix_cache as prefix_cache
import recipes.shared_prompt as shared_prompt
from recipes.tiny_model import build_tiny_model
from recipes.trainer import RecipeGRPOTrainer

GENERATIONS = 4
PROMPTS = [list(range(5, 14)), [20, 21, 22], [30, 31, 32, 33, 34, 35]]  # different lengths: left padding


def _trainer(tmp_path, shared: bool, lora: bool = False, loss_type: str = "dapo") -> RecipeGRPOTrainer:
    model, tokenizer = build_tiny_model(seed=0)
    peft = None
    if lora:
        from peft import LoraConfig

        peft = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)  # B != 0
    args = GRPOConfig(
        output_dir=str(tmp_path / ("shared" if shared else "plain")),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=len(PROMPTS) * GENERATIONS,
        num_generations=GENERATIONS,
        max_completion_length=8,
        temperature=0.7,
        loss_type=loss_type,
        activation_checkpointing=False,
        report_to=[],
    )
    torch.manual_seed(0)
    return RecipeGRPOTrainer(
        model=model,
        reward_funcs=lambda completions, **kwargs: [0.0] * len(completions),
        args=args,
        train_dataset=Dataset.from_dict({"prompt": ["x"] * 4}),
        processing_class=tokenizer,
        peft_config=peft,
        shared_prompt=shared,
    )


def _batch(pad: int) -> dict[str, torch.Tensor]:
    """Three groups of four completions of different lengths (one empty-but-for-EOS), rows shuffled."""
    prompts, completions = [], []
    for g, prompt in enumerate(PROMPTS):
        for i in range(GENERATIONS):
            prompts.append(prompt)
            completions.append([40 + g + i + k for k in range(1 + (g + 2 * i) % 7)])
    width, length = max(map(len, prompts)), max(map(len, completions))
    order = torch.randperm(len(prompts), generator=torch.Generator().manual_seed(1)).tolist()
    rows = [(prompts[i], completions[i]) for i in order]
    return {
        "prompt_ids": torch.tensor([[pad] * (width - len(p)) + p for p, _ in rows]),
        "prompt_mask": torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p, _ in rows]),
        "completion_ids": torch.tensor([c + [pad] * (length - len(c)) for _, c in rows]),
        "completion_mask": torch.tensor([[1] * len(c) + [0] * (length - len(c)) for _, c in rows]),
        "advantages": torch.linspace(-1.5, 1.5, len(rows))[torch.tensor(order)],
        "num_items_in_batch": torch.tensor(float(sum(map(len, completions)))),
    }


def _loss_and_gradients(trainer: RecipeGRPOTrainer, batch: dict) -> tuple[float, dict[str, torch.Tensor]]:
    trainer.model.zero_grad()
    trainer.current_gradient_accumulation_steps = (
        1  # set by Trainer.train(); the loss is called directly here
    )
    loss = trainer._compute_loss(trainer.model, dict(batch))
    loss.backward()
    gradients = {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    return loss.item(), gradients


def _log_probs(trainer: RecipeGRPOTrainer, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    input_ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1)
    mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1)
    with torch.no_grad():
        logps, entropies, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, input_ids, mask, batch["completion_ids"].size(1), compute_entropy=True
        )
    return logps, entropies


def _differences(tmp_path, lora: bool = False, loss_type: str = "dapo") -> dict[str, float]:
    plain, shared = _trainer(tmp_path, False, lora, loss_type), _trainer(tmp_path, True, lora, loss_type)
    batch = _batch(plain._tokenizer.pad_token_id)
    valid = batch["completion_mask"].bool()
    (logps_a, entropy_a), (logps_b, entropy_b) = _log_probs(plain, batch), _log_probs(shared, batch)
    loss_a, grads_a = _loss_and_gradients(plain, batch)
    loss_b, grads_b = _loss_and_gradients(shared, batch)
    assert grads_a.keys() == grads_b.keys() and grads_a
    scale = max(g.abs().max().item() for g in grads_a.values())
    return {
        "logps": (logps_a - logps_b)[valid].abs().max().item(),
        "entropy": (entropy_a - entropy_b)[valid].abs().max().item(),
        "loss": abs(loss_a - loss_b),
        "gradient": max((grads_a[n] - grads_b[n]).abs().max().item() for n in grads_a) / scale,
    }


@pytest.mark.parametrize(("lora", "loss_type"), [(False, "dapo"), (False, "grpo"), (True, "dapo")])
def test_shared_prompt_matches_trl_in_log_probs_loss_and_every_gradient(tmp_path, lora, loss_type):
    found = _differences(tmp_path, lora, loss_type)
    assert found["logps"] < 1e-5 and found["entropy"] < 1e-5, found
    assert found["loss"] < 1e-6, found
    assert found["gradient"] < 1e-5, found  # relative to the largest gradient entry


def test_the_comparison_fails_when_a_prompt_is_attended_by_the_wrong_group(tmp_path, monkeypatch):
    right = prefix_cache.group_rows

    def wrong(prompts):  # the first two groups merged: the second group's completions see the first prompt
        groups = right(prompts)
        return [groups[0] + groups[1], *groups[2:]]

    monkeypatch.setattr(shared_prompt, "group_rows", wrong)
    found = _differences(tmp_path)
    assert found["logps"] > 1e-3 and found["gradient"] > 1e-3, found
