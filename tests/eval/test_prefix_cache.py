"""eval/prefix_cache.py: generation that computes each shared prompt once."""

from __future__ import annotations

import torch

import eval.prefix_cache as prefix_cache
from recipes.tiny_model import build_tiny_model


def test_shared_generation_gives_the_same_greedy_tokens(tmp_path):
    from transformers import GenerationConfig

    from recipes.tiny_model import fit_to_texts

    model, tokenizer = build_tiny_model(seed=0)
    system = "Solve the problem and state the answer. "
    fit_to_texts(model, tokenizer, [f"{system}What is {a} + 1? {a + 1}" for a in range(6)], steps=40)
    questions = ["What is 3 + 1?", "What is 12 + 1?", "What is 3 + 1?", "What is 4 + 1?", "What is 12 + 1?"]
    tokenizer.padding_side = "left"
    batch = tokenizer([system + q for q in questions], return_tensors="pt", padding=True)
    config = GenerationConfig(max_new_tokens=6, do_sample=False, pad_token_id=0, eos_token_id=1)
    plain = model.generate(**batch, generation_config=config)
    shared = prefix_cache.generate_sharing_prompts(model, model.generate)(**batch, generation_config=config)
    assert torch.equal(plain, shared)
    laid = prefix_cache.prefill_shared(model, batch["input_ids"], batch["attention_mask"])
    assert laid is not None and laid[2].get_seq_length() == batch["input_ids"].size(1) - 1
