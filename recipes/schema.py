"""The recipe schema: every key of every section, its type, default and help, in one place.

A recipe is a YAML file with the sections ``model``, ``data``, ``rewards``, ``trainer`` (any field of TRL's
``GRPOConfig``), optional ``eval``, ``guard``, ``dynamic_sampling`` and ``paper``, and the top-level ``seed``,
``output_dir`` and ``shared_prompt``. Each section is a dataclass below (TRL's ``GRPOConfig`` style: a
default and help text per field). recipes/recipe_yaml.py reads the YAML, recipes/checks.py checks it against
these types and against the data, rewards and TRL, and ``list_keys`` prints it all
(``python -m recipes.train --list-keys``; docs/recipe-keys.md is generated from it).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from eval.generate import DEFAULT_MAX_NEW_TOKENS
from recipes.typecheck import describe

DEFAULT_SEED = 42


class RecipeError(ValueError):
    """An invalid recipe; the message names the entry and how to fix it."""


def option(default: Any = dataclasses.MISSING, help: str = "", **checks: Any) -> Any:
    """A schema field: its default, help text, and range checks (``min``, ``max``, ``above``)."""
    metadata = {"help": help, **checks}
    if isinstance(default, (list, dict)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata=metadata)
    return field(default=default, metadata=metadata)


# --- the sections -----------------------------------------------------------------------------------


@dataclass
class LoraSection:
    r: int = option(16, "LoRA rank", min=1)
    alpha: float = option(32, "LoRA alpha (scale = alpha / r)", above=0)
    dropout: float = option(0.05, "dropout on the LoRA branch", min=0, max=0.99)
    target_modules: str | list[str] = option("all-linear", "modules to adapt: all-linear or a list of names")


@dataclass
class ModelSection:
    name_or_path: str = option(
        help="hub id, local folder, or 'tiny' (a ~1M-parameter model built on the fly)"
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = option(
        "auto", "weights' dtype; auto: bf16 on a GPU that has it, else fp32"
    )
    attn_implementation: str | None = option(
        None, "e.g. sdpa, flash_attention_2, eager (null: transformers' default)"
    )
    lora: LoraSection | None = option(None, "LoRA adapters instead of full fine-tuning ({} for the defaults)")
    freeze_embeddings: bool = option(False, "keep the input embeddings (and a tied LM head) fixed")


@dataclass
class DataSource:
    name: str = option(
        help="a data.load name (gsm8k, math, math500, aime24, aime25, amc23, arithmetic), hub id or local file"
    )
    split: str = option("train", "split to train on")
    data_files: str | list[str] | dict[str, str | list[str]] | None = option(
        None, "local file(s) in the hub copy's layout, or a mapping of split -> file(s)"
    )
    limit: int | None = option(None, "keep the first N rows (after levels)", min=1)
    levels: list[int] | None = option(None, "difficulty levels to keep (math, math500: 1-5; arithmetic: 1-4)")
    question_field: str | None = option(
        None, "question field, for hub ids and files other than the named sources"
    )
    answer_field: str | None = option(
        None, "answer field, for hub ids and files other than the named sources"
    )
    answer_extractor: Literal["gsm8k_hash", "last_boxed", "as_is"] | None = option(
        None, "how to read the gold from answer_field (default as_is)"
    )
    solution_field: str | None = option(
        None,
        "reference-solution field (what SFT trains on), for hub ids and files other than the named sources "
        "(default: solution, where the rows have it)",
    )
    seed: int | None = option(None, "seed of a generated data set (arithmetic); default: the recipe's seed")


@dataclass
class PassRateFilter:
    file: str = option(
        help="pass rates per problem id: the pass_rates.jsonl that python -m eval --split train writes"
    )
    min: float = option(0.0, "keep problems whose pass rate is at least this", min=0, max=1)
    max: float = option(1.0, "... and at most this", min=0, max=1)
    missing: Literal["drop", "keep"] = option("drop", "problems the file has no pass rate for")


@dataclass
class DataSection:
    sources: list[DataSource] | None = option(
        None,
        "the training sources, each with the keys of data.sources[] below; one source may be written inline "
        "instead (data.name, data.split, data.limit, ...)",
    )
    template: str | None = option(None, "prompt template (data/templates.py); required")
    completion_field: str | None = option(
        None,
        "SFT: the field that holds each problem's completion, used as it is (a file of generated completions: "
        "completion); by default the reference solution, written in the template's answer format",
    )
    max_prompt_tokens: int = option(
        1024, "prompts longer than this many tokens are dropped or fail the run", min=1
    )
    long_prompts: Literal["drop", "fail"] = option("drop", "what to do with a prompt over max_prompt_tokens")
    decontaminate: bool = option(
        True, "remove training problems that appear in the eval section's benchmarks"
    )
    pass_rate: PassRateFilter | None = option(
        None, "keep problems whose measured pass rate lies in [min, max] (difficulty filtering)"
    )


@dataclass
class RewardEntry:
    name: str = option(help="a registered reward (rewards.REGISTRY) or package.module:function")
    weight: float = option(1.0, "weight in the summed reward")
    params: dict[str, Any] = option({}, "keyword arguments bound to the reward function")


@dataclass
class EvalSection:
    benchmarks: list[str] = option(help="benchmarks scored on the final checkpoint (python -m eval names)")
    template: str | None = option(None, "prompt template for evaluation (default: the training template)")
    n: int = option(1, "samples per problem", min=1)
    temperature: float = option(0.0, "sampling temperature (0: greedy)", min=0)
    top_p: float = option(1.0, "nucleus sampling", above=0, max=1)
    max_new_tokens: int = option(DEFAULT_MAX_NEW_TOKENS, "generation limit", min=1)
    limit: int | None = option(None, "problems per benchmark", min=1)
    levels: list[int] | None = option(None, "difficulty levels to keep (math500: 1-5; arithmetic: 1-4)")
    data_files: dict[str, str] = option({}, "local copies of benchmarks: name -> file")
    extract: Literal["stated", "lenient", "boxed", "answer_tag", "gsm8k_hash"] | None = option(
        None, "what counts as the stated answer in the strict score (default: the accuracy reward's)"
    )
    zero_if_truncated: bool | None = option(
        None, "a completion cut off at max_new_tokens scores 0 (default: the accuracy reward's)"
    )
    every_steps: int | None = option(
        None,
        "also score a held-out subset every this many training steps (logged beside the training curves)",
        min=1,
    )
    during_training_limit: int = option(
        64, "problems per benchmark for the evaluations during training", min=1
    )


@dataclass
class GuardSection:
    min_entropy: float | None = option(
        None, "stop (or warn) when the mean token entropy stays below this", min=0
    )
    min_completion_length: float | None = option(
        None, "stop (or warn) when the mean completion length stays below this", min=0
    )
    min_zero_std_share: float | None = option(
        None, "act only when, besides, at least this share of groups has no reward spread left", min=0, max=1
    )
    patience: int = option(3, "consecutive logged steps below a limit before the guard acts", min=1)
    action: Literal["stop", "warn"] = option("stop", "stop the run (a checkpoint is saved) or only warn")
    max_minutes: float | None = option(
        None,
        "stop (with a checkpoint, as a finished run) after this many minutes of training in this process "
        "(a resumed run gets a fresh budget, as under a scheduler's time limit)",
        above=0,
    )


@dataclass
class DynamicSamplingSection:
    max_rounds: int = option(
        3,
        "at most this many generation rounds per batch to replace groups whose rewards are all equal",
        min=1,
    )


@dataclass
class PaperSetting:
    value: Any = option(help="the value the paper (or its code) states")
    cite: str = option(help="where: paper section/table, or repository path at a commit, with a short quote")


@dataclass
class UnstatedSetting:
    chose: Any = option(help="what this recipe uses where the paper is silent")
    why: str = option(help="the reason for that choice")


@dataclass
class Departure:
    setting: str = option(help="the setting (a key of settings, or a short name)")
    paper: str = option(help="what the paper (or its code) does")
    here: str = option(help="what this recipe does instead")
    why: str = option(help="why the paper can't be followed")
    effect: str = option(help="the expected effect on results")


@dataclass
class PublishedResult:
    benchmark: str = option(help="benchmark name")
    before: float | None = option(None, "score of the starting model, under the protocol")
    after: float | None = option(None, "score after the paper's training")
    cite: str = option("", "where the numbers are")


@dataclass
class PaperSection:
    title: str = option(help="the paper or project this recipe transcribes")
    references: list[str] = option([], "the files and sections read, with commits")
    gpus: int = option(1, "the number of GPUs the batch settings below are laid out for", min=1)
    settings: dict[str, PaperSetting] = option(
        {},
        "every setting the paper states: recipe key (trainer.beta, rewards.accuracy.grader, batch.*) -> value, cite",
    )
    not_stated: dict[str, UnstatedSetting] = option({}, "settings the paper is silent on: key -> chose, why")
    departures: list[Departure] = option([], "what this recipe can't follow, why, and the expected effect")
    protocol: str = option("", "how the published numbers were measured")
    published: list[PublishedResult] = option([], "the paper's before/after numbers")
    compute: str = option("not stated", "the hardware and time the paper reports")


@dataclass
class Recipe:
    model: ModelSection = option(help="the policy model")
    data: DataSection = option(help="the training data and its prompt template")
    trainer_type: Literal["grpo", "sft"] = option(
        "grpo",
        "grpo: TRL's GRPOTrainer (trainer: any field of GRPOConfig); sft: TRL's SFTTrainer on the data's "
        "completions, the loss on the completion only (trainer: any field of SFTConfig)",
    )
    rewards: list[RewardEntry] = option(
        [],
        "the reward functions, summed with their weights (GRPO: at least one; SFT: the accuracy reward's "
        "parameters say how the final evaluation grades)",
    )
    trainer: dict[str, Any] = option(
        {}, "any field of trl.GRPOConfig (SFTConfig for trainer_type: sft), passed through"
    )
    eval: EvalSection | None = option(None, "benchmarks scored on the final checkpoint")
    guard: GuardSection | None = option(
        None, "stop when the policy collapses (entropy or length), or after a time"
    )
    dynamic_sampling: DynamicSamplingSection | None = option(
        None,
        "DAPO's dynamic sampling: drop groups with no reward spread and generate more prompts to fill the batch",
    )
    paper: PaperSection | None = option(
        None,
        "what a paper recipe transcribes: stated settings with citations, choices, departures, results (this "
        "section was called source:, which is still read)",
    )
    online_rft: bool = option(
        False,
        "online rejection-sampling fine-tuning (DeepSeekMath §5.2.1) instead of GRPO's advantages: each "
        "completion the accuracy reward pays gets coefficient 1, every other 0 (no baseline, nothing for wrong "
        "answers); sampled from the current policy each step (recipes/trainer.py)",
    )
    shared_prompt: bool = option(
        False,
        "compute each group's prompt once in the loss and in generation (exact; faster when prompts are long "
        "next to completions; off with flash_attention_2 and for long completions: recipes/shared_prompt.py)",
    )
    seed: int = option(DEFAULT_SEED, "seed for data order, sampling and initialisation")
    output_dir: str | None = option(None, "where the run writes (default outputs/<recipe name>)")


SECTIONS: dict[str, type] = {
    "model": ModelSection,
    "model.lora": LoraSection,
    "data": DataSection,
    "data.sources[]": DataSource,
    "rewards[]": RewardEntry,
    "eval": EvalSection,
    "guard": GuardSection,
    "dynamic_sampling": DynamicSamplingSection,
    "data.pass_rate": PassRateFilter,
    "paper": PaperSection,
    "paper.settings.<key>": PaperSetting,
    "paper.not_stated.<key>": UnstatedSetting,
    "paper.departures[]": Departure,
    "paper.published[]": PublishedResult,
}


# --- help ----------------------------------------------------------------------------------------------


def list_keys() -> str:
    """Every key of every section with its type, default and help (``python -m recipes.train --list-keys``)."""
    lines = ["Top level:"]
    sections = {"": Recipe, **SECTIONS}
    for prefix, cls in sections.items():
        if prefix:
            lines += ["", f"{prefix}:"]
        hints = typing.get_type_hints(cls)
        for spec in dataclasses.fields(cls):
            if not spec.init or (not prefix and dataclasses.is_dataclass(_unwrap(hints[spec.name]))):
                continue
            if spec.default is not dataclasses.MISSING:
                default = f" = {spec.default!r}"
            elif spec.default_factory is not dataclasses.MISSING:
                default = f" = {spec.default_factory()!r}"
            else:
                default = " (required)"
            lines.append(f"  {spec.name}: {describe(hints[spec.name])}{default}")
            lines.append(f"      {spec.metadata.get('help', '')}")
    lines += [
        "",
        "trainer: any field of trl.GRPOConfig (python -c 'from trl import GRPOConfig; help(GRPOConfig)'); "
        "with trainer_type: sft, of trl.SFTConfig",
    ]
    return "\n".join(lines)


def _unwrap(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1 else tp
