"""rewards/__init__.py: the reward registry (``rewards.get``) binds parameters and names."""

import pytest

from rewards import get


def test_registry_binds_parameters_and_names():
    reward = get("accuracy", timeout_s=5.0)
    assert reward.__name__ == "accuracy"
    assert reward(["#### 3"], answer=["3"]) == [1.0]
    with pytest.raises(KeyError, match="registered rewards"):
        get("acuracy")
    with pytest.raises(TypeError, match="no parameter"):
        get("accuracy", tmeout=1)


def test_registry_parameters_reach_the_reward():
    reward = get("format", answer_format="gsm8k_hash")
    assert reward(["#### 3", "3"]) == [1.0, 0.0]
