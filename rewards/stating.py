"""What it takes to *state* a value: the rules that keep a policy from being paid for anything less.

A grader that pays a value found near the answer marker can be gamed: "The answer is not 5", "at least 5",
"5 or 6", "5 \\approx 6" and "47 + 59" all contain the gold. The rules here say when a statement found by
extraction (rewards/extract.py) states a value, and are applied in every extraction mode:

- **Negated or bounded** (``qualifier``, ``span_qualifier``; used by extraction, gold-independent): a
  value negated ("not 5", "isn't 5", "\\boxed{5} is not ...") or bounded ("at least", "less than", "up to",
  "nearly", "5 or more", "5+", "between 5 and 6", "\\geq \\boxed{5}") is no statement of it: the
  statement is refused. Only words right next to the value count, with fillers such as "equal to"
  between ("not equal to 5"): "we can't use 12 liters" states 12. An approximated value ("about 5",
  "approximately \\boxed{5}", "5 or so") is read as the relation ``\\approx 5``, which the rule below
  refuses; an exact statement of the same value elsewhere in the completion still counts.
- **Hedged** (``hedged``): several candidates joined by "or" / "either" / "to" ("five or 6",
  ``5 \\text{ (or 6)}``, "5 to 6") are no one answer, unless the gold itself lists several ("3, 5").
- **Related** (``related``): an answer with a relation (≈ ≠ < > ≤ ≥ ∣ ∼ ∈) states a relation, not a value,
  unless the gold is itself a relation ("x \\ge 2", "x \\in [-2, 7]", "x = 1/3").
- **Arithmetic left undone** (``rewards.expressions.has_arithmetic_to_do``): for a gold that is a plain
  number, "47 + 59" and "3 \\times 47" are not final answers (a policy could copy the question); fractions,
  roots, powers, pi, percents, units and scientific notation are exact forms and stay accepted.

``not_an_answer_to(gold, answer)`` applies the gold-dependent three when grading.
"""

from __future__ import annotations

import re

from rewards.expressions import has_arithmetic_to_do
from rewards.normalize import TEXT_WRAPPER
from rewards.plain_numbers import parse_plain_number

# What the words next to a value make of it (None: the value itself).
BOUNDED, APPROXIMATE = "bounded", "approximate"

