"""Final-answer extraction: the documented order, think handling, truncation, hostile input."""

import pytest

from rewards.extract import extract_final_answer, last_boxed


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        # 1. the last <answer> block wins over every other form (that states the same value), and its last
        #    box over its text
        (r"\boxed{2} <answer>2.0</answer>", "2.0"),
        ("<answer>1</answer> then <answer>2</answer>", "2"),
        (r"<answer>so it is \boxed{3}, not 4</answer>", "3"),
        # 2. the last box, after any </think>
        (r"\boxed{1} and later \fbox{2}", "2"),
        (r"$x = \boxed{\frac{1}{2}}$", r"\frac{1}{2}"),
        (r"\boxed{\left( 3, \frac{\pi}{2} \right)}", r"\left( 3, \frac{\pi}{2} \right)"),
        (r"\boxed 5", "5"),
        # 3. GSM8K's ####
        ("3 + 4 = 7\n#### 7", "7"),
        ("#### 1,234\nsome trailing text", "1,234"),
        # 4. the answer is ...
        ("So the final answer is 42. I hope it is correct.", "42"),
        ("Answer: 17", "17"),
        # several different boxes are intermediate results when a "Final Answer:" follows them (Minerva's format)
        (
            r"\boxed{200} and \boxed{255}.\nSo the total is 10,455. Final Answer: The final answer is $10,455$.",
            "$10,455$",
        ),
    ],
)
def test_extraction_order(completion, expected):
    assert extract_final_answer(completion) == expected
    assert extract_final_answer(completion, "lenient") == expected  # a stated answer wins in either mode


@pytest.mark.parametrize(
    "completion",
    [
        r"\boxed{1} <answer>2</answer>",
        r"\boxed{255} so the total is 10,455. Final Answer: The final answer is $10,455$.",
        "#### 1\nThe answer is: 2",
        r"\boxed{5}. The answer is 7.",
    ],
)
def test_two_different_final_answers_state_none(completion):
    for mode in ("stated", "lenient", "boxed", "answer_tag", "gsm8k_hash"):
        assert extract_final_answer(completion, mode) is None


def test_the_last_statement_counts_only_when_lenient():
    completion = "First 2 + 2 = 4.\nSo we conclude $x = 4$"
    assert extract_final_answer(completion) is None
    assert extract_final_answer(completion, "lenient") == "So we conclude $x = 4$"


def test_think_is_never_the_answer():
    assert extract_final_answer(r"<think>\boxed{42}</think><answer>41</answer>") == "41"
    assert extract_final_answer(r"<think>the answer is 42</think>") is None
    # unclosed reasoning: the model ran out of tokens mid-thought
    assert extract_final_answer(r"<think>so \boxed{42}") is None
    # prefilled <think>: only the closing tag is in the completion
    assert extract_final_answer(r"I compute 6*7.</think> \boxed{42}") == "42"


def test_chat_template_junk_after_the_turn_is_ignored():
    assert extract_final_answer("The answer is 12. <|im_start|>user\nThe answer is 13.") == "12"


def test_no_final_answer():
    assert extract_final_answer("") is None
    assert extract_final_answer(None) is None
    assert extract_final_answer(12) is None
    # cut off inside a display block: no complete final statement
    assert extract_final_answer("So we get\n\\[\\frac{386}{64}\n", "lenient") is None
    # cut off inside the answer block
    assert extract_final_answer("<think>x</think><answer>4") is None


def test_conversation_completions():
    assert extract_final_answer([{"role": "assistant", "content": "#### 5"}]) == "5"


def test_last_boxed_balances_nested_braces():
    assert last_boxed(r"\boxed{\frac{\sqrt{2}}{2}}") == r"\frac{\sqrt{2}}{2}"
    assert last_boxed(r"\boxed{unbalanced") is None


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 1_000_000,
        "\\boxed{" * 20_000,
        "}" * 10_000 + "\\boxed{",
        "<answer>" * 10_000,
        "$" * 100_000,
        "\x00\x01\xff" * 1000,
        "\\boxed{1}" * 10_000,
    ],
)
def test_hostile_text_never_raises_and_stays_short(hostile):
    for mode in ("stated", "lenient", "boxed", "answer_tag", "gsm8k_hash"):
        answer = extract_final_answer(hostile, mode)
        assert answer is None or len(answer) <= 600


def test_boxed_mode_reads_a_box_inside_the_answer_block():
    assert extract_final_answer(r"<think>2+5</think><answer>\boxed{7}</answer>", "boxed") == "7"
    assert extract_final_answer(r"<think>2+5</think><answer>at least \boxed{7}</answer>", "boxed") is None
