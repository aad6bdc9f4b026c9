"""The sources' own grading rules, each case read off the cited source lines (rewards/source_graders.py)."""

from __future__ import annotations

import pytest

from rewards import accuracy_reward, has_format
from rewards.source_graders import qwen_math_answer, verl_gsm8k_answer


@pytest.mark.parametrize(
    ("completion", "gold", "score"),
    [
        ("so she has 72\n#### 72", "72", 1.0),
        ("#### 1,000", "1000", 1.0),  # gsm8k.py:36 .replace(",", "")
        ("#### 72.0", "72", 0.0),  # gsm8k.py:69 answer == ground_truth: strings, not values
        ("#### 72.", "72", 0.0),  # the regex keeps the dot: "72." != "72"
        ("#### 5\n#### 7", "7", 1.0),  # :35 "take the last solution"
        ("#### 7" + " padding" * 60, "7", 0.0),  # :26-27 only the last 300 characters are searched
        ("The answer is 72.", "72", 0.0),  # strict: '#### ' or nothing
        ("#### -3", "-3", 1.0),  # the regex allows a leading minus
        ("#### not 72", "72", 0.0),
    ],
)
def test_verl_gsm8k_compares_the_last_hash_number_as_a_string(completion, gold, score):
    assert accuracy_reward([completion], [gold], grader="verl_gsm8k") == [score]


def test_verl_gsm8k_pays_what_the_repository_grader_refuses():
    # verl reads "#### 72 or 73" as 72 (the regex stops at the space); this repository's reading refuses a hedge
    assert verl_gsm8k_answer("#### 72 or 73") == "72"
    assert accuracy_reward(["#### 72 or 73"], ["72"], grader="verl_gsm8k") == [1.0]
    assert accuracy_reward(["#### 72 or 73"], ["72"], extract="gsm8k_hash") == [0.0]


@pytest.mark.parametrize(
    ("completion", "answer"),
    [
        (
            r"The final answer is $\frac{1}{2}$. I hope it is correct. \boxed{3}",
            r"\frac{1}{2}",
        ),  # Minerva first
        (r"so \boxed{x^{2}} and the answer is 3", "x^{2}"),  # then the last box, braces balanced
        (r"\boxed 5$ then", "5"),  # a box without braces: up to the next $
        ("So the answer is 42.", "42"),  # "he answer is", the rest, a final period dropped
        ("Thus the final answer is: 9", " 9"),  # "final answer is" (no "he answer is"); a leading ":" dropped
        ("We had 1,250 apples and ate 3.", "3"),  # else the last number
        ("Total: 1,250", "1250"),  # ... with thousands separators removed first
        ("no number at all", None),
    ],
)
def test_simplerl_extraction_order(completion, answer):
    assert qwen_math_answer(completion) == answer


def test_simplerl_compares_with_math_verify_on_boxed_strings():
    completions = [r"so \boxed{0.5}", "The answer is 7", "we get 3 apples and then 8", "The answer is not 7"]
    assert accuracy_reward(completions, [r"\frac{1}{2}", "7", "8", "7"], grader="simplerl") == [
        1.0,
        1.0,
        1.0,
        0.0,
    ]


@pytest.mark.parametrize(
    ("completion", "gated"),
    [
        ("x </think> <answer>7</answer>", True),
        ("x</think> <answer>7</answer>", True),  # only "</think> <answer>" must be contiguous
        ("x </think>\n<answer>7</answer>", False),  # math_grader.py:1028: one space, not a newline
        ("x </think><answer>7</answer>", False),
        ("x </think> <answer>7", False),  # no "</answer>"
        ("<answer>7</answer> then </think> <answer>", True),  # substrings, wherever they are
    ],
)
def test_oat_r1_format_gate_is_a_substring_test(completion, gated):
    assert has_format(completion, "oat_r1") is gated
    paid = accuracy_reward(
        [completion], ["7"], extract="answer_tag", require_format="oat_r1", think_prefilled=True
    )
    assert paid == [1.0 if gated and completion.endswith("</answer>") else 0.0]


def test_an_unknown_grader_is_refused():
    with pytest.raises(ValueError, match="unknown grader"):
        accuracy_reward(["#### 1"], ["1"], grader="verl")
