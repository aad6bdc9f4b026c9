"""Final-answer extraction: which part of a completion is *the answer*.

What counts as a stated answer depends on the mode (``EXTRACTION_MODES``); ``stated`` is the default of
the training reward and of evaluation's headline score. In every mode, first:

0. Text is cut at the first chat-template stop token (``<|im_start|>``, ``<|endoftext|>``, ...): what a
   model writes after its turn ended is not part of its answer. Reasoning is never the answer: text up to
   the last ``</think>`` is dropped, and a completion that opens ``<think>`` but never closes it has no
   answer at all (it ran out of tokens mid-thought). Text that restates the problem is not the model's
   statement either (``without_restatements``): sentences of the prompt echoed back (when the reward is
   given ``prompts``, as TRL does), a labelled restatement ("Question: ...", "User: ...") up to a blank
   line or an "Answer:" label, and a quoted passage that holds a box or an answer statement.

Then the final statement of each form is read: the last ``<answer>...</answer>`` block (inside it, its last
``\\boxed{}`` if any, else its whole text); outside that block, the last ``\\boxed{}`` / ``\\fbox{}``
(several boxes on the final line, "\\boxed{-2} and \\boxed{1}", are read together as one list answer);
GSM8K's ``#### N``; and "The (final) answer is X" / "Answer: X" (the rest of that sentence). A completion
states none, in every mode, when

- two of these state different values ("\\boxed{5}. The answer is 7.", "#### 1 ... The answer is: 2"):
  within one form the last one counts (a correction), across forms they must agree. Boxes are intermediate
  results, not a final answer, only when the completion boxes several different values and then writes
  "Final answer: ..." after them (Minerva's format);
- one of them negates or bounds its value ("not 5", "at least \\boxed{5}", "5 or more"; the rules are
  in rewards/stating.py). An approximated value ("about 5") reads as ``\\approx 5``, which grading refuses,
  unless another statement states the same value exactly.

``stated`` answers with the first of them (an answer must be *stated*: reasoning that merely contains
the gold earns nothing): 1. the answer block, 2. the box (after it, a "Final answer: ..." that restates
it), 3. ``#### N``, 4. "the answer is".

``lenient`` adds a fallback, for comparison with harnesses that have one (lm-eval's flexible-extract):

5. When no statement is found, the completion's last statement (its last line or sentence), if it is
   complete: a completion that stops inside an open ``$``/``\\[`` math block was cut off and has no answer.
   In prose the statement's last number is the answer (unless the sentence bounds it: "at least 5
   apples"); a formula that merely restates a computation ("$81 - 5$") is not.

The narrow modes follow papers' graders: ``boxed`` reads only boxes (Qwen2.5-Math, Dr. GRPO,
SimpleRL-Zoo), ``answer_tag`` only rule 1 (DeepSeek-R1's template), ``gsm8k_hash`` only the last
``#### N`` within the last 300 characters (verl's ``gsm8k.py``, strict method; None when the rest of
that line bounds, hedges or continues the number: "#### 5 or more", "#### 47 + 59").

Everything is linear-time string scanning, so megabyte-long or adversarial completions cost milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

from rewards.expressions import EQUIVALENT, has_arithmetic_to_do, numeric_verdict
from rewards.normalize import PROSE_WORD, canonical_text, strip_assignment
from rewards.plain_numbers import parse_plain_number
from rewards.stating import (
    APPROXIMATE,
    BOUNDED,
    approximated,
    exact_part,
    hedged,
    qualifier,
    related,
    span_qualifier,
)

EXTRACTION_MODES = ("stated", "lenient", "boxed", "answer_tag", "gsm8k_hash")

# The longest answer span handed to the equivalence checker; anything longer is not an answer a grader
# should spend time on (and is a classic way to smuggle many candidate answers into one reply).
MAX_ANSWER_CHARS = 600

_STOP_TOKENS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<｜end▁of▁sentence｜>", "</s>")
_BOX_COMMANDS = ("\\boxed", "\\fbox")
# "The (final) answer (to this problem) is X", "Answer: X": the connector is required, so prose that merely
# mentions an answer ("I put this answer within ...") states none.
_ANSWER_IS = re.compile(
    r"\b(?:final\s+answer|answer)\b(?:\s+(?:to|for|of)\s+(?:this|the)\s+(?:problem|question))?\**\s*"
    r"(?:is\s*:?|:|=|(?=\$|\\\(|\\\[))\**\s*",
    re.IGNORECASE,
)
# "The other possible answer is ...", "an alternative answer is ...": a second candidate, so no one answer.
_ALTERNATIVE = re.compile(r"\b(?:other|another|alternative|second)\s+(?:possible\s+)?$", re.IGNORECASE)
# A clause after the stated value comments on it ("14.5, which is close to ...", "$7$ because ..."): cut.
_TRAILING_CLAUSE = re.compile(
    r"(?:,\s*|\s+)(?:which|but|so|because|since|where|while|whereas|meaning|i\.e\.|that is|and\s+(?:the|this|that|it|so))\b",
    re.IGNORECASE,
)
_VALUE = re.compile(r"\$[^$]+\$|(?<![A-Za-z\d])[-+]?\d[\d,]*(?:\.\d+)?(?:/\d+)?%?(?![A-Za-z\d])")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n\s*\n|I hope it is correct", re.IGNORECASE)


def completion_text(completion: Any) -> str | None:
    """The text of one completion, whether TRL passes it as a string or as a conversation.

    >>> completion_text("4")
    '4'
    >>> completion_text([{"role": "assistant", "content": "4"}])
    '4'
    >>> completion_text(None) is None
    True
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # multimodal content parts
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if isinstance(completion, dict) and isinstance(completion.get("content"), str):
        return completion["content"]
    return None


