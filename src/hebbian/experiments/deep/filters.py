r"""Recipe ``hebbian-filters``: first-layer filters learned from natural-image patches.

The classical result this recipe reproduces with a Hebbian rule: units that learn
without labels from patches of *whitened* natural images become localised, oriented,
band-pass filters, like the receptive fields of simple cells in the primary visual
cortex (sparse coding: Olshausen & Field, Nature 381, 607, 1996; independent component
analysis: Bell & Sejnowski, Vision Res. 37, 3327, 1997, "the independent components of
natural scenes are edge filters"; k-means: Coates, Lee & Ng, AISTATS 2011, and Coates
& Ng, "Learning feature representations with K-means", Neural Networks: Tricks of the
Trade, LNCS 7700, 2012).

**Data.** The two photographs scikit-learn ships (:func:`sklearn.datasets.load_sample_images`:
``china.jpg`` and ``flower.jpg``, 427 x 640 RGB, read from the installed package, no
network), scaled to [0, 1]; grey levels by the ITU-R BT.601 luma weights
:math:`0.299 R + 0.587 G + 0.114 B` (``colour=grey``) or the three channels
(``colour=colour``). Each photograph is first averaged over ``downscale`` x
``downscale`` blocks: JPEG codes images in 8 x 8 blocks (ITU-T T.81) and whitening
amplifies the highest spatial frequencies most, where block edges, quantisation and
sensor noise live (at ``downscale=1`` more units learn high-frequency gratings across
the patch: 78% of the filters oriented and localised against 97% at the default, as
docs/RESULTS.md reports); Olshausen & Field (Vision Res. 37, 3311, 1997) low-pass their
whitening for the same reason (noise and aliasing at the highest frequencies).

**Preprocessing** (Coates & Ng 2012, section 3): every ``patch_size`` x ``patch_size``
patch :math:`x \in \mathbb{R}^N` (:math:`N = C k^2`, cropped at a random place of a
random photograph) is brightness- and contrast-normalised,

.. math:: x \leftarrow \frac{x - \bar x}{\sqrt{\operatorname{var}(x) + \epsilon_n}},

with :math:`\bar x`, :math:`\operatorname{var}(x)` over its own :math:`N` entries and
:math:`\epsilon_n` = ``contrast_epsilon`` (their 10 for intensities in 0..255, i.e.
:math:`10/255^2` for [0, 1]; it keeps nearly flat patches, such as the sky, from being
blown up to unit contrast noise), then ZCA-whitened,

.. math:: x \leftarrow Z (x - \mu), \qquad
          Z = V (\Lambda + \epsilon_z I)^{-1/2} V^\top,

with :math:`\mu` and the covariance :math:`V \Lambda V^\top` estimated once on
``whitening_patches`` patches and :math:`\epsilon_z` = ``zca_epsilon`` (0.1, the
order they recommend for normalised patches). Why whitening: the power spectrum of
natural images falls about as :math:`1/f^2` (Field, JOSA A 4, 2379, 1987), so the
covariance of raw patches is dominated by low frequencies; a Hebbian unit follows the
covariance first (Oja's rule finds its first principal component) and learns smooth,
global filters, while after whitening every direction has about the same variance and
the rule follows the higher-order structure, the edges (Bell & Sejnowski 1997; Coates
& Ng 2012 show k-means centroids with and without whitening). ``whitening=none`` keeps
the contrast normalisation only, to see the difference.

**Learning.** One :class:`~hebbian.deep.layers.HebbianDense` layer of ``filters``
units on the flattened patches (the same maths as a
:class:`~hebbian.deep.layers.HebbianConv2d` with kernel ``patch_size`` on one patch:
the rule sees each patch as one sample), trained by each rule of ``rules`` from the
*same* random initial weights on the *same* patches: SoftHebb (Journé et al., ICLR
2023: :math:`y = \operatorname{softmax}(u/T)`, losers anti-Hebbian,
:math:`\Delta w_k = y_k (x - u_k w_k)`, rate :math:`\eta |\lVert w_k \rVert - 1|^q`;
its winner moves towards the patches it wins on the unit sphere: an online, soft form
of the spherical k-means Coates & Ng use), hard winner-take-all (instar) or
Krotov-Hopfield. Every epoch draws ``patches_per_epoch`` new patches from the run's
generator.

**What is measured** on each filter :math:`f` (shape ``(C, k, k)``), with the random
initial filters and ``null_filters`` further i.i.d. Gaussian filters of the same shape
(the distribution the initial weights are drawn from) as the null:

* orientation selectivity (:func:`orientation_selectivity`): the power spectrum
  :math:`P(\mathbf{q}) = \sum_c |\hat f_c(\mathbf{q})|^2` of the filter, its channel
  means removed, zero-padded to ``4 k + 1`` x ``4 k + 1``; with :math:`\theta` the angle of the
  frequency :math:`\mathbf{q}`,
  :math:`S = |\sum_q P e^{2 i \theta}| / \sum_q P` in [0, 1]: 1 when all power lies
  along one orientation, 0 for power spread evenly over orientations (one minus the
  circular variance of the orientation, doubled angles as for tuning curves: Ringach,
  Shapley & Hawken, J. Neurosci. 22, 5639, 2002);
* localisation (:func:`localisation`): the largest share of the filter's energy
  :math:`\sum_c f_c^2` that one ``window`` x ``window`` window holds; a filter spread
  evenly over the patch gives :math:`(w/k)^2`, a single pixel 1.

A filter is *oriented* (*localised*) when its measure exceeds the 95th percentile of
the null's; by construction 5% of random filters are, and 0.25% both, if the two are
independent. The verdicts: the median learned filter beats 95% of random filters on
each measure, and at least half the learned filters are both oriented and localised.
Beating noise is a lenient bar for localisation (a grating tapered over half the patch
passes it), so the results also give the stricter share of filters with more than half
their energy in one window (``half_energy_in_window_fraction``).
"""

