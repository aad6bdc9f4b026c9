"""Final-answer extraction: which part of a completion is *the answer*.

What counts as a stated answer depends on the mode (``EXTRACTION_MODES``); ``stated`` is the default of
the training reward and of evaluation's headline score. In every mode, first:

0. Text is cut at the first chat-template stop token (``<|im_start|>``, ``<|endoftext|>``, ...): what a
   model writes after its turn ended is not part of its answer. Reasoning is never the answer: text up to
   the last ``</think>`` is dropped, and a completion that opens ``<think>`` but never closes it has no
   answer at all (it ran out of tokens mid-thought).

``stated`` then takes the first of these that finds something (an answer must be *stated*: reasoning
that merely contains the gold earns nothing):

1. The last ``<answer>...</answer>`` block: inside it, its last ``\\boxed{}`` if any, else its whole text.
2. The last ``\\boxed{}`` / ``\\fbox{}`` (several boxes on the final line, "\\boxed{-2} and \\boxed{1}",
   are read together as one list answer).
3. GSM8K's ``#### N``.
4. "The (final) answer is X" / "Answer: X" (the rest of that sentence).

``lenient`` adds a fallback, for comparison with harnesses that have one (lm-eval's flexible-extract):

5. The completion's last statement (its last line or sentence), if it is complete: a completion that
   stops inside an open ``$``/``\\[`` math block was cut off and has no answer. In prose the statement's
   last number is the answer; a formula that merely restates a computation ("$81 - 5$") is not.

The narrow modes follow papers' graders: ``boxed`` reads only rule 2 (Qwen2.5-Math, Dr. GRPO,
SimpleRL-Zoo), ``answer_tag`` only rule 1 (DeepSeek-R1's template), ``gsm8k_hash`` only the last
``#### N`` within the last 300 characters (verl's ``gsm8k.py``, strict method).

Everything is linear-time string scanning, so megabyte-long or adversarial completions cost milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

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
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
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
# ("\text{ for part (a) and }") and a label for the next box ("y_2 =").
_BOX_JOINER = re.compile(
    r"\\(?:quad|qquad|text\{[^{}]*\}|,|;)|\band\b|[\s,;$.]|\\[\[\]()]|[a-zA-Z](?:_\{?\w+\}?)?\s*="
)


def _final_boxes(text: str) -> str | None:
    """The last box, or the boxes on the final line read together ("\\boxed{-2} and \\boxed{1}")."""
    boxes = _boxes(text)
    if not boxes:
        return None
    group = [boxes[0]]
    for box in boxes[1:]:
        between = text[box[1] : group[-1][0]]
        # Only boxes joined by "and", commas or spacing count as one answer list.
        if "\n" in between.strip(" \t") or len(between) > 60:
            break
        if _BOX_JOINER.sub("", between):
            break
        group.append(box)
    return ", ".join(content.strip() for _, _, content in reversed(group))


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


def extract_final_answer(text: Any, mode: str = "stated") -> str | None:
    """The final answer a completion states, as a short string, or None when it states none.

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

    if mode == "boxed":
        answer = _final_boxes(text)
    elif mode == "answer_tag":
        answer = _answer_block(text)
    elif mode == "gsm8k_hash":
        numbers = _HASH_NUMBER.findall(text[-300:])
        answer = numbers[-1].replace(",", "").replace("$", "") if numbers else None
    else:
        answer = _answer_span(text, lenient=mode == "lenient")
    if answer is None:
        return None
    answer = answer.strip()
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        return None
    return answer


_HASH_NUMBER = re.compile(r"#### (\-?[0-9\.\,]+)")  # verl/utils/reward_score/gsm8k.py, method "strict"


def _answer_block(text: str) -> str | None:
    """The last ``<answer>`` block's answer (its last box, if any, else its text); None if there is none
    or it was cut off."""
    open_tag = text.rfind("<answer>")
    if open_tag < 0:
        return None
    inner = text[open_tag + len("<answer>") :]
    close = inner.find("</answer>")
    if close < 0:
        return None  # cut off inside the answer block
    inner = inner[:close]
    boxed = _final_boxes(inner)
    return boxed if boxed is not None else inner


