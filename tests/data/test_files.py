"""data/files.py: atomic writes and JSON without infinities."""

from __future__ import annotations

import json

import pytest


def test_atomic_writes_keep_the_usual_file_mode(tmp_path):
    """mkstemp's private 0600 must not leak into results that others on a cluster read: an atomic write
    gets the mode a plain write gets."""
    import stat

    from data.files import write_atomic

    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    atomic = write_atomic(tmp_path / "metrics.json", "{}")
    assert stat.S_IMODE(atomic.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_metrics_hold_no_infinity_or_nan(tmp_path):
    from data.files import write_json

    path = write_json(tmp_path / "metrics.json", {"temperature": float("inf"), "loss": float("nan")})
    assert json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"{name} in JSON")) == {
        "temperature": None,
        "loss": None,
    }
