"""A trivially learnable reward for the test that GRPO learns: the share of '7' characters in a completion."""

from rewards.extract import completion_text


def share_of_sevens(completions, **kwargs):
    texts = [completion_text(c) or "" for c in completions]
    return [t.count("7") / max(1, len(t)) for t in texts]


def pays_odd_lengths(completions, extract="stated", **kwargs):
    """A stand-in for the accuracy reward (its ``extract`` parameter too, which the run's checks read) that
    pays about half of any policy's completions, those of odd length: online RFT has right answers to
    train on even from an untrained model."""
    return [float(len(completion_text(c) or "") % 2) for c in completions]
