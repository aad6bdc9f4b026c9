"""Evaluation: generate on held-out benchmarks, grade with the training reward, report pass@k / maj@k."""
