"""A trivially learnable reward for the test that GRPO learns: the share of '7' characters in a completion."""

from rewards.extract import completion_text


def share_of_sevens(completions, **kwargs):
    texts = [completion_text(c) or "" for c in completions]
    return [t.count("7") / max(1, len(t)) for t in texts]
