"""rewards/shaping.py: the length and repetition shaping rewards."""

import pytest

from rewards.shaping import cosine_scaled_reward, repetition_penalty_reward, soft_overlong_punishment


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
