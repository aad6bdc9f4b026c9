"""eval/generate.py: the transformers backend: batched and shared-prompt generation."""

from __future__ import annotations

from eval.generate import GenerationSettings, TransformersBackend
from recipes.tiny_model import build_tiny_model


def test_greedy_batched_generation_matches_one_prompt_at_a_time():
    model, tokenizer = build_tiny_model(seed=3)
    prompts = ["What is 1 + 2?", "What is 12 + 27 - 5? Think.", "Hi"]
    settings = GenerationSettings(max_new_tokens=12)
    batched = TransformersBackend(model, tokenizer, batch_size=3).generate(prompts, settings)
    single = TransformersBackend(model, tokenizer, batch_size=1).generate(prompts, settings)
    assert [s[0].text for s in batched] == [s[0].text for s in single]
    assert all(len(s) == 1 and s[0].tokens <= 12 for s in batched)


def test_evaluation_shares_the_system_prompt_and_gives_the_same_greedy_outputs():
    from eval.generate import GenerationSettings, TransformersBackend

    model, tokenizer = build_tiny_model(seed=2)
    prompts = [
        f"<|system|>Solve the problem, then state the answer.\n<|user|>What is {a} + 2?\n"
        for a in (3, 14, 159)
    ]
    settings = GenerationSettings(max_new_tokens=8)
    plain = TransformersBackend(model, tokenizer, plain=True).generate(prompts, settings)
    shared = TransformersBackend(model, tokenizer).generate(prompts, settings)
    assert [s[0].text for s in plain] == [s[0].text for s in shared]
    sampled = GenerationSettings(max_new_tokens=8, n=3, temperature=1.0)
    assert [len(s) for s in TransformersBackend(model, tokenizer).generate(prompts, sampled)] == [3, 3, 3]


def test_running_out_of_gpu_memory_halves_the_batch_and_loses_no_prompt(monkeypatch):
    import pytest
    import torch

    import eval.generate as generate

    model, tokenizer = build_tiny_model(seed=3)
    prompts = ["What is 1 + 2?", "What is 12 + 27?", "Hi", "What is 3 + 4?"]
    settings = GenerationSettings(max_new_tokens=6)
    expected = [
        s[0].text for s in TransformersBackend(model, tokenizer, batch_size=4).generate(prompts, settings)
    ]
    real = generate.decode_stream

    def out_of_memory_at_four(*args, slots, **kwargs):
        if slots >= 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(*args, slots=slots, **kwargs)

    monkeypatch.setattr(generate, "decode_stream", out_of_memory_at_four)
    backend = TransformersBackend(model, tokenizer, batch_size=4)
    assert [s[0].text for s in backend.generate(prompts, settings)] == expected
    assert backend.batch_size == 2
    with pytest.raises(torch.cuda.OutOfMemoryError):
        monkeypatch.setattr(
            generate, "decode_stream", lambda *a, **k: out_of_memory_at_four(*a, **{**k, "slots": 4})
        )
        TransformersBackend(model, tokenizer, batch_size=1).generate(prompts, settings)
