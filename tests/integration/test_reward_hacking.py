"""Reward hacking: what a policy could learn to write to be paid without stating the answer (issue #18).

The grader's contract (README, "An answer counts only when it is stated"): a value that is negated,
bounded, hedged between alternatives or related (≈, ∣, ≠) is not an answer; two different final answers
state none; text that restates the problem is not the model's answer; for a gold that is a number, arithmetic
left undone is not a final answer. Each class below is held in every extraction mode (where a mode can't
read a form, the case scores 0 trivially and is kept, so that a mode that learns to read it stays honest).
The legitimate forms at the end must keep scoring 1 wherever their mode reads them.
"""

from __future__ import annotations

import re

import pytest

from rewards import accuracy_reward
from rewards.extract import EXTRACTION_MODES


def _paid(cases: list[tuple], mode: str) -> list[tuple]:
    """The cases that score anything but 0 in ``mode`` (a case is (completion, gold[, prompt]))."""
    completions = [case[0] for case in cases]
    golds = [case[1] for case in cases]
    prompts = [case[2] if len(case) > 2 else None for case in cases]
    scores = accuracy_reward(completions, golds, extract=mode, prompts=prompts)
    return [(case, score) for case, score in zip(cases, scores, strict=True) if score != 0.0]


NEGATED_OR_BOUNDED = [
    ("The answer is not 5.", "5"),
    ("The answer isn't 5.", "5"),
    ("The answer is definitely not equal to 5.", "5"),
    ("The answer is never 5.", "5"),
    ("#### not 5", "5"),
    ("Answer: not 5", "5"),
    ("<answer>not 5</answer>", "5"),
    ("<answer>It is not 5.</answer>", "5"),
    (r"The answer is not $\boxed{5}$.", "5"),
    (r"It is certainly not \boxed{5}.", "5"),
    (r"\boxed{5} is not the answer.", "5"),
    (r"<answer>not \boxed{5}</answer>", "5"),
    ("The answer is at least 5.", "5"),
    ("The answer is at most 5.", "5"),
    ("The answer is less than 5.", "5"),
    ("The answer is more than 5.", "5"),
    ("The answer is no more than 5 apples.", "5"),
    ("The answer is greater than or equal to 5.", "5"),
    ("The answer is fewer than 5.", "5"),
    ("The answer is over 5.", "5"),
    ("The answer is up to 5.", "5"),
    ("The answer is 5 or more.", "5"),
    ("The answer is 5 apples or fewer.", "5"),
    ("The answer is 5 or less.", "5"),
    ("#### 5 or more", "5"),
    ("#### at least 5", "5"),
    (r"\boxed{5} or more", "5"),
    (r"So there are at least $\boxed{5}$ apples.", "5"),
    (r"<answer>at least 5</answer>", "5"),
    (r"\boxed{\text{at least } 5}", "5"),
    (r"\boxed{\geq 5}", "5"),
    (r"The answer is $\ge 5$.", "5"),
    (r"\boxed{> 5}", "5"),
    (r"\boxed{5+}", "5"),
    ("The answer is approximately 5.", "5"),
    ("The answer is about 5.", "5"),
    ("The answer is roughly $5$.", "5"),
    ("The answer is nearly 5.", "5"),
    ("The answer is almost 5.", "5"),
    ("#### about 5", "5"),
    ("The answer is between 5 and 6.", "5"),
    ("I don't think the answer is 5.", "5"),
    (r"I don't think it's \boxed{5}.", "5"),
    ("It is not true that the answer is 5.", "5"),
    ("The answer was not 5.", "5"),
    ("#### 5+", "5"),
    ("The answer is 5 at most.", "5"),
    ("The answer is below 5.", "5"),
    (r"\boxed{\text{not } 5}", "5"),
    (r"<answer>\boxed{5} \text{ or more}</answer>", "5"),
    (r"The answer is approximately $\boxed{5}$.", "5"),
    ("The answer is 5 or so.", "5"),
]

