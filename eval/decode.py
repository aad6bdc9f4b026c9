"""Continuous batched decoding: a finished sequence leaves the batch and a waiting prompt takes its place.

``model.generate`` decodes a batch until its last row stops: when one completion of 32 runs to the token
limit and the others stop after 20 tokens, most of the work goes to rows that have ended, and the next batch
waits for the slowest row. On a CPU a decoding step of a small model costs mostly reading its weights (for
SmolLM2-135M, 32 rows cost twice what 1 row does, not 32 times), so a step should carry as many live rows as
it can, and none that has ended. Here up to ``slots`` rows decode together; a row ends the step it writes
EOS, completes a stop string or reaches ``max_new_tokens`` and leaves the batch at once (the last rows move
into the slots of those that ended: one row's cache copied each), and waiting prompts are admitted as soon
as a quarter of the slots are free, prefilled with ``prefill_shared`` (a template's system prompt and the
``n`` samples of a problem computed once). The KV cache keeps room for the tokens and the rows to come, so a
step writes its keys and values in place where ``DynamicCache`` copies the whole cache every step, and an
admitted prompt's cache is written into a spare row.

Each row keeps its own tokens and positions; rows admitted later are left-padded (masked) to the batch's
columns, and columns that every row masks are dropped when the batch is rebuilt (room used up, or a prompt
wider than the batch). On a CPU, evaluation also switches the model to eval/cascade.py's
``shared_prefix_attention``: the prefix every prompt shares (a template's system prompt) is cached once, not
once per row, and each decoding step reads it once for all rows (cascade attention), which is most of what
attention reads when the prompts are short. Greedy decoding picks the same tokens as ``generate`` (tested);
sampling uses transformers' temperature and top-p warpers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from eval.cascade import shared_prefix
from eval.prefix_cache import _cache_keyword, _positions, prefill_shared

ROOM = 64  # columns of KV cache allocated ahead; when they are used up the batch is rebuilt (one copy)


@dataclass
class Decoded:
    tokens: list[int]  # the generated ids, through EOS when the row ended on it
    ended: str  # "eos", "stop" (a stop string) or "length"


def decodes(model: Any) -> bool:
    """Whether ``decode`` can run ``model``: every layer's cache is transformers' plain ``DynamicLayer``
    (a sliding-window layer keeps only its window, which the in-place cache here does not model)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    layers = DynamicCache(config=model.config).layers
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def _text_config(model: Any) -> Any:
    """The config of the model's language part (a multimodal model nests it)."""
    return getattr(model.config, "get_text_config", lambda: model.config)()


def _kv_heads(config: Any) -> tuple[int, int]:
    """(key/value heads, head dimension) of a layer's cache, as the model's config gives them."""
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return heads, getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def kv_bytes_per_token(model: Any) -> int:
    """Bytes of KV cache one token of one row takes, over all layers."""
    config = _text_config(model)
    heads, head_dim = _kv_heads(config)
    return 2 * config.num_hidden_layers * heads * head_dim * next(model.parameters()).element_size()


def _roomy_layer_class():
    from transformers.cache_utils import DynamicLayer

    class RoomyLayer(DynamicLayer):
        """A layer's keys and values in buffers with room for the tokens and the rows to come: ``update``
        writes in place and returns views of the first ``rows`` rows' filled columns."""

        def __init__(self, keys: torch.Tensor, values: torch.Tensor, length: int, rows: int):
            super().__init__()
            self.keys_room, self.values_room, self.length, self.rows = keys, values, length, rows
            self.device, self.is_initialized = keys.device, True
            self.view()

        def view(self) -> None:
            self.keys = self.keys_room[: self.rows, :, : self.length]
            self.values = self.values_room[: self.rows, :, : self.length]

        def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any):
            end = self.length + key_states.size(-2)
            if end > self.keys_room.size(2):  # a slice past the end would broadcast into nothing
                raise RuntimeError(f"the KV cache has room for {self.keys_room.size(2)} columns, not {end}")
            self.keys_room[: self.rows, :, self.length : end] = key_states
            self.values_room[: self.rows, :, self.length : end] = value_states
            self.length = end
            self.view()
            return self.keys, self.values

    return RoomyLayer


