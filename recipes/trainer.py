"""The runner's trainer: TRL's ``GRPOTrainer`` with three hooks.

**Online RFT** (``online_rft: true``; DeepSeekMath §5.2.1, Eq. 10): the completions are sampled from the
current policy as GRPO's are, but each gets the gradient coefficient ``1`` when the accuracy reward pays it
and ``0`` otherwise: no baseline, nothing learned from wrong answers, the same weight for every right one.
TRL computes the rewards and the advantages (``_generate_and_score_completions``); this replaces the
advantages with those coefficients.

**Shared prompts** (``shared_prompt: true`` in a recipe; recipes/shared_prompt.py): each group's prompt is
computed once in the loss (``_get_per_token_logps_and_entropies``, which TRL also calls for the old and the
reference log-probabilities); generation on the transformers path decodes with eval/decode.py (each
distinct prompt prefilled once, a completion dropped from the batch the step it ends), when the sampling
settings are ones it implements (temperature, top_p; otherwise ``generate``, with the prompts prefilled
once).

**Stop strings** on the transformers generation path (a template's ``</answer>``): ``generate`` ends a
sequence there and fills the rest of the batch's positions with padding. TRL cuts a completion after its first EOS only, so where the padding token
is not an EOS token the padding stays in the completion: trained on as if the model had written it, and
counted in its length. vLLM returns the tokens through the stop string and nothing after. This subclass
drops the trailing padding, so both paths hand the loss and the rewards the same completion.
"""

from __future__ import annotations

from typing import Any

from trl import GRPOTrainer

from eval.decode import decode, decodes
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
    def __init__(
        self, *args: Any, shared_prompt: bool = False, online_rft_reward: int | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.shared_prompt = shared_prompt
        self.online_rft_reward = online_rft_reward  # the index of the accuracy reward, for online RFT
        self._rewards_per_func = None
        if shared_prompt and not self.use_vllm:
            model = self.accelerator.unwrap_model(self.model)
            inner = getattr(model, "get_base_model", lambda: model)()  # PEFT calls the inner model's generate
            inner.generate = generate_sharing_prompts(inner, inner.generate)
        # eval/decode.py models full attention only; a sliding-window model keeps TRL's generation
        self._full_attention = decodes(self.accelerator.unwrap_model(self.model))

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

    def _decodes_itself(self, images: Any, multimodal_fields: Any) -> bool:
        plain_sampling = (self.top_k in (None, 0)) and self.min_p is None and self.repetition_penalty == 1.0
        return (
            self.shared_prompt
            and not self.use_vllm
            and not self.use_transformers_continuous_batching
            and images is None
            and not multimodal_fields
            and plain_sampling
            and self._full_attention
        )

    def _generate_single_turn(
        self, prompt_ids: Any, images: Any = None, multimodal_fields: Any = None, *args: Any, **kwargs: Any
    ):
        if self._decodes_itself(images, multimodal_fields):
            return self._decode(prompt_ids), None
        completion_ids, logprobs = super()._generate_single_turn(
            prompt_ids, images, multimodal_fields, *args, **kwargs
        )
        pad = self._tokenizer.pad_token_id
        if not self.use_vllm and pad is not None and pad not in self.eos_token_ids:
            completion_ids = [strip_trailing(list(ids), pad) for ids in completion_ids]
        return completion_ids, logprobs

    def _decode(self, prompt_ids: list[list[int]]) -> list[list[int]]:
        """Completions as TRL's transformers path returns them (through EOS, or through a stop string, or cut
        at max_completion_length), decoded with eval/decode.py."""
        import torch
        from trl.models.utils import unwrap_model_for_generation

        stop = tuple((self.generation_kwargs or {}).get("stop_strings") or ())
        with (
            unwrap_model_for_generation(
                self.model_wrapped,
                self.accelerator,
                gather_deepspeed3_params=self.args.ds3_gather_for_generation,
                generation_kwargs=self.generation_kwargs,
                gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs,
            ) as model,
            torch.no_grad(),
        ):
            decoded = decode(
                model,
                self._tokenizer,
                [list(p) for p in prompt_ids],
                self.max_completion_length,
                set(self.eos_token_ids),
                temperature=self.temperature,
                top_p=self.top_p if self.top_p is not None else 1.0,
                stop=stop,
            )
        return [d.tokens for d in decoded]

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._rewards_per_func = rewards_per_func  # every process's rows, in order: sliced below
        return rewards_per_func

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        batch = super()._generate_and_score_completions(inputs)
        if self.online_rft_reward is not None:
            batch["advantages"] = online_rft_coefficients(
                self._rewards_per_func[:, self.online_rft_reward],
                self.accelerator.process_index,
                len(batch["advantages"]),
            ).to(batch["advantages"].device)
        return batch


def online_rft_coefficients(accuracy: Any, process_index: int, rows: int) -> Any:
    """DeepSeekMath's Eq. 10, GC_RFT = I(o): 1.0 for a completion the accuracy reward paid in full, else 0.0,
    for this process's ``rows`` of the gathered rewards.

    >>> import torch
    >>> online_rft_coefficients(torch.tensor([1.0, 0.0, float("nan"), 1.0]), 1, 2)
    tensor([0., 1.])
    """
    import torch

    paid = torch.nan_to_num(accuracy.float(), nan=0.0) >= 1.0
    return paid.float()[process_index * rows : (process_index + 1) * rows]