# Words between a qualifier and its value that don't change what it qualifies ("not equal to 5", "less
# than or equal to 5", "definitely not 5").
_FILLERS = frozenset(
    "equal equals to than or of the a an be is exactly precisely quite really necessarily just simply actually"
    " definitely certainly surely clearly obviously even value number".split()
)
# Words that negate or bound the value after them ("not", "at least", "no more than", "nearly"), and words
# that approximate it.
_BOUNDS = frozenset(
    "not never no nor except cannot least most more less fewer greater larger smaller bigger higher lower"
    " above below beyond exceeding exceeds nearly almost within either".split()
)
_APPROXIMATIONS = frozenset("about approximately approx around roughly circa near".split())
_TOKENS = re.compile(r"[A-Za-z']+|\S")
# A negated belief governs what follows it in the clause: "I don't think it is \boxed{5}".
_NEGATED_BELIEF = re.compile(
    r"(?:n't|\bnot|\bnever)\s+(?:\w+\s+)?(?:think|believe|say|claim|true|the\s+case|sure|certain)\b[^.,;:!?]{0,40}$",
    re.IGNORECASE,
)
# "between 5 and 6" bounds each of its values; "between \boxed{12 \text{ and } 13}" states the pair.
_BETWEEN = re.compile(r"\bbetween\s*$", re.IGNORECASE)
_BETWEEN_UPPER = re.compile(r"\bbetween\s+\S{1,40}\s+and\s*$", re.IGNORECASE)
_RANGE_AFTER = re.compile(r"^(?:\s*(?:\$|\\\)|\}))*\s*(?:and|&|to)\b", re.IGNORECASE)
# Relations written before a box ("x \geq \boxed{5}"): inside an answer they are graded against the gold.
# (A congruence is not one: "\equiv \boxed{9} \pmod{11}" states 9, as MATH's solutions write it.)
_RELATION_BEFORE = re.compile(
    r"(?:\\(?:neq?|geq?|leq?|geqslant|leqslant|lt|gt|mid|nmid|gtrsim|lesssim)(?![a-zA-Z])|[<>≠≤≥∣])\s*$"
)
_APPROXIMATE_SIGN_BEFORE = re.compile(r"(?:\\(?:approx|simeq|sim)(?![a-zA-Z])|[≈∼])\s*$")
# ... and, before a box, another candidate offered first: "5 or \boxed{6}", "\boxed{5}, or perhaps \boxed{6}".
_ALTERNATIVE_BEFORE = re.compile(
    r"(?:\d|\}|\$)\s*[,;(]?\s*(?:or|either)(?:\s+(?:maybe|perhaps|possibly|else|even|rather|alternatively))?\s*$",
    re.IGNORECASE,
)
_WORDS_BEFORE = 56  # characters: "definitely not greater than or equal to", "I don't think the answer is"
_OPENERS = re.compile(r"(?:\s|\$|\\\(|\\\[|\{|\(|\\left|\\displaystyle|\*\*|</?[A-Za-z]+>)+$")
_NUMBER_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred)\b"
_QUALIFIED_AFTER = re.compile(
    r"^(?:\s*(?:\$|\\\)|\\\]|\}|\*\*))*\s*(?:[A-Za-z]+\s+){0,2}?"
    r"(?:(?:or|and)\s+(?:more|less|fewer|greater|higher|lower|larger|smaller|above|below|over|under|up"
    r"|beyond)\b|at\s+(?:most|least)\b|plus\b|\+\s*(?:$|[.,;!?)])"
    r"|(?:is|was|are|were|would\s+be|'s)\s+(?:not|never|wrong|incorrect|false)\b|(?:is|was|are|were)n't\b)",
    re.IGNORECASE,
)
_APPROXIMATE_AFTER = re.compile(
    r"^(?:\s*(?:\$|\\\)|\\\]|\}|\*\*))*\s*(?:[A-Za-z]+\s+){0,2}?(?:or\s+(?:so|thereabouts)\b|-?ish\b)",
    re.IGNORECASE,
)
# The words an approximated value is written with, removed to read it as "\approx 5".
_APPROXIMATION = r"(?<!\\)\b(?:about|approximately|approx\.?|around|roughly|circa|close\s+to|near)"
_APPROXIMATION_WORDS = re.compile(
    rf"{_APPROXIMATION}(?:\s+(?:{'|'.join(_FILLERS)})\b)*\s*|\s*\bor\s+(?:so|thereabouts)\b|-?\bish\b",
    re.IGNORECASE,
)
# Outside a box, a second candidate right after it is a hedge: "\boxed{5} or 6".
_ALTERNATIVE_AFTER = re.compile(
    rf"^(?:\s*(?:\$|\\\)|\\\]))*\s*or\s+(?:\$|\\\(|\\boxed\{{|\\fbox\{{|\s)*(?:[-+]?\d|\\frac|\\sqrt|{_NUMBER_WORD})",
    re.IGNORECASE,
)
_FIRST_VALUE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|\\(?:frac|dfrac|tfrac|sqrt|pi|boxed|fbox)\b")
_LAST_VALUE = re.compile(r".*(?:\d|\\pi\b|\})", re.DOTALL)


def _unwrapped_text(text: str) -> str:
    """``\\text{ or more}`` read as the words it holds."""
    return TEXT_WRAPPER.sub(r" \1 ", text) if "\\" in text else text


