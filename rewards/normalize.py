"""Answer-text normalisation: the one place that knows which characters and LaTeX commands in an answer
are noise (spacing, math delimiters, text markup, units) and how math-verify must be fed.

Every other module of the grader (plain numbers, expressions, the verifier) normalises through here.
"""

from __future__ import annotations

import re

# Commands whose argument is text, not mathematics: "\text{Even}" says "Even".
TEXT_COMMANDS = ("text", "textbf", "textit", "textrm", "textnormal", "mathrm", "mathbf", "mbox")
_TEXT = "|".join(TEXT_COMMANDS)
TEXT_WRAPPER = re.compile(rf"\\(?:{_TEXT})\s*\{{([^{{}}]*)\}}")
EMPTY_TEXT = re.compile(rf"\\(?:{_TEXT})\s*\{{\s*\}}")
# Thin spaces and friends ("\,", "\!", "\ ") but not a row break "\\" followed by a space.
LATEX_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\{,\}")
_WHITESPACE = re.compile(r"\s+")
_DELIMITERS = re.compile(r"^\s*(?:\$+|\\\(|\\\[)\s*|\s*(?:\$+|\\\)|\\\])\s*$")
_FRACTION_STYLE = re.compile(r"\\[dtc]frac")
_SIZING = re.compile(r"\\(?:left|right|big|Big|bigl|bigr|Bigl|Bigr)\b|\\displaystyle")
# A word of three or more letters that is not a LaTeX command: prose, not a formula.
PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
# A trailing unit ("18 dollars", "5\text{ cm}", "4 km/h", "10 m²", "90^\circ"): the data sets this
# repository loads never put units in golds, and the number before the unit is the answer.
TRAILING_UNIT = re.compile(
    rf"(?:\s*\\(?:{_TEXT})\{{[^{{}}]*\}}(?:\^\{{?\d\}}?)?|\s+[A-Za-z]{{2,}}[A-Za-z./]*(?:\^\{{?\d\}}?|[²³])?"
    r"|\s*(?:m|cm|km|mm|kg|g)[²³]|\^\s*\{?\\circ\}?|°|\\%|%)+\s*$"
)
_ASSIGNMENT = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*([^=<>]+)$")
# math-verify reads "\mathrm{e}" as the end of the expression ("1 - \frac{2}{\mathrm{e}}" parses as 1):
# single-letter roman constants are rewritten to the plain letter, which it reads as Euler's e / i.
_ROMAN_LETTER = re.compile(r"\\(?:mathrm|rm|textrm|operatorname)\{\s*([a-zA-Z])\s*\}")


def strip_delimiters(text: str) -> str:
    """``$x$``, ``\\(x\\)``, ``\\[x\\]`` -> ``x`` (twice, for ``$$x$$`` inside a box).

    >>> strip_delimiters("$\\\\frac{1}{2}$"), strip_delimiters("\\\\[ 5 \\\\]")
    ('\\\\frac{1}{2}', '5')
    """
    for _ in range(2):
        text = _DELIMITERS.sub("", text)
    return text.strip()


def canonical_text(text: str) -> str:
    """The answer as text with every notational difference that can't change its meaning removed:
    delimiters, spacing, sizing commands, fraction styles, text markup. Identical canonical texts are
    equivalent by definition.

    >>> canonical_text("$\\\\dfrac 34$") == canonical_text("\\\\frac34")
    True
    >>> canonical_text("\\\\text{Even}") == canonical_text("even"), canonical_text("X") == canonical_text("x")
    (True, False)
    """
    text = strip_delimiters(text)
    text = TEXT_WRAPPER.sub(r"\1", text)
    text = _SIZING.sub("", text)
    text = _FRACTION_STYLE.sub(r"\\frac", text)
    text = LATEX_SPACING.sub("", text)
    text = _WHITESPACE.sub("", text)
    return (
        text.casefold() if text.isalpha() and len(text) > 1 else text
    )  # "\text{Even}" == "even"; "X" != "x"


def strip_assignment(text: str) -> str:
    """``x = 5`` -> ``5``: the value a one-variable assignment states (for golds that are bare values).

    >>> strip_assignment("x = 5"), strip_assignment("y = -2x"), strip_assignment("5")
    ('5', '-2x', '5')
    """
    match = _ASSIGNMENT.match(strip_delimiters(text))
    return match.group(1).strip() if match else text


def strip_units(text: str) -> str:
    """A trailing unit, degree sign or percent sign removed.

    >>> strip_units("864 \\\\mbox{ inches}^2"), strip_units("90^\\\\circ"), strip_units("18 dollars")
    ('864', '90', '18')
    """
    return TRAILING_UNIT.sub("", text).strip()


def normalize_latex(text: str) -> str:
    """Rewrites that stop math-verify from misreading an expression (applied to gold and answer)."""
    return _ROMAN_LETTER.sub(r"\1", text)


def wrap_gold(gold: str) -> str:
    """Put a bare LaTeX gold inside ``$...$`` so math-verify reads the whole of it.

    Unwrapped, math-verify picks one number out of the text: ``[-2, 7]`` parses as 7 and ``2\\sqrt{2}``
    as 2.

    >>> wrap_gold("[-2, 7]")
    '$[-2, 7]$'
    >>> wrap_gold("$x$")
    '$x$'
    """
    gold = gold.strip()
    if "$" in gold or "\\boxed" in gold or "\\[" in gold or "\\(" in gold:
        return gold
    return f"${gold}$"


def wrap_answer(answer: str) -> str:
    """An answer span as math-verify should read it: already delimited text and plain prose as they are
    (math-verify finds the expression in them), a bare expression ("\\frac{1}{2}", "f(y) = y") wrapped.

    >>> wrap_answer("\\\\frac{1}{2}"), wrap_answer("Jane started 3 hours ago")
    ('$\\\\frac{1}{2}$', 'Jane started 3 hours ago')
    """
    if "$" in answer or "\\[" in answer or "\\(" in answer or "\\boxed" in answer:
        return answer
    if PROSE_WORD.search(answer) and "\\" not in answer:
        return answer
    return f"${answer}$"
