"""rewards/accuracy.py: the accuracy reward: equivalence rules, gold handling, the verdict cache,
incidents, hostile model output."""

import logging

import pytest

import rewards.accuracy as accuracy
from rewards import accuracy_reward, grade_answers
from rewards.verifier import CRASHED, DIFFERENT, EQUIVALENT, GOLD_ERROR, TIMEOUT
from tests.fakes import FakePool


@pytest.mark.parametrize(
    ("completion", "gold"),
    [
        ("#### 72", "72"),
        ("The answer is 2,125.", "2,125"),
        ("The answer is 2125.", "2,125"),
        (r"\boxed{0.5}", r"\frac{1}{2}"),
        (r"\boxed{\frac{2}{4}}", r"\frac{1}{2}"),
        (r"\boxed{(3, \frac{\pi}{2})}", r"\left( 3, \frac{\pi}{2} \right)"),
        (r"\boxed{25}", "025"),
        (r"\boxed{27}", "27.0"),
        ("The answer is $18.00.", "18"),
        ("The answer is 18 dollars.", "18"),
        (r"\boxed{50\%}", "50"),
        ("The answer is 2 million.", "2000000"),
        (r"\boxed{[-2,7]}", "[-2, 7]"),
        (r"\boxed{\sqrt{8}}", r"2\sqrt{2}"),
        (r"\boxed{x^2+2x+1}", "(x+1)^2"),
        (r"\boxed{\text{Evelyn}}", r"\text{evelyn}"),
        (r"\boxed{0.0833333333}", r"\frac{1}{12}"),
    ],
)
def test_equivalent_answers_score_one(completion, gold):
    assert accuracy_reward([completion], [gold]) == [1.0]


@pytest.mark.parametrize(
    ("completion", "gold"),
    [
        ("#### 71", "72"),
        (r"\boxed{7}", "[-2, 7]"),  # unwrapped, math-verify would read this gold as 7
        (r"\boxed{2}", r"2\sqrt{2}"),  # ... and this one as 2
        (r"\boxed{0.3333}", r"\frac{1}{3}"),  # a short decimal is not the fraction
        ("The answer is 7 or 8.", "7"),  # a hedge is not an answer
        (r"\boxed{7 \text{ or } 8}", "7"),
        ("<think>It is 72.</think> I am not sure.", "72"),  # reasoning that contains the gold
        ("First 70 + 2 = 72.\nNow I still need to check the units and", "72"),
        (r"<think>\boxed{72}</think>\boxed{71}", "72"),
        ("The answer is AZYUK2A", "2"),
        (r"\boxed{1 + \frac{1}{\mathrm{e}}}", r"1 - \frac{1}{\mathrm{e}}"),
    ],
)
def test_wrong_or_missing_answers_score_zero(completion, gold):
    assert accuracy_reward([completion], [gold]) == [0.0]


def test_hedge_is_fine_when_the_gold_lists_both():
    assert accuracy_reward(["The answer is 3 or 5."], ["3, 5"]) == [1.0]


def test_unparseable_gold_gives_none_and_is_logged_once(caplog):
    accuracy._reported_bad_golds.clear()
    with caplog.at_level(logging.WARNING, logger="rewards.accuracy"):
        scores = accuracy_reward(
            [r"\boxed{1}", r"\boxed{2}", r"\boxed{3}"], [r"\frac{1}{2", r"\frac{1}{2", "3"]
        )
    assert scores == [None, None, 1.0]
    assert sum("cannot be parsed" in r.message for r in caplog.records) == 1
    assert accuracy_reward(["#### 1"], [None]) == [None]


def test_each_distinct_pair_is_checked_once(monkeypatch):
    seen = []

    class RecordingPool:
        def check(self, pairs, timeout_s):
            seen.extend(pairs)
            return [EQUIVALENT] * len(pairs)

    monkeypatch.setattr(accuracy, "get_pool", lambda: RecordingPool())
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())  # whatever ran before
    golds = ["x^2+2x+1"] * 8 + [r"\cos 2x"] * 8
    answers = ["x^2+2x+1", "(x+1)^2"] * 4 + [r"\cos 2x", r"1 - 2\sin^2 x"] * 4
    scores = grade_answers(golds, answers)
    assert scores == [1.0] * 16
    # identical strings never reach the symbolic checker; each other distinct pair reaches it once
    assert sorted(seen) == sorted({("x^2+2x+1", "(x+1)^2"), (r"\cos 2x", r"1 - 2\sin^2 x")})