from __future__ import annotations

import copy
import enum
import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hebbian import _random
from hebbian._checks import (
    check_bool,
    check_enum,
    check_memory,
    check_positive,
    check_positive_int,
)
from hebbian.deep import HardWTA, HebbianDense, KrotovHopfield, SoftHebb
from hebbian.deep.receptive_fields import (
    localisation,
    normalise_contrast,
    orientation_selectivity,
    random_patches,
    zca_whitening,
)
from hebbian.deep.rules import DeepRule, RuleKind
from hebbian.experiments.base import Expectation, Precision, Recipe
from hebbian.report.figures import subplots
from hebbian.runs import Run

__all__ = [
    "HEBBIAN_FILTERS",
    "Colour",
    "FiltersConfig",
    "Whitening",
    "photographs",
    "run_filters",
]

TOPIC = "Deep Hebbian networks"

#: The photographs' size (rows, columns), as scikit-learn ships them.
PHOTOGRAPH_SHAPE = (427, 640)

#: ITU-R BT.601 luma weights of R, G, B.
LUMA = (0.299, 0.587, 0.114)

#: Percentile of the null distribution above which a filter counts as oriented/localised.
NULL_QUANTILE = 0.95


class Colour(enum.Enum):
    """Which channels the patches hold (setting ``colour``)."""

    GREY = "grey"
    """One channel: the BT.601 luma of the RGB pixels."""
    COLOUR = "colour"
    """The three RGB channels."""

    @property
    def channels(self) -> int:
        """1 or 3."""
        return 1 if self is Colour.GREY else 3


class Whitening(enum.Enum):
    """What follows the per-patch contrast normalisation (setting ``whitening``)."""

    ZCA = "zca"
    """:math:`Z = V(\\Lambda + \\epsilon I)^{-1/2}V^\\top` from the patches' covariance."""
    NONE = "none"
    """Contrast normalisation only."""