def _governing_word(before: str) -> str | None:
    """What the last word before a value that is not a filler makes of it: BOUNDED, APPROXIMATE or None.

    >>> _governing_word("is definitely not equal to "), _governing_word("we can't use "), _governing_word("5 over ")
    ('bounded', None, None)
    """
    tokens = _TOKENS.findall(before.replace("approx.", "approx"))
    i = len(tokens) - 1
    while i >= 0 and tokens[i].lower() in _FILLERS:
        i -= 1
    if i < 0:
        return None
    word = tokens[i].lower()
    previous = tokens[i - 1] if i > 0 else ""
    following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    if previous == "\\":
        return None  # a LaTeX command ("\\approx"): the relation rules read those
    if word in _BOUNDS or word.endswith("n't") or (word == "up" and following == "to"):
        return BOUNDED
    if word in ("over", "under") and not (previous[:1].isdigit() or previous == "}"):
        return BOUNDED  # "over 5", but "5 over 6" is a fraction
    if word in _APPROXIMATIONS or (word == "close" and following == "to"):
        return APPROXIMATE
    return None


def qualifier(before: str, after: str, outside: bool = False) -> str | None:
    """What the words right before or after a value make of it: ``BOUNDED`` (negated or bounded: no
    statement of it), ``APPROXIMATE``, or None (the value itself). ``outside``: the value is a box, so a
    relation sign before it and a second candidate after it bound it too ("x \\\\geq \\\\boxed{5}",
    "\\\\boxed{5} or 6").

    >>> qualifier("The answer is not ", ""), qualifier("is at least $", ""), qualifier("", " or more apples")
    ('bounded', 'bounded', 'bounded')
    >>> qualifier("So we can't use ", " liters"), qualifier("The answer is equal to ", "."), qualifier("", ", not 6")
    (None, None, None)
    >>> qualifier("x \\\\geq ", "", outside=True), qualifier("", " is not the answer"), qualifier("", " or 6", outside=True)
    ('bounded', 'bounded', 'bounded')
    >>> qualifier("between ", " and 6"), qualifier("between 5 and ", ""), qualifier("located between $", "$.")
    ('bounded', 'bounded', None)
    >>> qualifier("I don't think it is $", ""), qualifier("Since 3 is not prime, the answer is ", "")
    ('bounded', None)
    >>> qualifier("is approximately $", "$"), qualifier("", " apples or so"), qualifier("\\\\approx ", "")
    ('approximate', 'approximate', None)
    """
    # Only the last few words can qualify the value: the patterns anchored at the end scan a short tail.
    before, after = _unwrapped_text(before[-100:]), _unwrapped_text(after[:100])[:80]
    before = _OPENERS.sub("", before)[-_WORDS_BEFORE:]
    governed = _governing_word(before)
    if governed == BOUNDED or _BETWEEN_UPPER.search(before) or _NEGATED_BELIEF.search(before):
        return BOUNDED
    if _QUALIFIED_AFTER.match(after) or (_BETWEEN.search(before) and _RANGE_AFTER.match(after)):
        return BOUNDED
    if outside and (
        _RELATION_BEFORE.search(before)
        or _ALTERNATIVE_BEFORE.search(before)
        or _ALTERNATIVE_AFTER.match(after)
    ):
        return BOUNDED
    if governed == APPROXIMATE or _APPROXIMATE_AFTER.match(after):
        return APPROXIMATE
    if outside and _APPROXIMATE_SIGN_BEFORE.search(before):
        return APPROXIMATE  # "A \approx \boxed{16386.16}" reads as "\approx 16386.16"
    return None


def span_qualifier(span: str) -> str | None:
    """``qualifier`` of the value a stated span holds ("not 5", "5 or more", "\\\\text{at least } 5").

    >>> span_qualifier("not 5"), span_qualifier("5 apples or fewer"), span_qualifier("\\\\text{at least } 5"), span_qualifier("between 5 and 6")
    ('bounded', 'bounded', 'bounded', 'bounded')
    >>> span_qualifier("that we can't use 12 liters"), span_qualifier("x \\\\geq 5"), span_qualifier("neither"), span_qualifier("3 or 5")
    (None, None, None, None)
    >>> span_qualifier("roughly $5$")
    'approximate'
    """
    span = _unwrapped_text(span)
    first = _FIRST_VALUE.search(span)
    if first is None:
        return None  # no value to qualify: a text answer ("neither", "no")
    last = _LAST_VALUE.match(span)
    around_first = qualifier(span[: first.start()], span[first.end() :])
    after_last = qualifier("", span[last.end() :] if last else "")
    return BOUNDED if BOUNDED in (around_first, after_last) else around_first or after_last