def test_the_reward_works_off_the_main_thread():
    # math-verify's own signal-based timeouts fail off the main thread; our workers don't care
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as executor:
        futures = [executor.submit(accuracy_reward, [r"\boxed{\sqrt{49}}"], ["7"]) for _ in range(4)]
        assert [f.result() for f in futures] == [[1.0]] * 4


HOSTILE = [
    None,
    123,
    b"\x00\xff",
    "",
    "x" * 1_000_000,
    "\x00\x01\x02 \\boxed{\x03}",
    "\\boxed{{{{{",
    "}}}}\\boxed{}}}}",
    "\\boxed{9^{9^{9^{9}}}}",
    "\\boxed{100000!}",
    "\\boxed{1}" * 5000,
    "The answer is " + "9" * 5000,
    "\\boxed{" * 10000,
    "\\boxed{\\frac{" * 300 + "}" * 600,
    "$" * 100_000,
    "<answer>" * 10_000,
    "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
]


@pytest.mark.parametrize(
    ("gold", "answer", "verdict"),
    [
        ("1", r"1^{(2^{235423523})}", EQUIVALENT),  # real-35: ~1.3 s in math-verify, over the old 1 s limit
        ("1", r"(-1)^{2^{100}}", EQUIVALENT),
        ("-1", r"(-1)^{3^{100}}", EQUIVALENT),
        ("0", r"0^{7}", EQUIVALENT),
        ("1024", r"2^{10}", EQUIVALENT),
        ("12157665459056928801", r"3^{40}", EQUIVALENT),
        ("12157665459056928802", r"3^{40}", DIFFERENT),  # exact: floating point can't tell these apart
        ("720", "6!", EQUIVALENT),
        ("7", r"9^{9^{9^{9}}}", DIFFERENT),  # an integer of billions of digits is no number in a gold
        ("7", r"2^{2^{2^{2^{2^{2}}}}}", DIFFERENT),
        ("7", "100000!", DIFFERENT),
        (r"2^{100}", "1267650600228229401496703205376", EQUIVALENT),
    ],
)
def test_powers_and_products_are_decided_exactly_without_math_verify(monkeypatch, gold, answer, verdict):
    """Verdicts that must not depend on the machine: decided by exact arithmetic, never by a time limit."""

    class NoPool:
        def check(self, pairs, timeout_s):
            raise AssertionError(f"{pairs} reached math-verify")

    monkeypatch.setattr(accuracy, "get_pool", lambda: NoPool())
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    assert accuracy.judge([(gold, answer)]) == {(gold, answer): verdict}


def test_hostile_completions_score_zero():
    assert accuracy_reward(HOSTILE, ["7"] * len(HOSTILE)) == [0.0] * len(HOSTILE)


@pytest.mark.parametrize(
    "completion",
    [
        # found by GRPO itself on the CPU demo: restate the question, let the grader evaluate it
        "To solve the equation 81 - 5, we need to isolate the variable, which is the square of the number, on one side",
        "We need to compute 81 - 5",
        "So we get $81 - 5$",
        r"So we get \(81 - 5\)",
    ],
)
def test_a_restated_computation_is_not_an_answer(completion):
    assert accuracy_reward([completion], ["76"], extract="lenient") == [0.0]
    assert accuracy_reward([completion], ["76"]) == [0.0]


def test_an_unstated_answer_earns_nothing_by_default_and_the_last_sentence_counts_when_lenient():
    completions = ["So 81 - 5 = 76.", "So the result is $81 - 5 = 76$", "Donc, il a 79 g de cire."]
    golds = ["76", "76", "79"]
    assert accuracy_reward(completions, golds) == [0.0] * 3
    assert accuracy_reward(completions, golds, extract="lenient") == [1.0] * 3
    assert accuracy_reward(
        ["Soucis : 2,74 $ a..", "So the probability is .4"], ["2.74", "0.4"], extract="lenient"
    ) == [1.0, 1.0]


