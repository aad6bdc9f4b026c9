"""Format, tag-count and shaping rewards."""

import pytest

from rewards import format_reward, get, has_format, tag_count_reward
from rewards.shaping import cosine_scaled_reward, repetition_penalty_reward, soft_overlong_punishment


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


def test_soft_overlong_punishment_is_linear_in_the_cache():
    ids = [[0] * n for n in (0, 6, 8, 9, 10, 11)]
    scores = soft_overlong_punishment(
        [""] * len(ids), completion_ids=ids, max_completion_len=10, soft_punish_cache=4
    )
    assert scores == [0.0, 0.0, -0.5, -0.75, -1.0, -1.0]
    with pytest.raises(ValueError):
        soft_overlong_punishment([""], max_completion_len=4, soft_punish_cache=5)


def test_cosine_scaled_reward_prefers_short_correct_and_long_wrong():
    completions = ["#### 4", "#### 4", "#### 5", "#### 5"]
    ids = [[0] * 10, [0] * 90, [0] * 10, [0] * 90]
    short_right, long_right, short_wrong, long_wrong = cosine_scaled_reward(
        completions, ["4"] * 4, completion_ids=ids, max_len=100
    )
    assert 1.0 >= short_right > long_right >= 0.5
    assert -1.0 <= short_wrong < long_wrong <= -0.5
    assert cosine_scaled_reward(["#### 4"], [None]) == [None]


def test_repetition_penalty():
    varied, looping = repetition_penalty_reward(["one two three four five six", "so so so so so so so so"])
    assert varied == 0.0
    assert looping < -0.8
    with pytest.raises(ValueError):
        repetition_penalty_reward(["a"], max_penalty=1.0)


def test_registry_parameters_reach_the_reward():
    reward = get("format", answer_format="gsm8k_hash")
    assert reward(["#### 3", "3"]) == [1.0, 0.0]
