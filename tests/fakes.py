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
