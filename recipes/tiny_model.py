"""A ~1M-parameter Llama with a character-level tokenizer, built on the fly: no download, seconds on a CPU.

The smoke recipe and the tests train it. (A Llama config, not qwen2: transformers 5.24 swaps Qwen's own
tokenizer class in on reload, which drops the spaces and newlines of a home-made tokenizer.)
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<pad>", "<eos>", "<unk>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    """One token per printable ASCII character (and newline), plus pad/eos/unk and a chat template."""
    characters = sorted(set(string.printable) - set("\r\x0b\x0c"))
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + characters)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    # Every character its own piece; "." alone would skip newlines (runs of them became one <unk>).
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def build_tiny_model(
    seed: int = 0, hidden_size: int = 128, layers: int = 2
) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """A freshly initialised tiny Llama and its tokenizer.

    >>> model, tokenizer = build_tiny_model()
    >>> sum(p.numel() for p in model.parameters()) < 2_000_000
    True
    >>> tokenizer.decode(tokenizer("a b\\n\\nc")["input_ids"])
    'a b\\n\\nc'
    """
    tokenizer = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 4,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model, tokenizer


def save_tiny_model(path: str | Path, seed: int = 0) -> Path:
    """Build the tiny model and save it (model and tokenizer) to ``path``; returns the path."""
    model, tokenizer = build_tiny_model(seed)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return Path(path)


def fit_to_texts(
    model: LlamaForCausalLM,
    tokenizer: PreTrainedTokenizerFast,
    texts: list[str],
    steps: int = 150,
    lr: float = 3e-3,
) -> LlamaForCausalLM:
    """Teach the tiny model to write ``texts`` (plain next-token training on every token), so that it
    produces a known shape of completion: what a test or the GPU check needs to exercise stop strings and
    well-formed answers on a model that otherwise writes noise.

    >>> model, tokenizer = build_tiny_model()
    >>> model = fit_to_texts(model, tokenizer, ["ab" * 8], steps=60)
    >>> tokenizer.decode(model.generate(**tokenizer("abab", return_tensors="pt"), max_new_tokens=4, do_sample=False)[0])
    'abababab'
    """
    device = next(model.parameters()).device
    batch = tokenizer(texts, return_tensors="pt", padding=True).to(device)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.eval()


# Answers of different lengths, each ending on EOS: what ``build_stopping_model`` learns for "Q1:" ... "Q5:".
STOPPING_ANSWERS = {"1": "y", "2": "xy", "3": "xxy", "4": "xxxxy", "5": "xxxxxxxy"}


def build_stopping_model(
    device: str = "cpu", prefix: str = ""
) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """The tiny model taught to answer ``prefix`` + "Q1:" ... "Q5:" with ``STOPPING_ANSWERS`` and EOS: rows of
    a batch end at different steps, and what a row writes depends on its own prompt, so a decoder that mixes
    up rows' caches or positions changes its tokens (what the decoding tests and ``make gpu-check`` need)."""
    model, tokenizer = build_tiny_model(seed=0)
    texts = [f"{prefix}Q{k}:{v}{tokenizer.eos_token}" for k, v in STOPPING_ANSWERS.items()]
    return fit_to_texts(model.to(device), tokenizer, texts, steps=80), tokenizer


def greedy_alone(model: Any, tokenizer: Any, ids: list[int], max_new_tokens: int) -> list[int]:
    """``model.generate`` on one prompt (no padding), greedy, on the model's device: the reference tokens a
    batched decoder must reproduce, through EOS."""
    eos, device = tokenizer.eos_token_id, next(model.parameters()).device
    output = model.generate(
        input_ids=torch.tensor([ids], device=device),
        attention_mask=torch.ones(1, len(ids), dtype=torch.long, device=device),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id,
    )
    tokens = output[0, len(ids) :].tolist()
    return tokens[: tokens.index(eos) + 1] if eos in tokens else tokens