def _matching_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index``, or -1 when unbalanced (or too far away
    to close an answer: the scan is bounded so that thousands of open boxes stay linear)."""
    depth = 0
    for i in range(open_index, min(len(text), open_index + 2 * MAX_ANSWER_CHARS)):
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of the boxes in ``text``, scanning back from the end, at most a few."""
    found: list[tuple[int, int, str]] = []
    end = len(text)
    for _ in range(32):  # look at the last few boxes only
        if len(found) >= 8:
            break
        start = max(text.rfind(cmd, 0, end) for cmd in _BOX_COMMANDS)
        if start < 0:
            break
        cmd_end = start + (6 if text.startswith("\\boxed", start) else 5)
        rest = text[cmd_end:]
        stripped = rest.lstrip()
        if stripped.startswith("{"):
            open_index = cmd_end + (len(rest) - len(stripped))
            close = _matching_brace(text, open_index)
            if close >= 0:
                found.append((start, close + 1, text[open_index + 1 : close]))
        elif rest[:1] == " " and stripped:  # "\boxed 5"
            token = re.match(r"[^\s$]+", stripped)
            if token:
                found.append((start, cmd_end + 1 + token.end(), token.group(0)))
        end = start
    return found


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{}`` / ``\\fbox{}`` in ``text`` (nested braces balanced), or None.

    >>> last_boxed(r"so $x = \\boxed{\\frac{1}{2}}$ and then \\boxed{\\{1, 2\\}}")
    '\\\\{1, 2\\\\}'
    >>> last_boxed("no box") is None
    True
    """
    boxes = _boxes(text)
    return boxes[0][2].strip() if boxes else None


# What may stand between boxes that form one list answer: spacing, "and", commas, math delimiters, text
# ("\text{ for part (a) and }") and a label for the next box ("y_2 ="); "or" joins them too, as a hedge
# that grading then refuses (rewards/stating.py).
_BOX_JOINER = re.compile(
    r"\\(?:quad|qquad|text\{[^{}]*\}|,|;)|\band\b|\bor\b|[\s,;$.]|\\[\[\]()]|[a-zA-Z](?:_\{?\w+\}?)?\s*="
)


def _final_box_group(text: str) -> tuple[int, int, str] | None:
    """``(start, end, answer)`` of the last box, or of the boxes on the final line read together
    ("\\boxed{-2} and \\boxed{1}" is "-2, 1"; "\\boxed{5} or \\boxed{6}" is "5 or 6")."""
    boxes = _boxes(text)
    if not boxes:
        return None
    group = [boxes[0]]
    hedged = False
    for box in boxes[1:]:
        between = text[box[1] : group[-1][0]]
        # Only boxes joined by "and", "or", commas or spacing count as one answer list.
        if "\n" in between.strip(" \t") or len(between) > 60:
            break
        if _BOX_JOINER.sub("", between):
            break
        hedged = hedged or re.search(r"\bor\b", between) is not None
        group.append(box)
    answer = (" or " if hedged else ", ").join(content.strip() for _, _, content in reversed(group))
    return group[-1][0], group[0][1], answer


def _final_boxes(text: str) -> str | None:
    group = _final_box_group(text)
    return group[2] if group else None


def _until_sentence_end(text: str) -> str:
    match = _SENTENCE_END.search(text)
    return text[: match.start()] if match else text


def _math_delimiters_balanced(text: str) -> bool:
    # Single "$" are not counted: prose uses them for money ("he spent $1,000.99").
    return (
        text.count("$$") % 2 == 0
        and text.count("\\[") == text.count("\\]")
        and text.count("\\(") == text.count("\\)")
    )


# --- text that is not the model's own statement ----------------------------------------------------------

# A quoted passage ("...", “...”, ``...''): a restatement of the problem or of someone else's answer.
_MAX_QUOTE_CHARS = 3000
_PAIRED_QUOTES = (("“", "”"), ("‘", "’"), ("``", "''"))
_STATEMENT_MARK = re.compile(r"\\boxed|\\fbox|####|<answer>|" + _ANSWER_IS.pattern, re.IGNORECASE)
# A labelled restatement of the problem ("Question: ...", "User: ..."), up to a blank line or a label that
# starts the reply ("Answer:", "Solution:").
_RESTATEMENT = re.compile(
    r"^[ \t>*#]*(?:question|problem|q|user|human|prompt|instruction|input|task|exercise)\s*\d*\s*\**\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_RESTATEMENT_END = re.compile(
    r"\n[ \t]*\n|^[ \t>*#]*(?:answer|a|solution|assistant|response)\s*\**\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
# A prompt's sentences shorter than this are not looked for in the completion: "What is 23 + 48?" may
# well be restated on purpose; an echoed prompt repeats whole sentences.
_MIN_ECHO_CHARS = 24
_MAX_ECHO_PIECES = 64


def _prompt_text(prompt: Any) -> str:
    """The text of a prompt, whether TRL passes it as a string or as a conversation (every message)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        return "\n".join(completion_text([message]) or "" for message in prompt if isinstance(message, dict))
    return ""


