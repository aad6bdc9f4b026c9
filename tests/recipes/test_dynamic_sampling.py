"""recipes/dynamic_sampling.py: which groups are kept, and how the kept groups of several generation rounds
are put together, on hand-made scored batches (TRL's own generation and scoring replaced by a script)."""

from __future__ import annotations

import random
from collections import defaultdict
from types import SimpleNamespace

import pytest
import torch

from recipes.dynamic_sampling import DynamicSamplingGRPOTrainer
from recipes.trainer import RecipeGRPOTrainer

SIZE = 4  # completions per group
PAD = 0


def _trainer(max_rounds: int = 3) -> DynamicSamplingGRPOTrainer:
    """The trainer without a model or TRL's set-up: only the attributes the hook reads."""
    trainer = object.__new__(DynamicSamplingGRPOTrainer)
    trainer.num_generations = SIZE
    trainer.max_rounds = max_rounds
    trainer.model = torch.nn.Linear(1, 1)  # in training mode, as during trainer.train()
    trainer.accelerator = SimpleNamespace(gather=lambda tensor: tensor, num_processes=1)
    trainer._tokenizer = SimpleNamespace(pad_token_id=PAD)
    trainer._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    trainer.train_dataset = [{"prompt": f"problem {i}", "answer": str(i)} for i in range(10)]
    trainer._order = []
    trainer._rng = random.Random(0)
    return trainer


def _batch(groups: list[tuple[int, list[float]]], prompt_width: int = 3, completion_width: int = 5) -> dict:
    """A scored batch: one (tag, advantages) per group. Every row of a group carries its tag as its tokens (so
    that a test can tell which group a row came from); prompts are left-padded to ``prompt_width``, completions
    of ``2 + tag % 3`` tokens right-padded to ``completion_width``."""
    rows = {
        key: [] for key in ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "advantages")
    }
    for tag, advantages in groups:
        assert len(advantages) == SIZE
        length = 2 + tag % 3
        for advantage in advantages:
            rows["prompt_ids"].append([PAD] + [tag] * (prompt_width - 1))
            rows["prompt_mask"].append([0] + [1] * (prompt_width - 1))
            rows["completion_ids"].append([tag] * length + [PAD] * (completion_width - length))
            rows["completion_mask"].append([1] * length + [0] * (completion_width - length))
            rows["advantages"].append(advantage)
    batch = {key: torch.tensor(value) for key, value in rows.items()}
    batch["old_per_token_logps"] = -batch["completion_mask"].float()
    batch["num_items_in_batch"] = batch["completion_mask"].sum()
    return batch


SPREAD = [0.5, -0.5, 1.5, -1.5]
FLAT = [0.0] * SIZE