@dataclass(frozen=True)
class FiltersConfig:
    r"""Settings of ``hebbian-filters``; defaults: the full run (about 15 s on one CPU thread).

    Attributes
    ----------
    rules : tuple of RuleKind
        The rules trained, each from the same initial weights on the same patches.
    colour : Colour
        ``grey`` (one channel) or ``colour`` (RGB patches).
    downscale : int
        Each photograph is averaged over blocks of this many pixels per side first
        (1: full resolution).
    patch_size : int
        ``k``: patches and filters are ``k`` x ``k`` pixels.
    filters : int
        Units of the layer.
    whitening : Whitening
        ``zca`` or ``none`` (after the contrast normalisation).
    contrast_epsilon : float
        :math:`\epsilon_n` >= 0 added to each patch's variance (intensities in [0, 1]).
    zca_epsilon : float
        :math:`\epsilon_z` > 0 added to the covariance's eigenvalues.
    whitening_patches : int
        Patches the mean and covariance of the whitening are estimated on.
    epochs : int
        Passes, each over ``patches_per_epoch`` new patches.
    patches_per_epoch : int
        New patches drawn for each epoch (the same for every rule).
    batch_size : int
        Patches per plasticity step.
    temperature, anti_hebbian, norm_power :
        SoftHebb's :math:`T`, sign flip of the losers and :math:`q`.
    learning_rate : float
        SoftHebb's base rate :math:`\eta`.
    wta_k, wta_learning_rate :
        Winners per patch and rate of the hard winner-take-all rule.
    krotov_p, krotov_k, krotov_delta, krotov_learning_rate :
        Krotov-Hopfield's :math:`p`, :math:`k`, :math:`\Delta` and rate (the largest
        entry of each step).
    init_norm : float
        Initial norm of each filter (Gaussian weights).
    window : int
        Side of the window of the localisation measure, at most ``patch_size``.
    null_filters : int
        Random Gaussian filters that estimate the null distribution of both measures.
    precision : Precision
        What the run computes in (float64: the documented digits do not depend on the
        summation order).
    """

    rules: tuple[RuleKind, ...] = (RuleKind.SOFTHEBB,)
    colour: Colour = Colour.GREY
    downscale: int = 2
    patch_size: int = 12
    filters: int = 64
    whitening: Whitening = Whitening.ZCA
    contrast_epsilon: float = 10 / 255**2
    zca_epsilon: float = 0.1
    whitening_patches: int = 50_000
    epochs: int = 10
    patches_per_epoch: int = 50_000
    batch_size: int = 100
    temperature: float = 1.0
    anti_hebbian: bool = True
    norm_power: float = 0.5
    learning_rate: float = 0.5
    wta_k: int = 1
    wta_learning_rate: float = 0.2
    krotov_p: float = 2.0
    krotov_k: int = 2
    krotov_delta: float = 0.4
    krotov_learning_rate: float = 0.02
    init_norm: float = 2.5
    window: int = 5
    null_filters: int = 2000
    precision: Precision = Precision.FLOAT64

    def __post_init__(self) -> None:
        if not isinstance(self.rules, tuple) or not self.rules:
            raise ValueError(f"rules must name at least one rule, got {self.rules!r}")
        for rule in self.rules:
            check_enum("rules", rule, RuleKind)
        if len(set(self.rules)) != len(self.rules):
            raise ValueError(f"rules must not repeat a rule, got {self.rules!r}")
        check_enum("colour", self.colour, Colour)
        check_positive_int("downscale", self.downscale)
        side = min(PHOTOGRAPH_SHAPE) // self.downscale
        check_positive_int("patch_size", self.patch_size, minimum=2)
        if self.patch_size > side:
            raise ValueError(
                f"patch_size must be at most {side} (the photographs' {PHOTOGRAPH_SHAPE[0]} "
                f"rows / downscale {self.downscale}), got {self.patch_size}"
            )
        check_positive_int("filters", self.filters)
        check_enum("whitening", self.whitening, Whitening)
        check_positive("contrast_epsilon", self.contrast_epsilon, allow_zero=True)
        check_positive("zca_epsilon", self.zca_epsilon)
        check_positive_int("whitening_patches", self.whitening_patches, minimum=2)
        check_positive_int("epochs", self.epochs)
        check_positive_int("patches_per_epoch", self.patches_per_epoch)
        check_positive_int("batch_size", self.batch_size)
        check_bool("anti_hebbian", self.anti_hebbian)
        check_positive("learning_rate", self.learning_rate)
        check_positive("wta_learning_rate", self.wta_learning_rate)
        check_positive("krotov_learning_rate", self.krotov_learning_rate)
        check_positive("init_norm", self.init_norm)
        for rule in self.rules:  # the rule objects check their own numbers
            self.rule(rule)
        if self.wta_k > self.filters:
            raise ValueError(f"wta_k must be at most filters ({self.filters}), got {self.wta_k}")
        if RuleKind.KROTOV in self.rules and self.krotov_k > self.filters:
            raise ValueError(
                f"krotov_k must be at most filters ({self.filters}), got {self.krotov_k}"
            )
        check_positive_int("window", self.window)
        if self.window > self.patch_size:
            raise ValueError(
                f"window must be at most patch_size ({self.patch_size}), got {self.window}"
            )
        check_positive_int("null_filters", self.null_filters, minimum=20)
        check_enum("precision", self.precision, Precision)
        width = 8 if self.precision is Precision.FLOAT64 else 4
        inputs = self.colour.channels * self.patch_size**2
        check_memory(
            f"patches_per_epoch={self.patches_per_epoch}, whitening_patches="
            f"{self.whitening_patches}, patch_size={self.patch_size} (the patches, "
            "three copies while preprocessing)",
            3 * width * inputs * max(self.patches_per_epoch, self.whitening_patches),
        )

    @property
    def inputs(self) -> int:
        """``N = C k^2``, the entries of one patch."""
        return self.colour.channels * self.patch_size**2

    def rule(self, rule: RuleKind) -> DeepRule:
        """The rule object of ``rule`` with this config's parameters."""
        if rule is RuleKind.HARD_WTA:
            return HardWTA(self.wta_k)
        if rule is RuleKind.KROTOV:
            return KrotovHopfield(self.krotov_p, self.krotov_k, self.krotov_delta)
        return SoftHebb(
            self.temperature, anti_hebbian=self.anti_hebbian, norm_power=self.norm_power
        )

    def rate(self, rule: RuleKind) -> float:
        """The learning rate of ``rule``."""
        return {
            RuleKind.SOFTHEBB: self.learning_rate,
            RuleKind.HARD_WTA: self.wta_learning_rate,
            RuleKind.KROTOV: self.krotov_learning_rate,
        }[rule]


