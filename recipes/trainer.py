"""The runner's trainer: TRL's ``GRPOTrainer`` with two hooks.

**Shared prompts** (``shared_prompt: true`` in a recipe; recipes/shared_prompt.py): each group's prompt is
computed once in the loss (``_get_per_token_logps_and_entropies``, which TRL also calls for the old and the
reference log-probabilities) and prefilled once in generation (the model's ``generate``).

**Stop strings** on the transformers generation path: stop strings (a template's ``</answer>``): transformers ends a sequence there and fills the rest of the
batch's positions with padding. TRL cuts a completion after its first EOS only, so where the padding token
is not an EOS token the padding stays in the completion: trained on as if the model had written it, and
counted in its length. vLLM returns the tokens through the stop string and nothing after. This subclass
drops the trailing padding, so both paths hand the loss and the rewards the same completion.
"""

from __future__ import annotations

from typing import Any

from trl import GRPOTrainer

from eval.prefix_cache import generate_sharing_prompts
from recipes.shared_prompt import shared_prompt_logps


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
    def __init__(self, *args: Any, shared_prompt: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.shared_prompt = shared_prompt
        if shared_prompt and not self.use_vllm:
            model = self.accelerator.unwrap_model(self.model)
            inner = getattr(model, "get_base_model", lambda: model)()  # PEFT calls the inner model's generate
            inner.generate = generate_sharing_prompts(inner, inner.generate)

    def _get_per_token_logps_and_entropies(
        self, model, input_ids, attention_mask, logits_to_keep, *args, **kwargs
    ):
        multimodal = any(
            kwargs.get(k) is not None
            for k in kwargs
            if k not in ("batch_size", "compute_entropy", "compute_aux_loss")
        )
        if not self.shared_prompt or multimodal or kwargs.get("compute_aux_loss") or args:
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, *args, **kwargs
            )
        with self.accelerator.autocast():
            logps, entropies = shared_prompt_logps(
                model,
                input_ids,
                attention_mask,
                logits_to_keep,
                self._tokenizer.pad_token_id,
                compute_entropy=kwargs.get("compute_entropy", False),
                rows_per_chunk=kwargs.get("batch_size"),
            )
        return logps, entropies, None

    def _generate_single_turn(self, prompt_ids: Any, *args: Any, **kwargs: Any):
        completion_ids, logprobs = super()._generate_single_turn(prompt_ids, *args, **kwargs)
        pad = self._tokenizer.pad_token_id
        if not self.use_vllm and pad is not None and pad not in self.eos_token_ids:
            completion_ids = [strip_trailing(list(ids), pad) for ids in completion_ids]
        return completion_ids, logprobs