def without_restatements(text: str, prompt: Any = None) -> str:
    """The completion without text that restates the problem: sentences of the prompt echoed back, labelled
    restatements ("Question: ...") and quoted passages that hold an answer statement. What they state is
    not the model's answer.

    >>> without_restatements('It says "the answer is \\\\boxed{5}". I get 7.')
    'It says  . I get 7.'
    >>> without_restatements("Question: what is 2 + 3? The answer is 5.\\n\\nI get 7.")
    '\\n\\nI get 7.'
    >>> without_restatements("Check: so the answer is 5, as the book says. I get 7.", "Check: so the answer is 5, as the book says.")
    '  I get 7.'
    """
    for piece in _echo_pieces(_prompt_text(prompt)):
        text = text.replace(piece, " ")
    quoted = [
        (start, end) for start, end in _quoted_passages(text) if _STATEMENT_MARK.search(text, start, end)
    ]
    if quoted:
        bounds = [0, *(i for span in quoted for i in span), len(text)]
        text = " ".join(text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2))
    if not _RESTATEMENT.search(text):
        return text
    kept, position = [], 0
    for match in _RESTATEMENT.finditer(text):
        if match.start() < position:
            continue
        end = _RESTATEMENT_END.search(text, match.end())
        kept.append(text[position : match.start()])
        position = end.start() if end else len(text)
    kept.append(text[position:])
    return "".join(kept)


