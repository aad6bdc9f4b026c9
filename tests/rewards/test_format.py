"""rewards/format.py: the format and tag-count rewards."""

import pytest

from rewards import format_reward, has_format, tag_count_reward


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("<think>\nreason\n</think>\n<answer>\n4\n</answer>", True),
        ("<think>reason</think><answer>4</answer>\n", True),
        ("<answer>4</answer>", False),
        ("<think>reason</think>4", False),
        ("<think>a</think><think>b</think><answer>4</answer>", False),
        ("<think>a</think><answer>4</answer> and more text", False),
        ("<think><think>a</think><answer>4</answer>", False),
        ("</think><answer>4</answer>", False),  # not prefilled: the opening tag is missing
    ],
)
def test_r1_format(text, ok):
    assert has_format(text) is ok


def test_prefilled_think_needs_only_the_closing_tag():
    completion = "reason</think><answer>4</answer>"
    assert format_reward([completion], think_prefilled=True) == [1.0]
    assert format_reward([completion]) == [0.0]
    assert format_reward(["<think>reason</think><answer>4</answer>"], think_prefilled=True) == [0.0]


def test_other_answer_formats():
    assert has_format(r"reasoning ... \boxed{4}", "boxed")
    assert not has_format("reasoning ... 4", "boxed")
    assert not has_format(r"<think>\boxed{4}", "boxed")  # reasoning never closed
    assert has_format("3 + 4 = 7\n#### 7", "gsm8k_hash")
    assert not has_format("#### 7 apples", "gsm8k_hash")
    assert has_format("3 + 4 = 7. The answer is 7.", "answer_is")
    assert has_format("3 + 4 = 7\nThe answer is 7.", "answer_is")
    assert not has_format("The answer is seven.", "answer_is")
    assert not has_format("The answer is 7.", "answer_is")  # no calculation line
    assert not has_format("So 3 + 4 = 7.\nThen more.\nThe answer is 7.", "answer_is")  # more than one line
    with pytest.raises(ValueError, match="answer_format"):
        has_format("x", "xml")


def test_format_reward_accepts_conversations_and_junk():
    conversation = [{"role": "assistant", "content": "<think>a</think><answer>1</answer>"}]
    assert format_reward([conversation, None, 5, ""]) == [1.0, 0.0, 0.0, 0.0]


def test_tag_count_gives_partial_credit():
    assert tag_count_reward(
        ["<think>a</think>", "<think>a</think><answer>1</answer>", "<answer>1</answer><answer>"]
    ) == [
        0.5,
        1.0,
        0.25,
    ]
