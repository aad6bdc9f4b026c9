"""Recipes and the training entry point (``python -m recipes.train``)."""

import os

# A GRPO step on a CPU allocates blocks of hundreds of MiB (logits, log-probabilities, their gradients) and
# frees them again; each new block is faulted in from the system page by page. With this set, PyTorch backs
# every block of 2 MiB or more with transparent huge pages: 512 times fewer faults. Measured on `make demo`
# (seed 0, 2 cores, the same steps and accuracy): training 5.5 minutes instead of 6.8, system time 92 s
# instead of about 180 s, 2.0 million page faults instead of about 35 million. PyTorch reads it once, at its
# first allocation, so it is set here, before anything imports torch; THP_MEM_ALLOC_ENABLE=0 turns it off.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
