"""Shared test fixtures. The repository root is importable through pytest's `pythonpath` setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """`../shared/` beside the checkout (developers and CI have it; a user's clone does not)."""
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not present (it is not part of a user's clone)")
    return SHARED
