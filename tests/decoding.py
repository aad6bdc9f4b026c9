"""Helpers for the decoding tests: a prompt's ids, a call counter (``generate``'s reference tokens come
from recipes.tiny_model.greedy_alone)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def spy(monkeypatch, name: str, calls: Counter, module: Any = None) -> None:
    """Count the calls of ``module.name`` (still calling it)."""
    import eval.decode as decode_module

    module = module or decode_module
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
