"""The precision policy: which dtype the weights are kept and updated in, and which dtype the math runs in.

One rule, decided here and nowhere else (the runner loads the model and sets TRL's ``bf16`` from it,
``--dry-run`` prints it, ``run_info.json`` records it):

- **Full fine-tuning keeps fp32 master weights.** The weights are loaded, stored and updated by AdamW in
  fp32; on a GPU with bf16 the forward and backward passes run under bf16 autocast (TRL's ``bf16``, which
  accelerate turns into autocast, or DeepSpeed / FSDP mixed precision with fp32 masters). This is what the
  sources do (verl loads the actor in fp32 with bf16 compute; oat trains with DeepSpeed bf16, which keeps
  fp32 master weights). Pure bf16 weights lose the small updates of an RL run: bf16 keeps 8 significant
  bits, so an update smaller than half a step, |w| / 256, rounds away — at lr 1e-6 that is every weight
  above 2.6e-4 in magnitude, which is nearly every weight of a trained model.
- **LoRA keeps a bf16 base** on a GPU with bf16 (the base is frozen, so nothing rounds away; PEFT keeps the
  adapters in fp32).
- **bf16 (or fp16) weights only where a recipe asks** (``model.dtype: bfloat16``); for full fine-tuning
  ``--dry-run`` then warns when the learning rate is small enough for updates to round away.
- Without a GPU everything is fp32 (TRL's ``bf16`` default fails there; ``use_cpu`` also gives real
  multi-process CPU runs over gloo).
"""

from __future__ import annotations

from dataclasses import dataclass

HARDWARE = ("cpu", "gpu", "gpu-bf16")  # no GPU; a GPU without bf16 (V100, T4); a GPU with bf16
# An Adam step moves a weight by about the learning rate; below half a step of the weight's dtype (|w| / 2**8
# in bf16) it rounds away. 1e-2 is a typical weight magnitude of a trained transformer's linear layers.
TYPICAL_WEIGHT = 1e-2
HALF_STEP = {"bfloat16": 2.0**-8, "float16": 2.0**-11}  # half the spacing of numbers near 1


@dataclass(frozen=True)
class Precision:
    weights: str  # the dtype the model is loaded in (and, for full fine-tuning, updated in)
    compute: str  # "bf16 autocast" or "fp32"
    masters: bool  # the optimizer updates fp32 weights (full fine-tuning) or fp32 adapters (LoRA)
    bf16: bool  # TRL's bf16 flag
    use_cpu: bool  # TRL's use_cpu flag

    def describe(self) -> str:
        """One line for the dry run and run_info.json.

        >>> precision_policy("auto", lora=False, hardware="gpu-bf16").describe()
        'weights float32, compute bf16 autocast, fp32 master weights'
        """
        masters = (
            "fp32 master weights"
            if self.masters
            else "no fp32 master weights (updates in the weights' dtype)"
        )
        return f"weights {self.weights}, compute {self.compute}, {masters}"


def precision_policy(dtype: str, lora: bool, hardware: str) -> Precision:
    """The precision of a run: ``dtype`` is the recipe's ``model.dtype`` (``auto``, ``float32``,
    ``bfloat16``, ``float16``), ``lora`` whether it trains adapters, ``hardware`` one of ``HARDWARE``.

    >>> precision_policy("auto", lora=False, hardware="gpu-bf16").weights
    'float32'
    >>> precision_policy("auto", lora=True, hardware="gpu-bf16").weights
    'bfloat16'
    >>> precision_policy("bfloat16", lora=False, hardware="gpu-bf16").masters
    False
    >>> precision_policy("auto", lora=False, hardware="cpu")
    Precision(weights='float32', compute='fp32', masters=True, bf16=False, use_cpu=True)
    """
    if hardware not in HARDWARE:
        raise ValueError(f"hardware must be one of {', '.join(HARDWARE)}, not {hardware!r}")
    autocast = hardware == "gpu-bf16"
    if dtype == "auto":
        weights = "bfloat16" if lora and autocast else "float32"
    else:
        weights = dtype
    # LoRA trains fp32 adapters whatever the base's dtype; full fine-tuning updates the weights themselves.
    masters = lora or weights == "float32"
    return Precision(
        weights=weights,
        compute="bf16 autocast" if autocast else "fp32",
        masters=masters,
        bf16=autocast,
        use_cpu=hardware == "cpu",
    )


def rounding_warning(precision: Precision, learning_rate: float) -> str | None:
    """A warning when full fine-tuning updates low-precision weights with steps that round away.

    >>> rounding_warning(precision_policy("bfloat16", False, "gpu-bf16"), 1e-6) is not None
    True
    >>> rounding_warning(precision_policy("auto", False, "gpu-bf16"), 1e-6) is None
    True
    """
    if precision.masters or precision.weights == "float32":
        return None
    smallest_kept = learning_rate / HALF_STEP[precision.weights]  # larger weights lose an update of ~lr
    if smallest_kept >= TYPICAL_WEIGHT:
        return None
    return (
        f"model.dtype {precision.weights} trains the weights themselves, without fp32 master copies: an update of "
        f"about the learning rate ({learning_rate:g}) is smaller than half a {precision.weights} step for every weight "
        f"above {smallest_kept:.2g} in magnitude (a trained model's weights are mostly ~{TYPICAL_WEIGHT:g}), so most "
        "updates round away; use model.dtype: auto (fp32 master weights with bf16 compute)"
    )
