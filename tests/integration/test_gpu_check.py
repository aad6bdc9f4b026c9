"""`make gpu-check`'s three checks, run on the CPU (--allow-cpu)."""

from __future__ import annotations


def test_the_gpu_check_passes_on_the_cpu(tmp_path):
    """`make gpu-check` runs this on a GPU; here its three checks run on the CPU (--allow-cpu): the R1
    recipe's completions stop at </answer> and are paid, evaluation stops there too, small updates land."""
    from recipes.gpu_check import main

    assert main(["--allow-cpu", "--out", str(tmp_path)]) == 0
