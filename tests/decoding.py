"""Helpers for the decoding tests: a prompt's ids, ``generate``'s reference tokens, a call counter."""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def generate_alone(model, tokenizer, ids: list[int], max_new_tokens: int) -> list[int]:
    """``model.generate`` on one prompt (no padding), greedy: the reference tokens, through EOS."""
    eos = tokenizer.eos_token_id
    output = model.generate(
        input_ids=torch.tensor([ids]),
        attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id,
    )
    tokens = output[0, len(ids) :].tolist()
    return tokens[: tokens.index(eos) + 1] if eos in tokens else tokens


def spy(monkeypatch, name: str, calls: Counter, module: Any = None) -> None:
    """Count the calls of ``module.name`` (still calling it)."""
    import eval.decode as decode_module

    module = module or decode_module
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