# --------------------------------------------------------------------------- data
def photographs(
    colour: Colour,
    downscale: int = 1,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, dict[str, str]]:
    """scikit-learn's two photographs, ``(2, C, 427 // d, 640 // d)`` in [0, 1], and their digests.

    Grey levels are the BT.601 luma (:data:`LUMA`) of the RGB values divided by 255;
    ``downscale`` ``d`` averages blocks of ``d`` x ``d`` pixels (the last rows and columns
    that do not fill a block are dropped).

    Returns
    -------
    images : Tensor, shape (2, C, H, W)
        ``china.jpg`` then ``flower.jpg``.
    sha256 : dict
        Each file's name and SHA-256, so a run records what it read.
    """
    from sklearn.datasets import load_sample_images  # imports PIL and the JPEG decoder

    check_enum("colour", colour, Colour)
    check_positive_int("downscale", downscale)
    bunch = load_sample_images()
    digests = {
        Path(name).name: hashlib.sha256(Path(name).read_bytes()).hexdigest()
        for name in bunch.filenames
    }
    rgb = torch.from_numpy(np.stack(bunch.images)).to(dtype=torch.float64) / 255.0
    rgb = rgb.permute(0, 3, 1, 2)  # (2, 3, H, W)
    if colour is Colour.GREY:
        luma = torch.tensor(LUMA, dtype=torch.float64)
        rgb = (rgb * luma[None, :, None, None]).sum(dim=1, keepdim=True)
    if downscale > 1:
        rgb = torch.nn.functional.avg_pool2d(rgb, downscale)
    return rgb.to(device=device, dtype=dtype).contiguous(), digests


def _measures(filters: torch.Tensor, window: int) -> dict[str, torch.Tensor]:
    selectivity, orientation = orientation_selectivity(filters)
    return {
        "selectivity": selectivity,
        "orientation": orientation,
        "localisation": localisation(filters, window),
    }


