"""eval/grade.py: evaluation grades with the training reward's own function and parameters."""

import rewards.accuracy as accuracy
from rewards import accuracy_reward


def test_evaluation_grades_with_the_training_rewards_function_and_parameters(tmp_path, monkeypatch):
    import eval.grade as grade_module
    from recipes.resolve import resolve_run

    run = resolve_run(
        "recipes/smoke.yaml",
        ["rewards=[{name: accuracy, params: {extract: boxed, zero_if_truncated: true}}]"],
    )
    [training_reward] = run.rewards
    grader = run.training_grader
    assert grader == {
        "extract": "boxed",
        "zero_if_truncated": True,
        "require_format": None,
        "think_prefilled": False,
        "grader": "repository",
    }
    # evaluation grades with the function the reward is made of, with exactly the training parameters
    assert grade_module.grade_completions is accuracy.grade_completions
    calls, real = [], accuracy.grade_completions

    def recording(completions, golds, **kwargs):
        calls.append(kwargs)
        return real(completions, golds, **kwargs)

    monkeypatch.setattr(grade_module, "grade_completions", recording)
    grade_module.grade(["\\boxed{1}", "So she has 1 apple."], ["1", "1"], grader, truncated=[False, True])
    assert calls[0] == {"truncated": [False, True], "prompts": None, **grader}  # the strict score
    assert calls[1] == {
        "truncated": [True],
        "answers": ["1"],
        **grader,
        "extract": "lenient",
    }  # where it differs
    # ... and the training reward is that same function with those same parameters bound
    monkeypatch.setattr(accuracy, "grade_completions", recording)
    training_reward(completions=["\\boxed{1}"], answer=["1"])
    assert {key: calls[-1][key] for key in grader} == grader
    assert training_reward.__wrapped__ is accuracy_reward
    assert {key: training_reward.params[key] for key in grader} == grader