@dataclass
class _Rows:
    """Rows decoding together, every one of them live: the KV cache of their columns and what each row
    feeds next."""

    prompt: list[int]  # the prompt index of each row
    cache: Any  # a DynamicCache whose layers are RoomyLayers (their buffers may hold more rows)
    mask: torch.Tensor  # [rows, columns]: the cached columns each row attends to
    current: torch.Tensor  # [rows]: the token each row feeds next
    position: torch.Tensor  # [rows]: its position id

    @property
    def columns(self) -> int:
        return self.mask.size(1)

    @property
    def room(self) -> int:
        return self.cache.layers[0].keys_room.size(2) - self.columns

    @property
    def spare_rows(self) -> int:
        return self.cache.layers[0].keys_room.size(0) - len(self.prompt)

    def narrow(self, count: int) -> None:
        """Keep the first ``count`` rows (views: the buffers keep the rest as spare rows)."""
        self.prompt = self.prompt[:count]
        self.mask, self.current, self.position = (
            self.mask[:count],
            self.current[:count],
            self.position[:count],
        )
        for layer in self.cache.layers:
            layer.rows = count
            layer.view()


def _prefill(model: Any, prompts: list[list[int]], pad: int, skip: int = 0):
    """Prefill ``prompts`` but their last tokens: (keys and values per layer or None, the mask of the cached
    columns, the last tokens, their positions). A prefix shared by all prompts, and repeated prompts, are
    computed once. ``skip``: leave out the first columns (a shared prefix the caller holds once)."""
    from transformers import DynamicCache

    device = next(model.parameters()).device
    width = max(map(len, prompts))
    ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
    shared = prefill_shared(model, ids, mask, complete=True)
    if shared is not None:
        ids, mask, cache = shared
    else:  # a one-token prompt among them: prefill as it is
        cache = DynamicCache(config=model.config)
        if width > 1:
            with torch.no_grad():
                model(
                    input_ids=ids[:, :-1],
                    attention_mask=mask[:, :-1],
                    use_cache=True,
                    logits_to_keep=1,
                    **{_cache_keyword(model): cache},
                )
    kv = (
        [(layer.keys[:, :, skip:], layer.values[:, :, skip:]) for layer in cache.layers]
        if width > 1
        else None
    )
    return kv, mask[:, skip:-1], ids[:, -1], _positions(mask)[:, -1]


def _kv_layout(model: Any, old: _Rows | None, new_kv: list | None) -> tuple[int, int, torch.dtype]:
    """(key/value heads, head dimension, dtype) of the cache: read off a cache there is (autocast may have
    made it other than the weights' dtype), else the model's config."""
    if new_kv:
        keys = new_kv[0][0]
        return keys.size(1), keys.size(3), keys.dtype
    if old is not None:
        keys = old.cache.layers[0].keys_room
        return keys.size(1), keys.size(3), keys.dtype
    return (*_kv_heads(_text_config(model)), next(model.parameters()).dtype)