def _tags(batch: dict) -> list[int]:
    """The tag of each group in a batch, in order."""
    return [int(batch["completion_ids"][g * SIZE, 0]) for g in range(len(batch["advantages"]) // SIZE)]


def _only_informative(batch: dict) -> bool:
    return bool((batch["advantages"].view(-1, SIZE) != 0).any(dim=1).all())


def _scripted(monkeypatch, rounds: list[dict]) -> list[list[dict]]:
    """Replace TRL's generate-and-score (what ``super()`` reaches) by ``rounds``, one batch per call; returns
    the inputs each call was given."""
    calls = []

    def generate_and_score(self, inputs):
        calls.append(inputs)
        return rounds[len(calls) - 1]

    monkeypatch.setattr(RecipeGRPOTrainer, "_generate_and_score_completions", generate_and_score)
    return calls


def test_a_group_is_informative_when_any_of_its_advantages_is_not_zero():
    batch = _batch([(1, FLAT), (2, [0.0, 0.0, 0.0, 1e-3]), (3, FLAT), (4, SPREAD)])
    assert _trainer()._informative_groups(batch) == [1, 3]
    assert _trainer()._informative_groups(_batch([(1, FLAT)])) == []


def test_groups_of_several_rounds_are_concatenated_whole_and_padded_on_the_right_sides():
    first = _batch([(1, SPREAD), (2, FLAT)], prompt_width=3, completion_width=4)
    second = _batch([(3, FLAT), (4, SPREAD)], prompt_width=5, completion_width=6)
    merged = _trainer()._concatenate([(first, 0), (second, 1)])
    assert _tags(merged) == [1, 4]
    assert merged["prompt_ids"].shape == (2 * SIZE, 5) and merged["completion_ids"].shape == (2 * SIZE, 6)
    # prompts keep their tokens at the right end (left padding), completions at the left end (right padding)
    assert merged["prompt_ids"][0].tolist() == [PAD, PAD, PAD, 1, 1]
    assert merged["prompt_mask"][0].tolist() == [0, 0, 0, 1, 1]
    assert merged["prompt_ids"][SIZE].tolist() == [PAD, 4, 4, 4, 4]
    assert merged["completion_ids"][0].tolist() == [1, 1, 1, PAD, PAD, PAD]
    assert merged["completion_mask"][SIZE].tolist() == [1, 1, 1, 0, 0, 0]
    assert merged["advantages"].tolist() == SPREAD + SPREAD
    assert torch.equal(merged["old_per_token_logps"], -merged["completion_mask"].float())
    assert merged["num_items_in_batch"] == merged["completion_mask"].sum() == SIZE * 3 + SIZE * 3


def test_groups_without_reward_spread_are_replaced_by_informative_groups_of_later_rounds(monkeypatch):
    first = _batch([(1, FLAT), (2, SPREAD), (3, FLAT), (4, SPREAD)])
    rounds = [
        first,
        _batch([(5, SPREAD), (6, FLAT)]),  # asked for two more groups: one has spread
        _batch([(7, SPREAD)]),  # asked for the last one
    ]
    calls = _scripted(monkeypatch, rounds)
    trainer = _trainer(max_rounds=3)
    inputs = [row for row in trainer.train_dataset[:4] for _ in range(SIZE)]
    batch = trainer._generate_and_score_completions(inputs)
    assert not _only_informative(first)  # the first round alone fails the check below
    assert _only_informative(batch)
    assert _tags(batch) == [2, 4, 5, 7]  # the first round's informative groups, then the later rounds'
    assert batch["completion_ids"].shape[0] == len(inputs)
    assert [len(call) for call in calls] == [4 * SIZE, 2 * SIZE, 1 * SIZE]  # whole groups of new prompts
    for call in calls[1:]:
        assert all(
            call[g * SIZE : (g + 1) * SIZE] == [call[g * SIZE]] * SIZE for g in range(len(call) // SIZE)
        )
    metrics = trainer._metrics["train"]
    assert metrics["dynamic_sampling/rounds"] == [3.0] and metrics["dynamic_sampling/informative_groups"] == [
        1.0
    ]


def test_a_first_round_with_spread_everywhere_is_kept_as_it_is(monkeypatch):
    first = _batch([(1, SPREAD), (2, SPREAD)])
    calls = _scripted(monkeypatch, [first])
    trainer = _trainer()
    batch = trainer._generate_and_score_completions([{"prompt": "p"}] * (2 * SIZE))
    assert len(calls) == 1 and _tags(batch) == [1, 2]
    assert all(torch.equal(batch[key], first[key]) for key in ("prompt_ids", "completion_ids", "advantages"))
    assert trainer._metrics["train"]["dynamic_sampling/rounds"] == [1.0]


def test_groups_still_missing_after_the_last_round_are_filled_with_dropped_ones(monkeypatch):
    first = _batch([(1, FLAT), (2, SPREAD), (3, FLAT)])
    _scripted(monkeypatch, [first, _batch([(4, FLAT), (5, FLAT)]), _batch([(6, FLAT), (7, FLAT)])])
    trainer = _trainer(max_rounds=3)
    batch = trainer._generate_and_score_completions([{"prompt": "p"}] * (3 * SIZE))
    assert _tags(batch) == [2, 1, 3]  # the batch keeps its size; the fill adds no gradient (zero advantage)
    assert trainer._metrics["train"]["dynamic_sampling/rounds"] == [3.0]
    assert trainer._metrics["train"]["dynamic_sampling/informative_groups"] == [pytest.approx(1 / 3)]


def test_evaluation_batches_are_not_resampled(monkeypatch):
    first = _batch([(1, FLAT), (2, SPREAD)])
    calls = _scripted(monkeypatch, [first])
    trainer = _trainer()
    trainer.model.eval()
    assert trainer._generate_and_score_completions([{"prompt": "p"}] * (2 * SIZE)) is first
    assert len(calls) == 1 and not trainer._metrics["train"]


def test_further_prompts_are_drawn_without_repeats_until_the_data_set_is_used_up():
    trainer = _trainer()
    rows = trainer._more_inputs(10)
    prompts = [rows[g * SIZE]["prompt"] for g in range(10)]
    assert sorted(prompts) == sorted(row["prompt"] for row in trainer.train_dataset)
    assert all(rows[g * SIZE : (g + 1) * SIZE] == [rows[g * SIZE]] * SIZE for g in range(10))
