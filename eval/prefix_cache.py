"""A KV cache that computes shared prompt tokens once: for a GRPO group (one prompt, several completions),
for ``n`` samples of one problem, and for the system prompt that every prompt of a template starts with.

``generate_sharing_prompts(model, model.generate)`` is a drop-in ``generate``: it prefills the prefix common
to all rows once, each distinct row's remainder once, copies the cache rows to the batch, and lets
transformers' own ``generate`` continue from there. The tokens, positions and attention are those of the
plain call (the padding moves from the left of each row into the middle, where the mask hides it), so greedy
decoding gives the same tokens (tested).
"""

from __future__ import annotations

from typing import Any

import torch


def group_rows(prompts: list[tuple[int, ...]]) -> list[list[int]]:
    """Row indices grouped by identical prompt, in order of first appearance.

    >>> group_rows([(1, 2), (3,), (1, 2), (3,)])
    [[0, 2], [1, 3]]
    """
    groups: dict[tuple[int, ...], list[int]] = {}
    for row, prompt in enumerate(prompts):
        groups.setdefault(prompt, []).append(row)
    return list(groups.values())


def common_prefix_length(rows: list) -> int:
    """Tokens every row starts with, leaving each row at least its last token (the one decoding feeds).

    >>> common_prefix_length([(1, 2, 3), (1, 2, 4)]), common_prefix_length([(1, 2), (1, 2, 3)])
    (2, 1)
    """
    first, length = rows[0], min(map(len, rows)) - 1
    for row in rows[1:]:
        length = next((i for i in range(length) if row[i] != first[i]), length)
    return length


def _cache_keyword(model: Any) -> str:
    """transformers 5.24 calls the KV cache ``cache``; earlier 5.x releases ``past_key_values``."""
    import inspect

    forward = getattr(type(model), "forward", model.forward)
    return "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"


def _positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids as ``generate`` derives them from an attention mask (padding gets 1)."""
    return (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 1)


def prefill_shared(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    min_shared: int = 8,
    complete: bool = False,
):
    """A KV cache for a left-padded batch of prompts in which rows repeat (a GRPO group) or share a prefix
    (a template's system prompt), computed once per distinct token: the prefix common to all rows once,
    then each distinct row's remainder once, then the cache rows copied to the batch. Returns
    ``(input_ids, attention_mask, cache)`` laid out as ``prefix | padding | remainder`` (the same tokens at
    the same positions, the padding moved from the left into the middle), with all but each row's last
    token cached, ready for ``generate(..., cache=cache)``; or None when nothing would be saved. Without
    ``complete``, the remainders of rows that occur once are left to ``generate``'s own prefill."""
    from transformers import DynamicCache

    mask_rows = attention_mask.tolist()
    if any(row != sorted(row) for row in mask_rows):
        return None  # not left-padded
    rows = [
        tuple(t for t, m in zip(r, m_, strict=True) if m)
        for r, m_ in zip(input_ids.tolist(), mask_rows, strict=True)
    ]
    if any(len(r) < 2 for r in rows):
        return None
    groups = group_rows(rows)
    unique = [rows[g[0]] for g in groups]
    common = common_prefix_length(unique)
    if len(groups) == len(rows) and common < min_shared and not complete:
        return None
    width = max(map(len, rows))
    device = input_ids.device

    def layout(row: tuple[int, ...]) -> tuple[list[int], list[int]]:
        gap = width - len(row)
        return [*row[:common], *[0] * gap, *row[common:]], [1] * common + [0] * gap + [1] * (
            len(row) - common
        )

    laid = [layout(r) for r in unique]
    unique_ids = torch.tensor([ids for ids, _ in laid], device=device)
    unique_mask = torch.tensor([m for _, m in laid], device=device)
    keyword = _cache_keyword(model)
    cache = DynamicCache(config=model.config)
    with torch.no_grad():
        if common:
            model(
                input_ids=unique_ids[:1, :common],
                attention_mask=unique_mask[:1, :common],
                use_cache=True,
                logits_to_keep=1,
                **{keyword: cache},
            )
            cache.batch_repeat_interleave(len(unique))
        remainder = unique_ids.size(1) - 1 > common  # some row has uncached tokens before its last
        if remainder and (len(groups) < len(rows) or complete):  # repeated rows: remainders once, then copied
            model(
                input_ids=unique_ids[:, common:-1],
                attention_mask=unique_mask[:, :-1],
                position_ids=_positions(unique_mask)[:, common:-1],
                use_cache=True,
                logits_to_keep=1,
                **{keyword: cache},
            )
    index = torch.empty(len(rows), dtype=torch.long, device=device)
    for u, group in enumerate(groups):
        index[group] = u
    cache.batch_select_indices(index)
    return unique_ids[index], unique_mask[index], cache


def generate_sharing_prompts(model: Any, original_generate: Any):
    """``model.generate`` that prefills shared prompt tokens once (``prefill_shared``) and then calls the
    original ``generate`` from that cache; the prompt part of its output is the caller's own layout."""
    import functools

    keyword = _cache_keyword(model)

    @functools.wraps(original_generate)
    def generate(*args: Any, **kwargs: Any):
        input_ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        shared = None
        if (
            not args
            and input_ids is not None
            and mask is not None
            and "cache" not in kwargs
            and "past_key_values" not in kwargs
        ):
            shared = prefill_shared(model, input_ids, mask)
        if shared is None:
            return original_generate(*args, **kwargs)
        new_ids, new_mask, cache = shared
        output = original_generate(
            **{**kwargs, "input_ids": new_ids, "attention_mask": new_mask, keyword: cache}
        )
        sequences = output if isinstance(output, torch.Tensor) else output.sequences
        restored = torch.cat([input_ids, sequences[:, new_ids.size(1) :]], dim=1)
        if isinstance(output, torch.Tensor):
            return restored
        output.sequences = restored
        return output

    return generate