def _quoted_passages(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the quoted passages in ``text``, in order, each at most ``_MAX_QUOTE_CHARS``
    long. One pass: each quote pairs with the next closing one."""
    spans = []
    for opener, closer in _PAIRED_QUOTES:
        position, close = 0, -1
        while (start := text.find(opener, position)) >= 0:
            if close < start + len(opener):
                close = text.find(closer, start + len(opener))
                if close < 0:
                    break
            if close - start <= _MAX_QUOTE_CHARS:
                spans.append((start, close + len(closer)))
                position = close + len(closer)
            else:
                position = start + len(opener)
    # A straight quote opens after a space or an opening bracket and before a non-space ('He said "'), and
    # closes after a non-space and before a non-letter: an inch sign ('a 12" pizza') and an apostrophe
    # ("don't", "the students' books") open nothing.
    for quote in ('"', "'"):
        start = None
        position = text.find(quote)
        while position >= 0:
            before, after = text[position - 1 : position], text[position + 1 : position + 2]
            if start is not None and before.strip() and not after.isalnum():
                if position - start <= _MAX_QUOTE_CHARS:
                    spans.append((start, position + 1))
                start = None
            elif (not before.strip() or before in "([:") and after.strip():
                start = position
            position = text.find(quote, position + 1)
    return sorted(_disjoint(spans))


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for span in sorted(spans):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _echo_pieces(prompt: str) -> list[str]:
    """The prompt's lines and sentences long enough to be recognised when echoed, longest first."""
    pieces = {piece.strip() for piece in re.split(r"(?<=[.!?])\s+|\n+", prompt)}
    long_enough = sorted((p for p in pieces if len(p) >= _MIN_ECHO_CHARS), key=len, reverse=True)
    return long_enough[:_MAX_ECHO_PIECES]


# --- the final statements: the last of each form ---------------------------------------------------------

# A statement that is found but states no value: negated, bounded or approximated (rewards/stating.py),
# or offered as one candidate among others ("the other possible answer is ...").
_REFUSED = "refused"


def _final_statements(text: str) -> dict[str, str]:
    """The completion's final statement in each form it uses (``tag``, ``box``, ``hash``, ``is``), each its
    answer text or ``_REFUSED``. Forms other than the answer tag are read outside the last answer block;
    boxes are left out when they were intermediate results (see ``_intermediate_boxes``)."""
    statements: dict[str, str] = {}
    rest = text
    open_tag = text.rfind("<answer>")
    if open_tag >= 0:
        close = text.find("</answer>", open_tag)
        if close < 0:
            return {"tag": _REFUSED}  # cut off inside the answer block
        inner = text[open_tag + len("<answer>") : close]
        statements["tag"] = _block_answer(inner)
        rest = text[:open_tag] + " " + text[close + len("</answer>") :]
    box = _final_box_group(rest)
    stated = _answer_is(rest)
    if stated is not None and stated[1] is not None and box is not None and _final_after(rest, stated, box):
        statements["is"] = stated[1]  # "Final Answer: ..." after the boxes restates them: read it first
    if box is not None and not _intermediate_boxes(rest, box, stated):
        statements["box"] = _box_answer(rest, box)
    hashes = rest.rfind("####")
    if hashes >= 0:
        line = rest[hashes + 4 :].strip().split("\n", 1)[0]
        statements["hash"] = _as_qualified(span_qualifier(line), line)
    if stated is not None and stated[1] is not None:
        statements.setdefault("is", stated[1])
    return statements


def _as_qualified(kind: str | None, value: str) -> str:
    """A value as its qualifier leaves it: refused when bounded, ``\\approx X`` when approximated."""
    if kind == BOUNDED:
        return _REFUSED
    return approximated(value) if kind == APPROXIMATE else value


def _box_answer(text: str, box: tuple[int, int, str]) -> str:
    """The answer a box group states, qualified by what is inside its boxes and right around them."""
    start, end, answer = box
    kinds = {span_qualifier(content) for _, _, content in _boxes(text[start:end])}
    kinds.add(qualifier(text[:start], text[end:], outside=True))
    return _as_qualified(
        BOUNDED if BOUNDED in kinds else APPROXIMATE if APPROXIMATE in kinds else None, answer
    )


def _block_answer(inner: str) -> str:
    """An answer block's answer: its last box (or boxes read together), else its whole text."""
    box = _final_box_group(inner)
    if box is None:
        return _as_qualified(span_qualifier(inner), inner)
    return _box_answer(inner, box)


def _answer_is(text: str) -> tuple[int, str | None] | None:
    """``(position, answer)`` of the last "the answer is X" / "Answer: X" in the text's tail; the answer is
    None when the statement names no value, ``_REFUSED`` when it qualifies it or offers one of several."""
    # Only the tail is searched: a stated answer is at the end of a reply.
    offset = max(0, len(text) - 4000)
    tail = text[offset:]
    statement = None
    for statement in _ANSWER_IS.finditer(tail):  # noqa: B007 - the last one is wanted
        pass
    if statement is None:
        return None
    before = tail[max(0, statement.start() - 80) : statement.start()]
    if _ALTERNATIVE.search(before):
        return offset + statement.start(), _REFUSED  # "The other possible answer is 80": several answers
    if qualifier(before, "") == BOUNDED:
        return offset + statement.start(), _REFUSED  # "I don't think the answer is 5"
    value = _stated_value(_until_sentence_end(tail[statement.end() :]))
    return offset + statement.start(), value


def _final_after(text: str, stated: tuple[int, str | None], box: tuple[int, int, str]) -> bool:
    """Whether the statement is a "Final answer: ..." written after the last box."""
    return stated[0] >= box[1] and text[stated[0] :].lower().startswith("final")


def _intermediate_boxes(text: str, box: tuple[int, int, str], stated: tuple[int, str | None] | None) -> bool:
    """Boxes that held intermediate results: the completion boxes several different values and then states
    its final answer after the last box ("... \\\\boxed{200} ... \\\\boxed{255} ... Final Answer: The final
    answer is $10,455$", Minerva's format). A single boxed value is a final answer, and a different
    statement after it makes two final answers."""
    if stated is None or stated[1] is None or not _final_after(text, stated, box):
        return False
    values = {canonical_text(content) for _, _, content in _boxes(text)}
    return len(values) > 1


def _disagree(statements: dict[str, str]) -> bool:
    """Whether the final statements fail to state one answer: one of them is refused, or two of them
    state different values ("\\\\boxed{5} ... The answer is 7", "#### 1 ... The answer is: 2")."""
    values = list(statements.values())
    if _REFUSED in values:
        return True
    return any(not _same_value(a, b) for i, a in enumerate(values) for b in values[i + 1 :])


_QUOTES = re.compile(r'\\"|["“”]')


def _bare(value: str) -> str:
    """A stated value without what only dresses it: a box around it, quotes, the computation before its
    last "=", "and" between list items."""
    value = exact_part(value)
    if "\\boxed" in value or "\\fbox" in value:
        value = _final_boxes(value) or value
    value = _QUOTES.sub("", value).strip().rstrip(".")
    if "=" in value and value.rsplit("=", 1)[1].strip():
        value = value.rsplit("=", 1)[1]  # "12 * 3 = 36" and "x = 5" state their last side
    return re.sub(r"\s+and\s+", ", ", value)


def _same_value(a: str, b: str) -> bool:
    """Whether two statements state the same value: the same text once normalised, the same plain number
    ("$16,\\\\!386.20" and "16386.20", "72 apples" and "72", "x = 5" and "5"), or equal constants.

    >>> _same_value("\\\\boxed{\\\\frac{1}{2}}", "0.5"), _same_value("72", "72 apples"), _same_value("5", "7")
    (True, True, False)
    """
    a, b = _bare(a), _bare(b)
    if canonical_text(a) == canonical_text(b):
        return True
    a_value, b_value = parse_plain_number(strip_assignment(a)), parse_plain_number(strip_assignment(b))
    if a_value is not None and b_value is not None:
        return a_value == b_value
    return numeric_verdict(a, b) == EQUIVALENT


def extract_final_answer(text: Any, mode: str = "stated", prompt: Any = None) -> str | None:
    """The final answer a completion states, as a short string, or None when it states none.

    ``prompt`` (optional, as TRL passes it): sentences of it echoed back in the completion are not the
    model's statement.

    >>> extract_final_answer("<think>maybe 41</think> <answer>42</answer>")
    '42'
    >>> extract_final_answer(r"<answer>So \\boxed{7}.</answer>")
    '7'
    >>> extract_final_answer(r"<think>\\boxed{42}</think> I am not sure.") is None
    True
    >>> extract_final_answer("<think>The answer is 42 but let me check") is None
    True
    >>> extract_final_answer("She has 3 + 4 = 7 apples.\\n#### 7")
    '7'
    >>> extract_final_answer("So the final answer is $12$. I hope it is correct.")
    '$12$'
    >>> extract_final_answer(r"The roots are \\boxed{-2} and \\boxed{1}.")
    '-2, 1'
    >>> extract_final_answer("Adding them, she has 72 apples.") is None  # not stated: no marker
    True
    >>> extract_final_answer("Adding them, she has 72 apples.", mode="lenient")
    '72'
    >>> extract_final_answer("The answer is 5.", mode="boxed") is None
    True
    >>> extract_final_answer("The answer is not 5.") is None, extract_final_answer(r"\\boxed{5}. The answer is 7.", mode="boxed") is None
    (True, True)
    """
    if mode not in EXTRACTION_MODES:
        raise ValueError(f"unknown extraction mode {mode!r}; choose one of {', '.join(EXTRACTION_MODES)}")
    text = completion_text(text)
    if not text:
        return None
    for token in _STOP_TOKENS:
        cut = text.find(token)
        if cut >= 0:
            text = text[:cut]
    think_end = text.rfind("</think>")
    if think_end >= 0:
        text = text[think_end + len("</think>") :]
    elif "<think>" in text:
        return None
    text = without_restatements(text, prompt)

    statements = _final_statements(text)
    if _disagree(statements):
        return None  # a completion that states two different final answers, or a qualified one, states none
    if mode == "boxed":  # the last box wherever it is, an answer block's included
        box = _final_box_group(text)
        answer = _box_answer(text, box) if box is not None else None
    elif mode == "answer_tag":
        answer = statements.get("tag")
    elif mode == "gsm8k_hash":
        answer = _hash_number(text)
    else:
        # The first statement in this order, preferring one that states the value exactly over "about X".
        values = sorted(statements.values(), key=lambda value: exact_part(value) != value)
        answer = values[0] if values else None
        if answer is None and mode == "lenient":
            answer = _last_statement(text[-4000:])
    if answer is None or answer == _REFUSED:
        return None
    answer = answer.strip()
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        return None
    return answer


_HASH_NUMBER = re.compile(r"#### (\-?[0-9\.\,]+)")  # verl/utils/reward_score/gsm8k.py, method "strict"


def _hash_number(text: str) -> str | None:
    """verl's strict GSM8K reading: the last ``#### N`` in the last 300 characters, N without commas and
    dollar signs; None when the rest of its line makes N something else than the answer ("#### 5 or more",
    "#### 47 + 59", "#### 5 or 6")."""
    tail = text[-300:]
    match = None
    for match in _HASH_NUMBER.finditer(tail):  # noqa: B007 - the last one is wanted
        pass
    if match is None:
        return None
    number = match.group(1)
    line = number + tail[match.end() :].split("\n", 1)[0]
    if span_qualifier(line) or hedged(line) or related(line) or has_arithmetic_to_do(line):
        return None
    return number.replace(",", "").replace("$", "")


def _math_balanced_before(text: str, index: int) -> bool:
    head = text[:index]
    return head.count("$") % 2 == 0 and _math_delimiters_balanced(head) and head.count("{") == head.count("}")


def _stated_value(span: str) -> str | None:
    """The value a statement "the answer is ..." states: the value itself, without a comment after it
    ("14.5, which is close to 15" states 14.5), a trailing unit word, or the prose around a single
    number ("that we can't use 12 liters" states 12). Prose without a value states nothing; a few words
    without digits are a text answer ("even", "Evelyn"). A qualified value ("not 5", "at least 5") is
    ``_REFUSED``; a hedge ("five or 6") is kept whole, for grading to refuse unless the gold lists both.

    >>> _stated_value("14.5, which is close to the true average of 15 jelly beans")
    '14.5'
    >>> _stated_value("that we can't use 12 liters of leftover water"), _stated_value("not the answer we were given") is None
    ('12', True)
    >>> _stated_value("$\\\\frac{1}{2}$ because the rest cancels"), _stated_value("even"), _stated_value("at least 5")
    ('$\\\\frac{1}{2}$', 'even', 'refused')
    """
    span = span.strip()
    for match in _TRAILING_CLAUSE.finditer(span):
        if match.start() > 0 and _math_balanced_before(span, match.start()):
            span = span[: match.start()]
            break
    span = re.sub(r"\s*[,;:.]\s*(\$+)$", r"\1", span.strip().rstrip(",;:").strip())  # "$180^\circ,$"
    if not span:
        return None
    kind = span_qualifier(span)
    if kind == BOUNDED:
        return _REFUSED
    if kind == APPROXIMATE:
        value = _stated_value(exact_part(approximated(span)))
        return value if value in (None, _REFUSED) else approximated(value)
    if hedged(span):
        return span
    outside_math = _MATH_SEGMENT.sub(" ", span)
    words = PROSE_WORD.findall(outside_math)
    if not words or "\\" in outside_math:
        return span  # a value, a formula, or LaTeX
    if not re.search(r"\d|\$", span):
        return span if len(span.split()) <= 4 else None  # a short text answer, or no answer
    trailing_words = re.fullmatch(r"(.*?[\d}$)%])\s+(?:[a-zA-Z]+\s*){1,3}", span, re.DOTALL)
    if trailing_words and not PROSE_WORD.search(_MATH_SEGMENT.sub(" ", trailing_words.group(1))):
        return span  # "8 arrangements", "2 million": a value and its unit or scale (the grader reads both)
    values = _VALUE.findall(span)
    return values[0].strip() if len(values) == 1 else None


# A sentence ends at . ! ? followed by space, also when a display formula closes it ("... = 2.$$ Then").
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|(?<=[.!?]\$\$)\s+|(?<=[.!?]\\\])\s+")
_HAS_MATH = re.compile(r"\d|\\[a-zA-Z]|\$")


