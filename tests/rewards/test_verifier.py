"""rewards/verifier.py: the pool of math-verify workers and their hard deadlines."""

from rewards.verifier import EQUIVALENT, TIMEOUT, VerifierPool


def test_a_worker_past_its_deadline_is_killed_and_replaced():
    pool = VerifierPool(num_workers=1)
    try:
        # 9^{9^{9^9}} keeps sympy busy far longer than this deadline
        assert pool.check([("7", "9^{9^{9^{9}}}")], timeout_s=0.05) == [TIMEOUT]
        assert pool.timeouts == 1
        # the replacement worker still judges later items
        assert pool.check([("7", r"\sqrt{49}")], timeout_s=30) == [EQUIVALENT]
    finally:
        pool.close()