def _answer_span(text: str, lenient: bool = False) -> str | None:
    if "<answer>" in text:
        return _answer_block(text)

    # Only the tail is searched for "answer is": a stated answer is at the end of a reply.
    tail = text[-4000:]
    statements = list(_ANSWER_IS.finditer(tail))
    stated = statements[-1] if statements else None

    boxes = _boxes(text)
    # A "Final answer: ..." written after the last box restates (or corrects) it: the later one counts.
    restated = (
        stated is not None
        and boxes
        and stated.group(0).lower().startswith("final")
        and len(text) - len(tail) + stated.start() > boxes[0][1]
    )
    if boxes and not restated:
        return _final_boxes(text)

    statement = _stated_value(_until_sentence_end(tail[stated.end() :])) if stated is not None else None
    if stated is not None and _ALTERNATIVE.search(tail[max(0, stated.start() - 40) : stated.start()]):
        return None  # "The other possible answer is 80": the completion offers several answers
    hashes = text.rfind("####")
    if hashes >= 0 and not restated:
        value = text[hashes + 4 :].strip().split("\n", 1)[0]
        later = stated is not None and len(text) - len(tail) + stated.start() > hashes
        if later and statement is not None and _canonical(statement) != _canonical(value):
            return None  # "#### 1 ... The answer is: 2": two different final answers state none
        return value
    if statement is not None:
        return statement
    return _last_statement(tail) if lenient else None


def _canonical(text: str) -> str:
    return re.sub(r"[\s$,.]", "", text)


def _math_balanced_before(text: str, index: int) -> bool:
    head = text[:index]
    return head.count("$") % 2 == 0 and _math_delimiters_balanced(head) and head.count("{") == head.count("}")


def _stated_value(span: str) -> str | None:
    """The value a statement "the answer is ..." states: the value itself, without a comment after it
    ("14.5, which is close to 15" states 14.5), a trailing unit word, or the prose around a single
    number ("that we can't use 12 liters" states 12). Prose without a value states nothing; a few words
    without digits are a text answer ("even", "Evelyn").

    >>> _stated_value("14.5, which is close to the true average of 15 jelly beans")
    '14.5'
    >>> _stated_value("that we can't use 12 liters of leftover water"), _stated_value("not the answer we were given") is None
    ('12', True)
    >>> _stated_value("$\\\\frac{1}{2}$ because the rest cancels"), _stated_value("even")
    ('$\\\\frac{1}{2}$', 'even')
    """
    span = span.strip()
    for match in _TRAILING_CLAUSE.finditer(span):
        if match.start() > 0 and _math_balanced_before(span, match.start()):
            span = span[: match.start()]
            break
    span = re.sub(r"\s*[,;:.]\s*(\$+)$", r"\1", span.strip().rstrip(",;:").strip())  # "$180^\circ,$"
    if not span:
        return None
    outside_math = _MATH_SEGMENT.sub(" ", span)
    words = _PROSE_WORD.findall(outside_math)
    if not words or "\\" in outside_math:
        return span  # a value, a formula, or LaTeX
    if not re.search(r"\d|\$", span):
        return span if len(span.split()) <= 4 else None  # a short text answer, or no answer
    trailing_words = re.fullmatch(r"(.*?[\d}$)%])\s+(?:[a-zA-Z]+\s*){1,3}", span, re.DOTALL)
    if trailing_words and not _PROSE_WORD.search(_MATH_SEGMENT.sub(" ", trailing_words.group(1))):
        return span  # "8 arrangements", "2 million": a value and its unit or scale (the grader reads both)
    values = _VALUE.findall(span)
    return values[0].strip() if len(values) == 1 else None


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
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
        numbers = _NUMBER_IN_PROSE.findall(statement)
        return _DECIMAL_COMMA.sub(r"\1.\2", numbers[-1].strip()) if numbers else None
    if "=" not in segments[-1] and _is_computation(segments[-1]):
        return None
    return statement


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
