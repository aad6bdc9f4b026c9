"""DAPO's dynamic sampling on TRL's GRPOTrainer, as a subclass hook (Yu et al., 2025, arXiv:2503.14476, §3.2).

A group whose completions all scored the same has zero advantage and teaches nothing; as a policy
improves, more and more groups are all-correct (or stay all-wrong), and the effective batch shrinks.
Dynamic sampling drops those groups and generates completions for further prompts until the batch is
full of groups with reward spread again (at most ``max_rounds`` generation rounds; groups still missing
then are filled with dropped ones, which add no gradient).

The hook is ``_generate_and_score_completions``: TRL's own method generates and scores each round, and
this subclass only selects and concatenates whole groups of its outputs. One process only: with several
ranks a group's completions are spread across ranks, and selecting groups would need a gather that TRL
does inside the method this hook wraps.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from recipes.trainer import RecipeGRPOTrainer

# Keys of the scored batch that hold one row per completion; prompt-side ones are padded on the left.
_PROMPT_KEYS = ("prompt_ids", "prompt_mask")
_COMPLETION_KEYS = (
    "completion_ids",
    "completion_mask",
    "old_per_token_logps",
    "ref_per_token_logps",
    "sampling_per_token_logps",
    "importance_sampling_ratio",
    "advantages",
)


class DynamicSamplingGRPOTrainer(RecipeGRPOTrainer):
    def __init__(self, *args: Any, max_rounds: int = 3, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.accelerator.num_processes > 1:
            raise ValueError(
                "dynamic_sampling runs on one process (a group's completions are spread over ranks); "
                "remove the dynamic_sampling section for multi-process runs"
            )
        self.max_rounds = max_rounds
        self._order: list[int] = []
        self._rng = random.Random(self.args.seed)

    def _more_inputs(self, prompts: int) -> list[dict[str, Any]]:
        """Rows for ``prompts`` further prompts, each repeated for a whole group, in a shuffled order."""
        rows = []
        for _ in range(prompts):
            if not self._order:
                self._order = list(range(len(self.train_dataset)))
                self._rng.shuffle(self._order)
            rows += [self.train_dataset[self._order.pop()]] * self.num_generations
        return rows

    def _informative_groups(self, batch: dict[str, Any]) -> list[int]:
        advantages = batch["advantages"].view(-1, self.num_generations)
        return [g for g in range(advantages.shape[0]) if bool((advantages[g] != 0).any())]

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        batch = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return batch
        unknown = [
            k
            for k, v in batch.items()
            if torch.is_tensor(v) and v.dim() > 0 and k not in _PROMPT_KEYS + _COMPLETION_KEYS
        ]
        if unknown:  # e.g. images: not something this hook knows how to concatenate
            return batch
        groups = len(inputs) // self.num_generations
        rounds = [(batch, self._informative_groups(batch))]
        found = len(rounds[0][1])
        while found < groups and len(rounds) < self.max_rounds:
            more = super()._generate_and_score_completions(self._more_inputs(groups - found))
            informative = self._informative_groups(more)
            rounds.append((more, informative))
            found += len(informative)
        chosen = [(b, g) for b, informative in rounds for g in informative][:groups]
        dropped = [g for g in range(groups) if g not in rounds[0][1]]
        chosen += [(batch, g) for g in dropped[: groups - len(chosen)]]  # still short: fill, without gradient
        self._metrics["train"]["dynamic_sampling/rounds"].append(float(len(rounds)))
        self._metrics["train"]["dynamic_sampling/informative_groups"].append(min(found, groups) / groups)
        return self._concatenate(chosen)

    def _concatenate(self, chosen: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
        size = self.num_generations
        merged: dict[str, Any] = {}
        for key in _PROMPT_KEYS + _COMPLETION_KEYS:
            parts = [b[key][g * size : (g + 1) * size] for b, g in chosen if key in b]
            if not parts:
                continue
            if parts[0].dim() > 1:
                width = max(p.shape[1] for p in parts)
                fill = self._tokenizer.pad_token_id if key.endswith("_ids") else 0
                left = key in _PROMPT_KEYS
                parts = [
                    torch.nn.functional.pad(
                        p, (width - p.shape[1], 0) if left else (0, width - p.shape[1]), value=fill
                    )
                    for p in parts
                ]
            merged[key] = torch.cat(parts)
        mask = merged["completion_mask"]
        merged["num_items_in_batch"] = self.accelerator.gather(mask.sum()).sum()
        return merged
