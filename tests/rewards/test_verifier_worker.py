"""rewards/verifier_worker.py: a worker's own soft deadline."""

from rewards.verifier import TIMEOUT


def test_a_check_past_the_workers_soft_deadline_is_a_timeout_not_a_verdict(monkeypatch):
    import time
    from collections import OrderedDict

    import rewards.verifier_worker as worker

    def slow_parse(*args, **kwargs):
        time.sleep(30)  # far past the deadline below: the margin is 600x

    monkeypatch.setattr(worker, "SOFT_TIMEOUT_S", 0.05)
    started = time.monotonic()
    assert worker._judge("7", "7", OrderedDict(), slow_parse, None) == TIMEOUT
    assert time.monotonic() - started < 10
