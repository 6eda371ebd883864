"""Recipe settings: the flat, dotted names of a config dataclass, parsed and recorded.

A recipe's config is a frozen dataclass. Its fields are its settings, except that a
field holding a library parameter object (itself a dataclass, such as
:class:`~hebbian.competing.CompetingParams`) contributes one setting per field of that
object, named with a dot: ``rule.p``. The command line (``--set rule.p=4``), a recipe's
``tour`` overrides, the run record (``config.json``) and ``hebbian run NAME --help``
all use these flat names, so a config is never copied field by field.

Values given as text are parsed by the field's type: bool, int, float, str, an
:class:`~enum.Enum` (by value or name, any case), a ``tuple[...]`` of those
(comma-separated) and ``X | None`` (``none``). The record stores enums by value and
tuples as lists. This module does not import torch: ``hebbian run NAME --help`` stays
fast.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "build_config",
    "config_defaults",
    "config_fields",
    "config_record",
    "config_values",
    "setting_meanings",
]


def _is_parameter_object(kind: Any) -> bool:
    return isinstance(kind, type) and dataclasses.is_dataclass(kind)


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _walk(
    config_type: type, prefix: str = "", instance: Any = None
) -> list[tuple[str, Any, Any, type]]:
    """``(dotted name, type, value, owning class)`` of every setting, in field order.

    The value is the field's value in ``instance``, or its default without one
    (``dataclasses.MISSING`` where there is none); a parameter object's settings take
    their values from the object the outer class holds.
    """
    hints = typing.get_type_hints(config_type)
    found = []
    for field in dataclasses.fields(config_type):
        kind, name = hints[field.name], prefix + field.name
        value = _default(field) if instance is None else getattr(instance, field.name)
        if _is_parameter_object(kind):
            inner = None if value is dataclasses.MISSING else value
            found += _walk(kind, name + ".", inner)
        else:
            found.append((name, kind, value, config_type))
    return found


def config_fields(config_type: type) -> dict[str, Any]:
    """``{setting: type}`` of a config dataclass: dotted names for parameter objects.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Demo:
    ...     epochs: int = 3
    >>> config_fields(Demo)
    {'epochs': <class 'int'>}
    """
    return {name: kind for name, kind, _, _ in _walk(config_type)}


def config_defaults(config_type: type) -> dict[str, Any]:
    """``{setting: default}`` (``dataclasses.MISSING`` where a field has none)."""
    return {name: default for name, _, default, _ in _walk(config_type)}


def config_values(config: Any) -> dict[str, Any]:
    """``{setting: value}`` of a config instance, with the dotted names of its settings."""
    return {name: value for name, _, value, _ in _walk(type(config), instance=config)}


def _recorded(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_recorded(v) for v in value]
    return value


def config_record(config: Any) -> dict[str, Any]:
    """The flat record of a config written to ``config.json``: enums by value, lists.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Demo:
    ...     sizes: tuple[int, ...] = (1, 2)
    >>> config_record(Demo())
    {'sizes': [1, 2]}
    """
    return {name: _recorded(value) for name, value in config_values(config).items()}


def _enum_member(key: str, text: str, kind: type[enum.Enum]) -> enum.Enum:
    for member in kind:
        if text.lower() in (str(member.value).lower(), member.name.lower()):
            return member
    valid = ", ".join(str(m.value) for m in kind)
    raise ValueError(f"--set {key}: expected one of {valid}, got {text!r}")


def _parse_value(key: str, text: str, kind: Any) -> Any:
    """Convert ``text`` to ``kind`` (bool, int, float, str, Enum, tuple, X | None)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if text.lower() in ("none", "null"):
            return None
        kind = options[0]
    if kind is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--set {key}: expected true or false, got {text!r}")
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _enum_member(key, text, kind)
    if kind in (int, float, str):
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"--set {key}: expected {kind.__name__}, got {text!r}") from None
    if typing.get_origin(kind) is tuple:
        (item,) = {k for k in typing.get_args(kind) if k is not Ellipsis}
        return tuple(_parse_value(key, part.strip(), item) for part in text.split(",") if part)
    raise TypeError(f"--set {key}: fields of type {kind} cannot be set from the command line")


def _coerce(key: str, value: Any, kind: Any) -> Any:
    """A typed value (from a mapping or a record) as the field holds it."""
    if isinstance(value, str):
        return _parse_value(key, value, kind)
    if typing.get_origin(kind) is tuple and isinstance(value, (list, tuple)):
        (item,) = {k for k in typing.get_args(kind) if k is not Ellipsis}
        return tuple(_coerce(key, v, item) for v in value)
    return value


def _construct(config_type: type, values: Mapping[str, Any], default: Any = None) -> Any:
    """``config_type`` from flat dotted ``values``, starting from ``default`` if given."""
    hints = typing.get_type_hints(config_type)
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(config_type):
        kind = hints[field.name]
        if _is_parameter_object(kind):
            prefix = field.name + "."
            inner = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
            if inner:
                base = getattr(default, field.name) if default is not None else _default(field)
                arguments[field.name] = _construct(
                    kind, inner, None if base is dataclasses.MISSING else base
                )
        elif field.name in values:
            arguments[field.name] = values[field.name]
    if default is not None:
        return dataclasses.replace(default, **arguments)
    return config_type(**arguments)


