"""The recipe schema: every key of every section, its type, default and help, in one place.

A recipe is a YAML file with the sections ``model``, ``data``, ``rewards``, ``trainer`` (any field of TRL's
``GRPOConfig``), optional ``eval``, ``guard`` and ``source``, and the top-level ``seed`` and ``output_dir``.
Each section is a dataclass below (TRL's ``GRPOConfig`` style: a default and help text per field);
``parse_recipe`` checks a YAML mapping against them and returns a typed ``Recipe``, listing every problem
with the closest valid names. ``key=value`` overrides on the command line address any entry by its
dotted path (``trainer.learning_rate=1e-6 data.limit=64``); values are read as YAML.

A recipe is code: a reward named ``package.module:function`` imports that module when the recipe is
checked, with whatever that import does.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import importlib
import inspect
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

import data
import rewards
from eval.generate import DEFAULT_MAX_NEW_TOKENS

DEFAULT_SEED = 42
DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")


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
    # One source, written inline ...
    name: str | None = option(None, "one source: a data.load name, hub id or local file (or use sources)")
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
    seed: int | None = option(None, "seed of a generated data set (arithmetic); default: the recipe's seed")
    # ... or a mixture.
    sources: list[DataSource] | None = option(
        None, "a mixture: a list of sources, each with name, split, data_files, limit, levels, fields"
    )
    template: str | None = option(None, "prompt template (data/templates.py); required")
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

    SOURCE_KEYS: typing.ClassVar[tuple[str, ...]] = tuple(f.name for f in dataclasses.fields(DataSource))

    def source_list(self) -> list[DataSource]:
        """The sources this section trains on (one, written inline, or the mixture)."""
        if self.sources:
            return self.sources
        return [DataSource(**{key: getattr(self, key) for key in self.SOURCE_KEYS})]


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
class SourceSetting:
    value: Any = option(help="the value the source states")
    cite: str = option(help="where: paper section/table, or repository path at a commit, with a short quote")


@dataclass
class UnstatedSetting:
    chose: Any = option(help="what this recipe uses where the source is silent")
    why: str = option(help="the reason for that choice")


@dataclass
class Departure:
    setting: str = option(help="the setting (a key of settings, or a short name)")
    source: str = option(help="what the source does")
    here: str = option(help="what this recipe does instead")
    why: str = option(help="why the source can't be followed")
    effect: str = option(help="the expected effect on results")


@dataclass
class PublishedResult:
    benchmark: str = option(help="benchmark name")
    before: float | None = option(None, "score of the starting model, under the protocol")
    after: float | None = option(None, "score after the source's training")
    cite: str = option("", "where the numbers are")


@dataclass
class SourceSection:
    title: str = option(help="the paper or project this recipe transcribes")
    references: list[str] = option([], "the files and sections read, with commits")
    gpus: int = option(1, "the number of GPUs the batch settings below are laid out for", min=1)
    settings: dict[str, SourceSetting] = option(
        {},
        "every setting the source states: recipe key (trainer.beta, rewards.accuracy.extract, batch.*) -> value, cite",
    )
    not_stated: dict[str, UnstatedSetting] = option({}, "settings the source is silent on: key -> chose, why")
    departures: list[Departure] = option([], "what this recipe can't follow, why, and the expected effect")
    protocol: str = option("", "how the published numbers were measured")
    published: list[PublishedResult] = option([], "the source's before/after numbers")
    compute: str = option("not stated", "the hardware and time the source reports")


@dataclass
class Recipe:
    model: ModelSection = option(help="the policy model")
    data: DataSection = option(help="the training data and its prompt template")
    rewards: list[RewardEntry] = option(help="the reward functions, summed with their weights")
    trainer: dict[str, Any] = option({}, "any field of trl.GRPOConfig, passed through")
    eval: EvalSection | None = option(None, "benchmarks scored on the final checkpoint")
    guard: GuardSection | None = option(
        None, "stop when the policy collapses (entropy or length), or after a time"
    )
    dynamic_sampling: DynamicSamplingSection | None = option(
        None,
        "DAPO's dynamic sampling: drop groups with no reward spread and generate more prompts to fill the batch",
    )
    source: SourceSection | None = option(
        None, "what a paper recipe transcribes: stated settings with citations, choices, departures, results"
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
    "source": SourceSection,
    "source.settings.<key>": SourceSetting,
    "source.not_stated.<key>": UnstatedSetting,
    "source.departures[]": Departure,
    "source.published[]": PublishedResult,
}

# Trainer keys the runner owns: setting them in the trainer section would be silently overridden.
RUNNER_KEYS = {
    "output_dir": "set output_dir at the top level of the recipe",
    "seed": "set seed at the top level of the recipe",
    "reward_weights": "set each reward's weight in the rewards section",
}
# Ranges TRL only finds out about mid-training (or never): key -> (lowest, highest, lowest excluded).
TRAINER_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "learning_rate": (0, None, False),
    "per_device_train_batch_size": (1, None, False),
    "gradient_accumulation_steps": (1, None, False),
    "num_generations": (2, None, False),
    "max_completion_length": (1, None, False),
    "num_iterations": (1, None, False),
    "steps_per_generation": (1, None, False),
    "generation_batch_size": (1, None, False),
    "beta": (0, None, False),
    "temperature": (0, None, True),
    "top_p": (0, 1, True),
    "num_train_epochs": (0, None, True),
    "save_steps": (0, None, True),
    "logging_steps": (0, None, True),
    "epsilon": (0, None, True),
    "epsilon_high": (0, None, True),
    "warmup_ratio": (0, 1, False),
    "warmup_steps": (0, None, False),
    "weight_decay": (0, None, False),
    "adam_beta1": (0, 1, False),
    "adam_beta2": (0, 1, False),
    "max_grad_norm": (0, None, False),
}
NOT_NULL = {"num_generations", "max_completion_length", "learning_rate", "per_device_train_batch_size"}
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")  # TRL 1.16
SCALE_REWARDS = ("group", "batch", "none", True, False)


# --- reading YAML -------------------------------------------------------------------------------------


class _RecipeLoader(yaml.SafeLoader):
    """YAML with 1.2 numbers (``1e-6`` is a number, not text) that refuses duplicate keys."""


_FLOAT = re.compile(
    r"^[-+]?(?:\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\.inf|\.Inf|\.INF)$|^\.nan$|^\.NaN$|^\.NAN$"
)
_RecipeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (its first value would be silently dropped)", mark
            )
        seen[key] = True
    return loader.construct_mapping(node)


_RecipeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def parse_yaml(text: str, where: str) -> Any:
    """YAML text as Python values; a syntax error is one line naming ``where``, line and column."""
    try:
        return yaml.load(text, Loader=_RecipeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        if "\\t" in problem or "'\\t'" in problem or "tab" in problem:
            problem += " (YAML indents with spaces, not tabs)"
        raise RecipeError(f"{where}{position}: {problem}") from None
    except yaml.YAMLError as error:
        raise RecipeError(f"{where}: not valid YAML ({str(error).splitlines()[0]})") from None


def read_recipe_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a recipe file; every way a file can be wrong is one line naming it."""
    path = Path(path)
    if path.is_dir():
        raise RecipeError(f"{path} is a folder; give a recipe file, e.g. {path / 'smoke.yaml'}")
    if not path.exists():
        shipped = sorted(p.name for p in Path(__file__).parent.glob("*.yaml"))
        raise RecipeError(
            f"recipe {str(path)!r} not found; shipped recipes (in recipes/): {', '.join(shipped)}"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise RecipeError(
            f"{path}, line {line}, column {column}: not UTF-8 text; save the file as UTF-8"
        ) from None
    recipe = parse_yaml(text, str(path))
    if recipe is None:
        raise RecipeError(f"{path} is empty; a recipe needs model, data, rewards (see recipes/smoke.yaml)")
    if not isinstance(recipe, dict):
        raise RecipeError(
            f"{path}: a recipe is a mapping of sections (model:, data:, ...), not a {_kind(recipe)}"
        )
    return recipe


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"trainer.learning_rate=1e-6"`` -> ``(["trainer", "learning_rate"], 1e-06)``.

    >>> parse_override("trainer.learning_rate=1e-6")
    (['trainer', 'learning_rate'], 1e-06)
    >>> parse_override("data.levels=[1, 2]")
    (['data', 'levels'], [1, 2])
    >>> parse_override("model.name_or_path=Qwen/Qwen2.5-0.5B")
    (['model', 'name_or_path'], 'Qwen/Qwen2.5-0.5B')
    """
    if "=" not in text:
        raise RecipeError(
            f"override {text!r} must look like section.key=value (e.g. trainer.learning_rate=1e-6)"
        )
    key, value = text.split("=", 1)
    if not key or any(not part.strip() for part in key.split(".")):
        raise RecipeError(f"override {text!r} has an empty key; write section.key=value")
    return key.strip().split("."), parse_yaml(value, f"override {text!r}") if value.strip() else None


def load_recipe(path: str | Path, overrides: typing.Sequence[str] = ()) -> dict[str, Any]:
    """The recipe at ``path`` with ``overrides`` applied (not yet checked: see ``parse_recipe``)."""
    recipe = read_recipe_file(path)
    for text in overrides:
        keys, value = parse_override(text)
        target = recipe
        for depth, key in enumerate(keys[:-1]):
            if target.get(key) is None:
                target[key] = {}
            if not isinstance(target[key], dict):
                raise RecipeError(f"override {text!r}: {'.'.join(keys[: depth + 1])} is not a section")
            target = target[key]
        target[keys[-1]] = value
    return recipe


# --- checking values against the schema -------------------------------------------------------------


def _closest(name: Any, options: typing.Iterable[Any]) -> str:
    matches = difflib.get_close_matches(str(name), [str(o) for o in options], n=3, cutoff=0.5)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "true/false",
        int: "whole number",
        float: "number",
        str: "text",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)


def _describe(tp: Any) -> str:
    if tp is Any:
        return "any value"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [_describe(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin is Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is list:
        plural = {int: "whole numbers", float: "numbers", str: "text entries"}
        item = args[0] if args else Any
        return f"a list of {plural.get(item) or ('mappings' if dataclasses.is_dataclass(item) else 'values')}"
    if origin is dict or tp is dict:
        return "a mapping (key: value)"
    if dataclasses.is_dataclass(tp):
        return f"a mapping of {', '.join(f.name for f in dataclasses.fields(tp))}"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in tp)
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


class _Invalid(Exception):
    pass


def _convert(tp: Any, value: Any, where: str, problems: list[str]) -> Any:
    """``value`` as type ``tp``; raises _Invalid (with the problem recorded) when it isn't one."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            return _bad(tp, value, where, problems)
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value, where, problems)
        for option_type in options:  # the first type the value has; its own problems (ranges, keys) count
            scratch: list[str] = []
            try:
                converted = _convert(option_type, value, where, scratch)
            except _Invalid:
                continue
            problems += scratch
            return converted
        return _bad(tp, value, where, problems)
    if origin is Literal:
        if value in args:
            return value
        problems.append(
            f"{where}: {value!r} is not one of {', '.join(map(str, args))}{_closest(value, args)}"
        )
        raise _Invalid
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where, problems)
    if origin is list:
        if not isinstance(value, list):
            return _bad(tp, value, where, problems)
        item_type = args[0] if args else Any
        return [_convert(item_type, item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return _bad(tp, value, where, problems)
        value_type = args[1] if len(args) == 2 else Any
        return {k: _convert(value_type, v, f"{where}.{k}", problems) for k, v in value.items()}
    if tp is bool:
        return value if isinstance(value, bool) else _bad(tp, value, where, problems)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return _bad(tp, value, where, problems)
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):  # .inf / .nan: no setting here means "unlimited" by infinity
                problems.append(f"{where} must be a finite number, got {value!r}")
                raise _Invalid
            return float(value)
        return _bad(tp, value, where, problems)
    if tp is str:
        return value if isinstance(value, str) else _bad(tp, value, where, problems)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        if value in values:
            return value
        problems.append(
            f"{where}: {value!r} is not one of {', '.join(map(str, values))}{_closest(value, values)}"
        )
        raise _Invalid
    return value  # a type this schema doesn't model: TRL's own checks take it from here


def _bad(tp: Any, value: Any, where: str, problems: list[str]) -> Any:
    problems.append(f"{where} must be {_describe(tp)}, got {value!r} ({_kind(value)})")
    raise _Invalid


def _check_range(value: Any, where: str, metadata: typing.Mapping[str, Any], problems: list[str]) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    low, high, above = metadata.get("min"), metadata.get("max"), metadata.get("above")
    if low is not None and value < low:
        problems.append(f"{where} must be at least {low}, got {value!r}")
    if above is not None and value <= above:
        problems.append(f"{where} must be above {above}, got {value!r}")
    if high is not None and value > high:
        problems.append(f"{where} must be at most {high}, got {value!r}")


def _build(cls: type, value: Any, where: str, problems: list[str]) -> Any:
    """An instance of dataclass ``cls`` from a mapping, recording every problem (with did-you-mean)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(f"{where or 'the recipe'} must be {_describe(cls)}, got {value!r} ({_kind(value)})")
        raise _Invalid
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    prefix = f"{where}." if where else ""
    for key in value:
        if key not in fields:
            problems.append(
                f"unknown entry {prefix}{key}{_closest(key, fields)} (valid: {', '.join(fields)})"
            )
    kwargs, ok = {}, True
    for name, spec in fields.items():
        if name not in value:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                problems.append(f"{prefix}{name} is required: {spec.metadata.get('help', '')}")
                ok = False
            continue
        try:
            kwargs[name] = _convert(hints[name], value[name], prefix + name, problems)
            _check_range(kwargs[name], prefix + name, spec.metadata, problems)
        except _Invalid:
            ok = False
    if not ok:
        raise _Invalid
    return cls(**kwargs)


# --- the whole recipe ---------------------------------------------------------------------------------


def parse_recipe(raw: dict[str, Any], num_processes: int = 1) -> Recipe:
    """Check a recipe mapping against the schema and the libraries it feeds; raises RecipeError listing
    every problem, one per line."""
    problems: list[str] = []
    raw = dict(raw)
    if isinstance(raw.get("rewards"), list):  # "accuracy" is short for {name: accuracy}
        raw["rewards"] = [{"name": entry} if isinstance(entry, str) else entry for entry in raw["rewards"]]
    try:
        recipe = _build(Recipe, raw, "", problems)
    except _Invalid:
        recipe = None
    if recipe is not None:
        problems += _check_model(recipe.model)
        problems += _check_data(recipe.data)
        problems += _check_rewards(recipe.rewards)
        problems += _check_trainer(recipe.trainer, num_processes)
        if recipe.shared_prompt and recipe.model.attn_implementation not in (None, "sdpa", "eager"):
            problems.append(
                f"shared_prompt needs an attention implementation that takes a 4-D mask (sdpa or eager), not "
                f"model.attn_implementation={recipe.model.attn_implementation}; set shared_prompt: false"
            )
        if recipe.eval is not None:
            problems += _check_eval(recipe.eval)
        if recipe.dynamic_sampling is not None and num_processes > 1:
            problems.append(
                f"dynamic_sampling runs on one process, and this run has {num_processes} (a group's completions "
                "are spread over ranks, so whole groups can't be selected); remove the dynamic_sampling section "
                "or launch a single process"
            )
    if problems:
        raise RecipeError("\n".join(dict.fromkeys(problems)))
    return recipe


def _looks_like_file(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


def _check_model(model: ModelSection) -> list[str]:
    from data.hub import model_problem

    problem = None if model.name_or_path == "tiny" else model_problem(model.name_or_path)
    return [f"model.name_or_path: {problem}"] if problem else []


def _check_source(source: DataSource, where: str) -> list[str]:
    problems = []
    name = source.name
    named = name in data.SOURCES or name == "arithmetic"
    if not named:
        if _looks_like_file(name) and not Path(name).exists():
            problems.append(f"{where}.name: file {name!r} does not exist")
        elif not _looks_like_file(name) and "/" not in name:
            problems.append(
                f"{where}.name {name!r} is not a named source{_closest(name, [*data.SOURCES, 'arithmetic'])} "
                f"({', '.join([*data.SOURCES, 'arithmetic'])}), a local file or a hub id (owner/name)"
            )
        elif not source.question_field or not source.answer_field:
            problems.append(
                f"{where}: {name!r} is not a named source, so give its fields: question_field and answer_field"
            )
    elif name in data.SOURCES and source.split not in data.SOURCES[name].splits:
        problems.append(
            f"{where}.split {source.split!r}: {name} has splits {', '.join(data.SOURCES[name].splits)}"
        )
    elif name == "arithmetic" and source.split not in ("train", "test"):
        problems.append(f"{where}.split {source.split!r}: arithmetic has splits train, test")
    if source.levels is not None and not problems:
        try:
            data.check_levels(name, source.levels)
        except data.DataError as error:
            problems.append(f"{where}.levels: {error}")
    for path in _files(source.data_files, source.split):
        if not Path(path).exists():
            problems.append(f"{where}.data_files: {path!r} does not exist")
    if isinstance(source.data_files, dict) and source.split not in source.data_files and name != "math":
        problems.append(
            f"{where}.data_files has no entry for split {source.split!r} (it has {', '.join(source.data_files)})"
        )
    return problems


def _files(data_files: Any, split: str) -> list[str]:
    if data_files is None:
        return []
    if isinstance(data_files, dict):
        return [p for value in data_files.values() for p in ([value] if isinstance(value, str) else value)]
    return [data_files] if isinstance(data_files, str) else list(data_files)


def _check_data(section: DataSection) -> list[str]:
    problems = []
    if section.sources:
        inline = [
            key for key in DataSection.SOURCE_KEYS if getattr(section, key) != getattr(DataSection(), key)
        ]
        if inline:
            problems.append(
                f"data: with data.sources, set {', '.join(inline)} inside each source, not beside the list"
            )
        for i, source in enumerate(section.sources):
            problems += _check_source(source, f"data.sources[{i}]")
            if source in section.sources[:i]:
                first = section.sources.index(source)
                problems.append(
                    f"data.sources[{i}] is the same source as data.sources[{first}] (the run would keep its rows "
                    "once); remove one, or give it another split, levels or limit"
                )
    elif section.name is None:
        problems.append(
            "data.name is required (e.g. gsm8k, math, arithmetic, or a local file), or list data.sources"
        )
    else:
        problems += _check_source(section.source_list()[0], "data")
    if section.pass_rate is not None:
        rates = section.pass_rate
        try:
            data.read_pass_rates(rates.file)
        except data.DataError as error:
            problems.append(str(error))
        if rates.min > rates.max:
            problems.append(f"data.pass_rate: min ({rates.min}) is above max ({rates.max})")
    if section.template is None:
        problems.append(
            f"data.template is required: it turns each question into the prompt (one of {', '.join(data.TEMPLATES)})"
        )
    elif section.template not in data.TEMPLATES:
        problems.append(
            f"data.template {section.template!r} is unknown{_closest(section.template, data.TEMPLATES)} (valid: {', '.join(data.TEMPLATES)})"
        )
    return problems


def resolve_reward_function(name: str) -> typing.Callable:
    """Import a user's reward given as ``"package.module:function"`` (this runs that module's code)."""
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise RecipeError(f"reward {name!r}: write package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise RecipeError(
            f"reward {name!r}: no module {error.name!r} (run from the repository root, or put it on PYTHONPATH)"
        ) from None
    except Exception as error:  # noqa: BLE001 - the user's module failed while importing
        raise RecipeError(
            f"reward {name!r}: importing {module_name} failed: {type(error).__name__}: {error}"
        ) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise RecipeError(
            f"reward {name!r}: {module_name} has no function {attribute!r}{_closest(attribute, dir(module))}"
        )
    return function


def _check_rewards(entries: list[RewardEntry]) -> list[str]:
    if not entries:
        return ["rewards: list at least one reward, e.g. [{name: accuracy}]"]
    problems = []
    for i, entry in enumerate(entries):
        where = f"rewards[{i}] ({entry.name})"
        if not math.isfinite(entry.weight):
            problems.append(f"{where}.weight must be a finite number, got {entry.weight!r}")
        if ":" in entry.name:
            try:
                function = resolve_reward_function(entry.name)
            except RecipeError as error:
                problems.append(f"rewards[{i}]: {error}")
                continue
            problems += _check_signature(function, entry.params, where)
            problems += _check_param_types(function, entry.params, i)
            continue
        if entry.name not in rewards.REGISTRY:
            problems.append(
                f"rewards[{i}]: unknown reward {entry.name!r}{_closest(entry.name, rewards.REGISTRY)} (registered: {', '.join(rewards.REGISTRY)})"
            )
            continue
        allowed = rewards.reward_parameters(entry.name)
        for key in entry.params:
            if key not in allowed:
                problems.append(
                    f"{where}: unknown parameter {key!r}{_closest(key, allowed)} (valid: {', '.join(allowed)})"
                )
        problems += _check_param_types(rewards.REGISTRY[entry.name], entry.params, i)
    return problems


def _check_param_types(function: typing.Callable, params: dict[str, Any], index: int) -> list[str]:
    """Each parameter against the function's annotation (``zero_if_truncated: "no"`` is text, not false);
    converted in place where the schema converts (a whole number for a float)."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - annotations that don't resolve: the dry run's call checks the values
        return []
    problems: list[str] = []
    for key, value in params.items():
        if key in hints:
            try:
                params[key] = _convert(hints[key], value, f"rewards[{index}].params.{key}", problems)
            except _Invalid:
                continue
    return problems