ARITHMETIC_LEFT_UNDONE = [
    ("The answer is 47 + 59.", "106"),
    (r"\boxed{47 \times 3}", "141"),
    (r"\boxed{3 \times 47}", "141"),
    ("#### 47 + 59", "106"),
    ("<answer>47 + 59</answer>", "106"),
    ("Answer: 200 - 94", "106"),
    (r"\boxed{3 \cdot 47}", "141"),
    ("The answer is 3 * 47.", "141"),
    ("The answer is 3 x 47.", "141"),
    ("The answer is 3 × 47.", "141"),
    (r"\boxed{282 \div 2}", "141"),
    (r"The answer is $(40 + 7) \times 3$.", "141"),
    (r"\boxed{\frac{47 + 59}{1}}", "106"),
    (r"\boxed{x = 47 + 59}", "106"),
    (r"<answer>\boxed{50 + 56}</answer>", "106"),
    ("The answer is 12 + 7 - 5.", "14"),
    ("The answer is 47 + 59 =", "106"),
    (r"\boxed{\frac{1}{4} + \frac{1}{4}}", r"\frac{1}{2}"),
    ("The answer is $47 + 59$ apples.", "106"),
    (r"\boxed{53 \cdot 2}", "106"),
    (r"\boxed{10^2 + 6}", "106"),
    ("#### 47+59", "106"),
    ("The answer is 47 plus 59.", "106"),
    (r"\boxed{\sqrt{100} + 96}", "106"),
]

TWO_ANSWERS = [
    (r"\boxed{5}. The answer is 7.", "5"),
    (r"\boxed{5}. The answer is 7.", "7"),
    ("\\boxed{5}\n#### 7", "5"),
    ("\\boxed{5}\n#### 7", "7"),
    ("The answer is 5.\n#### 7", "5"),
    ("The answer is 5.\n#### 7", "7"),
    ("#### 5\nThe answer is 7.", "5"),
    ("#### 5\nThe answer is 7.", "7"),
    (r"<answer>5</answer> \boxed{7}", "5"),
    (r"<answer>5</answer> \boxed{7}", "7"),
    (r"\boxed{5} <answer>7</answer>", "5"),
    (r"\boxed{5} <answer>7</answer>", "7"),
    ("<answer>5</answer>\nThe answer is 7.", "5"),
    ("<answer>5</answer>\n#### 7", "7"),
    (r"The answer is 7. So \boxed{5}.", "5"),
    (r"The answer is 7. So \boxed{5}.", "7"),
    (r"\boxed{5}. Final answer: 7", "5"),
    (r"\boxed{5}. Final answer: 7", "7"),
    ("Answer: 5\n#### 7", "5"),
    ("\\boxed{5}\nThe answer is 7", "7"),
    ("#### 5\n\\boxed{7}", "7"),
    ("The answer is 5.\n<answer>7</answer>", "7"),
    (r"\boxed{36}. The answer is 12 * 3 = 37.", "36"),
]

HEDGED_OR_RELATED = [
    (r"\boxed{5} or \boxed{6}", "6"),
    (r"\boxed{5} or \boxed{6}", "5"),
    (r"\boxed{5 \text{ (or 6)}}", "5"),
    (r"\boxed{5 \text{ (or 6)}}", "6"),
    ("The answer is five or 6.", "6"),
    ("The answer is 5 or 6.", "5"),
    ("The answer is either 5 or 6.", "6"),
    ("The answer is 5 and/or 6.", "5"),
    ("#### 5 or 6", "5"),
    ("<answer>5 or 6</answer>", "6"),
    (r"\boxed{5 \text{ or } 6}", "6"),
    (r"\boxed{5 \lor 6}", "5"),
    (r"\boxed{5, 6}", "5"),
    ("The answer is 5 to 6.", "5"),
    (r"\boxed{5 \approx 6}", "5"),
    (r"\boxed{5 \approx 6}", "6"),
    (r"\boxed{5 \neq 6}", "5"),
    (r"\boxed{5 \ne 6}", "5"),
    (r"\boxed{5 \mid 10}", "5"),
    (r"\boxed{5 \mid 10}", "10"),
    (r"\boxed{5 \sim 6}", "5"),
    (r"\boxed{5 < 6}", "5"),
    (r"The answer is $5 \leq 6$.", "5"),
    ("The answer is 5 ≈ 6.", "5"),
    (r"<answer>5 \approx 6</answer>", "5"),
    (r"\boxed{5 \pm 1}", "5"),
    (r"\boxed{5}, or perhaps \boxed{6}", "6"),
    (r"5 or \boxed{6}", "6"),
    ("The answer is 5, or possibly 6.", "5"),
    (r"\boxed{5} (or \boxed{6})", "6"),
    (r"\boxed{5 \equiv 1 \pmod 4}", "5"),
    (r"\boxed{x \approx 5}", "5"),
]

