"""Batched decoding that drops each sequence from the batch as soon as it has finished.

``model.generate`` keeps computing every row of a batch until the last one stops: when one completion of 32
runs to the token limit and the others stop after 20 tokens, most of the decoding is spent on rows that have
already ended. Here a row leaves the batch (and its cache rows are dropped) the step it writes EOS, completes
a stop string, or reaches ``max_new_tokens``; the prompts are prefilled with ``prefill_shared``, so a
template's system prompt and the ``n`` samples of a problem are computed once. Greedy decoding picks the
same tokens as ``generate`` (tested); sampling uses transformers' own temperature and top-p warpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from eval.prefix_cache import _cache_keyword, _positions, prefill_shared


@dataclass
class Decoded:
    tokens: list[int]  # the generated ids, through EOS when the row ended on it
    ended: str  # "eos", "stop" (a stop string) or "length"


def _stopped(tokenizer: Any, tokens: list[int], stop: tuple[str, ...], window: int) -> bool:
    """Whether the text of the last tokens holds a stop string (the newest token may complete it)."""
    tail = tokenizer.decode(tokens[-window:], skip_special_tokens=True)
    return any(s in tail for s in stop)


def _sampler(temperature: float, top_p: float):
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    warpers = [TemperatureLogitsWarper(temperature)] + ([TopPLogitsWarper(top_p)] if top_p < 1.0 else [])

    def sample(ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        for warper in warpers:
            scores = warper(ids, scores)
        return torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1).squeeze(1)

    return sample


def decode(
    model: Any,
    tokenizer: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    max_new_tokens: int,
    eos_token_ids: set[int],
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop: tuple[str, ...] = (),
) -> list[Decoded]:
    """Generate for a left-padded batch; one ``Decoded`` per row, in order."""
    from transformers import DynamicCache

    keyword = _cache_keyword(model)
    shared = prefill_shared(model, input_ids, attention_mask, complete=True)
    if shared is None:  # not left-padded, or a one-token prompt: prefill as it is
        cache = DynamicCache(config=model.config)
        with torch.no_grad():
            model(
                input_ids=input_ids[:, :-1],
                attention_mask=attention_mask[:, :-1],
                use_cache=True,
                logits_to_keep=1,
                **{keyword: cache},
            )
        ids, mask = input_ids, attention_mask
    else:
        ids, mask, cache = shared
    sample = _sampler(temperature, top_p) if temperature > 0 else None
    window = max((len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in stop), default=0) + 2
    rows = torch.arange(ids.size(0), device=ids.device)  # the rows still decoding
    position = _positions(mask)[:, -1:]
    current = ids[:, -1:]
    generated: list[list[int]] = [[] for _ in range(ids.size(0))]
    ended = ["length"] * ids.size(0)
    eos = torch.tensor(sorted(eos_token_ids), device=ids.device)
    with torch.no_grad():
        for step in range(max_new_tokens):
            output = model(
                input_ids=current,
                attention_mask=mask,
                position_ids=position,
                use_cache=True,
                **{keyword: cache},
            )
            scores = output.logits[:, -1, :].float()
            chosen = scores.argmax(dim=-1) if sample is None else sample(current, scores)
            done = torch.isin(chosen, eos)
            for i, (row, token) in enumerate(zip(rows.tolist(), chosen.tolist(), strict=True)):
                generated[row].append(token)
                if done[i]:
                    ended[row] = "eos"
                elif stop and _stopped(tokenizer, generated[row], stop, window):
                    ended[row] = "stop"
                    done[i] = True
            if step == max_new_tokens - 1:
                break
            keep = (~done).nonzero().squeeze(1)
            if keep.numel() == 0:
                break
            if keep.numel() < rows.numel():  # finished rows leave the batch, and their cache rows with them
                cache.batch_select_indices(keep)
                rows, mask, position, chosen = rows[keep], mask[keep], position[keep], chosen[keep]
            mask = torch.cat([mask, mask.new_ones(mask.size(0), 1)], dim=1)
            position = position + 1
            current = chosen[:, None]
    return [Decoded(tokens, how) for tokens, how in zip(generated, ended, strict=True)]
