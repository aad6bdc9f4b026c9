"""data/templates.py: the prompt templates."""

import pytest

import data
from data import load
from rewards import format_reward


@pytest.mark.parametrize("name", sorted(data.TEMPLATES))
def test_every_template_builds_a_prompt_and_declares_its_format(name):
    template = data.TEMPLATES[name]
    assert template.source
    prompt = load("arithmetic", split="test", limit=1, template=name)[0]["prompt"]
    question = load("arithmetic", split="test", limit=1)[0]["question"]
    if template.plain is not None:
        assert isinstance(prompt, str) and question in prompt
    else:
        assert prompt[-1]["role"] == "user" and question in prompt[-1]["content"]
    # the declared format is one the format reward knows
    assert format_reward(["x"], **template.reward_params) == [0.0]


def test_templates_quote_their_sources():
    assert "\\boxed{}" in data.TEMPLATES["qwen_boxed"].apply("Q")[-1]["content"]
    assert data.TEMPLATES["r1_zero"].apply("Q").startswith("A conversation between User and Assistant.")
    assert data.TEMPLATES["r1_zero_prefill"].think_prefilled
    chatml = data.TEMPLATES["r1_zero_chatml"].apply("1+1?")
    assert chatml.startswith("<|im_start|>system\nA conversation between User and Assistant.")
    assert chatml.endswith("<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n<think>")
    assert data.TEMPLATES["r1_zero_chatml"].stop == ("</answer>",)
    with pytest.raises(KeyError, match="choose one of"):
        data.get_template("r2")
