"""Experiments and findings on this CPU with the demo's model; each module is one, run as ``python -m experiments.<name>``."""
