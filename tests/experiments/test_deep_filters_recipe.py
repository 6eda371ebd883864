"""The hebbian-filters recipe: its measures on hand-made filters, a small run, exact resume."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from hebbian.deep import RuleKind
from hebbian.deep.receptive_fields import (
    localisation,
    normalise_contrast,
    orientation_selectivity,
    random_patches,
    zca_whitening,
)
from hebbian.experiments import recipe_entry
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.deep import HEBBIAN_FILTERS, FiltersConfig

#: A run of about a second: 8 x 8 patches, 16 filters, two epochs of 100 steps at high rates.
SMALL = FiltersConfig(
    patch_size=8,
    filters=16,
    epochs=2,
    patches_per_epoch=10_000,
    whitening_patches=4000,
    learning_rate=2.0,
    wta_learning_rate=0.5,
    window=4,
    null_filters=200,
)


def gabor(size: int, angle: float, *, period: float = 4.0, sigma: float = 2.0) -> torch.Tensor:
    """A Gabor filter ``(size, size)`` whose wave vector points at ``angle`` (y up, radians)."""
    centre = (size - 1) / 2
    index = torch.arange(size, dtype=torch.float64) - centre
    y, x = -index[:, None], index[None, :]  # rows point down, y up
    along = x * math.cos(angle) + y * math.sin(angle)
    envelope = torch.exp(-(x**2 + y**2) / (2 * sigma**2))
    return envelope * torch.cos(2 * math.pi * along / period)


# --------------------------------------------------------------------------- measures
def test_a_gabor_is_oriented_along_its_wave_vector() -> None:
    for degrees in (0.0, 30.0, 90.0, 135.0):
        selectivity, orientation = orientation_selectivity(gabor(16, math.radians(degrees))[None])
        assert selectivity.item() > 0.8
        error = abs(math.degrees(orientation.item()) - degrees) % 180.0
        assert min(error, 180.0 - error) < 2.0  # orientations are modulo 180 degrees


def test_isotropic_filters_have_no_orientation() -> None:
    # symmetric under a quarter turn: S vanishes to rounding
    index = torch.arange(12, dtype=torch.float64) - 5.5
    radius2 = index[:, None] ** 2 + index[None, :] ** 2
    centre_surround = torch.exp(-radius2 / 4) - 0.5 * torch.exp(-radius2 / 16)
    assert orientation_selectivity(centre_surround[None])[0].item() < 1e-12
    # white noise: power spread over orientations, far below a Gabor's
    noise = torch.randn(500, 1, 12, 12, generator=torch.Generator().manual_seed(0),
                        dtype=torch.float64)  # fmt: skip
    selectivity, _ = orientation_selectivity(noise)
    assert selectivity.median().item() < 0.15 and selectivity.max().item() < 0.5


def test_selectivity_ignores_scale_mean_and_a_quarter_turn() -> None:
    f = gabor(10, 0.4, period=3.0)[None]
    s, phi = orientation_selectivity(f)
    s2, _ = orientation_selectivity(3 * f + 7)  # the mean is removed first
    s3, phi3 = orientation_selectivity(torch.rot90(f, 1, dims=(1, 2)))  # counter-clockwise
    assert s2.item() == pytest.approx(s.item(), abs=1e-12)
    assert s3.item() == pytest.approx(s.item(), abs=1e-12)
    assert phi3.item() == pytest.approx((phi.item() + math.pi / 2) % math.pi, abs=1e-9)


def test_colour_channels_add_their_power() -> None:
    a, b = gabor(8, 0.0)[None], gabor(8, math.pi / 2)[None]
    both = torch.stack([a[0], b[0]])[None]  # (1, 2, 8, 8): crossed orientations cancel
    assert orientation_selectivity(both)[0].item() < 1e-9
    assert orientation_selectivity(torch.stack([a[0], a[0]])[None])[0].item() == pytest.approx(
        orientation_selectivity(a)[0].item()
    )


def test_localisation_of_hand_made_filters() -> None:
    k, w = 12, 5
    spread = torch.ones(1, k, k, dtype=torch.float64)
    assert localisation(spread, w).item() == pytest.approx(w**2 / k**2)
    point = torch.zeros(1, k, k, dtype=torch.float64)
    point[0, 0, 11] = -2.0  # in a corner: the window is inside the filter
    assert localisation(point, w).item() == 1.0
    small = gabor(k, 0.3, period=3.0, sigma=1.2)[None]
    grating = gabor(k, 0.3, period=3.0, sigma=100.0)[None]  # the same stripes, no envelope
    noise = torch.randn(500, k, k, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert localisation(small, w).item() > 0.8
    assert localisation(grating, w).item() < 0.3
    assert localisation(noise, w).median().item() < 0.3
    assert localisation(5 * small, w).item() == pytest.approx(localisation(small, w).item())
    assert localisation(torch.zeros(1, k, k), w).item() == 0.0
    with pytest.raises(ValueError, match="window must be at most the filters' side 12, got 13"):
        localisation(small, 13)


# --------------------------------------------------------------------------- preprocessing
def test_contrast_normalisation_and_zca_whitening() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4000, 6, generator=g, dtype=torch.float64) * torch.arange(1.0, 7.0) + 3.0
    normalised = normalise_contrast(x, 0.0)
    assert torch.allclose(normalised.mean(dim=1), torch.zeros(4000, dtype=torch.float64))
    assert torch.allclose(normalised.var(dim=1, unbiased=False), torch.ones(4000).double())
    mixed = torch.randn(4000, 5, generator=g, dtype=torch.float64) @ torch.randn(
        5, 5, generator=g, dtype=torch.float64
    )
    mean, z = zca_whitening(mixed, 1e-10)
    white = (mixed - mean) @ z
    covariance = white.T @ white / len(white)
    assert torch.allclose(z, z.T) and torch.allclose(covariance, torch.eye(5).double(), atol=1e-6)


def test_random_patches_are_crops_of_the_images() -> None:
    images = torch.arange(2 * 3 * 7 * 9, dtype=torch.float64).reshape(2, 3, 7, 9)
    patches = random_patches(images, 4, 50, torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(3)  # the same draws, in the documented order
    which = torch.randint(2, (50,), generator=g)
    top = torch.randint(4, (50,), generator=g)
    left = torch.randint(6, (50,), generator=g)
    for i in range(50):
        crop = images[which[i], :, top[i] : top[i] + 4, left[i] : left[i] + 4]
        assert torch.equal(patches[i], crop)


# --------------------------------------------------------------------------- the recipe
def test_a_small_run_learns_oriented_localised_filters(tmp_path: Path) -> None:
    config = dataclasses.replace(SMALL, rules=(RuleKind.SOFTHEBB, RuleKind.HARD_WTA))
    summary = execute(HEBBIAN_FILTERS, config, tmp_path)
    results = summary["results"]
    assert set(results["photographs_sha256"]) == {"china.jpg", "flower.jpg"}
    for name in ("softhebb", "hard-wta"):
        for measure in ("median_orientation_selectivity", "median_localisation"):
            assert results[f"{name}_{measure}"] > results[f"initial_{measure}"] + 0.1
        assert results[f"{name}_wall_seconds"] > 0
    assert results["initial_oriented_localised_fraction"] < 0.2  # random filters
    assert results["uniform_energy_localisation"] == 16 / 64
    files = {figure["file"] for figure in summary["figures"]}
    assert files == {"filters.png", "properties.png", "training.png"}
    assert all((tmp_path / name).stat().st_size > 5_000 for name in files)
    verdicts = {v["result"] for v in summary["verdicts"]}
    assert verdicts == {
        f"{name}_{key}"
        for name in ("softhebb", "hard-wta")
        for key in (
            "median_orientation_selectivity",
            "median_localisation",
            "oriented_localised_fraction",
        )
    } | {"softhebb_median_norm"}


def test_an_interrupted_run_resumes_exactly(tmp_path: Path, killed_and_resumed) -> None:  # type: ignore[no-untyped-def]
    whole = execute(HEBBIAN_FILTERS, SMALL, tmp_path / "whole")["results"]
    resumed = killed_and_resumed(HEBBIAN_FILTERS, SMALL, tmp_path / "resumed")["results"]
    for key, value in whole.items():
        if "seconds" not in key:
            assert resumed[key] == value, key
    # a finished run resumed again computes its results from the last checkpoint
    again = execute(HEBBIAN_FILTERS, SMALL, tmp_path / "whole", resume=True)["results"]
    assert {k: v for k, v in again.items() if "seconds" not in k} == {
        k: v for k, v in whole.items() if "seconds" not in k
    }


def test_bad_settings_are_refused_by_name() -> None:
    refusals = {
        "window=13": r"window must be at most patch_size \(12\), got 13",
        "patch_size=300": r"patch_size must be at most 213",
        "rules=softhebb,softhebb": "rules must not repeat a rule",
        "wta_k=65": r"wta_k must be at most filters \(64\), got 65",
        "zca_epsilon=0": "zca_epsilon",
        "temperature=0": "temperature",
        "null_filters=5": "null_filters",
        "downscale=0": "downscale",
    }
    for setting, message in refusals.items():
        with pytest.raises(ValueError, match=message):
            build_config(FiltersConfig, [setting])
    with pytest.raises(ValueError, match="colour"):
        build_config(FiltersConfig, ["colour=sepia"])


def test_the_recipe_is_registered_outside_the_tour() -> None:
    entry = recipe_entry(HEBBIAN_FILTERS.name)
    assert entry.load() is HEBBIAN_FILTERS and entry.summary == HEBBIAN_FILTERS.summary
    assert entry.topic == HEBBIAN_FILTERS.topic and not entry.in_tour