def _rebuild(model: Any, old: _Rows | None, new: tuple | None, room: int, capacity: int) -> _Rows:
    """The rows of ``old`` followed by the ``new`` prefilled rows (``(prompt indices, _prefill's result)``),
    in fresh buffers with ``room`` columns and ``capacity`` rows in all (at least those rows). Columns every old row masks are
    dropped; the shorter side is left-padded with masked zeros (zeros, not garbage: a masked column still
    multiplies its values by a weight of 0)."""
    from transformers import DynamicCache

    roomy = _roomy_layer_class()
    device = next(model.parameters()).device
    cache = DynamicCache(config=model.config)
    kept = len(old.prompt) if old is not None else 0
    first, old_width = 0, 0
    if kept:
        first = int(old.mask.argmax(dim=1).min()) if old.columns else 0
        old_width = old.columns - first
    new_prompts, (new_kv, new_mask, new_current, new_position) = (
        new if new else ([], (None, None, None, None))
    )
    new_width = new_mask.size(1) if new_mask is not None else 0
    heads, head_dim, dtype = _kv_layout(model, old, new_kv)
    width, rows = max(old_width, new_width), kept + len(new_prompts)
    mask = torch.zeros(rows, width, dtype=torch.long, device=device)
    if old_width:
        mask[:kept, width - old_width :] = old.mask[:, first:]
    if new_width:
        mask[kept:, width - new_width :] = new_mask
    layers = []
    for index in range(len(cache.layers)):
        previous = old.cache.layers[index] if old is not None else None
        buffers = []
        for which, name in ((0, "keys_room"), (1, "values_room")):
            buffer = torch.zeros(capacity, heads, width + room, head_dim, dtype=dtype, device=device)
            if old_width:
                buffer[:kept, :, width - old_width : width] = getattr(previous, name)[
                    :kept, :, first : old.columns
                ]
            if new_width and new_kv is not None:
                buffer[kept:rows, :, width - new_width : width] = new_kv[index][which]
            buffers.append(buffer)
        # Free this layer's old and prefilled tensors now: a rebuild then holds one copy of the cache, not two.
        if previous is not None:
            previous.keys_room = previous.values_room = previous.keys = previous.values = None
        if new_kv is not None:
            new_kv[index] = None
        layers.append(roomy(buffers[0], buffers[1], width, rows))
    cache.layers = layers
    parts = [(old.current, old.position)] if kept else []
    if new_prompts:
        parts.append((new_current, new_position))
    return _Rows(
        prompt=(old.prompt if kept else []) + list(new_prompts),
        cache=cache,
        mask=mask,
        current=torch.cat([c for c, _ in parts]),
        position=torch.cat([p for _, p in parts]),
    )


def _append(rows: _Rows, new: tuple) -> None:
    """Put the ``new`` prefilled rows into the buffers' spare rows, in place: each cache ends at the batch's
    last column, and the columns before it are masked (what a spare row held there is finite: zeros, or an
    ended row's keys and values)."""
    prompts, (kv, mask, current, position) = new
    start, width, columns = len(rows.prompt), mask.size(1), rows.columns
    end = start + len(prompts)
    grown = torch.zeros(end, columns, dtype=rows.mask.dtype, device=rows.mask.device)
    grown[:start] = rows.mask
    if width:
        grown[start:, columns - width :] = mask
        for layer, (keys, values) in zip(rows.cache.layers, kv, strict=True):
            layer.keys_room[start:end, :, columns - width : columns] = keys
            layer.values_room[start:end, :, columns - width : columns] = values
    rows.mask = grown
    rows.current, rows.position = torch.cat([rows.current, current]), torch.cat([rows.position, position])
    rows.prompt = rows.prompt + list(prompts)
    rows.narrow(end)


def _drop(rows: _Rows, ended: list[int]) -> None:
    """Remove the ``ended`` rows: the last live rows move into their slots (one row's cache copied each), so
    the rows left are the first ones and no decoding step computes a row that has ended."""
    keep = len(rows.prompt) - len(ended)
    gone = set(ended)
    holes = [row for row in ended if row < keep]
    movers = [row for row in range(keep, len(rows.prompt)) if row not in gone]
    if holes:
        to = torch.tensor(holes, dtype=torch.long, device=rows.mask.device)
        source = torch.tensor(movers, dtype=torch.long, device=rows.mask.device)
        columns = rows.columns
        for layer in rows.cache.layers:
            layer.keys_room[to, :, :columns] = layer.keys_room[source, :, :columns]
            layer.values_room[to, :, :columns] = layer.values_room[source, :, :columns]
        rows.mask[to], rows.current[to], rows.position[to] = (
            rows.mask[source],
            rows.current[source],
            rows.position[source],
        )
        for hole, mover in zip(holes, movers, strict=True):
            rows.prompt[hole] = rows.prompt[mover]
    rows.narrow(keep)


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


