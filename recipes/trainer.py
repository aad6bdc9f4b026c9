"""The runner's trainer: TRL's ``GRPOTrainer`` with what recipes need on its transformers generation path.

Stop strings (a template's ``</answer>``): transformers ends a sequence there and fills the rest of the
batch's positions with padding. TRL cuts a completion after its first EOS only, so where the padding token
is not an EOS token the padding stays in the completion: trained on as if the model had written it, and
counted in its length. vLLM returns the tokens through the stop string and nothing after. This subclass
drops the trailing padding, so both paths hand the loss and the rewards the same completion.
"""

from __future__ import annotations

from typing import Any

from trl import GRPOTrainer


def strip_trailing(ids: list[int], pad: int) -> list[int]:
    """``ids`` without the padding after its last real token (at least one token stays).

    >>> strip_trailing([5, 6, 0, 0], 0), strip_trailing([5, 6], 0), strip_trailing([0, 0], 0)
    ([5, 6], [5, 6], [0])
    """
    end = len(ids)
    while end > 1 and ids[end - 1] == pad:
        end -= 1
    return ids[:end]


class RecipeGRPOTrainer(GRPOTrainer):
    def _generate_single_turn(self, prompt_ids: Any, *args: Any, **kwargs: Any):
        completion_ids, logprobs = super()._generate_single_turn(prompt_ids, *args, **kwargs)
        pad = self._tokenizer.pad_token_id
        if not self.use_vllm and pad is not None and pad not in self.eos_token_ids:
            completion_ids = [strip_trailing(list(ids), pad) for ids in completion_ids]
        return completion_ids, logprobs
