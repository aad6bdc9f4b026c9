"""recipes/__init__.py: PyTorch backs large CPU blocks with transparent huge pages for training."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Import recipes first (as python -m recipes.train does), then fill a fresh 256 MiB tensor; print the page
# faults that took.
PROBE = """
import resource, recipes, torch
torch.empty(1)  # PyTorch's first allocation reads the setting
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
torch.ones(64 * 2**20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def faults(**env: str) -> int:
    environment = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"} | env
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=Path(__file__).parents[2],  # the repository root, where recipes is imported from
    )
    return int(run.stdout.split()[-1])


@pytest.mark.skipif(
    not THP.exists() or "[never]" in THP.read_text(), reason="the kernel gives no transparent huge pages"
)
def test_large_blocks_are_faulted_in_as_huge_pages_unless_turned_off():
    pages = 256 * 2**20 // 4096
    assert faults() < pages // 20  # 2 MiB at a time
    assert faults(THP_MEM_ALLOC_ENABLE="0") > pages // 2  # 4 KiB at a time