def build_config(
    config_type: type,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    base: Mapping[str, Any] | None = None,
) -> Any:
    """Build a config: defaults, then ``base`` values, then ``overrides``.

    ``overrides`` are ``"key=value"`` strings (from ``--set``) or a mapping of values
    (typed, or text to parse); ``base`` is such a mapping too (a recipe's ``tour``, or
    the ``config`` of a run record). Keys are the flat setting names of
    :func:`config_fields`. An unknown key is refused with the list of valid ones; the
    dataclasses' own ``__post_init__`` checks the values.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Demo:
    ...     epochs: int = 3
    ...     rate: float = 0.1
    >>> build_config(Demo, ["epochs=5"])
    Demo(epochs=5, rate=0.1)
    >>> build_config(Demo, ["epoch=5"])
    Traceback (most recent call last):
    ...
    ValueError: unknown setting 'epoch'; valid settings: epochs, rate
    """
    fields = config_fields(config_type)
    pairs: list[tuple[str, Any]] = list((base or {}).items())
    if isinstance(overrides, Mapping):
        pairs += list(overrides.items())
    else:
        for item in overrides:
            key, sep, text = item.partition("=")
            if not sep:
                raise ValueError(f"--set expects key=value, got {item!r}")
            pairs.append((key.strip(), text.strip()))
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key not in fields:
            raise ValueError(f"unknown setting {key!r}; valid settings: {', '.join(fields)}")
        values[key] = _coerce(key, value, fields[key])
    return _construct(config_type, values)


_ENTRY = re.compile(r"^(?P<names>[A-Za-z_][\w, ]*?)\s*(?::\s*(?P<type>.*))?$")


def _attributes_section(doc: str, sections: tuple[str, ...] = ("Attributes",)) -> dict[str, str]:
    """``{name: first sentence of its description}`` from numpydoc ``sections``."""
    lines = doc.expandtabs().splitlines()
    meanings: dict[str, str] = {}
    inside, continued = False, False
    names: list[str] = []
    indent = 0
    for number, line in enumerate(lines):
        stripped = line.strip()
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if stripped in ("Attributes", "Parameters") and set(following) == {"-"}:
            inside, names, indent = stripped in sections, [], len(line) - len(line.lstrip())
            continue
        if not inside or set(stripped) == {"-"}:
            continue
        level = len(line) - len(line.lstrip())
        if stripped and level <= indent and following and set(following) == {"-"}:
            inside = False  # the next section starts
            continue
        if not stripped:
            continue
        if level <= indent:
            match = _ENTRY.match(stripped)
            found = [n.strip() for n in match["names"].split(",")] if match else []
            found = [n for n in found if n]
            # a list of names may wrap: "a, b,\n    c : float" documents a, b and c
            names = [*names, *found] if continued else found
            continued = stripped.endswith(",")
            for name in names:
                meanings.setdefault(name, "")
        else:
            continued = False
            for name in names:
                meanings[name] = f"{meanings[name]} {stripped}".strip()
    return {name: _first_sentence(text) for name, text in meanings.items()}


_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _first_sentence(text: str, width: int = 110) -> str:
    """The first sentence of a description, without reST markup, at most ``width`` long."""
    text = _ROLE.sub(r"\1", text).replace("``", "")
    end = re.search(r"(?<!\.)\.(?!\.)(\s|$)", text)  # not the dots of "0 .. n"
    sentence = text[: end.start() + 1] if end else text
    if len(sentence) > width:
        sentence = sentence[: width - 1].rsplit(" ", 1)[0] + "…"
    return sentence.rstrip()


def setting_meanings(config_type: type) -> dict[str, str]:
    """``{setting: one-line meaning}`` for every setting of a config dataclass.

    The meanings come from the numpydoc ``Attributes`` sections of the class and its
    bases (the first documentation of a name along the MRO wins); an entry such as
    ``learning_rate, final_learning_rate : float`` documents each name it lists. The
    settings of a parameter object (``rule.p``) are documented in the ``Attributes``
    or ``Parameters`` section of the parameter class. A setting documented nowhere
    maps to ``""``.

    >>> @dataclasses.dataclass
    ... class Demo:
    ...     '''Settings.
    ...
    ...     Attributes
    ...     ----------
    ...     rate, final_rate : float
    ...         Learning rates at the start and the end.
    ...     '''
    ...     rate: float = 0.1
    ...     final_rate: float = 0.0
    ...     steps: int = 3
    >>> setting_meanings(Demo)
    {'rate': 'Learning rates at the start and the end.', \
'final_rate': 'Learning rates at the start and the end.', 'steps': ''}
    """
    meanings: dict[str, str] = {}
    cache: dict[type, dict[str, str]] = {}
    for name, _, _, owner in _walk(config_type):
        if owner not in cache:
            sections = ("Attributes",) if owner is config_type else ("Attributes", "Parameters")
            documented: dict[str, str] = {}
            for klass in owner.__mro__:
                for key, meaning in _attributes_section(klass.__doc__ or "", sections).items():
                    if meaning and not documented.get(key):
                        documented[key] = meaning
            cache[owner] = documented
        meanings[name] = cache[owner].get(name.rsplit(".", 1)[-1], "")
    return meanings
