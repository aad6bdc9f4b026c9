"""eval/compare.py: the comparison table and chart."""

import json

from eval.compare import main as compare_main


def test_compare_prints_a_table_and_writes_a_chart(tmp_path, capsys):
    for name, value in (("before", 0.25), ("after", 0.5)):
        folder = tmp_path / name
        folder.mkdir()
        metrics = {
            "n_problems": 4,
            "pass@1": value,
            "pass@1_ci95": [0.0, 1.0],
            "by_level": {"1": {"pass@1": value, "n": 4}},
        }
        (folder / "metrics.json").write_text(
            json.dumps({"settings": {}, "benchmarks": {"arithmetic": metrics}})
        )
    png = tmp_path / "chart.png"
    assert (
        compare_main([str(tmp_path / "before"), str(tmp_path / "after"), "--png", str(png), "--by", "level"])
        == 0
    )
    output = capsys.readouterr().out
    assert "| arithmetic | 25.0% [0.0%, 100.0%] (n=4) | 50.0% [0.0%, 100.0%] (n=4) |" in output
    assert png.stat().st_size > 0
    assert compare_main([str(tmp_path / "missing")]) == 2
