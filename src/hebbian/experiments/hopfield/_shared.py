"""What the Hopfield recipes share: their topic, figure fonts and a setting check."""

from __future__ import annotations

import itertools
from typing import Any

from matplotlib.typing import RcKeyType

from hebbian._checks import check_in_range

TOPIC = "Hopfield memories"

#: Font sizes of the recipe figures, legible when a figure is shown about 900 px wide.
FIGURE_FONTS: dict[RcKeyType, Any] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}


def check_increasing(name: str, values: tuple, low: float, high: float) -> None:
    """Refuse ``values`` unless a non-empty strictly increasing tuple within [low, high]."""
    if not isinstance(values, tuple) or not values:
        raise TypeError(f"{name} must be a non-empty tuple, got {values!r}")
    for value in values:
        check_in_range(name, value, low, high)
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"{name} must be strictly increasing, got {values!r}")
