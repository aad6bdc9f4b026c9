"""data/arithmetic.py: the generated arithmetic set."""

import re

from data.arithmetic import generate


def test_arithmetic_is_deterministic_disjoint_and_correct():
    first, again = generate("train", 300, seed=1), generate("train", 300, seed=1)
    assert first == again
    assert generate("train", 300, seed=2) != first
    train_ids = {r["id"] for r in generate("train", 2000, seed=0)} | {
        r["id"] for r in generate("train", 2000, seed=5)
    }
    test_ids = {r["id"] for r in generate("test", 500, seed=0)}
    assert not train_ids & test_ids
    for row in generate("test", 200, levels=[1, 2]):
        expression = row["question"].removeprefix("What is ").rstrip("?").replace("x", "*")
        assert eval(expression) == int(row["answer"])  # noqa: S307 - our own generated arithmetic
    levels = {r["level"] for r in generate("test", 40)}
    assert levels == {1, 2, 3, 4}


def test_arithmetic_test_problems_never_appear_commuted_in_training():
    def operands(row):
        match = re.fullmatch(r"What is (\d+) ([+x]) (\d+)\?", row["question"])
        return (match.group(2), frozenset([match.group(1), match.group(3)])) if match else None

    train = {operands(r) for r in generate("train", 4000, levels=[1])} - {None}
    test = {operands(r) for r in generate("test", 500, levels=[1])} - {None}
    assert test and not train & test