_NUMBER_IN_PROSE = re.compile(
    r"(?<![A-Za-z\d])[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+)?(?:\s*%|\s*percent\b)?"
)
_DECIMAL_COMMA = re.compile(r"^([-+]?\d+),(\d{1,2})$")  # "2,74" in prose is 2.74, never a thousands group
_MATH_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_PLAIN_ARITHMETIC = re.compile(r"[\d\s.,()]*\d[\d\s.,()]*(?:[-+*/×x][\d\s.,()]+)+")


def _is_computation(formula: str) -> bool:
    """Numbers joined by + - x * (a sum still to be done), as opposed to a value such as 1/3 or -5."""
    formula = formula.strip().replace("\\times", "x").replace("\\cdot", "*")
    return bool(_PLAIN_ARITHMETIC.fullmatch(formula)) and bool(re.search(r"[+*×x]|\d\s*-\s*[\d(]", formula))


def _last_statement(text: str) -> str | None:
    """The value the completion's last sentence states, when no explicit answer marker exists.

    In prose, that is the sentence's last number: handing the whole sentence to a symbolic parser would
    let it evaluate a restated question ("To solve 81 - 5, we need to ..." scores as 76: a reward hack
    that GRPO finds within a few dozen steps). In LaTeX, it is the sentence, unless its last formula is
    only that kind of unevaluated computation."""
    statement = _final_sentence(text)
    if statement is None:
        return None
    segments = [next(g for g in m.groups() if g is not None) for m in _MATH_SEGMENT.finditer(statement)]
    if not segments and "\\" in statement:  # LaTeX without delimiters: "\frac{4}{23}"
        segments = [statement]
    if not segments:
        numbers = list(_NUMBER_IN_PROSE.finditer(statement))
        if not numbers:
            return None
        number = _DECIMAL_COMMA.sub(r"\1.\2", numbers[-1].group(0).strip())
        kind = qualifier(statement[: numbers[-1].start()], statement[numbers[-1].end() :])
        return None if kind == BOUNDED else _as_qualified(kind, number)  # "at least 5 apples" states none
    if "=" not in segments[-1] and _is_computation(segments[-1]):
        return None
    kind = span_qualifier(statement)
    return None if kind == BOUNDED else _as_qualified(kind, statement)


def _final_sentence(text: str) -> str | None:
    """The last sentence that states something mathematical, if the text ends on a complete one."""
    lines = [line for line in text.strip().split("\n") if line.strip()]
    if not lines:
        return None
    statement = lines[-1]
    # A display block spread over several lines ("\[ \n 9 \n \]") is one statement.
    index = len(lines) - 1
    while not _math_delimiters_balanced(statement) and index > 0 and len(statement) < MAX_ANSWER_CHARS:
        index -= 1
        statement = lines[index] + "\n" + statement
    if _math_delimiters_balanced(statement) and len(statement) <= MAX_ANSWER_CHARS:
        return statement
    # A long last line: its last sentence with a number or formula in it, if that sentence is complete.
    for sentence in reversed(_SENTENCE_SPLIT.split(lines[-1])):
        if _HAS_MATH.search(sentence):
            if not _math_delimiters_balanced(sentence):
                return None
            if len(sentence) > MAX_ANSWER_CHARS:  # a run-on sentence: keep its end, cut between formulas
                sentence = sentence[-MAX_ANSWER_CHARS:]
                if sentence.count("$") % 2:
                    sentence = sentence[sentence.index("$") + 1 :]
            return sentence
    return None