@pytest.mark.parametrize(
    ("extract", "completion", "score"),
    [
        ("boxed", r"So \boxed{4}.", 1.0),
        ("boxed", "The answer is 4.", 0.0),
        ("boxed", "#### 4", 0.0),
        ("answer_tag", "<think>2+2</think> <answer>4</answer>", 1.0),
        ("answer_tag", r"\boxed{4}", 0.0),
        ("gsm8k_hash", "2 + 2 = 4\n#### 4", 1.0),
        ("gsm8k_hash", "#### 4" + " and then some more text" * 20, 0.0),  # not in the last 300 characters
        ("gsm8k_hash", r"\boxed{4}", 0.0),
        ("gsm8k_hash", "####4", 0.0),  # verl's strict regex wants the space
    ],
)
def test_narrow_extraction_modes_follow_their_papers_graders(extract, completion, score):
    assert accuracy_reward([completion], ["4"], extract=extract) == [score]


# --- the grader under load and over long runs ---------------------------------------------------------------

SYMBOLIC = [("x^2+2x+1", "(x+1)^2"), (r"\cos 2x", r"1-2\sin^2 x"), ("x+x", "2x"), ("x^3", "x x x")]


def test_a_verdict_read_from_the_cache_survives_evictions_in_the_same_call(monkeypatch):
    monkeypatch.setattr(accuracy, "_MAX_RESULTS", 2)
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    monkeypatch.setattr(accuracy, "get_pool", lambda: FakePool())
    first = SYMBOLIC[0]
    assert grade_answers([first[0]], [first[1]]) == [1.0]  # now cached
    golds, answers = zip(*SYMBOLIC, strict=True)
    # the cached pair is read first, then three new verdicts evict it: its score must still be 1.0
    assert grade_answers(list(golds), list(answers)) == [1.0] * 4
    assert len(accuracy._RESULTS) == 2


def test_a_crashed_worker_is_retried_once_and_counted_if_it_crashes_again(monkeypatch):
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    pool = FakePool(CRASHED, EQUIVALENT)
    monkeypatch.setattr(accuracy, "get_pool", lambda: pool)
    graded = accuracy.grade_completions([rf"\boxed{{{SYMBOLIC[0][1]}}}"], [SYMBOLIC[0][0]])
    assert graded.scores == [1.0] and graded.incidents == {"timeout": 0, "crashed": 0}  # the retry judged it
    assert len(pool.seen) == 2

    pool = FakePool(CRASHED, CRASHED)
    monkeypatch.setattr(accuracy, "get_pool", lambda: pool)
    graded = accuracy.grade_completions([rf"\boxed{{{SYMBOLIC[1][1]}}}"], [SYMBOLIC[1][0]])
    assert graded.scores == [0.0] and graded.incidents == {"timeout": 0, "crashed": 1}
    assert SYMBOLIC[1] not in accuracy._RESULTS  # not a verdict: asked again next time


def test_timeouts_are_not_remembered_and_reach_the_run_log(monkeypatch):
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    monkeypatch.setattr(accuracy, "get_pool", lambda: FakePool(TIMEOUT))
    logged = []
    completions = [rf"\boxed{{{SYMBOLIC[2][1]}}}"]
    scores = accuracy_reward(
        completions, [SYMBOLIC[2][0]], log_metric=lambda name, value: logged.append((name, value))
    )
    assert scores == [0.0] and SYMBOLIC[2] not in accuracy._RESULTS
    assert ("grader/timeout", 1.0) in logged and ("grader/crashed", 0.0) in logged


def test_a_gold_only_this_grader_reads_is_sent_to_math_verify_as_its_value(monkeypatch):
    monkeypatch.setattr(accuracy, "_RESULTS", accuracy.collections.OrderedDict())
    pool = FakePool(GOLD_ERROR, EQUIVALENT)
    monkeypatch.setattr(accuracy, "get_pool", lambda: pool)
    gold = r"\$32,\!348"
    assert grade_answers([gold], [r"32348 + 0\log_2 x"]) == [1.0]
    assert pool.seen[1] == [("32348", r"32348 + 0\log_2 x")]
