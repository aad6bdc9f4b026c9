"""The fast symbolic path: answers evaluated as numbers, without sympy.

Most answers in a GRPO batch are small LaTeX expressions (``\\frac{3}{4}``, ``2\\sqrt{5}``, ``1-12i``,
``(3, \\frac{\\pi}{2})``, ``x^2+1``), and parsing each one through latex2sympy's grammar is what makes a
cold batch slow. This module reads that subset (numbers, ``+ - * / ^``, ``\\frac``, ``\\sqrt``, ``\\pi``,
``i``, ``\\infty``, ``\\pm``, trigonometric functions, ``\\ln``, implicit products, single-letter
variables; tuples, intervals, unions, sets, lists and numbers in other bases) and decides a
(gold, answer) pair when its values settle it:

- constants (no variables): equal values are equivalent, different values are not. Rational arithmetic
  is exact (``Fraction``: 3^{40} and 3^{40}+1 differ), and a power too large to compute is still decided
  when its base settles it (``1^{2^{235423523}}`` is 1; ``9^{9^{9^9}}`` is an integer of more than
  ``MAX_EXACT_BITS`` bits, so no number written in a gold). Decimals follow the plain-number rule: a
  decimal answer of at least 6 places equals the gold rounded or truncated there, a shorter one (0.866 for
  sqrt(3)/2) does not;
- expressions with variables: different values at a test point mean different answers; equal values
  are left to math-verify (the evaluator never *accepts* a non-constant answer);
- a constant against an expression with variables, or against an equation, is different;
- tuples, intervals and unions compare element by element and bracket by bracket; sets and comma lists
  as sets; a mixed number or a number in another base is different from a value equal to none of its
  readings.

Anything else (matrices, ``e``, ``\\log``, words) gives None and goes to math-verify. The evaluator is
deliberately small: what it can't read it refuses, so a gap costs speed, never a verdict.
"""

from __future__ import annotations

import cmath
import math
import re
from fractions import Fraction

from rewards.normalize import (
    EMPTY_TEXT,
    LATEX_SPACING,
    PROSE_WORD,
    strip_assignment,
    strip_delimiters,
    strip_units,
)

EQUIVALENT, DIFFERENT = "equivalent", "different"

