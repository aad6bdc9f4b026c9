"""The exact fast path: plain numbers compared as rationals, without sympy.

Most GSM8K-style answers are plain numbers, and the same gold appears G times in a GRPO batch: deciding
them here is exact (``Fraction``, never floats) and thousands of times faster than a symbolic check.
Anything that is not unambiguously a plain number returns None and goes to math-verify.
"""

from __future__ import annotations

import re
from fractions import Fraction

from rewards.normalize import EMPTY_TEXT, LATEX_SPACING, strip_delimiters, strip_units

_NOISE = re.compile(r"\\(?:left|right)\b|\\\$|\$|€|£|¥|\s*(?:percent|pct)\.?$", re.IGNORECASE)
_NUMBER = re.compile(r"^([+-]?)(\d+(?:,\d{3})*|\d{1,3}(?: \d{3})+)?(\.\d*)?$")
_FRACTION = re.compile(
    r"^([+-]?)\\[dtc]?frac\{([^{}]+)\}\{([^{}]+)\}$|^([+-]?)\(?([^/()]+)\)?/\(?([^/()]+)\)?$"
)


def _decimal(text: str) -> Fraction | None:
    match = _NUMBER.match(text)
    if not match or (match.group(2) is None and not match.group(3)) or match.group(3) == ".":
        return None
    sign, whole, frac = match.groups()
    digits = (whole or "0").replace(",", "").replace(" ", "") + (frac or "")
    value = Fraction(digits)
    return -value if sign == "-" else value


_SCALE_WORDS = {
    "dozen": 12,
    "hundred": 100,
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
}
_SCALED = re.compile(r"^(.*\d)\s+(dozen|hundred|thousand|million|billion|trillion)$", re.IGNORECASE)


def parse_plain_number(text: str) -> Fraction | None:
    """The exact value of a plain-number answer, or None when it is anything else.

    Handles thousands separators, currency and percent signs, trailing units, ``.00``, leading zeros,
    missing leading zeros, and simple fractions.

    >>> parse_plain_number("$1,000.00")
    Fraction(1000, 1)
    >>> parse_plain_number("025")
    Fraction(25, 1)
    >>> parse_plain_number("\\\\frac{3}{4}") == parse_plain_number("0.75")
    True
    >>> parse_plain_number("18 dollars")
    Fraction(18, 1)
    >>> parse_plain_number("x + 1") is None
    True
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    s = strip_delimiters(text.strip().rstrip(".").strip())
    s = re.sub(r",\\[!,]\s*(?=\d{3}(?!\d))", ",", s)  # "11,\! 111,\! 100" (but "32, 349" is a list)
    s = LATEX_SPACING.sub("", EMPTY_TEXT.sub("", s))
    s = _NOISE.sub("", s).strip()
    scaled = _SCALED.match(s)
    if scaled:  # "2 million"
        value = parse_plain_number(scaled.group(1))
        return None if value is None else value * _SCALE_WORDS[scaled.group(2).lower()]
    s = strip_units(s)
    if s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1].strip()
    value = _decimal(s)
    if value is not None:
        return value
    match = _FRACTION.match(s)
    if match:
        sign = match.group(1) or match.group(4) or ""
        numerator, denominator = (match.group(2), match.group(3)) if match.group(2) else match.group(5, 6)
        num, den = _decimal(numerator.strip()), _decimal(denominator.strip())
        if num is not None and den:
            value = num / den
            return -value if sign == "-" else value
    return None
