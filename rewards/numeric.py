"""A quick numeric *rejection* test for constant LaTeX expressions, run before math-verify.

Most wrong answers in a GRPO batch are distinct constant expressions (``\\frac{3}{4}``, ``2\\sqrt{5}``,
``\\frac{\\pi}{6}``), and parsing each one through latex2sympy's grammar is what makes symbolic grading slow.
This module evaluates that small constant subset (numbers, ``+ - * /``, ``\\frac``, ``\\sqrt``, ``^``,
``\\pi``, parentheses, implicit products) to a float. When gold and answer both evaluate and their values
clearly differ, the answer is wrong, without sympy. It never *accepts* an answer: values that agree still
go to math-verify, so a bug here can cost speed or a missed match, never a false positive.
"""

from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"\s*(\d+\.?\d*|\.\d+|\\[a-zA-Z]+|[-+*/^(){}\[\]])")
_IGNORED = {"\\left", "\\right", "\\!", "\\,", "\\displaystyle"}
_FRACTIONS = {"\\frac", "\\dfrac", "\\tfrac", "\\cfrac"}
_TIMES = {"\\cdot", "\\times"}
_MAX_EXPONENT = 64.0


class _NotConstant(Exception):
    pass


def _tokens(text: str) -> list[str]:
    text = text.strip().strip("$").strip()
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            if text[position:].strip() == "":
                break
            raise _NotConstant
        token = match.group(1)
        position = match.end()
        if token not in _IGNORED:
            tokens.append(token)
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)*; term := power ((('*'|'/')|implicit) power)*; power := unary ('^' unary)?"""

    def __init__(self, tokens: list[str]):
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _NotConstant
        self.i += 1
        return token

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.power()
        while True:
            token = self.peek()
            if token in ("*", "/") or token in _TIMES:
                self.take()
                right = self.power()
                value = value / right if token == "/" else value * right
            elif token is not None and (token in ("(", "{", "\\pi", "\\sqrt") or token in _FRACTIONS):
                if token in _FRACTIONS and self.tokens[self.i - 1][0].isdigit():
                    raise _NotConstant  # "2\frac{1}{3}" is a mixed number to some, a product to others
                value *= self.power()
            else:
                return value

    def power(self) -> float:
        base = self.unary()
        if self.peek() == "^":
            self.take()
            exponent = self.unary()
            if abs(exponent) > _MAX_EXPONENT or (base < 0 and exponent != int(exponent)):
                raise _NotConstant
            return base**exponent
        return base

    def unary(self) -> float:
        token = self.peek()
        if token in ("-", "+"):
            self.take()
            value = self.unary()
            return -value if token == "-" else value
        return self.atom()

    def atom(self) -> float:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            return float(token)
        if token in ("(", "{"):
            value = self.expr()
            self.take(")" if token == "(" else "}")
            return value
        if token == "\\pi":
            return math.pi
        if token in _FRACTIONS:
            numerator, denominator = self.group(), self.group()
            return numerator / denominator
        if token == "\\sqrt":
            index = 2.0
            if self.peek() == "[":
                self.take()
                index = self.expr()
                self.take("]")
            radicand = self.group()
            if radicand < 0 or index <= 0:
                raise _NotConstant
            return radicand ** (1 / index)
        raise _NotConstant

    def group(self) -> float:
        if self.peek() == "{":
            self.take()
            value = self.expr()
            self.take("}")
            return value
        token = self.take()  # \frac12, \sqrt3: a single digit is its own group
        if token[0].isdigit():
            if len(token) > 1 and "." not in token:
                self.tokens.insert(self.i, token[1:])
                token = token[0]
            return float(token)
        raise _NotConstant


def constant_value(text: str) -> float | None:
    """The value of a constant LaTeX expression, or None when it is anything else.

    >>> round(constant_value(r"2\\sqrt{2}"), 6), round(constant_value(r"\\frac{\\pi}{2}"), 6)
    (2.828427, 1.570796)
    >>> constant_value(r"x + 1") is None, constant_value(r"(1, 2)") is None, constant_value(r"2\\frac{1}{3}") is None
    (True, True, True)
    """
    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        parser = _Parser(_tokens(text))
        value = parser.expr()
        if parser.peek() is not None:
            return None
        return value if math.isfinite(value) else None
    except (_NotConstant, ZeroDivisionError, OverflowError, ValueError, RecursionError):
        return None


def clearly_different(gold: str, answer: str) -> bool:
    """True when both are constant expressions whose values differ beyond rounding.

    >>> clearly_different(r"\\frac{1}{2}", r"\\frac{\\sqrt{3}}{2}"), clearly_different(r"2\\sqrt{2}", r"\\sqrt{8}")
    (True, False)
    """
    a, b = constant_value(gold), constant_value(answer)
    if a is None or b is None:
        return False
    return abs(a - b) > 1e-6 * max(1.0, abs(a), abs(b))


_TEXT_ONLY = re.compile(
    r"^\s*\\(?:text|textbf|mathrm)\{\s*[A-Za-z][A-Za-z ]*\}\s*$|^\s*[A-Za-z]{3,}(?: [A-Za-z]+)*\s*$"
)
_PROSE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}|[^\x00-\x7f]")
_ASSIGNMENT = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*([^=<>]+)$")


def _top_level_comma(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "{":
            depth += 1
        elif char in "}":
            depth -= 1
        elif char == "," and depth == 0:
            return True
    return False


def answer_shape(text: str) -> str | None:
    """A coarse kind: ``constant``, ``list`` (tuples, intervals, several answers), ``text`` (a word),
    ``matrix``, or None when unsure.

    >>> [answer_shape(t) for t in [r"\\frac{1}{2}", "(1, 2)", r"\\text{east}", r"\\begin{pmatrix}1\\\\2\\end{pmatrix}", "x+1"]]
    ['constant', 'list', 'text', 'matrix', None]
    """
    text = re.sub(r"\\[!,;]|\{,\}", "", text).strip().strip("$").strip()
    if _TEXT_ONLY.match(text):
        return "text"
    if "\\begin{" in text and "matrix}" in text:
        return "matrix"
    if _PROSE.search(text) or "$" in text:
        return None  # a sentence, not an isolated expression
    if _top_level_comma(text) and not re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", text):
        return "list"
    if constant_value(text) is not None:
        return "constant"
    return None


def strip_assignment(text: str) -> str:
    """``x = 5`` -> ``5``: the value a one-variable assignment states (for golds that are bare values).

    >>> strip_assignment("x = 5"), strip_assignment("y = -2x"), strip_assignment("5")
    ('5', '-2x', '5')
    """
    match = _ASSIGNMENT.match(text.strip().strip("$"))
    return match.group(1).strip() if match else text
