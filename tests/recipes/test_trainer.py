"""recipes/trainer.py: online RFT's gradient coefficients (DeepSeekMath Eq. 10)."""

import torch

from recipes.trainer import online_rft_coefficients


def test_online_rft_pays_only_completions_the_accuracy_reward_paid_in_full():
    """1 for a right answer, 0 for a wrong one, partial credit, or a reward that gave no verdict (NaN): no
    baseline is subtracted, so wrong completions get no gradient at all (GRPO's would be negative)."""
    accuracy = torch.tensor([1.0, 0.0, 0.5, float("nan"), 1.0, 0.0])
    assert online_rft_coefficients(accuracy, 0, 6).tolist() == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert online_rft_coefficients(torch.zeros(4), 0, 4).tolist() == [0.0] * 4


def test_each_process_gets_the_coefficients_of_its_own_rows():
    """TRL gathers every process's rewards; each process trains on its slice, in order."""
    accuracy = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert online_rft_coefficients(accuracy, 0, 2).tolist() == [1.0, 0.0]
    assert online_rft_coefficients(accuracy, 1, 2).tolist() == [0.0, 1.0]
