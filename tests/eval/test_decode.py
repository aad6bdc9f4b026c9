"""eval/decode.py: continuous batching gives the tokens ``generate`` gives, however rows come and go."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

import eval.decode as decode_module
from eval.decode import decode, decodes
from recipes.tiny_model import build_stopping_model, build_tiny_model, greedy_alone
from tests.decoding import ids, spy


@pytest.fixture(scope="module")
def tiny():
    return build_stopping_model()  # completions of different lengths, each ending on EOS


# Short prompts first, then longer ones: a later prompt wider than the batch's columns forces a rebuild
# that pads the rows already decoding; the others are written into spare rows in place.
PROMPTS = ["Q1:", "Q2:", "Q3:", "Q4:", "Q5:", "Q1:x", "Q4:", "Write Q3:", "Q2:", "A longer prompt, Q5:"]


@pytest.mark.parametrize(("slots", "copies"), [(1, 1), (2, 1), (3, 1), (8, 2), (None, 1)])
def test_greedy_tokens_are_generates_however_rows_are_admitted(tiny, monkeypatch, slots, copies):
    model, tokenizer = tiny
    texts = (
        PROMPTS * copies
    )  # a second copy: more rows end at the same step, and several are admitted at once
    prompts = [ids(tokenizer, p) for p in texts]
    calls = Counter()
    spy(monkeypatch, "_append", calls)
    spy(monkeypatch, "_rebuild", calls)
    decoded = decode(model, tokenizer, prompts, 12, {tokenizer.eos_token_id}, slots=slots)
    expected = [greedy_alone(model, tokenizer, p, 12) for p in prompts]
    assert [d.tokens for d in decoded] == expected
    # the model learned to stop, so rows end at different steps; the last prompt is unlike any it learned
    assert [d.ended for d in decoded] == ["length" if t == PROMPTS[-1] else "eos" for t in texts]
    assert len({len(d.tokens) for d in decoded}) > 4
    if slots in (2, 3, 8):  # both ways of admitting a waiting prompt happened
        assert calls["_append"] > 0 and calls["_rebuild"] > 1


@pytest.mark.parametrize("slots", [3, 8])
def test_no_decoding_step_computes_a_row_that_has_ended(tiny, slots):
    model, tokenizer = tiny
    prompts = [ids(tokenizer, p) for p in PROMPTS * 2]
    rows_per_step = []

    # a decoding step is a call on the decoder's own cache (prefills get new ones)
    def count(_, args, kwargs):
        cache = kwargs.get("cache", kwargs.get("past_key_values"))
        if hasattr(cache.layers[0], "keys_room"):
            rows_per_step.append(kwargs["input_ids"].size(0))

    hook = model.model.register_forward_pre_hook(count, with_kwargs=True)
    try:
        decoded = decode(model, tokenizer, prompts, 12, {tokenizer.eos_token_id}, slots=slots)
    finally:
        hook.remove()
    # every row of every step produced a token that was kept: no step carried a row that had ended
    assert sum(rows_per_step) == sum(len(d.tokens) for d in decoded)
    assert max(rows_per_step) == slots


def test_rows_that_use_up_the_cache_room_are_rebuilt_with_the_same_tokens(tiny, monkeypatch):
    model, tokenizer = tiny
    monkeypatch.setattr(decode_module, "ROOM", 2)
    prompts = [ids(tokenizer, p) for p in PROMPTS]
    decoded = decode(model, tokenizer, prompts, 12, {tokenizer.eos_token_id}, slots=3)
    assert [d.tokens for d in decoded] == [greedy_alone(model, tokenizer, p, 12) for p in prompts]


def test_rows_end_at_the_limit_and_at_a_stop_string(tiny):
    model, tokenizer = tiny
    prompts = [ids(tokenizer, p) for p in ("Q5:", "Q2:", "Q1:")]
    eos = {tokenizer.eos_token_id}
    limited = decode(model, tokenizer, prompts, 3, eos, slots=2)
    assert [d.ended for d in limited] == ["length", "eos", "eos"]  # "xy<eos>": EOS is the third token
    assert [len(d.tokens) for d in limited] == [3, 3, 2]
    stopped = decode(model, tokenizer, prompts, 12, eos, slots=2, stop=("xx",))
    full = [greedy_alone(model, tokenizer, p, 12) for p in prompts]
    assert [d.ended for d in stopped] == ["stop", "eos", "eos"]
    assert tokenizer.decode(stopped[0].tokens) == "xx" and stopped[0].tokens == full[0][:2]
    assert [d.tokens for d in stopped[1:]] == full[1:]


def test_sampling_is_reproducible_from_the_seed(tiny):
    model, tokenizer = tiny
    prompts = [ids(tokenizer, "Q3:")] * 4 + [ids(tokenizer, "Q5:")] * 4

    def sampled():
        torch.manual_seed(7)
        return [d.tokens for d in decode(model, tokenizer, prompts, 8, set(), slots=3, temperature=1.5)]

    first = sampled()
    assert first == sampled()
    assert len({tuple(t) for t in first}) > 1  # the samples differ
    assert all(len(t) == 8 for t in first)  # no EOS asked for: every row runs to the limit


def test_nothing_to_generate(tiny):
    model, tokenizer = tiny
    assert [d.ended for d in decode(model, tokenizer, [ids(tokenizer, "Q1:")], 0, set())] == ["length"]
    with pytest.raises(ValueError, match="no tokens"):
        decode(model, tokenizer, [[]], 4, set())


def test_a_sliding_window_model_is_left_to_generate(tiny):
    from eval.generate import GenerationSettings, TransformersBackend

    model, tokenizer = tiny
    assert decodes(model)
    sliding, _ = build_tiny_model(seed=0)
    sliding.config.layer_types = ["sliding_attention"] * sliding.config.num_hidden_layers
    sliding.config.sliding_window = 4
    assert not decodes(sliding)
    backend = TransformersBackend(sliding, tokenizer)
    used = []
    backend._plain_generate = lambda encoded, settings: (
        used.append(len(encoded["input_ids"])) or [([1], True)]
    )
    assert backend.generate(["Q1:"], GenerationSettings(max_new_tokens=4))[0][0].tokens == 1
    assert used == [1]


def test_rows_in_flight_on_a_cpu_fit_the_cache_budget(tiny, monkeypatch):
    import eval.generate as generate

    model, tokenizer = tiny
    per_token = decode_module.kv_bytes_per_token(model)
    config = model.config
    head_dim = config.hidden_size // config.num_attention_heads
    assert per_token == 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * 4
    backend = generate.TransformersBackend(model, tokenizer)
    assert backend._prompts_in_flight(n=1, columns=10) == generate.CPU_ROWS  # small: the cap
    monkeypatch.setattr(generate, "CPU_CACHE_BYTES", per_token * 100 * 40)
    assert backend._prompts_in_flight(n=1, columns=100) == 40
    assert backend._prompts_in_flight(n=8, columns=100) == 5  # 40 rows: 5 prompts of 8 samples
    assert backend._prompts_in_flight(n=8, columns=10**6) == 1  # at least one
    assert generate.TransformersBackend(model, tokenizer, batch_size=3)._prompts_in_flight(8, 10**6) == 3
