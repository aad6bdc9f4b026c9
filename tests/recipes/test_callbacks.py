"""recipes/callbacks.py: the completion recorder's truncation rule on every generation path, and the
collapse guard."""

from __future__ import annotations

import pytest

from recipes.callbacks import CompletionRecorder
from recipes.tiny_model import build_tokenizer
from rewards import get

LIMIT = 40
WELL_FORMED = " 7 </think> <answer>7</answer>"

# What each generation path hands the rewards for one completion: (token ids, decoded text). The tiny
# tokenizer has one token per character, padding 0 and EOS 1.
_tok = build_tokenizer()
PAD, EOS = _tok.pad_token_id, _tok.eos_token_id


def _ids(text: str) -> list[int]:
    return _tok(text, add_special_tokens=False)["input_ids"]


def _at_limit(text: str) -> str:
    return (text + " and the model writes on and on and on")[:LIMIT]


# (path, how it ended, ids, text, stop strings in force, truncated?)
CASES = [
    # transformers (TRL cuts after the first EOS, keeping it; the runner's trainer drops trailing padding)
    ("transformers", "EOS", _ids(WELL_FORMED) + [EOS], WELL_FORMED, (), False),
    ("transformers", "stop string, others ran on", _ids(WELL_FORMED), WELL_FORMED, ("</answer>",), False),
    (
        "transformers",
        "stop string, padded (pad is not EOS)",
        _ids(WELL_FORMED) + [PAD] * 3,
        WELL_FORMED,
        ("</answer>",),
        False,
    ),
    (
        "transformers",
        "stop string exactly at the limit",
        _ids(" " * (LIMIT - len(WELL_FORMED)) + WELL_FORMED),
        " " * (LIMIT - len(WELL_FORMED)) + WELL_FORMED,
        ("</answer>",),
        False,
    ),
    ("transformers", "the limit", _ids(_at_limit(WELL_FORMED)), _at_limit(WELL_FORMED), (), True),
    # vLLM, colocate and server alike: the tokens through EOS or the stop string, no padding
    ("vllm", "EOS", _ids(WELL_FORMED) + [EOS], WELL_FORMED, (), False),
    ("vllm", "stop string kept in the output", _ids(WELL_FORMED), WELL_FORMED, ("</answer>",), False),
    (
        "vllm",
        "stop string not kept in the output",
        _ids(WELL_FORMED),
        WELL_FORMED.removesuffix("</answer>"),
        ("</answer>",),
        False,
    ),
    ("vllm", "the limit", _ids(_at_limit(WELL_FORMED)), _at_limit(WELL_FORMED), ("</answer>",), True),
]


@pytest.mark.parametrize(
    ("path", "ending", "ids", "text", "stop", "truncated"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_a_completion_is_truncated_only_when_generation_hit_the_length_limit(
    path, ending, ids, text, stop, truncated
):
    recorder = CompletionRecorder(None, end_token_ids={EOS, PAD}, max_completion_length=LIMIT, stop=stop)
    assert recorder.truncated([ids], [text]) == [truncated]
    # Dr. GRPO's R1 reward: a well-formed answer block, zero when truncated
    [reward] = recorder.wrap([get("accuracy", extract="answer_tag", zero_if_truncated=True)])
    expected = 1.0 if "<answer>7</answer>" in text and not truncated else 0.0
    assert reward(prompts=["p"], completions=[text], completion_ids=[ids], answer=["7"]) == [expected]


def test_the_runner_tells_rewards_which_completions_were_cut_off():
    from recipes.callbacks import CompletionRecorder
    from rewards import get

    recorder = CompletionRecorder(None, end_token_ids={2}, max_completion_length=2)
    [reward] = recorder.wrap([get("accuracy", zero_if_truncated=True)])
    scores = reward(
        prompts=["p", "p"],
        completions=["#### 4", "#### 4"],
        completion_ids=[[5, 2], [5, 6]],
        answer=["4", "4"],
    )
    assert scores == [1.0, 0.0]  # the second never reached EOS


def test_collapse_guard_stops_after_patience_low_logs():
    from transformers import TrainerControl, TrainerState

    from recipes.callbacks import CollapseGuard

    guard, state, control = CollapseGuard(min_entropy=0.1, patience=2), TrainerState(), TrainerControl()
    guard.on_log(None, state, control, logs={"entropy": 0.05})
    assert not control.should_training_stop
    guard.on_log(None, state, control, logs={"entropy": 0.5})  # recovered: the count starts again
    guard.on_log(None, state, control, logs={"entropy": 0.05})
    assert not control.should_training_stop
    guard.on_log(None, state, control, logs={"entropy": 0.04})
    assert control.should_training_stop and control.should_save and "entropy" in guard.tripped


def test_collapse_guard_can_require_that_no_reward_spread_is_left():
    from transformers import TrainerControl, TrainerState

    from recipes.callbacks import CollapseGuard

    guard, state, control = (
        CollapseGuard(min_entropy=0.1, min_zero_std_share=0.75, patience=2),
        TrainerState(),
        TrainerControl(),
    )
    for _ in range(3):  # low entropy while groups still disagree: a converged format, still learning
        guard.on_log(None, state, control, logs={"entropy": 0.05, "frac_reward_zero_std": 0.5})
    assert not control.should_training_stop
    for _ in range(2):
        guard.on_log(None, state, control, logs={"entropy": 0.05, "frac_reward_zero_std": 1.0})
    assert control.should_training_stop


def test_the_recorder_logs_the_mean_length_of_correct_and_incorrect_completions_each_step():
    """Dr. GRPO's length bias shows in the incorrect completions' length: logged per step through TRL's
    log_metric (a batch without a correct completion logs no correct length)."""
    logged: list[tuple[str, float]] = []
    recorder = CompletionRecorder(None, end_token_ids={EOS})
    accuracy, fmt = recorder.wrap([get("accuracy"), get("format", answer_format="stated")])
    batch = {
        "prompts": ["p"] * 3,
        "completions": ["The answer is 4.", "The answer is 5.", "I think it is 5, or"],
        "completion_ids": [[5] * 4 + [EOS], [5] * 6 + [EOS], [5] * 20],
        "answer": ["4"] * 3,
        # the accuracy reward logs its grader's incidents too; the lengths are the completions/ metrics
        "log_metric": lambda name, value: name.startswith("completions/") and logged.append((name, value)),
    }
    accuracy(**batch)
    assert logged == []  # the last reward logs, once the batch has every score
    fmt(**batch)
    assert logged == [("completions/mean_length_correct", 5.0), ("completions/mean_length_incorrect", 13.5)]
    logged.clear()
    accuracy(**{**batch, "answer": ["9"] * 3})
    fmt(**{**batch, "answer": ["9"] * 3})
    assert logged == [("completions/mean_length_incorrect", 32 / 3)]
