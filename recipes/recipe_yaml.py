"""Reading a recipe: YAML 1.2 numbers (``1e-6`` is a number, not text), duplicate keys refused, every way a
file can be wrong one line naming file, line and column; and ``section.key=value`` overrides from the
command line, their values read as YAML.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import yaml

from recipes.schema import RecipeError
from recipes.typecheck import kind


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
            f"{path}: a recipe is a mapping of sections (model:, data:, ...), not a {kind(recipe)}"
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
