r"""The ``hopfield-images`` recipe: classical against modern recall of stored images.

Images stored in classical (binarised) and modern (angle code) Hopfield networks,
recalled from half-masked and from partly inverted cues.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from typing import Any

import torch

from hebbian._checks import (
    check_enum,
    check_in_range,
    check_memory,
    check_positive,
    check_positive_int,
)
from hebbian._random import permutation
from hebbian.data import dataset_spec, random_binary_patterns
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.hopfield._shared import FIGURE_FONTS, TOPIC
from hebbian.hopfield import (
    HopfieldNetwork,
    StorageRule,
    modern,
)
from hebbian.hopfield.cues import (
    angle_decode,
    angle_encode,
    binarise_cue,
    flip_bits,
    invert_pixels,
    mask_bottom_half,
)
from hebbian.hopfield.protocols import (
    angle_code_retrieve,
    recall_exactly,
)
from hebbian.report.figures import image_rows, rc_context, subplots
from hebbian.runs import EpochResult, Run


class ImageSet(enum.Enum):
    """The image datasets ``hopfield-images`` stores (values: registry names).

    Each value is a name of :func:`hebbian.data.dataset_names`, read through
    ``run.load_dataset``; sizes come from the registry's spec.

    >>> ImageSet("digits").label, ImageSet("omniglot").pixels
    ('8x8 digit', 961)
    """

    FASHION_MNIST = "fashion-mnist"
    MNIST = "mnist"
    DIGITS = "digits"
    OMNIGLOT = "omniglot"

    @property
    def label(self) -> str:
        """The dataset's name in figure captions and descriptions."""
        return "8x8 digit" if self is ImageSet.DIGITS else dataset_spec(self.value).title

    @property
    def pixels(self) -> int:
        """Pixels per image, from the registry (64 for the 8x8 digits, 784 for MNIST)."""
        height, width = dataset_spec(self.value).image_shape
        return height * width


@dataclass(frozen=True)
class HopfieldImagesConfig:
    """Settings of ``hopfield-images``.

    Attributes
    ----------
    dataset : ImageSet
        ``fashion-mnist``, ``mnist``, ``omniglot`` or ``digits`` (the tour's and the
        tests'), read through ``run.load_dataset``.
    modern_stored : int
        Images stored in the modern network.
    classical_stored : tuple of int
        Numbers of images stored in the classical networks (and the modern one too).
    probes : int
        Cues per load and cue type (stored images, cycled).
    noise_fraction : float
        Fraction of pixels inverted (``v -> 1 - v``; a flipped bit once binarised).
    beta : float
        Inverse temperature of the modern retrieval (scores are sums over pixels).
    grid_stored : int
        Images stored in the classical networks shown in the example grid.
    examples : int
        Columns of the example grid (stored images 0, 1, ...).
    """

    dataset: ImageSet = ImageSet.FASHION_MNIST
    modern_stored: int = 1000
    classical_stored: tuple[int, ...] = (2, 5, 10, 20, 50, 100)
    probes: int = 200
    noise_fraction: float = 0.3
    beta: float = 3.0
    grid_stored: int = 10
    examples: int = 6

    def __post_init__(self) -> None:
        check_enum("dataset", self.dataset, ImageSet)
        check_positive_int("modern_stored", self.modern_stored, minimum=2)
        if not isinstance(self.classical_stored, tuple) or not self.classical_stored:
            raise TypeError(
                f"classical_stored must be a non-empty tuple of ints, got {self.classical_stored!r}"
            )
        for count in self.classical_stored:
            check_positive_int("classical_stored", count, minimum=1)
        if any(b <= a for a, b in itertools.pairwise(self.classical_stored)):
            raise ValueError(f"classical_stored must be increasing, got {self.classical_stored!r}")
        if self.classical_stored[-1] >= self.modern_stored:
            raise ValueError("classical_stored must stay below modern_stored")
        check_positive_int("probes", self.probes)
        check_in_range("noise_fraction", self.noise_fraction, 0.0, 1.0)
        check_positive("beta", self.beta)
        check_positive_int("examples", self.examples)
        check_positive_int("grid_stored", self.grid_stored)
        if self.examples > self.grid_stored:
            raise ValueError(
                f"examples ({self.examples}) must not exceed grid_stored ({self.grid_stored})"
            )
        check_memory(
            f"hopfield-images with modern_stored={self.modern_stored} and probes={self.probes} "
            "(images, couplings, cues and scores)",
            images_memory(self, self.dataset.pixels),
        )


CUE_TYPES = ("masked", "noisy")


