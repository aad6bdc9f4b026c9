"""Ctrl-C and SIGTERM: before training a run stops at once; during training the current step finishes and
a checkpoint is written, then the run exits with 128 + the signal (a scheduler sees an interrupted run, and
the same command resumes it); a second signal, or a step that doesn't finish within ``--grace`` seconds,
exits at once. After training (the final evaluation), it stops at once and says that a rerun only finishes
the evaluation.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

logger = logging.getLogger("recipes.train")

DEFAULT_GRACE_S = 600.0


BEFORE_TRAINING = "before training started; nothing was written"


class Interrupted(BaseException):
    """A stop signal arrived outside training steps; the run exits at once with 128 + signal. ``stage``
    says what that left behind (before training: nothing). (A BaseException, like KeyboardInterrupt, so
    that no library's ``except Exception`` swallows it.)"""

    def __init__(self, signum: int, stage: str = BEFORE_TRAINING):
        super().__init__(signal.Signals(signum).name)
        self.signum, self.stage = signum, stage


class StopSignals:
    """Ctrl-C / SIGTERM. Before training: stop at once. During training: the current step finishes and a
    checkpoint is written, then the run exits with 128 + signal; a step that doesn't finish within
    ``grace_s``, or a second signal, exits at once (the previous checkpoint stands). After training (the
    final evaluation): stop at once; ``stage`` says so, and that a rerun only finishes the evaluation."""

    def __init__(self, grace_s: float = DEFAULT_GRACE_S):
        self.grace_s = grace_s
        self.received: int | None = None
        self.training = False
        self.stage = BEFORE_TRAINING  # what a stop outside training steps leaves behind
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            logger.warning("second %s: exiting now, without a checkpoint", name)
            _exit_now(128 + signum)
            return
        self.received = signum
        if not self.training:
            raise Interrupted(signum, self.stage)
        logger.warning(
            "received %s: saving a checkpoint after this step, then stopping (a second signal exits at once)",
            name,
        )
        timer = threading.Timer(self.grace_s, self._give_up, args=(signum,))
        timer.daemon = True
        timer.start()

    def _give_up(self, signum: int) -> None:
        logger.warning(
            "the current step did not finish within %.0f s of the signal; exiting without a checkpoint",
            self.grace_s,
        )
        _exit_now(128 + signum)

    def callback(self):
        from transformers import TrainerCallback

        signals = self

        class CheckpointOnSignal(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if signals.received is not None:
                    control.should_save = True
                    control.should_training_stop = True
                return control

        return CheckpointOnSignal()


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
