"""The accuracy reward against 596 answer-equivalence cases restated from peer projects' test suites.

The cases test equivalence, and many state their answer only in a last sentence ("Altogether he spent
$1,000.99"), as the peers' graders read it. So agreement is measured with ``extract="lenient"``; the
strict default (an answer counts only when stated: tags, box, ####, "the answer is") must agree with it
on every case whose answer is stated, and score 0 where none is. Any false positive, in either mode,
among the cases peers agree on fails the test: a false positive is a reward hack waiting to happen.
"""

import collections
import json
from pathlib import Path

from rewards import accuracy_reward, extract_final_answer


def test_peer_cases(shared_dir, capsys):
    rows = [json.loads(line) for line in (shared_dir / "verifier" / "peer_cases.jsonl").open()]
    completions, golds = [r["completion"] for r in rows], [r["gold"] for r in rows]
    lenient = accuracy_reward(completions, golds, extract="lenient")
    strict = accuracy_reward(completions, golds)
    agree, strict_agree, total = collections.Counter(), collections.Counter(), collections.Counter()
    false_positives = []
    unstated = 0
    for row, score, strict_score in zip(rows, lenient, strict, strict=True):
        prefix = row["id"].split("-")[0]
        total[prefix] += 1
        agree[prefix] += (score == 1.0) == row["equivalent"]
        strict_agree[prefix] += (strict_score == 1.0) == row["equivalent"]
        for mode_score in (score, strict_score):
            if mode_score == 1.0 and not row["equivalent"] and not row.get("disputed"):
                false_positives.append(row["id"])
        if extract_final_answer(row["completion"]) is None:
            unstated += 1
            assert strict_score in (0.0, None), row["id"]
        else:
            assert strict_score == score, row["id"]  # a stated answer is graded the same either way
    overall = sum(agree.values()) / len(rows)
    with capsys.disabled():
        report = ", ".join(f"{p} {agree[p]}/{total[p]}" for p in sorted(total))
        print(
            f"\npeer cases: lenient {sum(agree.values())}/{len(rows)} agree ({overall:.1%}); {report}; "
            f"strict (the default) {sum(strict_agree.values())}/{len(rows)}, the difference being the "
            f"{unstated} completions that state no final answer"
        )
    assert not false_positives, f"false positives: {false_positives}"
    assert overall >= 0.98


def test_real_model_outputs(capsys):
    """52 cases from SmolLM2-135M-Instruct's own GSM8K and MATH-500 completions (tests/fixtures/real_outputs.jsonl,
    hand-labelled: a final answer must be stated, and equal the gold). Strict must agree on every one; the
    lenient fallback is reported, not required (its misses are prose endings that merely contain the gold)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "real_outputs.jsonl"
    rows = [json.loads(line) for line in path.open()]
    completions, golds = [r["completion"] for r in rows], [r["gold"] for r in rows]
    strict = accuracy_reward(completions, golds)
    lenient = accuracy_reward(completions, golds, extract="lenient")
    disagree = [r["id"] for r, s in zip(rows, strict, strict=True) if (s == 1.0) != r["equivalent"]]
    lenient_agree = sum((s == 1.0) == r["equivalent"] for r, s in zip(rows, lenient, strict=True))
    with capsys.disabled():
        print(
            f"\nreal outputs: strict {len(rows) - len(disagree)}/{len(rows)}, lenient {lenient_agree}/{len(rows)}"
        )
    assert not disagree, disagree
    assert sum(r["equivalent"] for r in rows) >= 15 and sum(not r["equivalent"] for r in rows) >= 15
