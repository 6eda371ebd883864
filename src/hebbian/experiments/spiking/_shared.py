"""What two or more spiking recipes share: the topic and checks of derived step counts."""

from __future__ import annotations

__all__ = ["TOPIC", "epoch_steps", "exact", "whole_steps"]

TOPIC = "Spiking neurons and STDP"


def whole_steps(
    name: str, value: float, step_name: str, step: float, *, shown: str | None = None
) -> int:
    """``value / step`` as an int if it is whole (to 1e-6) and >= 1, else refuse.

    The message names the settings and their values (``shown``, default
    ``"{name} = {value} s"``, and the step), so that a setting that makes a derived
    count of steps zero or fractional is refused before anything runs.
    """
    ratio = value / step
    steps = round(ratio)
    if steps < 1 or abs(ratio - steps) > 1e-6 * max(ratio, 1.0):
        given = shown or f"{name} = {value:g} s"
        raise ValueError(
            f"{name} must be a whole number >= 1 of steps {step_name}, got {given} and "
            f"{step_name} = {step:g} s ({ratio:g} steps)"
        )
    return steps


def epoch_steps(duration: float, epochs: int, dt: float) -> int:
    """Steps per epoch, refusing a ``dt`` that does not cut ``duration / epochs`` evenly."""
    shown = f"duration = {duration:g} s, epochs = {epochs}"
    return whole_steps("duration / epochs", duration / epochs, "dt", dt, shown=shown)


def exact(value: float, digits: int = 6) -> float:
    """``value`` rounded to ``digits`` decimals: a result free of float64 rounding noise."""
    return round(value, digits) + 0.0  # + 0.0: no negative zero