def _summary(measured: dict[str, torch.Tensor], thresholds: dict[str, float]) -> dict[str, float]:
    """Medians (the lower middle value for an even count, as torch.median) and fractions.

    The fractions count the filters above the null's thresholds.
    """
    oriented = measured["selectivity"] > thresholds["selectivity"]
    localised = measured["localisation"] > thresholds["localisation"]
    return {
        "median_orientation_selectivity": float(measured["selectivity"].median()),
        "median_localisation": float(measured["localisation"].median()),
        "oriented_fraction": float(oriented.double().mean()),
        "localised_fraction": float(localised.double().mean()),
        "oriented_localised_fraction": float((oriented & localised).double().mean()),
        "half_energy_in_window_fraction": float((measured["localisation"] > 0.5).double().mean()),
    }


# --------------------------------------------------------------------------- the recipe
def run_filters(config: FiltersConfig, run: Run) -> dict[str, Any]:
    """Learn filters from the photographs' patches with each rule (see the module docstring)."""
    g, device, dtype = run.generator, run.device, config.precision.dtype
    k, channels = config.patch_size, config.colour.channels
    images, digests = photographs(config.colour, config.downscale, dtype=dtype, device=device)
    # drawn in this order: the null, the initial weights, the whitening's patches
    null = _random.normal((config.null_filters, channels, k, k), g, dtype=dtype, device=device)
    null_measures = _measures(null, config.window)
    thresholds = {
        name: float(null_measures[name].quantile(NULL_QUANTILE))
        for name in ("selectivity", "localisation")
    }
    first = config.rules[0]
    template = HebbianDense(
        config.inputs, config.filters, config.rule(first), config.rate(first),
        init_norm=config.init_norm, generator=g, device=device, dtype=dtype,
    )  # fmt: skip
    initial = template.weight.detach().clone()
    layers: dict[str, HebbianDense] = {}
    for rule in config.rules:
        layer = copy.deepcopy(template)
        layer.rule = config.rule(rule)
        layers[rule.value] = layer

    def flat_patches(count: int) -> torch.Tensor:
        crops = random_patches(images, k, count, g).reshape(count, -1)  # (M, N)
        return normalise_contrast(crops, config.contrast_epsilon)

    if config.whitening is Whitening.ZCA:
        mean, zca = zca_whitening(flat_patches(config.whitening_patches), config.zca_epsilon)
    else:
        mean, zca = flat_patches(config.whitening_patches).mean(dim=0), None

    def preprocessed(count: int) -> torch.Tensor:
        centred = flat_patches(count) - mean
        return centred if zca is None else centred @ zca  # Z symmetric: (M, N) @ (N, N)

    def state() -> dict[str, torch.Tensor]:
        return {
            f"{name}.{key}": value.detach().clone()
            for name, layer in layers.items()
            for key, value in layer.state_dict().items()
        }

    def load(saved: dict[str, torch.Tensor]) -> None:
        for name, layer in layers.items():
            prefix = f"{name}."
            layer.load_state_dict(
                {key[len(prefix) :]: v for key, v in saved.items() if key.startswith(prefix)}
            )

    current: dict[str, torch.Tensor] = state()

    def train_epoch(
        epoch: int, saved: dict[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        nonlocal current
        if saved is not current:  # resumed from a checkpoint
            load(saved)
        x = preprocessed(config.patches_per_epoch)  # the same patches for every rule
        metrics: dict[str, Any] = {}
        for rule in config.rules:
            name, layer = rule.value, layers[rule.value]
            started = time.perf_counter()
            for start in range(0, x.shape[0], config.batch_size):
                layer.plasticity_step(
                    x[start : start + config.batch_size], learning_rate=config.rate(rule)
                )
            metrics[f"{name}_seconds"] = time.perf_counter() - started
            weight = layer.weight.detach()
            summary = _summary(_measures(weight.reshape(-1, channels, k, k), config.window),
                               thresholds)  # fmt: skip
            metrics.update({f"{name}_{key}": value for key, value in summary.items()})
            norms = layer.weight_norms().double()
            quantiles = torch.tensor([0.1, 0.5, 0.9], dtype=norms.dtype, device=norms.device)
            metrics[f"{name}_norm_quantiles"] = norms.quantile(quantiles).tolist()
            winners = (x @ weight.T).argmax(dim=1)  # (M, N) @ (N, H) -> (M, H) -> (M,)
            metrics[f"{name}_winning_units"] = int(torch.unique(winners).numel())
        current = state()
        return current, metrics

    final = run.run_epochs(config.epochs, current, train_epoch, desc=run.recipe)
    if final is not current:  # a finished run, resumed: no epoch was left to run
        load(final)
    records = run.metrics()
    initial_measures = _measures(initial.reshape(-1, channels, k, k), config.window)
    learned = {
        name: _measures(layer.weight.detach().reshape(-1, channels, k, k), config.window)
        for name, layer in layers.items()
    }
    results = _results(config, records, initial_measures, null_measures, thresholds, learned)
    results["photographs_sha256"] = digests
    _figures(run, config, initial, layers, initial_measures, null_measures, thresholds,
             learned, records)  # fmt: skip
    return results


def _results(
    config: FiltersConfig,
    records: list[dict[str, Any]],
    initial: dict[str, torch.Tensor],
    null: dict[str, torch.Tensor],
    thresholds: dict[str, float],
    learned: dict[str, dict[str, torch.Tensor]],
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "inputs": config.inputs,
        "null_orientation_selectivity_q95": thresholds["selectivity"],
        "null_localisation_q95": thresholds["localisation"],
        "null_median_orientation_selectivity": float(null["selectivity"].median()),
        "null_median_localisation": float(null["localisation"].median()),
        "uniform_energy_localisation": config.window**2 / config.patch_size**2,
    }
    results.update({f"initial_{k}": v for k, v in _summary(initial, thresholds).items()})
    last = records[-1]
    for name, measured in learned.items():
        results.update({f"{name}_{k}": v for k, v in _summary(measured, thresholds).items()})
        results[f"{name}_median_norm"] = last[f"{name}_norm_quantiles"][1]
        results[f"{name}_winning_units"] = last[f"{name}_winning_units"]
        results[f"{name}_wall_seconds"] = float(sum(r[f"{name}_seconds"] for r in records))
    return results


# --------------------------------------------------------------------------- figures
def _mosaic(weight: torch.Tensor, channels: int, size: int) -> np.ndarray:
    """Filters ``(H, C k k)`` tiled, each scaled by its largest |w| (grey: [-1, 1]; RGB: [0, 1])."""
    kernels = weight.detach().double().cpu().reshape(-1, channels, size, size)
    count = kernels.shape[0]
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    peak = kernels.flatten(1).abs().amax(dim=1).clamp_min(1e-12)[:, None, None, None]
    scaled = kernels / peak
    colour = channels == 3
    shape = (rows * (size + 1) + 1, cols * (size + 1) + 1) + ((3,) if colour else ())
    canvas = np.full(shape, 1.0 if colour else np.nan)
    for i in range(count):
        r, c = divmod(i, cols)
        top, left = 1 + r * (size + 1), 1 + c * (size + 1)
        tile = scaled[i].permute(1, 2, 0).numpy() * 0.5 + 0.5 if colour else scaled[i, 0].numpy()
        canvas[top : top + size, left : left + size] = tile
    return canvas


def _figures(
    run: Run,
    config: FiltersConfig,
    initial: torch.Tensor,
    layers: dict[str, HebbianDense],
    initial_measures: dict[str, torch.Tensor],
    null: dict[str, torch.Tensor],
    thresholds: dict[str, float],
    learned: dict[str, dict[str, torch.Tensor]],
    records: list[dict[str, Any]],
) -> None:
    channels, k = config.colour.channels, config.patch_size
    panels = [("initial (random)", initial)] + [
        (RuleKind(name).label, layer.weight.detach()) for name, layer in layers.items()
    ]
    fig, axes = subplots(1, len(panels), figsize=(4.0 * len(panels), 4.3), squeeze=False)
    for ax, (title, weight) in zip(axes[0], panels, strict=True):
        image = _mosaic(weight, channels, k)
        if image.ndim == 3:
            ax.imshow(image, interpolation="nearest")
        else:
            ax.imshow(image, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set(xticks=[], yticks=[], title=title)
    fig.tight_layout()
    run.save_figure(
        fig,
        "filters",
        f"The {config.filters} filters ({k} x {k}, {config.colour.value}) before learning "
        "(left: random Gaussian weights) and after "
        f"{config.epochs} epoch(s) of {config.patches_per_epoch} whitened patches of the two "
        "photographs, from the same initial weights (unit i in the same place in each "
        "panel); each filter scaled by its largest |w| (grey: white positive, black "
        "negative; colour: mid-grey is 0).",
    )

    fig, (scatter, histogram) = subplots(1, 2, figsize=(10.0, 4.2))
    scatter.scatter(
        null["localisation"].cpu(), null["selectivity"].cpu(), s=3, color="0.8",
        label=f"null: {config.null_filters} random filters",
    )  # fmt: skip
    scatter.scatter(
        initial_measures["localisation"].cpu(), initial_measures["selectivity"].cpu(),
        s=12, marker="x", color="0.4", label="initial filters",
    )  # fmt: skip
    for i, (name, measured) in enumerate(learned.items()):
        scatter.scatter(
            measured["localisation"].cpu(), measured["selectivity"].cpu(), s=14,
            color=f"C{i}", label=f"{RuleKind(name).label}, learned",
        )  # fmt: skip
    scatter.axvline(thresholds["localisation"], color="k", linestyle="--", linewidth=0.8)
    scatter.axhline(thresholds["selectivity"], color="k", linestyle="--", linewidth=0.8)
    scatter.set(
        xlabel=f"localisation: largest energy share in a {config.window}x{config.window} window",
        ylabel="orientation selectivity S",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    scatter.legend(fontsize=7, loc="lower right")
    bins = np.linspace(0, 180, 13)
    for i, (name, measured) in enumerate(learned.items()):
        both = (measured["selectivity"] > thresholds["selectivity"]) & (
            measured["localisation"] > thresholds["localisation"]
        )
        degrees = torch.rad2deg(measured["orientation"][both]).cpu().numpy()
        histogram.hist(
            degrees, bins=bins, histtype="step", color=f"C{i}", label=RuleKind(name).label
        )
    histogram.set(
        xlabel="preferred wave-vector angle (degrees; 0 = vertical stripes)",
        ylabel="oriented and localised filters",
        xticks=range(0, 181, 30),
    )
    histogram.legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(
        fig,
        "properties",
        "Left: orientation selectivity (from each filter's 2-D power spectrum) against "
        "localisation (the largest share of its energy in one small window) for every "
        "learned filter, the random initial filters and the null of random Gaussian "
        "filters; the dashed lines are the null's 95th percentiles, so the upper right "
        "holds the filters both oriented and localised (0.25% of random ones). Right: "
        "the preferred orientations of those filters.",
    )

    fig, (measures, norms) = subplots(1, 2, figsize=(10.0, 3.6))
    epochs = [0] + [r["step"] for r in records]  # epoch 0: the initial filters
    start = _summary(initial_measures, thresholds)
    norms0 = initial.double().norm(dim=1)
    start_norms = norms0.quantile(norms0.new_tensor([0.1, 0.5, 0.9])).tolist()
    for i, name in enumerate(learned):
        label = RuleKind(name).label
        for key, style, text in (
            ("median_orientation_selectivity", "-", "median S"),
            ("median_localisation", ":", "median localisation"),
            ("oriented_localised_fraction", "--", "fraction oriented and localised"),
        ):
            values = [start[key]] + [r[f"{name}_{key}"] for r in records]
            measures.plot(epochs, values, color=f"C{i}", marker=".", linestyle=style,
                          label=f"{label}: {text}")  # fmt: skip
        bands = np.array([start_norms] + [r[f"{name}_norm_quantiles"] for r in records])
        norms.plot(epochs, bands[:, 1], color=f"C{i}", marker=".", label=label)
        norms.fill_between(epochs, bands[:, 0], bands[:, 2], color=f"C{i}", alpha=0.2)
    measures.axhline(thresholds["selectivity"], color="k", linewidth=0.8, linestyle="-",
                     label="null 95th percentile of S")  # fmt: skip
    measures.axhline(thresholds["localisation"], color="k", linewidth=0.8, linestyle=":",
                     label="null 95th percentile of localisation")  # fmt: skip
    measures.set(xlabel="epoch", ylim=(0, 1))
    measures.legend(fontsize=6)
    norms.axhline(1.0, color="k", linewidth=0.8, label="SoftHebb's fixed point: 1")
    norms.set(xlabel="epoch", ylabel="filter norm (median, 10%-90%)")
    norms.legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(
        fig,
        "training",
        "After each epoch (0: the random initial filters): the filters' median "
        "orientation selectivity and localisation and the fraction both oriented and "
        "localised (left), and their norms (right).",
    )


# --------------------------------------------------------------------------- recipe
def _describe(config: FiltersConfig) -> str:
    rules = ", ".join(r.label for r in config.rules)
    whitening = (
        f"ZCA-whitened (epsilon {config.zca_epsilon:g})"
        if config.whitening is Whitening.ZCA
        else "not whitened"
    )
    return (
        f"First-layer filters learned without labels from {config.patch_size} x "
        f"{config.patch_size} {config.colour.value} patches of scikit-learn's two "
        f"photographs (china.jpg, flower.jpg; averaged over {config.downscale} x "
        f"{config.downscale} blocks), each patch brightness- and contrast-normalised and "
        f"{whitening} (Coates & Ng 2012), by {config.filters} units trained with {rules} "
        f"from the same random initial weights, {config.epochs} epoch(s) of "
        f"{config.patches_per_epoch} new patches at batch {config.batch_size}. Sparse "
        "coding (Olshausen & Field 1996), ICA (Bell & Sejnowski 1997) and k-means (Coates & "
        "Ng 2012) learn localised, oriented, band-pass filters from such patches; here "
        "each filter's orientation selectivity (from its 2-D power spectrum) and "
        f"localisation (energy share of the best {config.window} x {config.window} window) "
        f"are compared with {config.null_filters} random Gaussian filters, the "
        "distribution the initial weights come from."
    )


def _expectations(config: FiltersConfig) -> list[Expectation]:
    expectations = []
    for rule in config.rules:
        name = rule.value
        expectations += [
            Expectation(
                f"{name}_median_orientation_selectivity", "null_orientation_selectivity_q95",
                "null: the median learned filter is more oriented than 95% of random filters",
                relation="at_least",
            ),
            Expectation(
                f"{name}_median_localisation", "null_localisation_q95",
                "null: the median learned filter is more localised than 95% of random filters",
                relation="at_least",
            ),
            Expectation(
                f"{name}_oriented_localised_fraction", 0.5,
                "literature (Olshausen & Field 1996; Bell & Sejnowski 1997; Coates & Ng 2012): "
                "filters learned from whitened natural-image patches are mostly localised, "
                "oriented edges; at least half here (random filters: 0.25%)",
                relation="at_least",
            ),
        ]  # fmt: skip
    if RuleKind.SOFTHEBB in config.rules:
        expectations.append(
            Expectation(
                "softhebb_median_norm", 1.0,
                "theory: SoftHebb's fixed point, every filter on the unit sphere",
                tolerance=0.1,
            )
        )  # fmt: skip
    return expectations


HEBBIAN_FILTERS = Recipe(
    name="hebbian-filters",
    summary="SoftHebb filters from whitened natural-image patches: oriented and localised",
    topic=TOPIC,
    description=_describe,
    config_type=FiltersConfig,
    run=run_filters,
    tour={
        "patch_size": 8,
        "filters": 32,
        "epochs": 3,
        "patches_per_epoch": 20_000,
        "whitening_patches": 20_000,
        "learning_rate": 2.0,  # 600 steps instead of 5000: a faster approach to norm 1
        "window": 4,
        "null_filters": 500,
    },
    expectations=_expectations,
)
