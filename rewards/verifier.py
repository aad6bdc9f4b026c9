"""Symbolic equivalence through math-verify, in worker processes with a hard time limit per item.

math-verify's own timeouts use ``signal.alarm``, which only works on a process's main thread (TRL calls
rewards from wherever it likes, and then math-verify silently runs without any limit). A single hostile
answer can then hang a whole training run. So every symbolic check runs in a small pool of worker
processes, under two deadlines per item: a soft one inside the worker (``SOFT_TIMEOUT_S``, a signal in the
worker's main thread; the worker survives) and a hard one here (the caller's ``timeout_s``; a worker that
misses it is killed and replaced, for computations a signal can't interrupt). Either way the item is a
TIMEOUT: it scores 0 and is counted (``VerifierPool.timeouts``, and in ``Grading.incidents``), never
remembered as a verdict. (math-verify's own timeouts answer "not equivalent", which made a slow machine's
verdicts differ from a fast one's; they are off.) A worker that dies mid-item (memory, a signal) is
replaced and its item retried once by the caller.

The limits are far above what any legitimate answer needs (the slowest legitimate pair measured, under two
CPU-bound processes on a 2-core machine, took 2.5 s; see the README), and what is cheap to decide but slow
for math-verify (powers of 0, 1 and -1, huge integer powers) never reaches it (rewards/expressions.py).

Workers are fresh interpreters (``python -m rewards.verifier_worker``): they never inherit the trainer's threads,
GPU state or memory, and a replacement starts in the background while the other workers carry on.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection, wait

logger = logging.getLogger(__name__)

# Results for one (gold, answer) pair: a worker's verdict, or what happened when it gave none (the
# deadline passed; the worker died, e.g. of memory or a signal).
EQUIVALENT, DIFFERENT, GOLD_ERROR = "equivalent", "different", "gold_error"
TIMEOUT, CRASHED = "timeout", "crashed"

# Limits inside a worker: a soft deadline per item (12x the slowest legitimate pair measured under load,
# 2.5 s), and a memory cap so that a huge power raises MemoryError instead of swapping the machine.
SOFT_TIMEOUT_S = 30
WORKER_MEMORY_BYTES = 4 * 1024**3
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Worker:
    """One worker process, started as ``python -m rewards.verifier_worker`` (no re-import of the caller's
    ``__main__``, unlike multiprocessing's spawn and forkserver, so scripts without a main guard work)."""

    def __init__(self):
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_REPO_ROOT, os.environ.get("PYTHONPATH")]))
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rewards.verifier_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.conn_in = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.conn_out = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.process.stdout.close()
        self.process.stdin.close()
        self.ready = False
        self.task: tuple[int, float] | None = None  # (task id, deadline)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.conn_in.close()
        self.conn_out.close()


class VerifierPool:
    """A pool of math-verify worker processes with a hard per-item deadline."""

    def __init__(self, num_workers: int | None = None, startup_timeout_s: float = 120.0):
        self.num_workers = num_workers or max(1, min(2, os.cpu_count() or 1))
        self.startup_timeout_s = startup_timeout_s
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.timeouts = 0
        self.crashes = 0

    def check(self, pairs: list[tuple[str, str]], timeout_s: float) -> list[str]:
        """Judge each (gold, answer) pair; returns one of EQUIVALENT, DIFFERENT, GOLD_ERROR, TIMEOUT."""
        results: list[str | None] = [None] * len(pairs)
        if not pairs:
            return []
        with self._lock:
            while len(self._workers) < self.num_workers:
                self._workers.append(_Worker())
            pending = list(range(len(pairs)))[::-1]
            started = time.monotonic()
            while pending or any(w.task for w in self._workers):
                for worker in self._workers:
                    if worker.ready and worker.task is None and pending:
                        task_id = pending.pop()
                        try:
                            worker.conn_out.send((task_id, *pairs[task_id]))
                            worker.task = (task_id, time.monotonic() + timeout_s)
                        except OSError:
                            pending.append(task_id)
                            self._replace(worker)
                waiting = [w for w in self._workers if w.task or not w.ready]
                deadlines = [w.task[1] for w in waiting if w.task]
                if not deadlines and time.monotonic() - started > self.startup_timeout_s:
                    raise RuntimeError(
                        "math-verify worker processes did not start; run `python -m rewards.verifier_worker` to see why"
                    )
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 1.0
                ready = wait([w.conn_in for w in waiting], timeout=timeout)
                for worker in waiting:
                    if worker.conn_in in ready:
                        try:
                            message = worker.conn_in.recv()
                        except (EOFError, OSError):  # the worker died (memory, signal): no verdict
                            if worker.task:
                                results[worker.task[0]] = CRASHED
                                self.crashes += 1
                            self._replace(worker)
                            continue
                        if message == "ready":
                            worker.ready = True
                            continue
                        task_id, result = message
                        results[task_id] = result
                        worker.task = None
                        if result == TIMEOUT:  # the worker's own, soft deadline
                            self.timeouts += 1
                            logger.warning(
                                "answer check exceeded %ss; scored 0 (%d so far)",
                                SOFT_TIMEOUT_S,
                                self.timeouts,
                            )
                    elif worker.task and time.monotonic() >= worker.task[1]:
                        results[worker.task[0]] = TIMEOUT
                        self.timeouts += 1
                        logger.warning(
                            "answer check exceeded %.1fs; scored 0 (%d so far)", timeout_s, self.timeouts
                        )
                        self._replace(worker)
        return results  # type: ignore[return-value]

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers[self._workers.index(worker)] = _Worker()

    def close(self) -> None:
        with self._lock:
            for worker in self._workers:
                worker.kill()
            self._workers = []


_POOL: VerifierPool | None = None
_POOL_PID: int | None = None


def get_pool() -> VerifierPool:
    """The process-wide pool (a forked child, e.g. a data-loader worker, gets its own)."""
    global _POOL, _POOL_PID
    if _POOL is None or _POOL_PID != os.getpid():
        _POOL, _POOL_PID = VerifierPool(), os.getpid()
        atexit.register(_POOL.close)
    return _POOL
