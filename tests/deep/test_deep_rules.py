"""The deep Hebbian rules: hand computations, limits, fixed points, convolution patches."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.competing.rule import competing_update
from hebbian.deep.rules import (
    HardWTA,
    KrotovHopfield,
    SoftHebb,
    hard_wta_update,
    norm_dependent_rates,
    soft_competition,
    softhebb_update,
    top_k_mask,
    triangle,
    unfold_patches,
    weight_norms,
)

X = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], dtype=torch.float64)
W = torch.tensor([[0.5, 0.5, 0.0], [0.0, 1.0, 1.0]], dtype=torch.float64)


def test_softhebb_update_equals_a_hand_computation() -> None:
    # u = X W^T: sample 0 -> (0.5, 2.0), sample 1 -> (0.5, 0.0)
    e = math.exp
    y0 = [e(0.5) / (e(0.5) + e(2.0)), e(2.0) / (e(0.5) + e(2.0))]  # winner: unit 1
    y1 = [e(0.5) / (e(0.5) + 1.0), 1.0 / (e(0.5) + 1.0)]  # winner: unit 0
    y = [[-y0[0], y0[1]], [y1[0], -y1[1]]]  # losers' signs flipped
    u = [[0.5, 2.0], [0.5, 0.0]]
    expected = torch.zeros(2, 3, dtype=torch.float64)
    for m in range(2):
        for k in range(2):
            expected[k] += y[m][k] * (X[m] - u[m][k] * W[k])
    assert torch.allclose(softhebb_update(X, W, 1.0), expected, rtol=0, atol=1e-15)


def test_softhebb_without_anti_hebbian_keeps_the_plain_softmax() -> None:
    u = X @ W.T
    y = soft_competition(u, 0.5, anti_hebbian=False)
    assert torch.allclose(y, torch.softmax(u / 0.5, dim=1))
    signs = soft_competition(u, 0.5).sign()
    assert signs.tolist() == [[-1.0, 1.0], [1.0, -1.0]]


def test_ties_go_to_the_lower_index() -> None:
    tied = torch.tensor([[1.0, 3.0, 3.0, 0.0]])
    assert soft_competition(tied, 1.0).sign().tolist() == [[-1.0, 1.0, -1.0, -1.0]]
    assert top_k_mask(tied, 1).tolist() == [[0.0, 1.0, 0.0, 0.0]]
    assert top_k_mask(tied, 3).tolist() == [[1.0, 1.0, 1.0, 0.0]]
    assert top_k_mask(torch.tensor([[2.0, 2.0, 2.0]]), 2).tolist() == [[1.0, 1.0, 0.0]]


def test_top_k_mask_equals_a_stable_descending_sort() -> None:
    g = torch.Generator().manual_seed(0)
    currents = torch.randint(0, 4, (200, 9), generator=g).double()  # many ties
    for k in (1, 2, 5, 9):
        order = torch.sort(currents, dim=1, descending=True, stable=True).indices[:, :k]
        expected = torch.zeros_like(currents).scatter_(1, order, 1.0)
        assert torch.equal(top_k_mask(currents, k), expected)


def test_hard_wta_update_equals_a_hand_computation() -> None:
    # winners: sample 0 -> unit 1 (2.0 > 0.5), sample 1 -> unit 0 (0.5 > 0.0)
    expected = torch.stack([X[1] - W[0], X[0] - W[1]])
    assert torch.equal(hard_wta_update(X, W), expected)
    both = hard_wta_update(X, W, k=2)  # every unit wins every sample
    assert torch.equal(both, torch.stack([X.sum(0) - 2 * W[0], X.sum(0) - 2 * W[1]]))


def test_krotov_rule_object_reuses_the_competing_maths() -> None:
    rule = KrotovHopfield(p=3.0, k=2, delta=0.4)
    expected = competing_update(X, W, p=3.0, k=2, delta=0.4)
    assert torch.equal(rule.change(X, W), expected)
    step = rule.step(W, expected, 0.1)
    assert step.abs().max().item() == pytest.approx(0.1)


def test_soft_rule_tends_to_the_hard_winner_as_temperature_falls() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(50, 6, generator=g, dtype=torch.float64)
    w = torch.randn(4, 6, generator=g, dtype=torch.float64)
    u = x @ w.T
    winner = top_k_mask(u, 1)
    hard = winner.T @ x - (winner * u).sum(0)[:, None] * w  # y = one-hot winner, same form
    gaps = []
    for temperature in (1.0, 0.1, 0.01, 1e-4):
        y = soft_competition(u, temperature, anti_hebbian=False)
        gaps.append((y - winner).abs().max().item())
        soft = softhebb_update(x, w, temperature, anti_hebbian=False)
        if temperature == 1e-4:
            assert torch.allclose(soft, hard, atol=1e-9)
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-9


def test_norm_dependent_rates_vanish_on_the_unit_sphere() -> None:
    weight = torch.tensor([[0.6, 0.8], [2.0, 0.0], [0.0, 0.25]])
    rates = norm_dependent_rates(weight, 0.1, 0.5)
    assert rates.tolist() == pytest.approx([0.0, 0.1, 0.1 * math.sqrt(0.75)])
    assert norm_dependent_rates(weight, 0.1, 0.0).tolist() == pytest.approx([0.1] * 3)
    assert weight_norms(torch.ones(2, 1, 2, 2)).tolist() == [2.0, 2.0]


def test_softhebb_weights_converge_to_unit_norm() -> None:
    """The paper's fixed point: a unit whose y u is positive on average ends on the unit sphere."""
    g = torch.Generator().manual_seed(2)
    centres = torch.nn.functional.normalize(torch.randn(3, 8, generator=g, dtype=torch.float64))
    labels = torch.randint(0, 3, (3000,), generator=g)
    data = centres[labels] + 0.1 * torch.randn(3000, 8, generator=g, dtype=torch.float64)
    weight = 2.0 * torch.nn.functional.normalize(centres + 0.3 * torch.randn(3, 8, generator=g))
    rule = SoftHebb(temperature=0.1)
    for start in range(0, 3000, 10):
        batch = data[start : start + 10]
        weight = weight + rule.step(weight, rule.change(batch, weight) / 10, 0.2)
    assert weight_norms(weight).sub(1.0).abs().max() < 0.02


