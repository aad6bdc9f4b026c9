"""Decontamination: find (and by default remove) training problems that appear in evaluation sets."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping

import datasets

logger = logging.getLogger(__name__)

_LATEX_NOISE = re.compile(r"\\(?:left|right|displaystyle|[,;:! ])|\$|\\\(|\\\)|\\\[|\\\]")
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# What identifies a problem: its words, its numbers (each one whole) and its mathematical signs. Spacing,
# case, punctuation, braces and math delimiters don't.
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[-+*/=^<>×÷·%!|()\[\]≤≥≠≈]")


def normalize_question(text: str) -> str:
    """Question text reduced to what identifies a problem: its words, numbers and operators, without case,
    spacing, punctuation and LaTeX delimiters. "89 + 44" and "89 - 44" are different problems, and so are
    "10 + 77" and "10 + 7 - 7".

    >>> normalize_question("What is $\\\\frac{1}{2}$ of 10?") == normalize_question("what is \\\\frac{1}{2} of 10")
    True
    >>> normalize_question("What is 89 + 44?"), normalize_question("What is 89 - 44?")
    ('what is 89 + 44', 'what is 89 - 44')
    >>> normalize_question("Compute $1,000+2$.") == normalize_question("compute 1000 + 2")
    True
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _THOUSANDS_COMMA.sub("", _LATEX_NOISE.sub(" ", text))
    return " ".join(_TOKEN.findall(text))


def overlap(
    train: datasets.Dataset, eval_sets: Mapping[str, datasets.Dataset], remove: bool = True
) -> tuple[datasets.Dataset, dict[str, int]]:
    """Training rows whose normalised question appears in an evaluation set.

    Returns the training set (without those rows when ``remove``) and a report: how many training rows
    each evaluation set shares with it. Each overlap is logged.
    """
    train_keys = [normalize_question(q) for q in train["question"]]
    contaminated: set[int] = set()
    report: dict[str, int] = {}
    for name, eval_set in eval_sets.items():
        eval_keys = {normalize_question(q) for q in eval_set["question"]}
        hits = {i for i, key in enumerate(train_keys) if key in eval_keys}
        report[name] = len(hits)
        contaminated |= hits
        if hits:
            logger.warning(
                "%d training problems also appear in %s%s", len(hits), name, "; removed" if remove else ""
            )
    if remove and contaminated:
        train = train.select([i for i in range(len(train)) if i not in contaminated])
    return train, report