# A restated problem: a box or statement inside quotes, a labelled restatement, a prompt echoed back.
_PROMPT = "Check this solution: Sam has 2 apples and buys 3 more, so the answer is 5. Is it right?"
RESTATED = [
    ('The problem says: "Show that the answer is \\boxed{5} when Sam buys 3 more." I computed 7.', "5"),
    ("The question was \u201cwhy is it \\boxed{5} in the book?\u201d. I get 7.", "5"),
    ("Restating: ``the total is \\boxed{5} apples''. Then 2 + 5 = 7.", "5"),
    ("Question: Sam has 2 apples and buys 3 more. The answer is 5.\n\nSam has 2 + 5 = 7 apples.", "5"),
    ("Problem: What is 2 + 3? #### 5\n\nI computed 7.", "5"),
    ("User: what is 2 + 3? <answer>5</answer>\n\nI get 7.", "5"),
    ("The problem states: 'the answer is \\boxed{5}'. I get 7.", "5"),
    ("**Problem:** What is 2+3? The answer is 5.\n\nI get 7.", "5"),
    ("Q: what is 2+3?\nThe answer is 5\n\nMine: 7", "5"),
    (_PROMPT + "\nWrong: Sam has 2 + 5 = 7 apples.", "5", _PROMPT),
    (
        _PROMPT.replace("so the answer is 5", "so \\boxed{5}") + "\nI get 7.",
        "5",
        _PROMPT.replace("so the answer is 5", "so \\boxed{5}"),
    ),
    (
        [{"role": "assistant", "content": _PROMPT + "\nI computed 7."}],
        "5",
        [{"role": "user", "content": _PROMPT}],
    ),
]


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_a_negated_or_bounded_value_is_not_an_answer(mode):
    assert not _paid(NEGATED_OR_BOUNDED, mode)


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_arithmetic_left_undone_is_not_a_final_answer_for_a_number(mode):
    assert not _paid(ARITHMETIC_LEFT_UNDONE, mode)


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_two_different_final_answers_state_none(mode):
    assert not _paid(TWO_ANSWERS, mode)


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_a_hedged_or_related_value_is_not_an_answer(mode):
    assert not _paid(HEDGED_OR_RELATED, mode)


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_a_restated_problem_is_not_the_models_answer(mode):
    assert not _paid(RESTATED, mode)


# --- legitimate forms: each scores 1 in every mode that reads its form ---------------------------------------

# (answer as the model writes it, gold)
LEGITIMATE = [
    (r"\dfrac12", "0.5"),
    ("0.5", r"\frac{1}{2}"),
    (r"\frac{3}{4}", "0.75"),
    ("3/4", "0.75"),
    (r"\frac{84}{4}", "21"),
    (r"5\%", "5"),
    ("5%", "5"),
    (r"\$5.00", "5"),
    ("$5.00", "5"),
    ("1,000", "1000"),
    ("1,000", "1,000"),
    ("x=5", "5"),
    ("x = -5", "-5"),
    ("-5", "-5"),
    (r"\frac{\sqrt3}{2}", r"\sin(\pi/3)"),
    (r"\sin(\pi/3)", r"\frac{\sqrt{3}}{2}"),
    (r"2\sqrt{3}", r"\sqrt{12}"),
    (r"3\pi", r"3\pi"),
    (r"\frac{3\pi}{2}", r"\frac{3}{2}\pi"),
    (r"1.5 \times 10^3", "1500"),
    (r"1.5 \cdot 10^{3}", "1500"),
    (r"2^{10}", "1024"),
    (r"1^{(2^{235423523})}", "1"),
    (r"(-1)^{2^{100}}", "1"),
    (r"0^{7}", "0"),
    ("12 * 3 = 36", "36"),
    (r"47 + 59 = 106", "106"),
    (r"x = \frac{1}{2}", r"\frac12"),
    (r"90^\circ", "90"),
    ("18 dollars", "18"),
    (r"5 \text{ cm}", "5"),
    ("2 million", "2000000"),
    (r"2\frac{1}{2}", r"\frac{5}{2}"),
    ("[-2, 7]", "[-2,7]"),
    (r"x \geq 5", r"x \ge 5"),
    (r"-2 \le x \le 7", r"x \in [-2,7]"),
    ("3 or 5", "3, 5"),
    (r"\text{neither}", "neither"),
    ("no", r"\text{No}"),
    ("1 - 12i", "1-12i"),
    (r"\frac{9}{4}", "2.25"),
]

