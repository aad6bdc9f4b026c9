"""Stand-ins shared by tests of more than one module."""

from rewards.verifier import EQUIVALENT


class FakePool:
    """Answers a scripted verdict per call (a list per call, or one verdict for every pair)."""

    def __init__(self, *calls):
        self.calls, self.seen = list(calls), []

    def check(self, pairs, timeout_s):
        self.seen.append(list(pairs))
        scripted = self.calls.pop(0) if self.calls else EQUIVALENT
        return list(scripted) if isinstance(scripted, list) else [scripted] * len(pairs)


class CannedPolicy:
    """A generator for ``eval.run.evaluate(..., generator=)`` without a model: ``write(row, n)`` gives a
    problem's n samples as (text, cut off at the limit) pairs; the problem is the row of ``rows`` whose
    question the rendered prompt holds."""

    def __init__(self, rows, write):
        from recipes.tiny_model import build_tokenizer

        self.tokenizer = build_tokenizer()
        self.rows, self.write, self.batch_size = list(rows), write, 8

    def generate_batches(self, prompts, settings):
        from eval.generate import Sample

        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            samples = []
            for prompt in batch:
                row = next(r for r in self.rows if r["question"] in prompt)
                samples.append([Sample(text, 9, cut) for text, cut in self.write(row, settings.n)])
            yield list(range(start, start + len(batch))), samples


def right_wrong_and_cut(row, n):
    """Canned samples of a training problem: a right answer, the same up to whitespace, a wrong one,
    another right one, and a right one cut off at the limit; problems with an odd answer get only wrong
    ones (what RFT must keep: see tests/data/test_rft.py)."""
    a, right = row["answer"], f"{row['solution']}\nThe answer is {row['answer']}."
    if int(a) % 2:
        return [("1 + 1 = 2\nThe answer is -1.", False)] * n
    texts = [
        (right, False),
        (right.replace(" = ", " =  "), False),
        ("1 + 1 = 2\nThe answer is -1.", False),
        (f"{a} = {a}\nThe answer is {a}.", False),
        (right + "\nWhat is", True),
    ]
    return texts[:n]


def evaluate_training_problems(out, write=right_wrong_and_cut, problems: int = 6, n: int = 5):
    """``python -m eval --benchmarks arithmetic --levels 1 --template answer_is --split train --n N`` into
    ``out``, sampled from a CannedPolicy that writes ``write(row, n)``: a real evaluation folder, no model."""
    import data
    from eval.run import evaluate

    rows = data.load("arithmetic", split="train", limit=problems, levels=[1])
    evaluate(
        "canned-model", ["arithmetic"], template="answer_is", n=n, temperature=0.7, limit=problems, levels=[1],
        split="train", out=out, generator=CannedPolicy(rows, write),
    )  # fmt: skip
    return out
