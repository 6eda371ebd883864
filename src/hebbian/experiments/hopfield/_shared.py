"""What the Hopfield recipes share: their topic and figure fonts."""

from __future__ import annotations

from typing import Any

from matplotlib.typing import RcKeyType

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