def _check_signature(function: typing.Callable, params: dict[str, Any], where: str) -> list[str]:
    """A user's reward must take TRL's call: completions plus **kwargs (TRL passes every column)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    kinds = {p.kind for p in signature.parameters.values()}
    problems = []
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(
            f"{where}: the function must accept **kwargs (TRL passes prompts, completions and every column)"
        )
    if "completions" not in signature.parameters and inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(f"{where}: the function must take a completions argument")
    unknown = [k for k in params if k not in signature.parameters]
    if unknown and inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.append(f"{where}: unknown parameter(s) {unknown}")
    return problems


def grpo_fields() -> dict[str, dataclasses.Field]:
    from trl import GRPOConfig

    return {f.name: f for f in dataclasses.fields(GRPOConfig) if f.init}


def _grpo_hints() -> dict[str, Any]:
    from trl import GRPOConfig

    try:
        return typing.get_type_hints(GRPOConfig)
    except Exception:  # noqa: BLE001 - a hint that doesn't resolve is checked by TRL itself
        return {}


def _check_trainer(trainer: dict[str, Any], num_processes: int) -> list[str]:
    fields, hints = grpo_fields(), _grpo_hints()
    problems: list[str] = []
    for key, value in trainer.items():
        if key in RUNNER_KEYS:
            problems.append(f"trainer.{key}: {RUNNER_KEYS[key]}")
            continue
        if key not in fields:
            problems.append(
                f"unknown entry trainer.{key}{_closest(key, fields)} (any field of trl.GRPOConfig)"
            )
            continue
        if value is None and key in NOT_NULL:
            problems.append(f"trainer.{key} can't be null (TRL default: {fields[key].default!r})")
            continue
        if (
            key == "use_vllm" and value == "auto"
        ):  # the runner decides: vLLM when installed and a GPU is present
            continue
        if key in hints:
            try:
                trainer[key] = value = _convert(hints[key], value, f"trainer.{key}", problems)
            except _Invalid:
                continue
        if key in TRAINER_RANGES and isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high, low_excluded = TRAINER_RANGES[key]
            if low is not None and (value < low or (low_excluded and value == low)):
                problems.append(
                    f"trainer.{key} must be {'above' if low_excluded else 'at least'} {low}, got {value!r}"
                )
            elif high is not None and value > high:
                problems.append(f"trainer.{key} must be at most {high}, got {value!r}")
    max_steps = trainer.get("max_steps")
    if isinstance(max_steps, int) and not isinstance(max_steps, bool) and (max_steps == 0 or max_steps < -1):
        problems.append(
            f"trainer.max_steps must be -1 (use num_train_epochs) or a positive number, got {max_steps}"
        )
    loss_type = trainer.get("loss_type", fields["loss_type"].default)
    if loss_type not in LOSS_TYPES:
        problems.append(
            f"trainer.loss_type {loss_type!r} is not one TRL accepts: {', '.join(LOSS_TYPES)}{_closest(loss_type, LOSS_TYPES)}"
        )
    scale = trainer.get("scale_rewards", fields["scale_rewards"].default)
    if scale not in SCALE_REWARDS:
        problems.append(
            f"trainer.scale_rewards {scale!r} is not one TRL accepts: group, batch, none, true, false"
        )
    if problems:
        return problems
    generations = trainer.get("num_generations", fields["num_generations"].default)
    batch = trainer.get("per_device_train_batch_size", fields["per_device_train_batch_size"].default)
    accumulation = trainer.get("steps_per_generation") or trainer.get("gradient_accumulation_steps", 1)
    if (batch * accumulation * num_processes) % generations != 0 and "generation_batch_size" not in trainer:
        problems.append(
            f"per_device_train_batch_size ({batch}) x gradient_accumulation_steps ({accumulation}) x processes "
            f"({num_processes}) = {batch * accumulation * num_processes} completions is not divisible by "
            f"num_generations ({generations}); try {nearest_valid_batches(batch, accumulation, num_processes, generations)}"
        )
    return problems


def nearest_valid_batches(batch: int, accumulation: int, processes: int, generations: int) -> str:
    """Suggestions for a batch that holds whole groups of ``generations`` completions."""
    options = []
    for b in range(max(1, batch - 8), batch + 9):
        if (b * accumulation * processes) % generations == 0:
            options.append(f"per_device_train_batch_size={b}")
            if len(options) == 2:
                break
    divisors = [g for g in range(2, generations + 9) if (batch * accumulation * processes) % g == 0]
    if divisors:
        nearest = min(divisors, key=lambda g: abs(g - generations))
        options.append(f"num_generations={nearest}")
    return " or ".join(options)


def _check_eval(section: EvalSection) -> list[str]:
    problems = []
    known = [*data.SOURCES, "arithmetic"]
    if not section.benchmarks:
        problems.append("eval.benchmarks: list at least one benchmark, e.g. [gsm8k]")
    for name in section.benchmarks:
        if name not in known:
            problems.append(
                f"eval.benchmarks: unknown benchmark {name!r}{_closest(name, known)} (known: {', '.join(known)})"
            )
        elif section.levels is not None:
            try:
                data.check_levels(name, section.levels)
            except data.DataError as error:
                problems.append(f"eval.levels: {error}")
    if section.template is not None and section.template not in data.TEMPLATES:
        problems.append(
            f"eval.template {section.template!r} is unknown{_closest(section.template, data.TEMPLATES)} (valid: {', '.join(data.TEMPLATES)})"
        )
    if section.n > 1 and section.temperature == 0:
        problems.append(
            f"eval.n is {section.n} with temperature 0: {section.n} identical greedy samples; set eval.temperature (e.g. 0.6)"
        )
    for name, path in section.data_files.items():
        if name not in section.benchmarks:
            problems.append(
                f"eval.data_files.{name}: not one of eval.benchmarks ({', '.join(section.benchmarks)})"
            )
        elif not Path(path).exists():
            problems.append(f"eval.data_files.{name}: {path!r} does not exist")
    return problems


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
            lines.append(f"  {spec.name}: {_describe(hints[spec.name])}{default}")
            lines.append(f"      {spec.metadata.get('help', '')}")
    lines += [
        "",
        "trainer: any field of trl.GRPOConfig (python -c 'from trl import GRPOConfig; help(GRPOConfig)')",
    ]
    return "\n".join(lines)


def _unwrap(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1 else tp
