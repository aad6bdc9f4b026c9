"""Cascade attention for decoding on a CPU: the prompt prefix every row shares is cached once and read once
per step for all rows, instead of once per row.

Evaluation's prompts start with the same template text (for the demo, 58 of about 70 prompt tokens), so
most of what a decoding step's attention reads is that prefix, copied into every row's KV cache.
``use_shared_prefix_attention`` switches a model to ``shared_prefix_attention`` (registered with
transformers' attention and mask interfaces; prefills and every call without a shared prefix stay SDPA);
eval/decode.py then keeps the prefix's keys and values once (``shared_prefix``) and hands them to each step.
The two softmaxes, over the prefix and over a row's own columns, are joined by their log-sum-exps, so the
result is attention over all the columns (tested against SDPA; greedy tokens as ``generate`` picks them).
"""

from __future__ import annotations

from typing import Any

import torch

from eval.prefix_cache import _cache_keyword, common_prefix_length

CASCADE = "decode_shared_prefix"  # the attention implementation that reads a shared prefix once per step
MIN_SHARED_PREFIX = 8  # tokens every prompt starts with before the prefix is kept once


def shared_prefix_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    shared_prefix: list | None = None,
    **kwargs: Any,
):
    """transformers' SDPA attention, except in a decoding step given ``shared_prefix`` (each layer's keys and
    values of the prompt prefix every row shares, ``[1, kv heads, P, dim]``): each row's query attends to the
    prefix, read once for all rows instead of once per row, and to its own cached columns, under one softmax
    (cascade attention). On a CPU only; the mask is ``decoding_step_mask``'s, additive."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if shared_prefix is None or query.size(2) != 1:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    prefix_keys, prefix_values = shared_prefix[module.layer_idx]
    rows, heads, _, dim = query.shape
    kv_heads = key.size(1)
    group = heads // kv_heads
    scale = scaling if scaling is not None else dim**-0.5
    # a row's query heads by their kv head, as transformers' pack_gqa does
    grouped = query.reshape(rows, kv_heads, group, dim)
    # The row's own columns through SDPA's CPU flash kernel, which also returns the softmax's log-sum-exp ...
    own, own_lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
        grouped, key, value, 0.0, False, attn_mask=attention_mask, scale=scale
    )
    # ... the shared prefix for all rows at once, one matrix multiply per kv head ...
    by_head = grouped.transpose(0, 1).reshape(kv_heads, rows * group, dim)
    scores = torch.bmm(by_head, prefix_keys[0].transpose(1, 2)) * scale
    prefix_lse = torch.logsumexp(scores.float(), dim=-1).reshape(kv_heads, rows, group).transpose(0, 1)
    prefix = torch.bmm(torch.softmax(scores, dim=-1), prefix_values[0]).reshape(kv_heads, rows, group, dim)
    # ... and the two softmaxes joined by their log-sum-exps: one softmax over prefix and own columns.
    top = torch.maximum(own_lse, prefix_lse)
    own_weight, prefix_weight = torch.exp(own_lse - top), torch.exp(prefix_lse - top)
    total = (own_weight + prefix_weight)[..., None]
    output = (own * own_weight[..., None] + prefix.transpose(0, 1) * prefix_weight[..., None]) / total
    return output.to(query.dtype).reshape(rows, heads, 1, dim).transpose(1, 2).contiguous(), None


def decoding_step_mask(*args: Any, dtype: torch.dtype = torch.float32, **kwargs: Any) -> torch.Tensor | None:
    """transformers' ``sdpa_mask``, made additive (0 or -inf) in a decoding step, as the CPU kernel above
    takes it: once per step for all layers, where converting it in each layer cost ~3% of a step."""
    from transformers.masking_utils import sdpa_mask

    mask = sdpa_mask(*args, **kwargs)
    if mask is None or mask.dtype != torch.bool or mask.size(-2) != 1:
        return mask
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, float("-inf"))


def use_shared_prefix_attention(model: Any) -> bool:
    """Switch ``model`` to ``shared_prefix_attention`` (registered with transformers' attention and mask
    interfaces) when it runs SDPA; returns whether it did. Every call but a decoding step stays SDPA."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    on_cpu = next(model.parameters()).device.type == "cpu"  # the join uses SDPA's CPU kernel
    if getattr(model.config, "_attn_implementation", None) != "sdpa" or not on_cpu:
        return False
    AttentionInterface.register(CASCADE, shared_prefix_attention)
    AttentionMaskInterface.register(CASCADE, decoding_step_mask)
    model.set_attn_implementation(CASCADE)
    return True


def shared_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each prompt at least its last token; 0 below
    ``MIN_SHARED_PREFIX``.

    >>> MIN_SHARED_PREFIX, shared_prefix_length([list(range(12)), list(range(10)) + [0]])
    (8, 10)
    """
    length = common_prefix_length(prompts)
    return length if length >= MIN_SHARED_PREFIX else 0


def shared_prefix(model: Any, prompts: list[list[int]]) -> tuple[int, list | None]:
    """(length, each layer's keys and values) of the prefix every prompt shares (all but each prompt's last
    token), computed once; (0, None) when the model doesn't run ``shared_prefix_attention`` or the prefix is
    shorter than ``MIN_SHARED_PREFIX``."""
    from transformers import DynamicCache

    if getattr(model.config, "_attn_implementation", None) != CASCADE:
        return 0, None
    length = shared_prefix_length(prompts)
    if length == 0:
        return 0, None
    cache = DynamicCache(config=model.config)
    with torch.no_grad():
        model(
            input_ids=torch.tensor([prompts[0][:length]], device=next(model.parameters()).device),
            use_cache=True,
            logits_to_keep=1,
            **{_cache_keyword(model): cache},
        )
    return length, [(layer.keys, layer.values) for layer in cache.layers]
