"""The published Bot API as data: method lookup, request decoding and shape checks.

The spec file is Bot API 9.2; aiogram may already speak a newer version, so a field that
aiogram's own models define counts as known even when the spec does not list it.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiogram.methods
import aiogram.types

from emulator.models import UploadedFile

SCALAR_TYPES = frozenset({"String", "Integer", "Float", "Boolean", "InputFile"})
ARRAY_PREFIX = "Array of "


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


class BotAPISpec:
    """Bot API methods and types, read from the published JSON description."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "")
        self.types: Mapping[str, Any] = data["types"]
        self.methods: dict[str, MethodSpec] = {
            name: _method_spec(name, raw) for name, raw in data["methods"].items()
        }
        self._by_lower = {name.lower(): spec for name, spec in self.methods.items()}

    @classmethod
    def load(cls, path: Path) -> BotAPISpec:
        return _load_spec(path.resolve())

    def method(self, name: str) -> MethodSpec | None:
        """Telegram matches method names case-insensitively."""
        return self._by_lower.get(name.lower())

    def decode(self, method: MethodSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Turn form/query strings into values using the field types of the method."""
        known_types = {name: spec.types for name, spec in method.fields.items()}
        return {key: decode_value(known_types.get(key), value) for key, value in raw.items()}

    def check_request(self, method: MethodSpec, params: Mapping[str, Any]) -> list[str]:
        """Spec violations of one request: missing, unknown and mistyped fields."""
        problems = [
            f"{method.name}: missing required field '{spec.name}'"
            for spec in method.fields.values()
            if spec.required and spec.name not in params
        ]
        extra_known = aiogram_method_fields(method.name)
        for key, value in params.items():
            spec = method.fields.get(key)
            if spec is None:
                if key not in extra_known:
                    problems.append(f"{method.name}: unknown field '{key}'")
                continue
            problems.extend(self.check_value(spec.types, value, f"{method.name}.{key}"))
        return problems

    def check_object(self, type_name: str, value: Any, where: str | None = None) -> list[str]:
        """Shape problems of an object (an Update, a Message...) against the spec types."""
        return self.check_value((type_name,), value, where or type_name)

    def check_value(self, types: Sequence[str], value: Any, where: str) -> list[str]:
        """Problems of a value that may be any of `types`; empty when one of them fits."""
        attempts = []
        for type_name in types:
            problems = self._check_one(type_name, value, where)
            if not problems:
                return []
            attempts.append((type_name, problems))
        shaped = [problems for type_name, problems in attempts if _kind_fits(type_name, value)]
        if not shaped:
            expected = " or ".join(types)
            return [f"{where}: expected {expected}, got {_describe(value)}"]
        # Of the alternatives that fit the outer shape, the closest one explains best.
        return min(shaped, key=len)

    def _check_one(self, type_name: str, value: Any, where: str) -> list[str]:
        if type_name.startswith(ARRAY_PREFIX):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {_describe(value)}"]
            item_type = type_name.removeprefix(ARRAY_PREFIX)
            problems: list[str] = []
            for index, item in enumerate(value):
                problems.extend(self.check_value((item_type,), item, f"{where}[{index}]"))
            return problems
        if type_name in SCALAR_TYPES:
            if _scalar_fits(type_name, value):
                return []
            return [f"{where}: expected {type_name}, got {_describe(value)}"]
        spec = self.types.get(type_name)
        if spec is None:
            return []
        if spec.get("subtypes"):
            return self.check_value(spec["subtypes"], value, where)
        return self._check_fields(type_name, spec, value, where)

    def _check_fields(self, type_name: str, spec: Any, value: Any, where: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where}: expected {type_name}, got {_describe(value)}"]
        fields = {field["name"]: field for field in spec.get("fields", [])}
        problems = [
            f"{where}: missing required field '{name}' of {type_name}"
            for name, field in fields.items()
            if field["required"] and name not in value
        ]
        extra_known = aiogram_type_fields(type_name)
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                if key not in extra_known:
                    problems.append(f"{where}: unknown field '{key}' of {type_name}")
                continue
            problems.extend(self.check_value(field["types"], item, f"{where}.{key}"))
        return problems


def decode_value(types: Sequence[str] | None, raw: Any) -> Any:
    """Decode one form value as Telegram would, given the field's possible types.

    Without types (a field only aiogram knows) a JSON literal is decoded and anything else
    stays a string.
    """
    if not isinstance(raw, str):
        return raw
    if types is None:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if "Integer" in types:
        try:
            return int(raw)
        except ValueError:
            pass
    if "Float" in types:
        try:
            return float(raw)
        except ValueError:
            pass
    if "Boolean" in types and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if any(type_name not in SCALAR_TYPES for type_name in types):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw


@functools.cache
def _load_spec(path: Path) -> BotAPISpec:
    return BotAPISpec(json.loads(path.read_text(encoding="utf-8")))


def _method_spec(name: str, raw: Mapping[str, Any]) -> MethodSpec:
    fields = {
        field["name"]: FieldSpec(field["name"], tuple(field["types"]), bool(field["required"]))
        for field in raw.get("fields", [])
    }
    return MethodSpec(name=name, fields=fields, returns=tuple(raw.get("returns", [])))


@functools.cache
def _aiogram_methods() -> dict[str, type[Any]]:
    methods: dict[str, type[Any]] = {}
    for _, cls in inspect.getmembers(aiogram.methods, inspect.isclass):
        api_name = getattr(cls, "__api_method__", None)
        if isinstance(api_name, str):
            methods[api_name.lower()] = cls
    return methods


def _model_field_names(cls: Any) -> frozenset[str]:
    fields = getattr(cls, "model_fields", {})
    names = set(fields)
    names.update(field.alias for field in fields.values() if field.alias)
    return frozenset(names)


@functools.cache
def aiogram_method_fields(method_name: str) -> frozenset[str]:
    """Field names aiogram's model of this method defines (and so may send)."""
    cls = _aiogram_methods().get(method_name.lower())
    return _model_field_names(cls) if cls is not None else frozenset()


@functools.cache
def aiogram_type_fields(type_name: str) -> frozenset[str]:
    cls = getattr(aiogram.types, type_name, None)
    return _model_field_names(cls) if cls is not None else frozenset()


def _scalar_fits(type_name: str, value: Any) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "InputFile":
        return isinstance(value, UploadedFile | str)
    return isinstance(value, str)


def _kind_fits(type_name: str, value: Any) -> bool:
    """Whether the value has the outer shape of the type (scalar, list or object)."""
    if type_name.startswith(ARRAY_PREFIX):
        return isinstance(value, list)
    if type_name in SCALAR_TYPES:
        return _scalar_fits(type_name, value)
    return isinstance(value, dict)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"