def test_rule_objects_check_their_settings() -> None:
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        SoftHebb(temperature=0)
    with pytest.raises(ValueError, match="k must be an int >= 2, got 1"):
        KrotovHopfield(k=1)
    with pytest.raises(ValueError, match="k must be at most the number of units 2, got 3"):
        HardWTA(k=3).change(X, W)


def test_triangle_passes_what_exceeds_the_mean_over_channels() -> None:
    currents = torch.tensor([[[[1.0]], [[2.0]], [[6.0]]]])  # (1, 3, 1, 1)
    assert triangle(currents).flatten().tolist() == [0.0, 0.0, 3.0]
    assert triangle(currents, 2.0).flatten().tolist() == [0.0, 0.0, 9.0]


def test_conv_update_is_the_linear_update_on_explicitly_unfolded_patches() -> None:
    g = torch.Generator().manual_seed(3)
    images = torch.randn(2, 3, 7, 6, generator=g, dtype=torch.float64)
    kernel = torch.randn(5, 3, 3, 2, generator=g, dtype=torch.float64)
    stride, padding, dilation = (2, 1), (1, 1), (1, 2)
    patches = unfold_patches(images, (3, 2), stride=stride, padding=padding, dilation=dilation)
    # explicit patches, one position at a time
    padded = torch.nn.functional.pad(images, (1, 1, 1, 1))
    rows = []
    for b in range(2):
        for i in range(0, padded.shape[2] - (3 - 1) * 1 - 1 + 1, 2):
            for j in range(0, padded.shape[3] - (2 - 1) * 2 - 1 + 1, 1):
                rows.append(padded[b, :, i : i + 3, j : j + 3 : 2].reshape(-1))
    explicit = torch.stack(rows)
    assert torch.equal(patches, explicit)
    conv = torch.nn.functional.conv2d(
        images, kernel, stride=stride, padding=padding, dilation=dilation
    )
    flat = kernel.reshape(5, -1)
    assert torch.allclose(
        (patches @ flat.T).reshape(2, -1, 5).permute(0, 2, 1).reshape(conv.shape), conv
    )
    for rule in (SoftHebb(0.7), HardWTA(2), KrotovHopfield(p=2.0, k=3)):
        assert torch.equal(rule.change(patches, flat), rule.change(explicit, flat))
