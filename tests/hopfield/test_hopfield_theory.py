"""Capacity theory and cue construction of the Hopfield memories (hopfield.theory, .cues)."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.hopfield import (
    angle_decode,
    angle_encode,
    binarise_cue,
    crossing,
    dense_capacity_at_level,
    dense_capacity_theory,
    dense_fixed_fraction_at_capacity,
    flip_bits,
    hebb_all_fixed_alpha,
    hebb_alpha_at_level,
    hebb_most_fixed_alpha,
    hebb_stable_fraction,
    interpolate_log,
    invert_pixels,
    mask_bottom_half,
    retrieval_overlap,
    storkey_alpha,
)


def test_retrieval_overlap_matches_the_replica_solution_and_vanishes_at_alpha_c():
    assert retrieval_overlap(0.01) == pytest.approx(1.0, abs=1e-9)
    assert retrieval_overlap(0.1) == pytest.approx(0.998, abs=1e-3)
    # Amit, Gutfreund & Sompolinsky: the retrieval state jumps from m ~ 0.97 to 0 at 0.138
    assert 0.96 < retrieval_overlap(0.137) < 0.99
    assert retrieval_overlap(0.139) == 0.0


def test_stable_fraction_and_dense_capacity_formulas():
    # P = 1: no crosstalk; large P: nothing is stable
    assert hebb_stable_fraction(1, 100) == 1.0
    assert hebb_stable_fraction(500, 1000) < 1e-6
    # the one-step error is 1/2 erfc(1 / sqrt(2 alpha)) at (P - 1) / (N - 1) = alpha
    error = 1 - hebb_stable_fraction(1381, 10_001) ** (1 / 10_001)
    assert error == pytest.approx(0.5 * math.erfc(1 / math.sqrt(2 * 0.138)), rel=1e-6)
    # n = 2 is McEliece's N / (2 ln N); each order multiplies by N / (2n - 1)
    assert dense_capacity_theory(1000, 2) == pytest.approx(1000 / (2 * math.log(1000)))
    assert dense_capacity_theory(50, 4) / dense_capacity_theory(50, 3) == pytest.approx(50 / 5)


def test_flip_bits_flips_exactly_the_asked_number_of_bits():
    patterns = torch.ones(50, 40)
    cues = flip_bits(patterns, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal((cues == -1).sum(dim=1), torch.full((50,), 12))
    assert not torch.equal(cues[0], cues[1])  # positions differ between rows
    assert torch.equal(flip_bits(patterns, 0.0, torch.Generator()), patterns)


def test_crossing_interpolates_the_first_fall_below_the_level():
    assert crossing([0.1, 0.2, 0.3], [1.0, 0.6, 0.2], 0.5) == pytest.approx(0.225)
    assert crossing([1.0, 4.0], [1.0, 0.0], 0.5, log_x=True) == pytest.approx(2.0)
    assert crossing([0.1, 0.2], [1.0, 0.9], 0.5) is None


def test_angle_code_gives_equal_norms_and_decodes_grey_levels():
    grey = torch.rand(5, 30, generator=torch.Generator().manual_seed(1))
    codes = angle_encode(grey)
    torch.testing.assert_close(codes.norm(dim=1), torch.full((5,), math.sqrt(30)))
    torch.testing.assert_close(angle_decode(codes), grey, atol=1e-6, rtol=0)
    # per pixel the dot product is cos(pi (v - v')): inverting a pixel negates its cosine
    inverted = angle_encode(1 - grey)
    torch.testing.assert_close(inverted[:, :30], -codes[:, :30], atol=1e-6, rtol=0)
    expected = torch.cos(math.pi * (grey[0] - grey[1])).sum()
    torch.testing.assert_close(codes[0] @ codes[1], expected, atol=1e-4, rtol=0)


def test_perfect_recall_loads_are_the_mceliece_and_storkey_formulas():
    assert hebb_all_fixed_alpha(1000) == 1 / (4 * math.log(1000))
    assert hebb_most_fixed_alpha(1000) == 2 * hebb_all_fixed_alpha(1000)
    assert storkey_alpha(200) == 1 / math.sqrt(2 * math.log(200))
    # half the Hebbian patterns are fixed points between "all" and "most" at this N
    assert hebb_all_fixed_alpha(200) < hebb_alpha_at_level(200, 0.99)


def test_dense_level_capacity_and_the_fraction_at_k_n_agree():
    # at K_n the fixed fraction is (1 - erfc(sqrt(ln N))/2)^N, the same for every order
    n = 32
    fraction = dense_fixed_fraction_at_capacity(n)
    assert fraction == pytest.approx((1 - 0.5 * math.erfc(math.sqrt(math.log(n)))) ** n)
    # the level that K_n meets is met at K_n by dense_capacity_at_level
    for degree in (2, 3, 4):
        at_level = dense_capacity_at_level(n, degree, fraction)
        assert at_level == pytest.approx(dense_capacity_theory(n, degree), rel=1e-6)


def test_interpolate_log_reads_a_curve_in_log_count_and_refuses_outside():
    assert interpolate_log([10, 1000], [0.0, 1.0], 100.0) == pytest.approx(0.5)
    assert interpolate_log([10, 1000], [0.0, 1.0], 5.0) is None


def test_image_cues_mask_the_bottom_half_and_invert_an_exact_number_of_pixels():
    images = torch.rand(3, 16, generator=torch.Generator().manual_seed(0))
    masked, unknown = mask_bottom_half(images, (4, 4))
    assert unknown[:, 8:].all() and not unknown[:, :8].any()
    assert torch.equal(masked[:, :8], images[:, :8]) and bool((masked[:, 8:] == 0.5).all())
    noisy = invert_pixels(images, 0.25, torch.Generator().manual_seed(1))
    changed = ~torch.isclose(noisy, images)
    assert changed.sum(dim=1).tolist() == [4, 4, 4]
    torch.testing.assert_close(noisy[changed], 1 - images[changed])
    # the inverted pixels are those flip_bits flips with the same generator state
    flips = flip_bits(torch.ones(3, 16), 0.25, torch.Generator().manual_seed(1)) < 0
    assert torch.equal(changed, flips)


def test_binarise_cue_thresholds_at_half_and_draws_bits_where_unknown():
    grey = torch.tensor([[0.9, 0.1, 0.5, 0.7]])
    unknown = torch.tensor([[False, False, False, True]])
    bits = binarise_cue(grey, unknown, torch.Generator().manual_seed(0))
    assert bits[0, :3].tolist() == [1.0, -1.0, -1.0]
    assert bits[0, 3].item() in (-1.0, 1.0)
