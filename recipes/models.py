"""The policy model and its tokenizer for a recipe: a local folder, a Hub id, or ``tiny`` (built on the fly),
loaded in the precision policy's dtype (recipes/precision.py); LoRA adapters; the ids that end a completion;
``generate`` given the tokenizer for stop strings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from recipes.resolve import ResolvedRun, is_main_process
from recipes.schema import Recipe, RecipeError

logger = logging.getLogger("recipes.train")


def require_model_available(name: str) -> None:
    """Fail in seconds when a hub model can't be had: not local, no network, not in the cache."""
    from data.hub import unavailable_model

    problem = None if name == "tiny" else unavailable_model(name, "model.name_or_path=/path/to/model")
    if problem:
        raise RecipeError(problem)


def load_model(run: ResolvedRun, output_dir: Path):
    """(model, tokenizer) for ``model.name_or_path``, in the precision policy's weight dtype."""
    import torch
    from transformers import AutoModelForCausalLM

    recipe = run.recipe
    section = recipe.model
    name = section.name_or_path
    dtype = getattr(torch, run.precision.weights)  # fp32 master weights unless the recipe says otherwise
    if name == "tiny":
        # Built in memory on every rank from the same seed (identical weights, no file race); the main
        # process keeps a copy of the initial weights for comparison.
        from recipes.tiny_model import build_tiny_model

        model, tokenizer = build_tiny_model(seed=recipe.seed)
        if is_main_process() and not (output_dir / "tiny-model-init").exists():
            model.save_pretrained(output_dir / "tiny-model-init")
            tokenizer.save_pretrained(output_dir / "tiny-model-init")
        return model.to(dtype), tokenizer
    kwargs: dict[str, Any] = {"dtype": dtype}
    if section.attn_implementation:
        kwargs["attn_implementation"] = section.attn_implementation
    from data.hub import checkpoint_errors, unreadable_model

    try:
        model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    except checkpoint_errors() as error:  # a damaged or incomplete checkpoint: one line naming it
        raise RecipeError(f"model.name_or_path {unreadable_model(name, error)}") from None
    tokenizer = load_tokenizer(name)
    if section.freeze_embeddings:
        model.get_input_embeddings().requires_grad_(False)
    return model, tokenizer


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    if name == "tiny":
        from recipes.tiny_model import build_tokenizer

        return build_tokenizer()
    tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def end_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """The ids that end a completion (EOS of the tokenizer and the generation config, and padding)."""
    ids = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids.update(configured if isinstance(configured, list) else [configured])
    return {i for i in ids if isinstance(i, int)}


def generate_with_stop_strings(model: Any, tokenizer: Any) -> None:
    """transformers matches ``stop_strings`` against decoded text, so ``generate`` needs the tokenizer, which
    TRL's transformers path doesn't pass: this model's ``generate`` gets it by default. (PEFT and DDP
    wrappers call the inner model's ``generate``, so the default reaches them too.)"""
    import functools

    model.generate = functools.partial(type(model).generate, model, tokenizer=tokenizer)


def peft_config(recipe: Recipe):
    lora = recipe.model.lora
    if lora is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def parameter_checksum(model) -> str:
    """A hash of every parameter: equal across ranks after a correct data-parallel run."""
    import hashlib

    digest = hashlib.sha256()
    for name, parameter in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(parameter.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]
