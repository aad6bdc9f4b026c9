"""experiments/r1zero.py: the tag shares."""

import json

from experiments.r1zero import tag_shares


def test_tag_shares_count_completions_holding_each_tag(tmp_path):
    samples = tmp_path / "samples.jsonl"
    rows = [
        {"completions": ["<think>a</think><answer>1</answer>", "plain text"]},
        {"completions": ["<answer>2", "<think>b"]},
    ]
    samples.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert tag_shares(samples) == [0.5, 0.25, 0.5, 0.25]
