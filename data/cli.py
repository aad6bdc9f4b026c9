"""Command-line plumbing shared by every ``python -m ...`` entry point: a parser whose errors are one line
(``error: ...`` naming the flag and the fix, exit code 2, no usage dump) and argument types that check
ranges when the command line is read."""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with each error as one line that points at ``--help``."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def positive_int(text: str) -> int:
    """An integer of 1 or more.

    >>> positive_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of 0 or more (``inf`` and ``nan`` are not settings: JSON can't even record them).

    >>> non_negative_float("0.7")
    0.7
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < math.inf:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be 0 or more (a finite number), got {text}")
    return value


def probability(text: str) -> float:
    """A number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {text}")
    return value


def int_list(text: str) -> list[int]:
    """Comma-separated integers.

    >>> int_list("1, 2")
    [1, 2]
    """
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers (e.g. 1,2), got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one level, e.g. 1,2")
    return values


def name_list(text: str) -> list[str]:
    """Comma-separated names; empty entries are an error, not silently skipped."""
    names = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names (e.g. gsm8k,math500), got {text!r}")
    return names


def close_matches(name: object, options: object, n: int = 3) -> list[str]:
    """The valid names closest to a misspelt one, for "did you mean ...?" (recipes and eval alike).

    >>> close_matches("gsm8", ["gsm8k", "math", "math500"])
    ['gsm8k']
    """
    import difflib

    return difflib.get_close_matches(str(name), [str(o) for o in options], n=n, cutoff=0.5)