def approximated(value: str) -> str:
    """An approximated value as the relation it states: "about 5" -> ``\\approx 5``.

    >>> approximated("about 5"), approximated("$5$ or so")
    ('\\\\approx 5', '\\\\approx $5$')
    """
    return "\\approx " + _APPROXIMATION_WORDS.sub("", value).strip()


def exact_part(value: str) -> str:
    """What an approximated value approximates: ``\\approx 5`` -> 5 (to compare it with another statement).

    >>> exact_part("\\\\approx 5"), exact_part("5")
    ('5', '5')
    """
    return value[len("\\approx ") :] if value.startswith("\\approx ") else value


_HEDGE = re.compile(
    r"\bor\b|\beither\b|\\lor(?![a-zA-Z])|\\vee(?![a-zA-Z])|(?:\d|\})\s+to\s+[-+$\\(]*\d", re.IGNORECASE
)
# A gold listing several answers ("3, 5", "1 and 2") makes "3 or 5" a fair statement of it.
_MULTI_ANSWER = re.compile(r",|;|\bor\b|\band\b|\\pm")
_RELATION = re.compile(
    r"\\(?:approx|simeq|sim|cong|equiv|asymp|neq?|geq?|leq?|geqslant|leqslant|lt|gt|mid|nmid|not|propto|in"
    r"|notin|gtrsim|lesssim|ll|gg)(?![a-zA-Z])|[<>≈≠≤≥∼∣∤∈≡]|!="
)
# A gold that is an interval or a set ("[-2, 7]", "(-\infty, 3) \cup (5, \infty)", "\{1, 2\}"): a
# condition ("x \in [-2, 7]", "-2 \le x \le 7") may state it.
_SOLUTION_SET = re.compile(r"\s*(?:\\left\s*)?(?:[(\[]|\\\{)")


def hedged(answer: str) -> bool:
    """Several candidates offered as one answer.

    >>> hedged("five or 6"), hedged("5 \\\\text{ (or 6)}"), hedged("5 to 6"), hedged("5"), hedged("\\\\text{odd}")
    (True, True, True, False, False)
    """
    return bool(_HEDGE.search(_unwrapped_text(answer)))


def related(text: str) -> bool:
    """A relation rather than a value: ``5 \\approx 6``, ``x \\ge 2``, ``2 \\mid 6``.

    >>> related("5 \\\\approx 6"), related("x \\\\in [-2, 7]"), related("\\\\left(1, \\\\infty\\\\right)"), related("x = 5")
    (True, True, False, False)
    """
    return bool(_RELATION.search(text))


def not_an_answer_to(gold: str, answer: str) -> bool:
    """Whether ``answer`` fails to state a value the way ``gold`` is one: a hedge (unless the gold lists
    several answers), a relation (unless the gold is one: an equation or inequality), or arithmetic left
    undone (when the gold is a plain number).

    >>> not_an_answer_to("6", "5 or 6"), not_an_answer_to("3, 5", "3 or 5")
    (True, False)
    >>> not_an_answer_to("5", "5 \\\\approx 6"), not_an_answer_to("x \\\\ge 5", "x \\\\geq 5"), not_an_answer_to("[-2, 7]", "x \\\\in [-2,7]")
    (True, False, False)
    >>> not_an_answer_to("106", "47 + 59"), not_an_answer_to("106", "47 + 59 = 106"), not_an_answer_to("x^2+1", "1 + x^2")
    (True, False, False)
    """
    if hedged(answer) and not _MULTI_ANSWER.search(gold):
        return True
    if related(answer) and not (related(gold) or "=" in gold or _SOLUTION_SET.match(gold)):
        return True
    return parse_plain_number(gold) is not None and has_arithmetic_to_do(answer)
