"""A generated arithmetic data set: deterministic by seed, integer answers, train and test disjoint.

Levels grow harder slowly, so that a small model can learn the easy end:

1. one step: "What is 23 + 48?" (+, -, x)
2. two steps: "What is 12 + 7 - 5?"
3. a one-step word problem: "Sam has 12 apples and buys 7 more. How many apples does Sam have now?"
4. a multi-step word problem: "Sam has 12 apples, buys 7 more and gives away 5. ..."

Disjointness is by construction: each problem has a canonical key (its level, operations and numbers,
with the operands of + and x sorted, so ``7 + 5`` and ``5 + 7`` share a key), and a hash of the key
decides its split. No test problem, nor its commuted twin, can ever be generated for training.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator

TEST_SHARE = 0.2  # of the key space
DEFAULT_SIZES = {"train": 5000, "test": 500}
LEVELS = (1, 2, 3, 4)

_NAMES = ["Sam", "Ana", "Li", "Omar", "Maya", "Tom", "Ivy", "Ravi", "Zoe", "Ben"]
_ITEMS = ["apples", "marbles", "stickers", "books", "coins", "pencils", "cards", "shells"]


def _split_of(key: tuple) -> str:
    digest = hashlib.sha256(repr(key).encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < TEST_SHARE else "train"


def _one_step(rng: random.Random) -> tuple[str, int, tuple]:
    op = rng.choice("+-*")
    if op == "*":
        a, b = rng.randint(2, 12), rng.randint(2, 12)
    else:
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        if op == "-" and b > a:
            a, b = b, a
    answer = {"+": a + b, "-": a - b, "*": a * b}[op]
    key = (1, op, *(sorted((a, b)) if op != "-" else (a, b)))
    symbol = "x" if op == "*" else op
    return f"What is {a} {symbol} {b}?", answer, key


def _two_steps(rng: random.Random) -> tuple[str, int, tuple]:
    a, b, c = rng.randint(1, 50), rng.randint(1, 50), rng.randint(1, 50)
    op1, op2 = rng.choice("+-"), rng.choice("+-")
    answer = a + (b if op1 == "+" else -b)
    answer = answer + (c if op2 == "+" else -c)
    if answer < 0:
        return _two_steps(rng)
    return f"What is {a} {op1} {b} {op2} {c}?", answer, (2, a, op1, b, op2, c)


def _word_one_step(rng: random.Random) -> tuple[str, int, tuple]:
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
    a, b = rng.randint(2, 60), rng.randint(1, 40)
    if rng.random() < 0.5:
        return (
            f"{name} has {a} {item} and buys {b} more. How many {item} does {name} have now?",
            a + b,
            (3, "+", *sorted((a, b))),
        )
    a = a + b
    return (
        f"{name} has {a} {item} and gives away {b}. How many {item} does {name} have left?",
        a - b,
        (3, "-", a, b),
    )


def _word_multi_step(rng: random.Random) -> tuple[str, int, tuple]:
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
    a, b = rng.randint(2, 40), rng.randint(1, 30)
    c = rng.randint(1, a + b)
    if rng.random() < 0.5:
        question = (
            f"{name} has {a} {item}, buys {b} more and gives away {c}. How many {item} does {name} have now?"
        )
        return question, a + b - c, (4, "+-", a, b, c)
    k = rng.randint(2, 5)
    question = f"{name} has {a} {item}, buys {k} boxes of {b} {item} each, and gives away {c}. How many {item} does {name} have now?"
    return question, a + k * b - c, (4, "+*-", a, k, b, c)


_GENERATORS = {1: _one_step, 2: _two_steps, 3: _word_one_step, 4: _word_multi_step}


def reference_solution(question: str, answer: int, key: tuple) -> str:
    """The calculation a problem asks for, one line per step, in the question's own order (what SFT on
    reference solutions trains on). Derived from the problem, not drawn: generating it changes no problem.

    >>> reference_solution("What is 48 + 23?", 71, (1, "+", 23, 48))
    '48 + 23 = 71'
    >>> reference_solution("Sam has 3 cards, buys 2 boxes of 4 cards each, and gives away 1. How many cards does Sam have now?", 10, (4, "+*-", 3, 2, 4, 1))
    '2 x 4 = 8\\n3 + 8 - 1 = 10'
    """
    numbers = [int(n) for n in re.findall(r"\d+", question)]
    level = key[0]
    if level == 1:
        a, b = numbers
        return f"{a} {'x' if key[1] == '*' else key[1]} {b} = {answer}"
    if level == 2:
        a, b, c = numbers
        return f"{a} {key[2]} {b} {key[4]} {c} = {answer}"
    if level == 3:
        a, b = numbers
        return f"{a} {key[1]} {b} = {answer}"
    if key[1] == "+-":
        a, b, c = numbers
        return f"{a} + {b} - {c} = {answer}"
    a, k, b, c = numbers
    return f"{k} x {b} = {k * b}\n{a} + {k * b} - {c} = {answer}"


def generate(
    split: str, size: int | None = None, seed: int = 0, levels: tuple[int, ...] | list[int] = LEVELS
) -> list[dict]:
    """``size`` distinct problems of ``split`` ('train' or 'test'), spread evenly over ``levels``.

    >>> rows = generate("test", size=4, levels=[1])
    >>> [sorted(r) for r in rows][0]
    ['answer', 'id', 'level', 'question', 'solution', 'source']
    >>> not {r["id"] for r in generate("train", 200, levels=[1])} & {r["id"] for r in generate("test", 200, levels=[1])}
    True
    """
    if split not in DEFAULT_SIZES:
        raise ValueError(f"arithmetic has splits 'train' and 'test', not {split!r}")
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown or not levels:
        raise ValueError(f"arithmetic levels are {list(LEVELS)}; got {list(levels)}")
    size = DEFAULT_SIZES[split] if size is None else size
    rng = random.Random(f"{seed}-{split}")
    rows, seen = [], set()
    for level in _cycle(sorted(levels), size):
        for _ in range(10_000):
            question, answer, key = _GENERATORS[level](rng)
            if key not in seen and _split_of(key) == split:
                break
        else:
            raise ValueError(
                f"arithmetic level {level} has too few distinct {split} problems for size={size}"
            )
        seen.add(key)
        key_hash = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        rows.append(
            {
                "id": f"arithmetic-{level}-{key_hash}",
                "question": question,
                "answer": str(answer),
                "solution": reference_solution(question, answer, key),
                "source": "arithmetic",
                "level": level,
            }
        )
    return rows


def _cycle(levels: list[int], size: int) -> Iterator[int]:
    for i in range(size):
        yield levels[i % len(levels)]