_TOKEN = re.compile(r"\s*(\d+\.?\d*|\.\d+|\\[a-zA-Z]+|\\[{}]|[a-zA-Z]|[-+*/^(){}\[\],_!])")
_IGNORED = {"\\left", "\\right", "\\displaystyle", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\big", "\\Big"}
_FRACTIONS = {"\\frac", "\\dfrac", "\\tfrac", "\\cfrac"}
_TIMES = {"\\cdot", "\\times"}
_OPERATORS = {"+", "-", "*", "/", "\\div", *_TIMES}
_FUNCTIONS = {
    "\\sin": cmath.sin,
    "\\cos": cmath.cos,
    "\\tan": cmath.tan,
    "\\cot": lambda z: 1 / cmath.tan(z),
    "\\sec": lambda z: 1 / cmath.cos(z),
    "\\csc": lambda z: 1 / cmath.sin(z),
    "\\ln": cmath.log,
    "\\exp": cmath.exp,
}
_STARTS_ATOM = {"(", "{", "\\pi", "\\sqrt", "\\infty", *_FRACTIONS, *_FUNCTIONS}
_MAX_EXPONENT = 64.0  # for powers computed in floating point (complex or irrational values)
# Exact values are kept below this many bits; a larger integer power is a _Huge, decided by its base alone.
MAX_EXACT_BITS = 10_000
_RELATIVE_TOLERANCE = 1e-9
# Points at which expressions with variables are compared: irrational-ish, positive (no domain trouble
# for square roots and logarithms), distinct per variable.
_POINTS = ((0.7318524, 1.2913071, 0.4471389, 1.8720357), (1.6180339, 0.5772157, 2.2360679, 0.3183099))
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_BASED = re.compile(r"^([0-9A-Fa-f]+)_\{?(\d+)\}?$")


class _Refused(Exception):
    """The text is outside the subset this evaluator reads."""


class _Huge:
    """An exact integer too large to compute (more than ``MAX_EXACT_BITS`` bits): its sign and parity are
    all that is kept, which is enough to raise 1, 0 or -1 to it. Any other arithmetic on it is refused."""

    def __init__(self, negative: bool, odd: bool):
        self.negative, self.odd = negative, odd

    def __neg__(self) -> _Huge:
        return _Huge(not self.negative, self.odd)


def _bounded(value: Fraction | complex) -> Fraction | complex:
    """The value, unless it is an exact number too large to keep (then the evaluator refuses)."""
    if (
        isinstance(value, Fraction)
        and max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_EXACT_BITS
    ):
        raise _Refused
    return value


def _factorial(value: Fraction | complex | _Huge) -> Fraction | _Huge:
    """``n!`` of a natural number: exact while it is small, else a _Huge (even: n >= 2)."""
    if not isinstance(value, Fraction) or value.denominator != 1 or value < 0:
        raise _Refused
    n = int(value)
    if n > 1200:  # 1200! has about 10,550 bits
        return _Huge(negative=False, odd=False)
    return _bounded(Fraction(math.factorial(n)))


def _power(
    base: Fraction | complex | _Huge, exponent: Fraction | complex | _Huge
) -> Fraction | complex | _Huge:
    """``base ^ exponent``: exact for rational bases and integer exponents, decided by the base alone for a
    huge exponent (1, 0 and -1 to any power; an integer of 2 or more to a huge power is huge), in floating
    point otherwise; refused where readers disagree (0^0, fractional powers of negative numbers)."""
    if isinstance(exponent, _Huge) or isinstance(base, _Huge):
        return _huge_power(base, exponent)
    if isinstance(exponent, Fraction) and exponent.denominator == 1 and isinstance(base, Fraction):
        n = int(exponent)
        if base == 0:
            if n <= 0:
                raise _Refused  # 0^0 and 0^-n have no value
            return Fraction(0)
        if base in (1, -1):
            return base**n
        bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if abs(n) * (bits - 1) > MAX_EXACT_BITS:  # more than MAX_EXACT_BITS bits for sure
            if base.denominator == 1 and n > 0:
                return _Huge(negative=base < 0 and n % 2 == 1, odd=base.numerator % 2 == 1)
            raise _Refused
        return _bounded(base**n)
    exponent, base = complex(exponent), complex(base)
    if abs(exponent) > _MAX_EXPONENT:
        raise _Refused
    if exponent.imag == 0 and exponent.real == int(exponent.real) and base != 0:
        return base ** int(exponent.real)
    if base.imag == 0 and base.real > 0:
        return base**exponent
    raise _Refused  # a fractional power of a negative or complex number: branch conventions differ


def _huge_power(base: Fraction | complex | _Huge, exponent: Fraction | complex | _Huge) -> Fraction | _Huge:
    if isinstance(base, _Huge):
        if isinstance(exponent, Fraction) and exponent.denominator == 1 and exponent > 0:
            return _Huge(negative=base.negative and exponent % 2 == 1, odd=base.odd)
        raise _Refused
    if not isinstance(base, Fraction):
        raise _Refused
    if base == 1:
        return Fraction(1)
    if base == -1:
        return Fraction(-1 if exponent.odd else 1)
    if exponent.negative:
        raise _Refused  # 0 to a negative power has no value; 2^-huge is a tiny fraction
    if base == 0:
        return Fraction(0)
    if base.denominator == 1:
        return _Huge(negative=base < 0 and exponent.odd, odd=base.numerator % 2 == 1)
    raise _Refused


_ERRORS = (_Refused, ZeroDivisionError, OverflowError, ValueError, RecursionError, IndexError, TypeError)


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            if text[position:].strip() == "":
                break
            raise _Refused
        token = match.group(1)
        position = match.end()
        if token not in _IGNORED:
            tokens.append(token)
    if "_" in tokens:
        raise _Refused  # subscripts: a base, an index, a name; never a value this module reads
    return tokens


def _is_letter(token: str | None) -> bool:
    return token is not None and len(token) == 1 and token.isalpha()


class _Parser:
    """expr := term (('+'|'-') term)*;  term := factor (('*'|'/'|implicit) factor)*;
    factor := ('-'|'+') factor | power;  power := atom ('^' factor)?

    ``mixed``: how "2\\frac{1}{3}" reads; None refuses it (a mixed number to some, a product to others).
    """

    def __init__(self, tokens: list[str], env: dict[str, complex], mixed: str | None = None):
        self.tokens, self.i, self.env, self.mixed = tokens, 0, env, mixed

    def peek(self, ahead: int = 0) -> str | None:
        index = self.i + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Refused
        self.i += 1
        return token

    def expr(self) -> complex:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def _implicit_next(self) -> bool:
        token = self.peek()
        return token is not None and (token in _STARTS_ATOM or _is_letter(token))

    def term(self) -> complex:
        value = self.factor()
        while True:
            token = self.peek()
            if token in ("*", "/", "\\div") or token in _TIMES:
                self.take()
                right = self.factor()
                if token in ("/", "\\div") and self._implicit_next():
                    raise _Refused  # "1/2x": half of x, or one over 2x? Readers disagree.
                value = _bounded(value / right if token in ("/", "\\div") else value * right)
            elif self._implicit_next():
                if token in _FRACTIONS and self.tokens[self.i - 1][0].isdigit():
                    if self.mixed is None:
                        raise _Refused
                    right = self.factor()
                    value = value + right if self.mixed == "sum" else value * right
                    continue
                value *= self.factor()
            elif token is not None and token[0].isdigit():
                raise _Refused  # "2 3": two numbers side by side are no product anyone writes
            else:
                return value

    def factor(self) -> complex:
        token = self.peek()
        if token in ("-", "+"):
            self.take()
            value = self.factor()
            return -value if token == "-" else value
        return self.power()

    def power(self) -> complex:
        base = self.atom()
        if self.peek() == "!":
            self.take()
            base = _factorial(base)
        if self.peek() != "^":
            return base
        self.take()
        return _power(base, self.factor())

    def atom(self) -> complex:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            return Fraction(token)
        if token in ("(", "{"):
            value = self.expr()
            self.take(")" if token == "(" else "}")
            return value
        if token == "\\pi":
            return complex(math.pi)
        if token == "i":
            return 1j
        if token == "\\infty":
            return complex(math.inf)
        if _is_letter(token):
            if token == "e" or token not in self.env:
                raise _Refused  # Euler's number or a variable? Left to math-verify.
            return self.env[token]
        if token in _FRACTIONS:
            numerator, denominator = self.group(), self.group()
            return numerator / denominator
        if token == "\\sqrt":
            index = complex(2)
            if self.peek() == "[":
                self.take()
                index = self.expr()
                self.take("]")
            radicand = self.group()
            if radicand.imag != 0 or radicand.real < 0 or index.imag != 0 or index.real <= 0:
                raise _Refused
            return complex(float(radicand.real) ** (1 / float(index.real)))
        if token in _FUNCTIONS:
            return _FUNCTIONS[token](complex(self._argument()))
        raise _Refused

    def _argument(self) -> complex:
        """A function's argument: "(x + 1)", "{2x}", or one symbol ("\\cot x"); "\\sin^2 x" and
        "\\sin 2x" (sin(2x) by convention, sin(2)*x by grammar) are refused."""
        token = self.peek()
        if token == "(":
            self.take()
            value = self.expr()
            self.take(")")
            return value
        if token == "{":
            return self.group()
        if token is not None and (_is_letter(token) or token[0].isdigit() or token == "\\pi"):
            value = self.atom()
            if self._implicit_next() or self.peek() == "^":
                raise _Refused
            return value
        raise _Refused

    def group(self) -> complex:
        if self.peek() == "{":
            self.take()
            value = self.expr()
            self.take("}")
            return value
        token = self.take()  # \frac12, \sqrt3, \frac xy: a single character is its own group
        if token[0].isdigit():
            if len(token) > 1 and "." not in token:
                self.tokens.insert(self.i, token[1:])
                token = token[0]
            return Fraction(token)
        if _is_letter(token) or token == "\\pi":
            self.i -= 1
            return self.atom()
        raise _Refused


_TIMES_SIGN = re.compile(r"(?<=\d)\s+[x×]\s+(?=\d)")  # "16 x 12": a times sign between numbers, in prose
# Operators written as words or as Unicode signs ("47 plus 59", "3 × 47", "84 ÷ 4", "−5").
_WORD_OPERATORS = re.compile(
    r"(?<=\d)\s+(plus|minus|times|multiplied\s+by|divided\s+by)\s+(?=\d)|[×÷·−]", re.IGNORECASE
)
_OPERATOR_SPELLINGS = {
    "plus": "+",
    "minus": "-",
    "times": " \\cdot ",
    "×": " \\times ",
    "·": " \\cdot ",
    "÷": " \\div ",
    "−": "-",
}


def _spelled_operator(match: re.Match) -> str:
    word = re.sub(r"\s+", " ", match.group(0).strip().lower())
    return _OPERATOR_SPELLINGS.get(word, " \\div " if word.startswith("divided") else " \\cdot ")


def _clean(text: str) -> str:
    text = _WORD_OPERATORS.sub(_spelled_operator, text)
    text = _TIMES_SIGN.sub(r" \\cdot ", text)
    text = strip_units(strip_delimiters(text).rstrip(".").strip())
    text = LATEX_SPACING.sub("", EMPTY_TEXT.sub("", text)).replace("\\$", "").replace("$", "").strip()
    if _THOUSANDS.fullmatch(text):
        return text.replace(",", "")  # "58,500" is one number
    if PROSE_WORD.search(text):
        raise _Refused  # "1 and -2": words, not a product of a, n and d
    return text


def _variables_in(tokens: list[str]) -> list[str]:
    return sorted({t for t in tokens if _is_letter(t) and t not in ("i", "e")})


def _value(
    tokens: list[str], env: dict[str, complex], mixed: str | None = None, huge: bool = False
) -> Fraction | complex | _Huge:
    """The value of an expression: exact (a Fraction) while it is rational, else complex; a _Huge only
    where the caller can compare one (``huge``)."""
    parser = _Parser(list(tokens), env, mixed)
    value = parser.expr()
    if parser.peek() is not None or (isinstance(value, _Huge) and not huge):
        raise _Refused
    if isinstance(value, complex) and cmath.isnan(value):
        raise _Refused
    return value


def _readings(tokens: list[str]) -> list[Fraction | complex | _Huge]:
    """The values a constant may mean: one, or two for a mixed number ("2\\frac{1}{3}")."""
    try:
        return [_value(tokens, {}, huge=True)]
    except _Refused:
        if not any(t in _FRACTIONS for t in tokens):
            raise
    return [_value(tokens, {}, "sum"), _value(tokens, {}, "product")]


def _split_top_level(tokens: list[str], separator: str = ",") -> list[list[str]]:
    parts, depth, current = [], 0, []
    for token in tokens:
        if token in ("(", "{", "[", "\\{"):
            depth += 1
        elif token in (")", "}", "]", "\\}"):
            depth -= 1
        if token == separator and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return parts


def _balanced(tokens: list[str]) -> bool:
    depth = 0
    for token in tokens:
        depth += token in ("(", "{", "[", "\\{")
        depth -= token in (")", "}", "]", "\\}")
        if depth < 0:
            return False
    return depth == 0


def _bracketed(tokens: list[str]) -> tuple[str, list[list[str]]] | None:
    """A tuple or interval: ("()" / "[)" / ..., its elements), or None."""
    if len(tokens) > 2 and tokens[0] in ("(", "[") and tokens[-1] in (")", "]") and _balanced(tokens[1:-1]):
        parts = _split_top_level(tokens[1:-1])
        if len(parts) > 1:
            return tokens[0] + tokens[-1], parts
    return None


def _structure(text: str) -> tuple[str, list]:
    """(kind, parts): ``value`` [tokens], ``based`` [digits, base], ``set`` / ``list`` [element tokens],
    a bracket pair such as ``()`` or ``[)`` [element tokens], ``union`` [(bracket pair, elements)], or
    ``equation`` []."""
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > 200:
        raise _Refused
    based = _BASED.match(cleaned)
    if based:
        return "based", [based.group(1), int(based.group(2))]
    if "=" in cleaned:
        if "<" in cleaned or ">" in cleaned or cleaned.count("=") != 1:
            raise _Refused
        sides = cleaned.split("=")
        for side in sides:
            _tokens(side)  # both sides must at least read
        return "equation", []
    tokens = _tokens(cleaned)
    if not tokens:
        raise _Refused
    if tokens[0] == "\\{" and tokens[-1] == "\\}":
        return "set", _split_top_level(tokens[1:-1])
    unions = _split_top_level(tokens, "\\cup")
    if len(unions) > 1:
        intervals = [_bracketed(part) for part in unions]
        if any(interval is None or len(interval[1]) != 2 for interval in intervals):
            raise _Refused
        return "union", intervals
    bracketed = _bracketed(tokens)
    if bracketed is not None:
        return bracketed
    parts = _split_top_level(tokens)
    if len(parts) > 1:
        return "list", parts
    if tokens.count("\\pm") == 1 and tokens[0] != "\\pm":
        at = tokens.index("\\pm")
        return "list", [tokens[:at] + ["+"] + tokens[at + 1 :], tokens[:at] + ["-"] + tokens[at + 1 :]]
    if any(t in ("\\{", "\\}", "[", "]", ",", "\\pm", "\\mp", "\\cup") for t in tokens):
        raise _Refused
    return "value", [tokens]


def _decimal_places(tokens: list[str]) -> int | None:
    """Decimal places of an answer that is one plain decimal (possibly negative), else None."""
    body = tokens[1:] if tokens[:1] == ["-"] else tokens
    if len(body) == 1 and "." in body[0] and body[0].replace(".", "").isdigit():
        return len(body[0].split(".")[1])
    return None


def _close(
    a: Fraction | complex | _Huge, b: Fraction | complex | _Huge, tolerance: float = _RELATIVE_TOLERANCE
) -> bool:
    """Equal values: exactly for rationals, within ``tolerance`` for values computed in floating point."""
    if isinstance(a, _Huge) or isinstance(b, _Huge):
        if isinstance(a, _Huge) and isinstance(b, _Huge):
            raise _Refused  # two huge integers: only their sign and parity are known
        return False  # every other value held here has fewer than MAX_EXACT_BITS bits
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    a, b = complex(a), complex(b)
    if cmath.isinf(a) or cmath.isinf(b):
        return a == b
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def _constant_verdict(gold: list[str], answer: list[str]) -> str:
    golds, answers = _readings(gold), _readings(answer)
    if len(golds) == len(answers) == 1:
        a, b = golds[0], answers[0]
        if _close(a, b):
            return EQUIVALENT
        if isinstance(a, _Huge) or isinstance(b, _Huge):
            return DIFFERENT
        places = _decimal_places(answer)
        if (
            places is not None
            and _decimal_places(gold) is None
            and not (isinstance(a, complex) and cmath.isinf(a))
        ):
            # 0.8660254038 for sqrt(3)/2: right when it is the gold rounded or truncated to its places
            return EQUIVALENT if places >= 6 and abs(a - b) < 10.0 ** (-places) else DIFFERENT
        return DIFFERENT
    if any(_close(a, b) for a in golds for b in answers):
        raise _Refused  # a mixed number that equals the other under one reading: math-verify's call
    return DIFFERENT


def _element_verdict(gold: list[str], answer: list[str]) -> str | None:
    gold_names, answer_names = _variables_in(gold), _variables_in(answer)
    names = sorted(set(gold_names) | set(answer_names))
    if len(names) > len(_POINTS[0]):
        return None
    if not names:
        return _constant_verdict(gold, answer)
    envs = [{name: complex(value) for name, value in zip(names, point, strict=False)} for point in _POINTS]
    if bool(gold_names) != bool(answer_names):
        for env in envs:  # both must read before a constant and an expression in x are called different
            _value(gold, env), _value(answer, env)
        return DIFFERENT
    if gold_names != answer_names:
        return None  # x against t: a renamed variable is math-verify's call
    for env in envs:
        if not _close(_value(gold, env), _value(answer, env), 1e-6):
            return DIFFERENT
    return None  # equal at every point: very likely equivalent, but only math-verify may say so


def _based_verdict(based: list, other_kind: str, other_parts: list) -> str | None:
    """A number in another base ("40_9") against a value: different when the value equals neither its
    decimal value (36) nor its digits read in base 10 (40, as math-verify reads it)."""
    digits, base = based
    if other_kind == "based":
        return EQUIVALENT if [digits.upper(), base] == [other_parts[0].upper(), other_parts[1]] else None
    if other_kind != "value" or _variables_in(other_parts[0]) or base < 2 or base > 36:
        return None
    try:
        readings = [int(digits, base), int(digits)]
    except ValueError:
        return None
    values = _readings(other_parts[0])
    return None if any(_close(complex(r), v) for r in readings for v in values) else DIFFERENT


def numeric_verdict(gold: str, answer: str) -> str | None:
    """EQUIVALENT or DIFFERENT when the values decide the pair, None when math-verify must.

    >>> numeric_verdict(r"2\\sqrt{2}", r"\\sqrt{8}"), numeric_verdict(r"\\frac{1}{2}", r"\\frac{\\sqrt{3}}{2}")
    ('equivalent', 'different')
    >>> numeric_verdict(r"\\left( 3, \\frac{\\pi}{2} \\right)", r"(3,\\pi/2)"), numeric_verdict("[-2, 7]", "(-2, 7)")
    ('equivalent', 'different')
    >>> numeric_verdict("x^3+3x-6", "4005"), numeric_verdict("x^2+2x+1", "(x+1)^2"), numeric_verdict(r"\\frac{\\sqrt{3}}{2}", "0.866")
    ('different', None, 'different')
    >>> numeric_verdict(r"\\{1, 2, 3\\}", r"\\{3, 2, 1\\}"), numeric_verdict("1-12i", "1 - 12 i"), numeric_verdict("e", "2.718281828")
    ('equivalent', 'equivalent', None)
    >>> numeric_verdict("64", r"1\\frac{4}{5}"), numeric_verdict("16", "52_8"), numeric_verdict("16", r"3 \\pm 2\\sqrt{2}")
    ('different', 'different', 'different')
    """
    if not isinstance(gold, str) or not isinstance(answer, str):
        return None
    if "=" in answer and "=" not in gold:
        answer = strip_assignment(answer)
    if "=" in gold and strip_assignment(gold) != gold:
        return None  # "x = 5" against "5": whether the name is part of the answer is math-verify's call
    try:
        gold_kind, gold_parts = _structure(gold)
        answer_kind, answer_parts = _structure(answer)
        return _verdict(gold_kind, gold_parts, answer_kind, answer_parts)
    except _ERRORS:
        return None


def _verdict(gold_kind: str, gold_parts: list, answer_kind: str, answer_parts: list) -> str | None:
    if "equation" in (gold_kind, answer_kind):
        return None  # "\\frac{NO}{BO} = \\frac{1}{\\sqrt{6}}" states its right-hand side to math-verify
    if gold_kind == "based" or answer_kind == "based":
        if gold_kind == "based":
            return _based_verdict(gold_parts, answer_kind, answer_parts)
        return _based_verdict(answer_parts, gold_kind, gold_parts)
    if gold_kind == "union" or answer_kind == "union":
        return _union_verdict(gold_kind, gold_parts, answer_kind, answer_parts)
    if gold_kind in ("set", "list") and answer_kind in ("set", "list", "value"):
        return _set_verdict(gold_parts, answer_parts)
    if gold_kind == "value" and answer_kind in ("set", "list"):
        if _variables_in(gold_parts[0]) or any(_variables_in(p) for p in answer_parts):
            return None
        values = [v for p in answer_parts for v in _readings(p)]
        distinct = [v for i, v in enumerate(values) if not any(_close(v, w) for w in values[:i])]
        _readings(gold_parts[0])
        return DIFFERENT if len(distinct) > 1 else None
    if gold_kind != answer_kind:
        if gold_kind == "value" or answer_kind == "value":
            value_parts = gold_parts if gold_kind == "value" else answer_parts
            if not _variables_in(value_parts[0]):
                _readings(value_parts[0])
                return DIFFERENT  # a number is not a tuple
            return None
        if len(gold_parts) == len(answer_parts):
            return DIFFERENT  # (-2, 7) is not [-2, 7]
        return None
    if len(gold_parts) != len(answer_parts):
        return DIFFERENT
    verdicts = [_element_verdict(g, a) for g, a in zip(gold_parts, answer_parts, strict=True)]
    if DIFFERENT in verdicts:
        return DIFFERENT
    return EQUIVALENT if all(v == EQUIVALENT for v in verdicts) else None


def _union_verdict(gold_kind: str, gold_parts: list, answer_kind: str, answer_parts: list) -> str | None:
    if gold_kind != answer_kind:
        other_kind, other_parts = (
            (answer_kind, answer_parts) if gold_kind == "union" else (gold_kind, gold_parts)
        )
        if other_kind == "value" and not _variables_in(other_parts[0]):
            _readings(other_parts[0])
            return DIFFERENT  # a number is not a union of intervals
        return None
    if len(gold_parts) != len(answer_parts):
        return None  # (0, 2) U (2, 4) may be written in more or fewer pieces: math-verify's call

    def key(interval: tuple[str, list]) -> tuple:
        brackets, (low, high) = interval
        if _variables_in(low) or _variables_in(high):
            raise _Refused
        return brackets, _value(low, {}), _value(high, {})

    gold_keys = sorted((key(i) for i in gold_parts), key=lambda k: (k[1].real, k[2].real))
    answer_keys = sorted((key(i) for i in answer_parts), key=lambda k: (k[1].real, k[2].real))
    same = all(
        g[0] == a[0] and _close(g[1], a[1]) and _close(g[2], a[2])
        for g, a in zip(gold_keys, answer_keys, strict=True)
    )
    return EQUIVALENT if same else DIFFERENT


def _set_verdict(gold_parts: list[list[str]], answer_parts: list[list[str]]) -> str | None:
    """Sets and comma lists: each element of one must equal an element of the other (duplicates and
    order don't matter, as math-verify compares them)."""
    if any(_variables_in(p) for p in gold_parts + answer_parts):
        return None
    if any(_decimal_places(p) is not None for p in answer_parts):
        return None  # rounding rules per element: math-verify's call
    gold_values = [_value(p, {}) for p in gold_parts]
    answer_values = [_value(p, {}) for p in answer_parts]
    covered = all(any(_close(a, g) for g in gold_values) for a in answer_values) and all(
        any(_close(g, a) for a in answer_values) for g in gold_values
    )
    return EQUIVALENT if covered else DIFFERENT


def constant_value(text: str) -> float | None:
    """The real value of a constant LaTeX expression, or None when it is anything else.

    >>> round(constant_value(r"2\\sqrt{2}"), 6), round(constant_value(r"\\frac{\\pi}{2}"), 6)
    (2.828427, 1.570796)
    >>> constant_value(r"x + 1") is None, constant_value(r"(1, 2)") is None, constant_value(r"2\\frac{1}{3}") is None
    (True, True, True)
    """
    try:
        kind, parts = _structure(text)
        if kind != "value" or _variables_in(parts[0]):
            return None
        value = complex(_value(parts[0], {}))
    except _ERRORS:
        return None
    return value.real if value.imag == 0 and math.isfinite(value.real) else None


# Exact forms that are written with an operator but have nothing left to do: scientific notation
# (1.5 \times 10^{3}) and a fraction of two numbers (3/4, as \frac{3}{4} is).
_SCIENTIFIC = re.compile(
    r"[-+]?\d+(?:\.\d+)?\s*(?:\\times|\\cdot|\*)\s*10\s*\^\s*(?:\{\s*[-+]?\d+\s*\}|[-+]?\d)"
)
_SLASH_FRACTION = re.compile(r"[-+]?\d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?")
_AFTER_OPERAND = re.compile(r"[\d.]+|[)}\]!]|\\pi|\\infty|[a-zA-Z]")


def has_arithmetic_to_do(text: str) -> bool:
    """Whether a constant answer still has an operation to carry out: numbers joined by + - x / (47 + 59,
    3 \\times 47, \\frac{47+59}{2}, "10 - 4 ="). Its final value is the last side of an equation
    ("12 * 3 = 36" has none left). Fractions, roots, powers, pi, signs and scientific notation are exact
    forms, not operations left undone.

    >>> [has_arithmetic_to_do(t) for t in ["47 + 59", r"3 \\times 47", r"\\frac{47+59}{2}", "47 + 59 =", "84 ÷ 4"]]
    [True, True, True, True, True]
    >>> [has_arithmetic_to_do(t) for t in ["12 * 3 = 36", r"\\frac{3}{4}", "3/4", "-5", r"2\\sqrt{3}", "2^{10}", r"1.5 \\times 10^3", "x + 1", "1,000"]]
    [False, False, False, False, False, False, False, False, False]
    """
    if not isinstance(text, str):
        return False
    try:
        cleaned = _clean(text)
    except _Refused:
        return False
    final = cleaned.rsplit("=", 1)[-1].strip()
    if not final:
        return "=" in cleaned  # "47 + 59 =": the value was never written
    if _SCIENTIFIC.fullmatch(final) or _SLASH_FRACTION.fullmatch(final):
        return False
    try:
        tokens = _tokens(final)
    except _Refused:
        return False
    if _variables_in(tokens):
        return False  # an expression in x is no number; other rules tell it from the gold
    return any(
        token in _OPERATORS and i > 0 and _AFTER_OPERAND.fullmatch(tokens[i - 1]) is not None
        for i, token in enumerate(tokens)
    )


_TEXT_ONLY = re.compile(
    r"^\s*\\(?:text|textbf|mathrm)\{\s*\(?[A-Za-z][A-Za-z ]*\)?\s*\}\s*$|^\s*[A-Za-z]{3,}(?: [A-Za-z]+)*\s*$"
    r"|^\s*\(?[A-E]\)?\s*$"
)


def answer_shape(text: str) -> str | None:
    """A coarse kind: ``constant``, ``list`` (tuples, intervals, sets, several answers), ``text`` (a word
    or a multiple-choice letter), ``matrix``, or None when unsure.

    >>> [answer_shape(t) for t in [r"\\frac{1}{2}", "(1, 2)", r"\\text{east}", r"\\text{(C)}", r"\\begin{pmatrix}1\\\\2\\end{pmatrix}", "x+1"]]
    ['constant', 'list', 'text', 'text', 'matrix', None]
    """
    text = strip_delimiters(LATEX_SPACING.sub("", text))
    if _TEXT_ONLY.match(text):
        return "text"
    if "\\begin{" in text and "matrix}" in text:
        return "matrix"
    try:
        kind, _ = _structure(text)
    except _ERRORS:
        return None
    if kind in ("set", "list", "union", "()", "[]", "(]", "[)"):
        return "list"
    return "constant" if kind == "value" and constant_value(text) is not None else None
