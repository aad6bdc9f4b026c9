"""recipes/signals.py: stop signals and the grace period."""

from __future__ import annotations

import signal
import time


def test_a_step_that_outlasts_the_grace_period_exits_without_a_checkpoint(monkeypatch):
    from recipes import signals as signals_module

    exits = []
    monkeypatch.setattr(signals_module, "_exit_now", exits.append)
    signals = signals_module.StopSignals(grace_s=0.05)
    signals.training = True
    signals._handle(signal.SIGTERM, None)
    time.sleep(0.5)
    assert exits == [143]
    signals._handle(signal.SIGTERM, None)  # and a second signal does not wait at all
    assert exits == [143, 143]
