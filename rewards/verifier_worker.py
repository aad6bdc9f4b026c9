"""A math-verify worker process: ``python -m rewards.verifier_worker`` (started by rewards.verifier)."""

from __future__ import annotations

import logging
import os
import signal
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

from rewards.normalize import normalize_latex, wrap_answer, wrap_gold
from rewards.verifier import (
    DIFFERENT,
    EQUIVALENT,
    GOLD_ERROR,
    SOFT_TIMEOUT_S,
    TIMEOUT,
    WORKER_MEMORY_BYTES,
)


class _OutOfTime(BaseException):
    """The item's soft deadline passed. A BaseException, like math-verify's own TimeoutException, so
    that no ``except Exception`` inside math-verify or sympy swallows it and returns a verdict."""


def _raise_out_of_time(signum, frame) -> None:
    raise _OutOfTime


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _OutOfTime in this (main) thread once ``seconds`` have passed."""
    previous = signal.signal(signal.SIGALRM, _raise_out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _judge(gold: str, answer: str, parsed_golds: OrderedDict, parse, verify) -> str:
    """One verdict, or TIMEOUT when the item's soft deadline passed: a check cut short is no verdict
    (math-verify's own timeouts answer "not equivalent"; they are off, and one deadline covers the item)."""
    try:
        with _deadline(SOFT_TIMEOUT_S):
            gold_parsed = parsed_golds.get(gold)
            if gold_parsed is None:
                gold_parsed = parse(wrap_gold(normalize_latex(gold)), parsing_timeout=None)
                parsed_golds[gold] = gold_parsed
                if len(parsed_golds) > 4096:
                    parsed_golds.popitem(last=False)
            if not any(not isinstance(value, str) for value in gold_parsed):
                return GOLD_ERROR  # math-verify found no expression in it, only the raw text
            answer_parsed = parse(wrap_answer(normalize_latex(answer)), parsing_timeout=None)
            ok = bool(answer_parsed) and verify(
                gold_parsed, answer_parsed, timeout_seconds=None, allow_set_relation_comp=True
            )
            return EQUIVALENT if ok else DIFFERENT
    except _OutOfTime:
        return TIMEOUT
    except BaseException:  # noqa: BLE001 - MemoryError, RecursionError, sympy internals: all score 0
        return DIFFERENT


def main() -> None:
    """Judge (task id, gold, answer) messages read from stdin; answer on the original stdout."""
    # The protocol owns the original stdout; anything a library prints goes to stderr instead.
    out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    inp = Connection(0, writable=False)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    # math-verify's own timeouts are off (one deadline per item is ours), and so is its warning about that.
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    from math_verify import parse, verify

    parsed_golds: OrderedDict = OrderedDict()
    # math-verify compiles its patterns and grammar on first use: pay that before reporting ready, not
    # inside the first item's deadline.
    _judge(r"\frac{1}{2}", r"\left(\sqrt{2}, x^2\right) \cup [0, 1)", OrderedDict(), parse, verify)
    out.send("ready")
    while True:
        try:
            message = inp.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task_id, gold, answer = message
        out.send((task_id, _judge(gold, answer, parsed_golds, parse, verify)))


if __name__ == "__main__":
    main()
