"""Small matplotlib helpers shared by the recipes.

Figures are made with :class:`matplotlib.figure.Figure` directly, not through pyplot:
no backend is chosen and no global figure list grows, so importing a recipe leaves a
user's own matplotlib setup (a notebook's inline backend, say) as it was, and saving a
figure (:meth:`hebbian.runs.Run.save_figure`) renders it off-screen with Agg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib import rc_context
from matplotlib.figure import Figure

__all__ = ["image_rows", "rc_context", "subplots"]

_FIGURE_KEYWORDS = ("figsize", "dpi", "layout", "constrained_layout", "facecolor")


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A new figure and its grid of axes, like ``matplotlib.pyplot.subplots``.

    Keywords of the figure (``figsize``, ``dpi``, ``layout``, ``constrained_layout``,
    ``facecolor``) go to :class:`~matplotlib.figure.Figure`, the others (``sharex``,
    ``squeeze``, ``gridspec_kw``, ``width_ratios``...) to :meth:`Figure.subplots`.

    Examples
    --------
    >>> fig, axes = subplots(1, 2, figsize=(4, 2))
    >>> len(axes), fig.get_size_inches().tolist()
    (2, [4.0, 2.0])
    """
    figure_kwargs = {k: kwargs.pop(k) for k in _FIGURE_KEYWORDS if k in kwargs}
    fig = Figure(**figure_kwargs)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def image_rows(
    rows: Sequence[torch.Tensor | np.ndarray],
    row_labels: Sequence[str],
    *,
    titles: Sequence[str] | None = None,
    cmap: str = "RdBu_r",
    symmetric: bool = True,
    scale: float = 1.1,
    limits: tuple[float, float] | None = None,
) -> Figure:
    """Show several rows of images, e.g. learned components above PCA's.

    Parameters
    ----------
    rows : sequence of (K, H, W) arrays
        One row of K images each; all rows have the same K.
    row_labels : sequence of str
        A label per row, written at its left.
    titles : sequence of str, optional
        A title per column.
    symmetric : bool
        Centre the colour scale on zero for each image (weights have both signs).
    scale : float
        Inches per image.
    limits : (low, high), optional
        One colour scale for every image instead (e.g. ``(-1, 1)`` for activities), so
        that a colour means the same value everywhere; overrides ``symmetric``.
    """
    arrays = [
        r.detach().cpu().numpy() if isinstance(r, torch.Tensor) else np.asarray(r) for r in rows
    ]
    n_rows, n_cols = len(arrays), arrays[0].shape[0]
    fig, axes = subplots(
        n_rows, n_cols, figsize=(scale * n_cols + 0.8, scale * n_rows + 0.3), squeeze=False
    )
    for r, images in enumerate(arrays):
        for c in range(n_cols):
            ax = axes[r, c]
            image = images[c]
            limit = float(np.abs(image).max()) or 1.0
            kwargs = {"vmin": -limit, "vmax": limit} if symmetric else {}
            if limits is not None:
                kwargs = {"vmin": limits[0], "vmax": limits[1]}
            ax.imshow(image, cmap=cmap, **kwargs)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(row_labels[r], fontsize=10)
            if r == 0 and titles is not None:
                ax.set_title(titles[c], fontsize=9)
    fig.tight_layout()
    return fig
