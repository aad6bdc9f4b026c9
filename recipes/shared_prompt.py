"""Shared-prompt GRPO: each group's prompt is computed once, in the loss and in generation.

A GRPO group is one prompt with ``num_generations`` completions. TRL runs every completion with its own
copy of the prompt, so with a 55-token prompt and 20-token completions three quarters of every forward and
backward pass, and of generation's prefill, compute the same prompt again and again. The idea is "Prefix
Grouper" (Liu et al., arXiv:2506.05433); its package (``prefix-grouper`` 0.0.1) builds on flash-attention's
variable-length kernels and gives wrong attention with SDPA or eager attention, so this module does the same
with a 4-D attention mask, which every attention implementation except flash-attention takes.

**In the loss** (``shared_prompt_logps``), the rows of a micro-batch whose prompts are identical become one
packed row::

    P[:-1] | P[-1] C1[:-1] | P[-1] C2[:-1] | ... | P[-1] CG[:-1]

with the positions each token has in its own sequence (every segment continues from ``len(P) - 1``) and a
mask that lets each segment see the prompt and its own earlier tokens, nothing else. The labels of segment
``i`` are ``Ci``. Every completion token then sees exactly the context it has in TRL's layout, so its
log-probability is the same, and the prompt's activations, computed once, receive the sum of the gradients
that TRL's G copies would receive: the gradient is the same (to floating-point rounding, tested).

**In generation** (transformers path), each distinct prompt is prefilled once and its cache is repeated for
its completions; ``generate`` then continues from the cache (eval/prefix_cache.py, which evaluation uses
too).

When to turn it off (``shared_prompt: false``, the default for paper recipes): when completions are long
compared with the prompt (a group's packed row has ``len(P) + sum(len(Ci))`` tokens, and its attention grows
with the square of that, while TRL's grows with ``G (len(P) + len(C))^2``: with 3,000-token completions the
packed attention costs more than it saves); with flash-attention (no 4-D masks); with vLLM generation (vLLM
caches shared prefixes itself); for multimodal models. Prompts that differ within a group simply don't share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from eval.prefix_cache import group_rows


@dataclass
class Packed:
    input_ids: torch.Tensor  # (U, T) one row per distinct prompt
    position_ids: torch.Tensor  # (U, T)
    attention_mask: torch.Tensor  # (U, 1, T, T) True where a query may attend a key
    shift_labels: torch.Tensor  # (U, T) the token each position predicts, -100 where none is scored
    # where each scored completion token lands: row b, completion position t <- packed row u, position p
    rows: torch.Tensor
    completion_positions: torch.Tensor
    packed_rows: torch.Tensor
    packed_positions: torch.Tensor


def pack(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    pad_id: int,
    groups: list[list[int]],
) -> Packed:
    """The packed layout (module docstring) for the rows of ``groups``; ``input_ids`` is TRL's
    ``cat(prompt_ids, completion_ids)`` (prompts padded on the left, completions on the right)."""
    width = input_ids.size(1) - logits_to_keep
    ids, mask = input_ids.tolist(), attention_mask.tolist()
    packed_ids, positions, segments_of, labels = [], [], [], []
    rows, completion_positions, packed_rows, packed_positions = [], [], [], []
    for u, group in enumerate(groups):
        first = group[0]
        prompt = [t for t, m in zip(ids[first][:width], mask[first][:width], strict=True) if m]
        row_ids, row_pos, row_seg, row_labels = (
            list(prompt[:-1]),
            list(range(len(prompt) - 1)),
            [0] * (len(prompt) - 1),
            [-100] * (len(prompt) - 1),
        )
        for segment, b in enumerate(group, start=1):
            completion = [t for t, m in zip(ids[b][width:], mask[b][width:], strict=True) if m]
            if not completion:
                continue
            start = len(row_ids)
            row_ids += [prompt[-1], *completion[:-1]]
            row_pos += list(range(len(prompt) - 1, len(prompt) - 1 + len(completion)))
            row_seg += [segment] * len(completion)
            row_labels += completion
            # the completion's valid tokens sit first in TRL's right-padded block
            valid = [t for t, m in enumerate(mask[b][width:]) if m]
            rows += [b] * len(completion)
            completion_positions += valid
            packed_rows += [u] * len(completion)
            packed_positions += list(range(start, start + len(completion)))
        packed_ids.append(row_ids)
        positions.append(row_pos)
        segments_of.append(row_seg)
        labels.append(row_labels)
    length = max(len(r) for r in packed_ids)
    device = input_ids.device

    def padded(rows_: list[list[int]], fill: int) -> torch.Tensor:
        return torch.tensor([r + [fill] * (length - len(r)) for r in rows_], device=device)

    segment = padded(segments_of, -1)  # -1: padding
    index = torch.arange(length, device=device)
    causal = index[None, :] <= index[:, None]  # key <= query
    same = segment[:, :, None] == segment[:, None, :]
    to_prompt = (segment[:, None, :] == 0) & (segment[:, :, None] >= 0)
    allowed = causal[None] & (same | to_prompt) & (segment[:, None, :] >= 0)
    allowed |= torch.eye(length, dtype=torch.bool, device=device)[
        None
    ]  # padding attends itself: no empty row
    return Packed(
        input_ids=padded(packed_ids, pad_id),
        position_ids=padded(positions, 0),
        attention_mask=allowed[:, None],
        shift_labels=padded(labels, -100),
        rows=torch.tensor(rows, dtype=torch.long, device=device),
        completion_positions=torch.tensor(completion_positions, dtype=torch.long, device=device),
        packed_rows=torch.tensor(packed_rows, dtype=torch.long, device=device),
        packed_positions=torch.tensor(packed_positions, dtype=torch.long, device=device),
    )


def _mask_for(model: Any, allowed: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """SDPA and flex take a boolean mask; eager attention adds the mask to its scores."""
    implementation = getattr(getattr(model, "config", None), "_attn_implementation", "sdpa")
    if implementation == "eager":
        return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(
            ~allowed, torch.finfo(dtype).min
        )
    return allowed


def shared_prompt_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    pad_id: int,
    compute_entropy: bool = False,
    rows_per_chunk: int | None = None,
    groups: list[list[int]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probabilities (and entropies) of the completion tokens, shape ``(B, logits_to_keep)``,
    as TRL's ``_get_per_token_logps_and_entropies`` returns them (zeros where the completion mask is 0),
    computing each distinct prompt once. ``model`` must take TRL's ``fused_lm_head`` (TRL patches its
    forward: the temperature is applied there). ``groups`` overrides the grouping (tests only)."""
    width = input_ids.size(1) - logits_to_keep
    if groups is None:
        prompts = [
            tuple(t for t, m in zip(row, mask, strict=True) if m)
            for row, mask in zip(
                input_ids[:, :width].tolist(), attention_mask[:, :width].tolist(), strict=True
            )
        ]
        groups = group_rows(prompts)
    chunks, current = [], []
    for group in groups:  # whole groups per chunk, about rows_per_chunk rows each (memory, as TRL chunks)
        if current and rows_per_chunk and sum(map(len, current)) + len(group) > rows_per_chunk:
            chunks.append(current)
            current = []
        current.append(group)
    if current:
        chunks.append(current)
    dtype = next(model.parameters()).dtype
    logps = None
    entropies = None
    for chunk in chunks:
        packed = pack(input_ids, attention_mask, logits_to_keep, pad_id, chunk)
        outputs = model(
            input_ids=packed.input_ids,
            attention_mask=_mask_for(model, packed.attention_mask, dtype),
            position_ids=packed.position_ids,
            shift_labels=packed.shift_labels,
            fused_lm_head=True,
        )
        values = outputs.log_probs[packed.packed_rows, packed.packed_positions]
        if logps is None:
            logps = values.new_zeros(input_ids.size(0), logits_to_keep)
            if compute_entropy:
                entropies = values.new_zeros(input_ids.size(0), logits_to_keep)
        logps = logps.index_put((packed.rows, packed.completion_positions), values)
        if compute_entropy:
            found = outputs.entropy[packed.packed_rows, packed.packed_positions]
            entropies = entropies.index_put((packed.rows, packed.completion_positions), found)
    if logps is None:  # no completion token at all
        logps = torch.zeros(input_ids.size(0), logits_to_keep, device=input_ids.device)
    return logps, entropies
