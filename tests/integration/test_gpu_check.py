"""`make gpu-check`'s four checks, run on the CPU (--allow-cpu)."""

from __future__ import annotations


def test_the_gpu_check_passes_on_the_cpu(tmp_path, capsys):
    """`make gpu-check` runs this on a GPU; here its four checks run on the CPU (--allow-cpu): the R1
    recipe's completions stop at </answer> and are paid, evaluation stops there too, small updates land,
    continuous batching gives generate's tokens."""
    from recipes.gpu_check import main

    assert main(["--allow-cpu", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    checks = ("precision", "r1", "eval", "decode")
    verdicts = [
        line.split()[:2] for line in printed.splitlines() if line.split()[:1] in ([c] for c in checks)
    ]
    assert verdicts == [[name, "ok"] for name in checks]
