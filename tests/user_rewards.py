"""Rewards a user might write, for the tests of recipe checks: one right, two wrong."""


def without_kwargs(completions):  # TRL passes prompts, completion_ids and every column: this can't take them
    return [0.0 for _ in completions]


def wrong_length(completions, **kwargs):
    return [0.0]  # one score, whatever the number of completions


def constant(completions, value=1.0, **kwargs):
    return [value for _ in completions]


def returns_text(completions, **kwargs):
    return ["1.0" for _ in completions]  # scores as text: TRL's torch.tensor fails on them at step 1


def fixed_count(completions, **kwargs):
    return [0.0, 1.0]  # two scores, whatever the batch


def raises_on_empty(completions, **kwargs):
    texts = [c if isinstance(c, str) else c[0]["content"] for c in completions]
    return [float(text.split()[-1] == "7.") for text in texts]  # "".split()[-1]: IndexError


def returns_inf(completions, **kwargs):
    return [float("inf") for _ in completions]


def returns_nan(completions, **kwargs):
    return [float("nan") for _ in completions]


def returns_nothing(completions, **kwargs):
    pass  # forgot the return


def inf_in_training(completions, trainer_state=None, **kwargs):
    """Finite on the dry run's batch (no trainer state), infinite once training calls it."""
    return [float("inf") if trainer_state is not None else 0.0 for _ in completions]


def swallows(completions, scale=1.0, **kwargs):
    return [scale * 0.0 for _ in completions]