def _image_cues(
    images: torch.Tensor, shape: tuple[int, int], noise_fraction: float, generator: torch.Generator
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """For each cue type: grey-level cues (B, D) and the mask of unknown pixels (B, D)."""
    masked, unknown = mask_bottom_half(images, shape)
    noisy = invert_pixels(images, noise_fraction, generator)
    return {"masked": (masked, unknown), "noisy": (noisy, torch.zeros_like(unknown))}


def images_memory(config: HopfieldImagesConfig, pixels: int = 28 * 28) -> int:
    """Bytes ``hopfield-images`` holds at once (an estimate, ``pixels`` per image).

    The stored images in three codes (16 M D bytes for M = modern_stored), the classical
    couplings (24 D^2) and, per cue type, the probes' cues and retrievals (about
    64 B D) and the modern scores (16 B M).
    """
    modern, probes = config.modern_stored, config.probes
    return 16 * modern * pixels + 24 * pixels * pixels + 64 * probes * pixels + 16 * probes * modern


def run_hopfield_images(config: HopfieldImagesConfig, run: Run) -> dict[str, Any]:
    """Classical (Hebb, pseudo-inverse) and modern recall of stored images, by load."""
    data = run.load_dataset(config.dataset.value, "train")
    if len(data) < config.modern_stored:
        raise ValueError(
            f"modern_stored = {config.modern_stored} exceeds the {len(data)} training images "
            f"of {config.dataset.value}"
        )
    order = permutation(len(data), run.generator)[: config.modern_stored]
    grey = data.flat[order].to(run.device)  # (M, D) grey levels in [0, 1]
    binary = torch.where(grey > 0.5, 1.0, -1.0)  # (M, D)
    codes = angle_encode(grey)  # (M, 2D)
    dim = grey.shape[1]
    loads = (*config.classical_stored, config.modern_stored)
    names = ("hebb", "pseudo_inverse", "hebb_random_patterns", "modern", "modern_plain_dot")
    zeros = torch.zeros(len(names), len(CUE_TYPES), len(loads), dtype=torch.float64)
    initial = {
        "identified": zeros.to(run.device),
        "exact": zeros.clone().to(run.device),
        "overlap": zeros.clone().to(run.device),
    }

    def evaluate_load(step: int, state: dict[str, torch.Tensor]) -> EpochResult:
        identified, exact, overlap = (state[k].clone() for k in ("identified", "exact", "overlap"))
        li, count = step - 1, loads[step - 1]
        source = torch.arange(config.probes, device=run.device) % count  # (B,)
        cues = _image_cues(grey[source], data.image_shape, config.noise_fraction, run.generator)
        random_patterns = random_binary_patterns(count, dim, generator=run.generator)
        random_patterns = random_patterns.to(run.device)
        for ci, cue_type in enumerate(CUE_TYPES):
            cue, unknown = cues[cue_type]
            results = {}
            if count in config.classical_stored:
                bits = binarise_cue(cue, unknown, run.generator)
                for name, rule, stored in (
                    ("hebb", StorageRule.HEBB, binary[:count]),
                    ("pseudo_inverse", StorageRule.PSEUDO_INVERSE, binary[:count]),
                    ("hebb_random_patterns", StorageRule.HEBB, random_patterns),
                ):
                    truth, start = stored[source], bits
                    if name == "hebb_random_patterns":
                        noise = config.noise_fraction
                        start = _random_cue(truth, cue_type, unknown, noise, run.generator)
                    net = HopfieldNetwork(storage=rule, shared_order=True).fit(stored)
                    result, hits = recall_exactly(net, start, truth, generator=run.generator)
                    results[name] = (result.overlaps, hits)
            retrieved = angle_code_retrieve(cue, unknown, codes[:count], config.beta)  # (B, 2D)
            scores = retrieved @ codes[:count].T / dim  # (B, P)
            error = (angle_decode(retrieved) - grey[source]).abs().amax(dim=1)
            results["modern"] = (scores, error < 0.02)
            # baseline: grey levels in [-1, 1] as they are (unknown pixels 0); the nearest
            # stored image (Euclidean) to the retrieved state is the one recalled
            plain_patterns = 2.0 * grey[:count] - 1.0  # (P, D)
            plain = torch.where(unknown, 0.0, 2.0 * cue - 1.0)
            plain_out = modern.retrieve(plain, plain_patterns, config.beta)
            plain_error = ((plain_out - plain_patterns[source]) / 2).abs().amax(dim=1)
            results["modern_plain_dot"] = (
                -torch.cdist(plain_out, plain_patterns),
                plain_error < 0.02,
            )
            for ni, name in enumerate(names):
                if name not in results:
                    continue
                scores_or_overlaps, hits = results[name]
                right = scores_or_overlaps.argmax(dim=1) == source
                identified[ni, ci, li] = right.double().mean()
                exact[ni, ci, li] = hits.double().mean()
                overlap[ni, ci, li] = scores_or_overlaps.gather(1, source[:, None]).mean()
        metrics = {"stored": count, "identified": identified[:, :, li], "exact": exact[:, :, li]}
        return {"identified": identified, "exact": exact, "overlap": overlap}, metrics

    state = run.run_epochs(len(loads), initial, evaluate_load, desc=run.recipe)
    identified, exact, overlap = (state[k].cpu() for k in ("identified", "exact", "overlap"))
    _images_grid(run, config, grey, binary, codes, data.image_shape)
    _images_curves(run, config, loads, identified)
    results: dict[str, Any] = {
        "dataset": config.dataset.value,
        "pixels": dim,
        "stored": list(loads),
    }
    for ni, name in enumerate(names):
        for ci, cue_type in enumerate(CUE_TYPES):
            key = f"{name} {cue_type}"
            measured = [
                i
                for i, count in enumerate(loads)
                if name.startswith("modern") or count in config.classical_stored
            ]
            results.setdefault("identified_fraction", {})[key] = [
                identified[ni, ci, i].item() for i in measured
            ]
            results.setdefault("exact_fraction", {})[key] = [
                exact[ni, ci, i].item() for i in measured
            ]
            if name.startswith("hebb") or name == "pseudo_inverse":
                results.setdefault("mean_overlap", {})[key] = [
                    overlap[ni, ci, i].item() for i in measured
                ]
    last = len(loads) - 1
    for ci, cue_type in enumerate(CUE_TYPES):
        results[f"modern_identified_at_{config.modern_stored}_{cue_type}"] = identified[
            names.index("modern"), ci, last
        ].item()
        results[f"modern_plain_dot_identified_at_{config.modern_stored}_{cue_type}"] = identified[
            names.index("modern_plain_dot"), ci, last
        ].item()
        hebb_row = identified[names.index("hebb"), ci, : len(config.classical_stored)].tolist()
        failed = [c for c, v in zip(config.classical_stored, hebb_row, strict=True) if v < 0.5]
        results[f"hebb_images_first_load_below_half_{cue_type}"] = failed[0] if failed else None
    return results


def _random_cue(
    truth: torch.Tensor,
    cue_type: str,
    unknown: torch.Tensor,
    noise_fraction: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """The same corruption applied to random ±1 patterns (the uncorrelated reference)."""
    if cue_type == "masked":
        random_bits = random_binary_patterns(*truth.shape, generator=generator).to(truth.device)
        return torch.where(unknown, random_bits, truth)
    return flip_bits(truth, noise_fraction, generator)


def _images_grid(
    run: Run,
    config: HopfieldImagesConfig,
    grey: torch.Tensor,
    binary: torch.Tensor,
    codes: torch.Tensor,
    shape: tuple[int, int],
) -> None:
    k = config.examples
    truth = grey[:k]
    cues = _image_cues(truth, shape, config.noise_fraction, run.generator)
    rows, labels = [], []
    stored = binary[: config.grid_stored]
    for cue_type in CUE_TYPES:
        cue, unknown = cues[cue_type]
        bits = binarise_cue(cue, unknown, run.generator)
        rows.append(cue)
        labels.append(f"{cue_type} cue")
        for rule, label in (
            (StorageRule.HEBB, "Hebb"),
            (StorageRule.PSEUDO_INVERSE, "pseudo-inv."),
        ):
            net = HopfieldNetwork(storage=rule, shared_order=True).fit(stored)
            rows.append((net.recall(bits, generator=run.generator).states + 1) / 2)
            labels.append(f"{label} P={config.grid_stored}")
        rows.append(angle_decode(angle_code_retrieve(cue, unknown, codes, config.beta)))
        labels.append(f"modern P={config.modern_stored}")
        rows.append(truth)
        labels.append("truth")
    height, width = shape
    fig = image_rows(
        [r.reshape(k, height, width) for r in rows], labels, cmap="gray", symmetric=False
    )
    for ax in fig.axes:
        for image in ax.get_images():
            image.set_clim(0, 1)
    run.save_figure(
        fig,
        "examples",
        f"Cue, recall and truth for {k} stored {config.dataset.label} images. "
        f"Classical networks (binarised images, {config.grid_stored} stored): the Hebb rule "
        "falls into a mixture of the correlated images; the pseudo-inverse rule keeps them "
        f"as fixed points. Modern network ({config.modern_stored} grey-level images stored, "
        f"one update, beta = {config.beta:g}). Masked pixels: grey in the cue, random bits for the "
        "classical networks, unknown (0, 0) for the modern one.",
    )


def _images_curves(
    run: Run, config: HopfieldImagesConfig, loads: tuple[int, ...], identified: torch.Tensor
) -> None:
    classical = list(config.classical_stored)
    styles = {
        "hebb": ("Hebb, images", "tab:blue", "-"),
        "pseudo_inverse": ("pseudo-inverse, images", "tab:green", "-"),
        "hebb_random_patterns": ("Hebb, random patterns", "tab:blue", ":"),
        "modern": ("modern, images (angle code)", "tab:red", "-"),
        "modern_plain_dot": ("modern, images (plain [-1, 1])", "tab:red", ":"),
    }
    names = list(styles)
    with rc_context(FIGURE_FONTS):
        fig, axes = subplots(1, 2, figsize=(10, 5.2), sharey=True)
        for ci, cue_type in enumerate(CUE_TYPES):
            ax = axes[ci]
            for ni, name in enumerate(names):
                label, colour, line = styles[name]
                xs = list(loads) if name.startswith("modern") else classical
                ys = identified[ni, ci, : len(xs)].tolist()
                ax.semilogx(xs, ys, marker="o", color=colour, linestyle=line, label=label)
            ax.set(xlabel="images stored", ylim=(-0.02, 1.02), title=f"{cue_type} cues")
        axes[0].set_ylabel("fraction identified")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
        fig.tight_layout(rect=(0, 0.2, 1, 1))
    noise = f"{config.noise_fraction:.0%} of the pixels inverted"
    run.save_figure(
        fig,
        "recall_by_load",
        f"Fraction of cues (bottom half masked, or {noise}) whose recall is nearest to the "
        f"right stored {config.dataset.label} image, against the number of images "
        "stored. The Hebbian network fails on correlated images at loads where it still "
        "recalls random patterns; the modern network recovers the right image among "
        f"{config.modern_stored}.",
    )


def _describe_images(config: HopfieldImagesConfig) -> str:
    pixels = config.dataset.pixels
    return (
        f"{config.dataset.label} images ({pixels} pixels) stored in classical "
        "Hopfield networks (binarised, Hebb and pseudo-inverse rules; "
        f"{', '.join(map(str, config.classical_stored))} images) and in a modern Hopfield "
        f"network (grey levels, {config.modern_stored} images, beta = {config.beta:g}; "
        "Ramsauer et al. 2020), recalled from cues with the bottom half masked or "
        f"{config.noise_fraction:.0%} of the pixels inverted ({config.probes} cues per load). "
        "Expected: correlated images break the Hebb rule far below the capacity 0.138 N = "
        f"{0.138 * pixels:.0f} it has for random patterns (fewer than half the cues "
        "identified at the largest load below two thirds of it), while one modern update "
        f"retrieves the right image from a masked cue among {config.modern_stored} (at "
        "least 95% of the cues: exponential storage capacity of well-separated patterns)."
    )


def _images_expectations(config: HopfieldImagesConfig) -> list[Expectation]:
    rules = [
        Expectation(
            f"modern_identified_at_{config.modern_stored}_masked", 0.95,
            "paper: Ramsauer et al. 2020, one update retrieves a well-separated pattern",
            relation="at_least",
        )
    ]  # fmt: skip
    below = [c for c in config.classical_stored if c <= 0.138 * config.dataset.pixels / 1.5]
    if below:
        index = config.classical_stored.index(below[-1])
        for cue_type in CUE_TYPES:
            rules.append(
                Expectation(
                    f"identified_fraction.hebb {cue_type}", 0.5,
                    "theory: correlated patterns add crosstalk growing with P, so Hebb "
                    "fails below alpha_c = 0.138 of random patterns (Amit 1989)",
                    relation="at_most", index=index,
                )
            )  # fmt: skip
    return rules


HOPFIELD_IMAGES = Recipe(
    name="hopfield-images",
    summary="classical vs modern Hopfield recall of stored images from masked and noisy cues",
    topic=TOPIC,
    description=_describe_images,
    config_type=HopfieldImagesConfig,
    run=run_hopfield_images,
    tour={"dataset": "digits", "classical_stored": (2, 5, 10, 20), "probes": 100},
    expectations=_images_expectations,
)
