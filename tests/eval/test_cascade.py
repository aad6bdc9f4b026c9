"""eval/cascade.py: attention that reads the prompts' shared prefix once is attention over every column."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

import eval.cascade as cascade
from eval.decode import decode
from recipes.tiny_model import build_stopping_model, greedy_alone
from tests.decoding import ids, spy


def test_shared_prefix_attention_is_sdpa_with_the_prefix_read_once():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    torch.manual_seed(0)
    rows, kv_heads, group, dim, prefix, own = 5, 2, 3, 8, 7, 4

    class Layer(torch.nn.Module):  # what the attention function reads off its module
        layer_idx, num_key_value_groups, is_causal = 0, group, True

    keys, values = torch.randn(1, kv_heads, prefix, dim), torch.randn(1, kv_heads, prefix, dim)
    own_keys, own_values = torch.randn(rows, kv_heads, own, dim), torch.randn(rows, kv_heads, own, dim)
    query = torch.randn(rows, kv_heads * group, 1, dim)
    mask = torch.ones(rows, 1, 1, prefix + own, dtype=torch.bool)
    mask[1, ..., prefix : prefix + 2] = False  # a row with masked columns of its own (left padding)
    whole_keys = torch.cat([keys.expand(rows, -1, -1, -1), own_keys], dim=2)
    whole_values = torch.cat([values.expand(rows, -1, -1, -1), own_values], dim=2)
    expected, _ = sdpa_attention_forward(Layer(), query, whole_keys, whole_values, mask, scaling=0.3)
    additive = torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))[..., prefix:]  # decoding_step_mask's
    got, _ = cascade.shared_prefix_attention(
        Layer(), query, own_keys, own_values, additive, scaling=0.3, shared_prefix=[(keys, values)]
    )
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    wrong, _ = cascade.shared_prefix_attention(
        Layer(), query, own_keys, own_values, additive, scaling=0.3, shared_prefix=[(values, keys)]
    )
    assert not torch.allclose(wrong, expected, atol=1e-3)  # the prefix counts


SYSTEM = "Answer each question briefly. "


@pytest.mark.parametrize("slots", [3, None])
def test_decoding_with_the_shared_prefix_read_once_gives_generates_tokens(monkeypatch, slots):
    model, tokenizer = build_stopping_model(prefix=SYSTEM)
    texts = [SYSTEM + p for p in ("Q1:", "Q2:", "Q3:", "Q4:", "Q5:", "Q3:", "Q1:x", "Q4:")]
    prompts = [ids(tokenizer, t) for t in texts]
    expected = [greedy_alone(model, tokenizer, p, 12) for p in prompts]
    assert len({len(t) for t in expected}) > 3  # rows end at different steps
    calls = Counter()
    spy(monkeypatch, "shared_prefix_attention", calls, cascade)
    assert cascade.use_shared_prefix_attention(model)
    try:
        decoded = decode(model, tokenizer, prompts, 12, {tokenizer.eos_token_id}, slots=slots)
    finally:
        model.set_attn_implementation("sdpa")
    assert [d.tokens for d in decoded] == expected
    assert calls["shared_prefix_attention"] > 0
    assert cascade.shared_prefix_length(prompts) == len(ids(tokenizer, SYSTEM + "Q"))


def test_evaluation_reads_the_shared_prefix_once_and_gives_the_model_back_as_it_was(monkeypatch):
    from eval.generate import GenerationSettings, TransformersBackend

    model, tokenizer = build_stopping_model(prefix=SYSTEM)
    prompts = [SYSTEM + q for q in ("Q5:", "Q2:", "Q1:", "Q4:")]
    settings = GenerationSettings(max_new_tokens=12)
    plain = TransformersBackend(model, tokenizer, plain=True).generate(prompts, settings)
    seen = []
    original = cascade.shared_prefix_attention

    def spy(module, query, *args, shared_prefix=None, **kwargs):
        seen.append(shared_prefix is not None)
        return original(module, query, *args, shared_prefix=shared_prefix, **kwargs)

    monkeypatch.setattr(cascade, "shared_prefix_attention", spy)  # what the backend registers
    ours = TransformersBackend(model, tokenizer, batch_size=2).generate(prompts, settings)
    assert [s[0].text for s in ours] == [s[0].text for s in plain]
    assert any(seen) and not all(seen)  # decoding steps read the prefix once; the prefills are plain SDPA
    assert model.config._attn_implementation == "sdpa"
