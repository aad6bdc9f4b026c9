"""Values against types: the generic checker the schema's dataclasses are built with. ``build`` turns a YAML
mapping into a dataclass, ``convert`` a value into a type (``bool``, ``int``, ``float``, ``str``, ``Literal``,
``list[...]``, ``dict[...]``, unions, nested dataclasses), and every problem is recorded with the entry's
dotted path, what it must be and the closest valid names, so that one run of the checks lists them all.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from typing import Any, Literal

from data.cli import close_matches


def closest(name: Any, options: typing.Iterable[Any]) -> str:
    """ "; did you mean ...?" with the valid names closest to ``name``, or nothing."""
    matches = close_matches(name, options)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def kind(value: Any) -> str:
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


def describe(tp: Any) -> str:
    if tp is Any:
        return "any value"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [describe(a) for a in args if a is not type(None)]
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


class Invalid(Exception):
    pass


def convert(tp: Any, value: Any, where: str, problems: list[str]) -> Any:
    """``value`` as type ``tp``; raises Invalid (with the problem recorded) when it isn't one."""
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
            return convert(options[0], value, where, problems)
        for option_type in options:  # the first type the value has; its own problems (ranges, keys) count
            scratch: list[str] = []
            try:
                converted = convert(option_type, value, where, scratch)
            except Invalid:
                continue
            problems += scratch
            return converted
        return _bad(tp, value, where, problems)
    if origin is Literal:
        if value in args:
            return value
        problems.append(f"{where}: {value!r} is not one of {', '.join(map(str, args))}{closest(value, args)}")
        raise Invalid
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where, problems)
    if origin is list:
        if not isinstance(value, list):
            return _bad(tp, value, where, problems)
        item_type = args[0] if args else Any
        return [convert(item_type, item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return _bad(tp, value, where, problems)
        value_type = args[1] if len(args) == 2 else Any
        return {k: convert(value_type, v, f"{where}.{k}", problems) for k, v in value.items()}
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
                raise Invalid
            return float(value)
        return _bad(tp, value, where, problems)
    if tp is str:
        return value if isinstance(value, str) else _bad(tp, value, where, problems)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        if value in values:
            return value
        problems.append(
            f"{where}: {value!r} is not one of {', '.join(map(str, values))}{closest(value, values)}"
        )
        raise Invalid
    return value  # a type this schema doesn't model: TRL's own checks take it from here


def _bad(tp: Any, value: Any, where: str, problems: list[str]) -> Any:
    problems.append(f"{where} must be {describe(tp)}, got {value!r} ({kind(value)})")
    raise Invalid


def check_range(value: Any, where: str, metadata: typing.Mapping[str, Any], problems: list[str]) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    low, high, above = metadata.get("min"), metadata.get("max"), metadata.get("above")
    if low is not None and value < low:
        problems.append(f"{where} must be at least {low}, got {value!r}")
    if above is not None and value <= above:
        problems.append(f"{where} must be above {above}, got {value!r}")
    if high is not None and value > high:
        problems.append(f"{where} must be at most {high}, got {value!r}")


def build(cls: type, value: Any, where: str, problems: list[str]) -> Any:
    """An instance of dataclass ``cls`` from a mapping, recording every problem (with did-you-mean)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(f"{where or 'the recipe'} must be {describe(cls)}, got {value!r} ({kind(value)})")
        raise Invalid
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    prefix = f"{where}." if where else ""
    for key in value:
        if key not in fields:
            problems.append(f"unknown entry {prefix}{key}{closest(key, fields)} (valid: {', '.join(fields)})")
    kwargs, ok = {}, True
    for name, spec in fields.items():
        if name not in value:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                problems.append(f"{prefix}{name} is required: {spec.metadata.get('help', '')}")
                ok = False
            continue
        try:
            kwargs[name] = convert(hints[name], value[name], prefix + name, problems)
            check_range(kwargs[name], prefix + name, spec.metadata, problems)
        except Invalid:
            ok = False
    if not ok:
        raise Invalid
    return cls(**kwargs)
