"""Data sets in one schema, prompt templates, decontamination, and a generated arithmetic set.

>>> from data import load
>>> row = load("arithmetic", split="test", limit=1, levels=[1])[0]
>>> sorted(row)
['answer', 'id', 'level', 'question', 'solution', 'source']
"""

from data.decontaminate import normalize_question, overlap
from data.sources import (
    SOURCES,
    DataError,
    HubError,
    check_levels,
    filter_by_pass_rate,
    levels_of,
    load,
    load_mixture,
    read_pass_rates,
)
from data.templates import TEMPLATES, Template, get_template

__all__ = [
    "SOURCES",
    "TEMPLATES",
    "DataError",
    "HubError",
    "Template",
    "check_levels",
    "filter_by_pass_rate",
    "get_template",
    "levels_of",
    "load",
    "load_mixture",
    "normalize_question",
    "overlap",
    "read_pass_rates",
]
