"""Rewards a user might write, for the tests of recipe checks: one right, two wrong."""


def without_kwargs(completions):  # TRL passes prompts, completion_ids and every column: this can't take them
    return [0.0 for _ in completions]


def wrong_length(completions, **kwargs):
    return [0.0]  # one score, whatever the number of completions


def constant(completions, value=1.0, **kwargs):
    return [value for _ in completions]