def decode_stream(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    max_new_tokens: int,
    eos_token_ids: set[int],
    slots: int | None = None,
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop: tuple[str, ...] = (),
) -> Iterator[list[tuple[int, Decoded]]]:
    """Generate for ``prompts`` (token ids), at most ``slots`` rows at a time (all of them by default), in
    order of admission; yields, after each step, the rows that ended in it as ``(prompt index, Decoded)``."""
    if any(len(p) == 0 for p in prompts):
        raise ValueError("a prompt has no tokens; there is nothing to generate from")
    if max_new_tokens < 1:
        yield [(i, Decoded([], "length")) for i in range(len(prompts))]
        return
    slots = max(1, slots or len(prompts))
    refill = max(1, slots // 4)  # admit waiting prompts a quarter of the slots at a time (a prefill each)
    room = min(max_new_tokens, ROOM)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    keyword = _cache_keyword(model)
    sample = _sampler(temperature, top_p) if temperature > 0 else None
    window = max((len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in stop), default=0) + 2
    skip, shared = shared_prefix(model, prompts)
    extra = {"shared_prefix": shared} if shared else {}
    waiting = deque(range(len(prompts)))
    generated: dict[int, list[int]] = {}
    rows: _Rows | None = None
    while waiting or (rows is not None and rows.prompt):
        live = len(rows.prompt) if rows else 0
        admit = []
        if waiting and (slots - live >= refill or not live):
            admit = [waiting.popleft() for _ in range(min(slots - live, len(waiting)))]
            generated.update((i, []) for i in admit)
        new = (admit, _prefill(model, [prompts[i] for i in admit], pad, skip)) if admit else None
        fits = rows is not None and rows.room > 0 and new and len(admit) <= rows.spare_rows
        if fits and new[1][1].size(1) <= rows.columns:
            _append(rows, new)  # into spare rows of the buffers: nothing is copied
        elif new or rows.room == 0:  # drops the columns every row masks
            rows = _rebuild(model, rows, new, room, capacity=min(slots, live + len(admit) + len(waiting)))
        mask = torch.cat([rows.mask, rows.mask.new_ones(rows.mask.size(0), 1)], dim=1)
        with torch.no_grad():
            output = model(
                input_ids=rows.current[:, None],
                attention_mask=mask,
                position_ids=rows.position[:, None],
                use_cache=True,
                **{keyword: rows.cache},
                **extra,
            )
        scores = output.logits[:, -1, :].float()
        chosen = scores.argmax(dim=-1) if sample is None else sample(rows.current[:, None], scores)
        rows.mask, rows.position, rows.current = mask, rows.position + 1, chosen
        ended, ended_rows = [], []
        for row, (prompt, token) in enumerate(zip(rows.prompt, chosen.tolist(), strict=True)):
            out = generated[prompt]
            out.append(token)
            how = (
                "eos"
                if token in eos_token_ids
                else "stop"
                if stop and _stopped(tokenizer, out, stop, window)
                else "length"
                if len(out) >= max_new_tokens
                else None
            )
            if how:
                ended.append((prompt, Decoded(generated.pop(prompt), how)))
                ended_rows.append(row)
        if ended:
            _drop(rows, ended_rows)
            yield ended


def decode(model: Any, tokenizer: Any, prompts: list[list[int]], *args: Any, **kwargs: Any) -> list[Decoded]:
    """``decode_stream(model, tokenizer, prompts, ...)``'s results in the order of ``prompts``."""
    results: list[Decoded | None] = [None] * len(prompts)
    with torch.no_grad():
        for ended in decode_stream(model, tokenizer, prompts, *args, **kwargs):
            for index, decoded in ended:
                results[index] = decoded
    return results  # type: ignore[return-value]
