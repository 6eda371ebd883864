"""Recipe settings: parameter objects give dotted settings, enums parse, records round-trip."""

from __future__ import annotations

import dataclasses
import enum

import pytest

from hebbian.experiments.settings import (
    build_config,
    config_fields,
    config_record,
    config_values,
    setting_meanings,
)


class Kind(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


@dataclasses.dataclass(frozen=True)
class Inner:
    """Innermost parameters.

    Parameters
    ----------
    tau : float
        Time constant (s).
    """

    tau: float = 0.02


@dataclasses.dataclass(frozen=True)
class Rule:
    """A library parameter object.

    Attributes
    ----------
    p : float
        Power of the rule.
    kind : Kind
        Which variant.
    inner : Inner
        Nested parameters.
    """

    p: float = 2.0
    kind: Kind = Kind.FAST
    inner: Inner = Inner()


@dataclasses.dataclass(frozen=True)
class Demo:
    """Settings.

    Attributes
    ----------
    epochs : int
        Passes over the data.
    kinds : tuple of Kind
        Models to train.
    rule : Rule
        The rule's parameters.
    """

    epochs: int = 3
    kinds: tuple[Kind, ...] = (Kind.FAST, Kind.SLOW)
    rule: Rule = Rule(p=3.0)


def test_a_parameter_object_contributes_one_dotted_setting_per_field() -> None:
    assert list(config_fields(Demo)) == ["epochs", "kinds", "rule.p", "rule.kind", "rule.inner.tau"]


def test_dotted_overrides_replace_only_their_field_of_the_config_default() -> None:
    config = build_config(Demo, ["rule.inner.tau=0.5", "rule.kind=SLOW"])
    assert config.rule == Rule(p=3.0, kind=Kind.SLOW, inner=Inner(tau=0.5))  # p keeps 3.0
    assert config.epochs == 3


def test_enums_parse_by_value_or_name_in_any_case_and_tuples_of_them() -> None:
    assert build_config(Demo, ["kinds=slow,FAST"]).kinds == (Kind.SLOW, Kind.FAST)
    assert build_config(Demo, {"rule.kind": "Slow"}).rule.kind is Kind.SLOW
    with pytest.raises(ValueError, match=r"^--set rule.kind: expected one of fast, slow, got 'x'$"):
        build_config(Demo, ["rule.kind=x"])


def test_the_record_is_flat_json_and_builds_the_same_config_back() -> None:
    config = build_config(Demo, ["rule.p=4", "kinds=slow"])
    record = config_record(config)
    assert record == {
        "epochs": 3,
        "kinds": ["slow"],
        "rule.p": 4.0,
        "rule.kind": "fast",
        "rule.inner.tau": 0.02,
    }
    assert build_config(Demo, base=record) == config
    assert config_values(config)["rule.kind"] is Kind.FAST


def test_every_setting_takes_its_meaning_from_the_class_that_owns_it() -> None:
    assert setting_meanings(Demo) == {
        "epochs": "Passes over the data.",
        "kinds": "Models to train.",
        "rule.p": "Power of the rule.",
        "rule.kind": "Which variant.",
        "rule.inner.tau": "Time constant (s).",
    }


def test_unknown_settings_are_refused_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown setting 'rule.q'; valid settings: epochs, "):
        build_config(Demo, ["rule.q=1"])
