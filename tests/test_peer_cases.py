"""The accuracy reward against 596 answer-equivalence cases restated from peer projects' test suites.

Reports agreement per source (the id prefix) and fails on any false positive among the cases peers
agree on: a false positive is a reward hack waiting to happen.
"""

import collections
import json

from rewards import accuracy_reward


def test_peer_cases(shared_dir, capsys):
    rows = [json.loads(line) for line in (shared_dir / "verifier" / "peer_cases.jsonl").open()]
    scores = accuracy_reward([r["completion"] for r in rows], [r["gold"] for r in rows])
    agree, total, false_positives = collections.Counter(), collections.Counter(), []
    for row, score in zip(rows, scores, strict=True):
        prefix = row["id"].split("-")[0]
        total[prefix] += 1
        agree[prefix] += (score == 1.0) == row["equivalent"]
        if score == 1.0 and not row["equivalent"] and not row.get("disputed"):
            false_positives.append(row["id"])
    overall = sum(agree.values()) / len(rows)
    with capsys.disabled():
        report = ", ".join(f"{p} {agree[p]}/{total[p]}" for p in sorted(total))
        print(f"\npeer cases: {sum(agree.values())}/{len(rows)} agree ({overall:.1%}); {report}")
    assert not false_positives, f"false positives: {false_positives}"
    assert overall >= 0.98