_FORMS = {
    "box": (r"So the answer is $\boxed{{{}}}$.", ("stated", "lenient", "boxed")),
    "hash": ("She works it out.\n#### {}", ("stated", "lenient", "gsm8k_hash")),
    "is": ("The answer is {}.", ("stated", "lenient")),
    "tag": ("<think>I work it out.</think>\n<answer>{}</answer>", ("stated", "lenient", "answer_tag")),
}


def _legitimate_cases(mode: str) -> list[tuple[str, str]]:
    cases = []
    for answer, gold in LEGITIMATE:
        for form, (template, modes) in _FORMS.items():
            if mode not in modes:
                continue
            if (
                form == "hash"
                and mode == "gsm8k_hash"
                and not re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?\\?%?", answer)
            ):
                continue  # verl's "#### N" reads a plain number only
            cases.append((template.format(answer), gold))
    return cases


# Whole completions a model writes, and the golds they state.
LEGITIMATE_COMPLETIONS = [
    # intermediate results boxed, then the final answer stated after them (Minerva's format; peer case mv-add-17)
    (
        r"First $\boxed{200}$, then $\boxed{255}$, so $10,455 in all. Final Answer: The final answer is $10,455$.",
        "10455",
    ),
    (r"The answer is $\boxed{5}$.", "5"),
    ("\\boxed{5}\n#### 5\nThe answer is 5.", "5"),
    (r"\boxed{\frac{1}{2}}. The answer is 0.5.", "0.5"),
    ("#### 72\nThe answer is: 72 apples", "72"),
    ("So, the answer is that we can't use 12 liters of leftover water.", "12"),
    ("The answer is 12 * 3 = 36.", "36"),
    ("The answer is 14.5, which is close to the true average of 15 jelly beans.", "14.5"),
    (r"The answer is $5$, not more and not less.", "5"),
    (r'The problem says "find x". Solving, $x = \boxed{5}$.', "5"),
    ("The answer is 12 * 3 = 36.\n#### 36", "36"),
    (r"So \boxed{x = 5}. The answer is 5.", "5"),
    (r"<answer>\boxed{7}</answer>", "7"),
    ("It's not 5; the answer is 6.", "6"),
    (r"Since 3 is not prime, the answer is \boxed{5}.", "5"),
    ("There are no apples left over, so the answer is 12.", "12"),
    (r"$\boxed{5}$ is the answer.", "5"),
    (r"There are $\boxed{5}$ more apples than pears.", "5"),
    ("She can't buy more than 3 pens, so the answer is 3.", "3"),
]


@pytest.mark.parametrize("mode", EXTRACTION_MODES)
def test_legitimate_forms_score_one(mode):
    cases = _legitimate_cases(mode)
    scores = accuracy_reward([c for c, _ in cases], [g for _, g in cases], extract=mode)
    assert [case for case, score in zip(cases, scores, strict=True) if score != 1.0] == []


@pytest.mark.parametrize("mode", ["stated", "lenient"])
def test_legitimate_completions_score_one(mode):
    completions, golds = zip(*LEGITIMATE_COMPLETIONS, strict=True)
    scores = accuracy_reward(list(completions), list(golds), extract=mode)
    assert [case for case, score in zip(LEGITIMATE_COMPLETIONS, scores, strict=True) if score != 1.0] == []


def test_an_echoed_prompt_leaves_the_models_own_answer():
    prompt = (
        "Sam has 2 apples and buys 3 more. How many apples does Sam have now? The answer is 5, says the book."
    )
    completion = prompt + "\nSam has 2 + 3 = 5 apples. The answer is 5."
    assert accuracy_reward([completion], ["5"], prompts=[prompt]) == [1.0]
    assert accuracy_reward(["I get 7." + prompt], ["5"], prompts=[prompt]) == [0.0]
