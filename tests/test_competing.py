"""Krotov & Hopfield's competing hidden units: the rule, its training loop, top layer, estimator."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from hebbian import _random
from hebbian._checks import NonFiniteWeightsError
from hebbian.competing import (
    BackpropBaseline,
    CompetingClassifier,
    CompetingHiddenUnits,
    CompetingParams,
    Init,
    TopLayer,
    TopLoss,
    accuracy,
    annealed_rate,
    competing_epoch,
    competing_update,
    competition,
    fit_competing,
    hidden_currents,
    hidden_features,
    initial_weights,
    normalised_increment,
    p_norms,
    power_loss,
    power_weights,
    supervised_epoch,
    top_layer_epoch,
    top_layer_loss,
)
from hebbian.competing.params import check_exponent, check_ranking

F64 = torch.float64


# --------------------------------------------------------------------------- hand computation
# Four units, two inputs, two samples, p = 3, k = 3, Delta = 0.5, eps0 = 0.2, 4 epochs.
# Powered weights sign(W)|W|^2: [1, 1], [0, 4], [1, -1], [0.25, 0].
# v1 = [2, 1]:    I = [3, 4, 1, 0.5]     -> ranking 1, 0, 2, 3: unit 1 gets +1, unit 2 -0.5
# v2 = [1, -0.5]: I = [0.5, -2, 1.5, .25] -> ranking 2, 0, 3, 1: unit 2 gets +1, unit 3 -0.5
# Unit 0 is second both times: k = 3 must skip it.
# dW1 = v1 - 4 W1                               = [2, -7]
# dW2 = -0.5 (v1 - 1 W2) + (v2 - 1.5 W2)        = [-0.5, -1] + [-0.5, 1] = [-1, 0]
# dW3 = -0.5 (v2 - 0.25 W3)                     = [-0.4375, 0.25]
# max |dW| = 7; second epoch (one done): rate = 0.2 (1 - 1/4) = 0.15.
HAND_WEIGHT = [[1.0, 1.0], [0.0, 2.0], [1.0, -1.0], [0.5, 0.0]]
HAND_INPUTS = [[2.0, 1.0], [1.0, -0.5]]
HAND_PARAMS = CompetingParams(
    hidden_units=4, p=3.0, k=3, delta=0.5, learning_rate=0.2, batch_size=2, epochs=4
)
HAND_DW = [[0.0, 0.0], [2.0, -7.0], [-1.0, 0.0], [-0.4375, 0.25]]


def test_one_update_equals_the_hand_computation() -> None:
    weight = torch.tensor(HAND_WEIGHT, dtype=F64)
    inputs = torch.tensor(HAND_INPUTS, dtype=F64)
    currents = hidden_currents(inputs, weight, 3.0)
    torch.testing.assert_close(
        currents, torch.tensor([[3, 4, 1, 0.5], [0.5, -2, 1.5, 0.25]], dtype=F64)
    )
    g = competition(currents, k=3, delta=0.5)
    torch.testing.assert_close(g, torch.tensor([[0, 1, -0.5, 0], [0, 0, 1, -0.5]], dtype=F64))
    dw = competing_update(inputs, weight, p=3.0, k=3, delta=0.5)
    torch.testing.assert_close(dw, torch.tensor(HAND_DW, dtype=F64))

    assert annealed_rate(0.2, 1, 4) == pytest.approx(0.15)
    expected = weight + 0.15 / 7.0 * torch.tensor(HAND_DW, dtype=F64)
    torch.testing.assert_close(normalised_increment(dw, 0.15), expected - weight)
    # the training loop (row-sparse) and its data-parallel path (dense, reduced) agree
    for reduce in (None, lambda t: t):
        new = competing_epoch(weight, inputs, HAND_PARAMS, 1, torch.Generator(), reduce=reduce)
        torch.testing.assert_close(new, expected, rtol=0, atol=1e-15)
        assert new[1, 1].item() == pytest.approx(2.0 - 0.15)  # the largest change is the rate
    torch.testing.assert_close(weight, torch.tensor(HAND_WEIGHT, dtype=F64))  # not mutated


def test_learning_rate_is_annealed_linearly_to_zero() -> None:
    rates = [annealed_rate(0.04, e, 5) for e in range(6)]
    assert rates == pytest.approx([0.04, 0.032, 0.024, 0.016, 0.008, 0.0])
    weight = torch.tensor(HAND_WEIGHT, dtype=F64)
    inputs = torch.tensor(HAND_INPUTS, dtype=F64)
    for done in range(4):
        new = competing_epoch(weight, inputs, HAND_PARAMS, done, torch.Generator())
        assert (new - weight).abs().max().item() == pytest.approx(0.2 * (1 - done / 4))


def test_top_k_ranking_agrees_with_a_full_sort() -> None:
    g = torch.Generator().manual_seed(0)
    currents = torch.randn(50, 30, generator=g, dtype=F64)
    order = torch.argsort(currents, dim=1, descending=True)  # the published algorithm's sort
    for k, delta in ((2, 0.4), (7, 0.3), (30, 1.0)):
        expected = torch.zeros_like(currents)
        rows = torch.arange(50)
        expected[rows, order[:, k - 1]] = -delta
        expected[rows, order[:, 0]] = 1.0
        torch.testing.assert_close(competition(currents, k, delta), expected)


def _stable_ranks(currents: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Winner and k-th unit of each row by a stable descending sort: ties to the lower index."""
    order = torch.sort(currents, dim=1, descending=True, stable=True).indices
    return order[:, 0], order[:, k - 1]


def test_tied_currents_rank_the_lower_index_first() -> None:
    """Equal currents are ranked as a stable sort ranks them, whatever torch.topk picks."""
    currents = torch.tensor([[1.0, 5, 5, 5, 2, 5], [0, 0, 0, 0, 0, 0], [3, 1, 2, 2, 2, 0]])
    # row 0 ranks 1, 2, 3, 5, 4, 0; row 1 (all equal) 0, 1, ..., 5; row 2 ranks 0, 2, 3, 4, 1, 5
    expected_kth = {2: [2, 1, 2], 3: [3, 2, 3], 4: [5, 3, 4], 5: [4, 4, 1], 6: [0, 5, 5]}
    for k, kth in expected_kth.items():
        g = competition(currents, k, delta=0.5)
        expected = torch.zeros_like(currents)
        expected[[0, 1, 2], kth] = -0.5
        expected[[0, 1, 2], [1, 0, 0]] = 1.0
        torch.testing.assert_close(g, expected)
    # many random rows with few distinct values (so nearly every row has ties)
    gen = torch.Generator().manual_seed(3)
    for k in (2, 3, 7, 12):
        currents = torch.randint(0, 4, (200, 12), generator=gen).to(F64)
        first, kth = _stable_ranks(currents, k)
        expected = torch.zeros_like(currents)
        expected[torch.arange(200), kth] = -0.4
        expected[torch.arange(200), first] = 1.0
        torch.testing.assert_close(competition(currents, k, 0.4), expected)


def test_epoch_with_tied_units_follows_the_stable_ranking() -> None:
    """Duplicated units tie on every sample: the row-sparse epoch, the dense path and the
    pure rule still agree, because all three rank ties to the lower index."""
    gen = torch.Generator().manual_seed(4)
    data = torch.randn(40, 5, generator=gen, dtype=F64)
    params = CompetingParams(hidden_units=6, p=2.0, k=3, delta=0.4, batch_size=8, epochs=2)
    base = torch.randn(3, 5, generator=gen, dtype=F64)
    weight = torch.cat([base, base])  # unit i and unit i + 3 are identical
    order = torch.randperm(40, generator=torch.Generator().manual_seed(5))
    expected = weight.clone()
    for i in range(5):
        batch = data[order[8 * i : 8 * (i + 1)]]
        dw = competing_update(batch, expected, p=2.0, k=3, delta=0.4)
        # by hand: only the lower copy of a tied pair may learn
        first, kth = _stable_ranks(hidden_currents(batch, expected, 2.0), 3)
        assert set((dw.abs().sum(dim=1) > 0).nonzero()[:, 0].tolist()) <= set(
            torch.cat([first, kth]).tolist()
        )
        expected = expected + normalised_increment(dw, annealed_rate(0.02, 0, 2))
    for reduce in (None, lambda t: t):
        got = competing_epoch(
            weight, data, params, 0, torch.Generator().manual_seed(5), reduce=reduce
        )
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


def test_discrete_outcomes_do_not_depend_on_the_thread_count(threads) -> None:
    """Winners, k-th units and the trained weights are the same with 1 and with 2 threads."""
    gen = torch.Generator().manual_seed(6)
    data = torch.rand(300, 64, generator=gen)
    params = CompetingParams(hidden_units=40, p=3.0, k=2, batch_size=20, epochs=3)
    start = initial_weights(40, 64, params, gen)
    outcomes = []
    for n in (1, 2):
        with threads(n):
            weight = start
            for epoch in range(3):
                weight = competing_epoch(
                    weight, data, params, epoch, torch.Generator().manual_seed(7)
                )
            g = competition(hidden_currents(data, weight, 3.0), 2, 0.4)
            outcomes.append((g.argmax(dim=1), g.argmin(dim=1), weight))
    (w1, k1, weight1), (w2, k2, weight2) = outcomes
    assert torch.equal(w1, w2) and torch.equal(k1, k2)
    torch.testing.assert_close(weight1, weight2, rtol=1e-5, atol=1e-6)


def test_row_sparse_epoch_equals_the_dense_reference_rule() -> None:
    """Several batches of competing_epoch against the pure rule applied step by step."""
    g = torch.Generator().manual_seed(1)
    data = torch.randn(60, 7, generator=g, dtype=F64)
    params = CompetingParams(hidden_units=10, p=3.0, k=4, delta=0.3, batch_size=12, epochs=3)
    weight = initial_weights(10, 7, params, g, dtype=F64)
    order = torch.randperm(60, generator=torch.Generator().manual_seed(9))
    expected = weight.clone()
    for i in range(5):
        batch = data[order[12 * i : 12 * (i + 1)]]
        dw = competing_update(batch, expected, p=3.0, k=4, delta=0.3)
        expected = expected + normalised_increment(dw, annealed_rate(0.02, 1, 3))
    got = competing_epoch(weight, data, params, 1, torch.Generator().manual_seed(9))
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-13)


def test_incomplete_last_batch_is_dropped_like_the_authors() -> None:
    g = torch.Generator().manual_seed(2)
    data = torch.randn(25, 4, generator=g, dtype=F64)
    params = CompetingParams(hidden_units=5, p=2.0, k=2, batch_size=10, epochs=2)
    weight = initial_weights(5, 4, params, g, dtype=F64)
    got = competing_epoch(weight, data, params, 0, torch.Generator().manual_seed(4))
    order = torch.randperm(25, generator=torch.Generator().manual_seed(4))
    expected = weight
    for i in (0, 1):  # the two full batches, in the shuffled order
        batch = data[order[10 * i : 10 * (i + 1)]]
        expected = competing_epoch(expected, batch, params, 0, torch.Generator())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-14)
    changed = data.clone()
    changed[order[20:]] = 100.0  # the 5 samples left over do not take part
    again = competing_epoch(weight, changed, params, 0, torch.Generator().manual_seed(4))
    torch.testing.assert_close(again, got, rtol=0, atol=0)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_weights_converge_to_the_unit_sphere_of_the_p_norm(p: float) -> None:
    """A unit that wins follows d||W||_p^p/dt = p g I (1 - ||W||_p^p): the norm goes to 1."""
    g = torch.Generator().manual_seed(0)
    data = torch.randn(400, 10, generator=g)  # symmetric: every unit wins some samples
    params = CompetingParams(
        hidden_units=8, p=p, k=2, delta=0.4, learning_rate=0.02, batch_size=20, epochs=40
    )
    start = initial_weights(8, 10, params, g)
    assert (p_norms(start, p) - 1).abs().min() > 0.5  # far from the sphere at first
    history: list[torch.Tensor] = []
    final = fit_competing(data, params, g, weight=start, callback=lambda e, w: history.append(w))
    errors = [(p_norms(w, p) - 1).abs().max().item() for w in history]
    assert errors[-1] < 0.01, errors
    assert errors[-1] < errors[len(errors) // 4] < errors[0] or errors[len(errors) // 4] < 0.01
    torch.testing.assert_close(final, history[-1])


def test_features_look_like_the_inputs_they_win() -> None:
    """Three clusters of positive images: each gets a unit whose weights point at its centre."""
    g = torch.Generator().manual_seed(3)
    centres = torch.eye(3).repeat_interleave(4, dim=1)  # (3, 12): disjoint blocks
    data = centres[torch.randint(3, (600,), generator=g)] + 0.05 * torch.rand(600, 12, generator=g)
    params = CompetingParams(
        hidden_units=6, p=2.0, k=2, delta=0.2, learning_rate=0.05, batch_size=30, epochs=30,
        init=Init.UNIFORM, init_scale=0.5,
    )  # fmt: skip
    weight = fit_competing(data, params, g)
    cosines = (
        torch.nn.functional.normalize(weight, dim=1)
        @ torch.nn.functional.normalize(centres, dim=1).T
    )  # (6, 3)
    assert (cosines.max(dim=0).values > 0.95).all(), cosines


def test_non_finite_inputs_stop_training_naming_the_rule_and_step() -> None:
    data = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    data[25, 1] = float("inf")
    params = CompetingParams(hidden_units=4, p=2.0, k=2, batch_size=10, epochs=1)
    weight = initial_weights(4, 3, params, torch.Generator().manual_seed(0))
    order = torch.randperm(40, generator=torch.Generator().manual_seed(1))
    step = int((order == 25).nonzero()) // 10 + 1
    with pytest.raises(NonFiniteWeightsError, match=rf"'krotov-hopfield' .* at step {step} "):
        competing_epoch(weight, data, params, 0, torch.Generator().manual_seed(1))


def test_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="p must be"):
        CompetingParams(p=0.5)
    with pytest.raises(ValueError, match="k must be at most hidden_units"):
        CompetingParams(hidden_units=5, k=6)
    with pytest.raises(ValueError, match="delta"):
        CompetingParams(delta=-0.1)
    with pytest.raises(TypeError, match=r"init must be one of Init\.NORMAL, Init\.UNIFORM"):
        CompetingParams(init="normal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight must have shape"):
        hidden_currents(torch.zeros(2, 3), torch.zeros(4, 5), 3.0)
    with pytest.raises(TypeError, match="share one dtype"):
        competing_update(torch.zeros(2, 3), torch.zeros(4, 3, dtype=F64), p=2.0, k=2, delta=0.1)
    with pytest.raises(ValueError, match="k must be at most hidden_units = 4, got 5"):
        competition(torch.zeros(2, 4), k=5, delta=0.1)
    params = CompetingParams(hidden_units=4, k=2, batch_size=10)
    with pytest.raises(ValueError, match="fewer than one batch"):
        competing_epoch(torch.zeros(4, 3), torch.zeros(9, 3), params, 0, torch.Generator())
    with pytest.raises(ValueError, match="k must be at most hidden_units = 1, got 2"):
        competing_epoch(torch.zeros(1, 3), torch.zeros(20, 3), params, 0, torch.Generator())
    with pytest.raises(ValueError, match="power"):
        hidden_features(torch.zeros(2, 3), torch.zeros(4, 3), 0.5)
    with pytest.raises(TypeError, match=r"loss must be one of TopLoss\.POWER"):
        top_layer_loss(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), "power")  # type: ignore[arg-type]


def test_power_weights_special_cases_match_the_general_formula() -> None:
    w = torch.randn(5, 6, generator=torch.Generator().manual_seed(0), dtype=F64)
    for p in (1.0, 2.0, 3.0, 2.5, 4.0):
        general = torch.sign(w) * w.abs() ** (p - 1)
        torch.testing.assert_close(power_weights(w, p), general)


# --------------------------------------------------------------------------- top layer
def _top_layer_objective(
    loss: TopLoss, labels: torch.Tensor
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    def objective(
        inputs: torch.Tensor, weight: torch.Tensor, readout: torch.Tensor
    ) -> torch.Tensor:
        features = hidden_features(inputs, weight, 4.5)  # ReLU(W v_hat)^n
        scores = 0.7 * features @ readout.T  # beta S h
        return top_layer_loss(scores, labels, loss, m=6.0)

    return objective


@pytest.mark.parametrize("loss", list(TopLoss))
def test_top_layer_gradients_pass_gradcheck_in_float64(loss: TopLoss) -> None:
    g = torch.Generator().manual_seed(0)
    inputs = torch.rand(5, 6, generator=g, dtype=F64).requires_grad_()
    weight = torch.randn(4, 6, generator=g, dtype=F64).requires_grad_()
    readout = torch.randn(3, 4, generator=g, dtype=F64).requires_grad_()
    labels = torch.tensor([0, 2, 1, 1, 0])
    assert torch.autograd.gradcheck(_top_layer_objective(loss, labels), (inputs, weight, readout))


def test_top_layer_module_and_losses_by_hand() -> None:
    layer = TopLayer(2, 2, beta=0.5, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        layer.readout.copy_(torch.tensor([[1.0, 0.0], [0.0, -2.0]]))
    scores = layer(torch.tensor([[2.0, 1.0]]))
    torch.testing.assert_close(scores, torch.tensor([[1.0, -1.0]]))
    # |tanh(1) - 1|^2 + |tanh(-1) + 1|^2 for label 0; targets +1, -1
    t = float(np.tanh(1.0))
    expected = (t - 1) ** 2 + (-t + 1) ** 2
    assert power_loss(scores, torch.tensor([0]), m=2.0).item() == pytest.approx(expected)
    expected_wrong = (t + 1) ** 2 + (-t - 1) ** 2  # label 1: targets -1, +1
    assert power_loss(scores, torch.tensor([1]), m=2.0).item() == pytest.approx(expected_wrong)
    ce = top_layer_loss(scores, torch.tensor([0]), TopLoss.CROSS_ENTROPY)
    assert ce.item() == pytest.approx(float(np.log1p(np.exp(-2.0))))
    # inputs are scaled to unit length before the top layer: h only sees the direction
    w = torch.tensor([[1.0, 0.0]])
    torch.testing.assert_close(
        hidden_features(torch.tensor([[3.0, 4.0]]), w, 2.0), torch.tensor([[0.36]])
    )
    torch.testing.assert_close(
        hidden_features(torch.tensor([[30.0, 40.0]]), w, 2.0), torch.tensor([[0.36]])
    )
    torch.testing.assert_close(
        hidden_features(torch.tensor([[3.0, 4.0]]), w, 2.0, normalize=False), torch.tensor([[9.0]])
    )


@pytest.mark.parametrize("loss", list(TopLoss))
def test_top_layer_learns_separable_features(loss: TopLoss) -> None:
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(3, (300,), generator=g)
    features = torch.nn.functional.one_hot(labels, 3).double() * 5 + 0.3 * torch.rand(
        300, 3, generator=g, dtype=F64
    )
    layer = TopLayer(3, 3, beta=0.2, generator=g).double()
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
    losses = [
        top_layer_epoch(layer, optimizer, features, labels, g, batch_size=30, loss=loss)
        for _ in range(15)
    ]
    assert losses[-1] < 0.2 * losses[0]
    accuracy = (layer(features).argmax(dim=1) == labels).double().mean().item()
    assert accuracy == 1.0


def test_fit_competing_is_the_one_loop_for_both_steps() -> None:
    """fit_competing with a reduce runs the dense step epoch after epoch, with the callback."""
    gen = torch.Generator().manual_seed(8)
    data = torch.randn(60, 5, generator=gen, dtype=F64)
    params = CompetingParams(hidden_units=6, p=3.0, k=2, batch_size=10, epochs=3)
    start = initial_weights(6, 5, params, gen, dtype=F64)
    seen: list[int] = []
    dense = fit_competing(
        data, params, torch.Generator().manual_seed(2), weight=start,
        reduce=lambda t: t, callback=lambda epoch, w: seen.append(epoch),
    )  # fmt: skip
    assert seen == [1, 2, 3]
    by_hand, g = start, torch.Generator().manual_seed(2)
    for epoch in range(3):
        by_hand = competing_epoch(by_hand, data, params, epoch, g, reduce=lambda t: t)
    assert torch.equal(dense, by_hand)
    sparse = fit_competing(data, params, torch.Generator().manual_seed(2), weight=start)
    torch.testing.assert_close(sparse, dense, rtol=0, atol=1e-12)


def test_initial_weights_are_the_documented_draws() -> None:
    normal = CompetingParams(hidden_units=3, k=2, init_scale=2.0)
    uniform = CompetingParams(hidden_units=3, k=2, init=Init.UNIFORM, init_scale=0.5)
    g = torch.Generator().manual_seed(0)
    expected = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=F64) * 2.0
    assert torch.equal(initial_weights(3, 4, normal, g, dtype=F64), expected)
    u = torch.rand(3, 4, generator=torch.Generator().manual_seed(0), dtype=F64)
    got = initial_weights(3, 4, uniform, torch.Generator().manual_seed(0), dtype=F64)
    assert torch.equal(got, (u * 2 - 1) * 0.5)
    with pytest.raises(TypeError, match=r"generator must be a CPU torch\.Generator"):
        initial_weights(3, 4, normal, 0)  # type: ignore[arg-type]


def test_p_k_and_delta_are_checked_in_one_place() -> None:
    assert check_exponent(2) == 2.0 and check_ranking(2, 0, 2) == (2, 0.0)
    for bad in (0.5, float("inf")):
        with pytest.raises(ValueError, match="p must be a finite number"):
            check_exponent(bad)
    with pytest.raises(TypeError, match="p must be a number"):
        power_weights(torch.zeros(1, 1), "3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"p must be a finite number >= 1, got 0\.5"):
        p_norms(torch.zeros(1, 1), 0.5)
    with pytest.raises(ValueError, match="delta must be a finite number >= 0"):
        competition(torch.zeros(1, 3), 2, -1.0)
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        CompetingParams(k=1)


def test_from_readout_builds_through_init_and_copies() -> None:
    readout = torch.tensor([[1.0, 0.0, 2.0], [0.0, -1.0, 0.5]], dtype=F64)
    layer = TopLayer.from_readout(readout, beta=0.5)
    assert layer.beta == 0.5 and layer.readout.dtype == F64
    torch.testing.assert_close(layer.readout.detach(), readout)
    layer.readout.data.zero_()
    assert readout.abs().sum() > 0  # a copy
    direct = TopLayer(3, 2, beta=0.5, readout=readout)
    assert torch.equal(direct.readout.detach(), readout)
    with pytest.raises(ValueError, match=r"readout must have shape \(2, 4\)"):
        TopLayer(4, 2, readout=readout)
    with pytest.raises(ValueError, match="classes must be an int >= 2"):
        TopLayer.from_readout(torch.ones(1, 3))
    drawn = TopLayer(3, 2, generator=torch.Generator().manual_seed(1))
    expected = torch.randn(2, 3, generator=torch.Generator().manual_seed(1)) / 3**0.5
    assert torch.equal(drawn.readout.detach(), expected)  # S ~ N(0, 1/H), a float32 draw


def test_classifier_holds_the_hidden_weights_as_a_buffer() -> None:
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(5, 3, generator=g)
    model = CompetingClassifier(weight, TopLayer(5, 2, beta=0.3, generator=g), power=2.0)
    inputs = torch.rand(4, 3, generator=g)
    torch.testing.assert_close(model(inputs), model.top(hidden_features(inputs, weight, 2.0)))
    assert [name for name, _ in model.named_parameters()] == ["top.readout"]
    assert set(model.state_dict()) == {"weight", "top.readout"}
    with pytest.raises(ValueError, match="top must be a TopLayer with 5 inputs"):
        CompetingClassifier(weight, TopLayer(4, 2, generator=g))


def test_backprop_baseline_draws_and_scores_as_documented() -> None:
    net = BackpropBaseline(4, 3, 2, torch.Generator().manual_seed(0), dtype=F64)
    g = torch.Generator().manual_seed(0)
    expected = [
        _random.symmetric_uniform((3, 4), 0.5, g, dtype=F64),
        _random.symmetric_uniform((3,), 0.5, g, dtype=F64),
        _random.symmetric_uniform((2, 3), 1 / 3**0.5, g, dtype=F64),
        _random.symmetric_uniform((2,), 1 / 3**0.5, g, dtype=F64),
    ]
    params = list(net.parameters())  # the optimiser's order: w1, b1, w2, b2
    assert all(torch.equal(p.detach(), e) for p, e in zip(params, expected, strict=True))
    x = torch.rand(5, 4, generator=g, dtype=F64)
    w1, b1, w2, b2 = expected
    assert torch.equal(net(x), torch.relu(x @ w1.T + b1) @ w2.T + b2)


def test_supervised_epoch_takes_one_step_per_shuffled_batch() -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(10, 3, generator=g, dtype=F64), torch.randint(2, (10,), generator=g)
    net = BackpropBaseline(3, 4, 2, g, dtype=F64)
    copy = BackpropBaseline(3, 4, 2, dtype=F64)
    copy.load_state_dict(net.state_dict())
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = supervised_epoch(
        net, optimizer, x, y, torch.Generator().manual_seed(3),
        batch_size=4, loss=torch.nn.functional.cross_entropy,
    )  # fmt: skip
    order = torch.randperm(10, generator=torch.Generator().manual_seed(3))
    by_hand = torch.optim.SGD(copy.parameters(), lr=0.1)
    losses = []
    for start in (0, 4, 8):  # batches of 4, 4 and the last 2
        index = order[start : start + 4]
        by_hand.zero_grad()
        value = torch.nn.functional.cross_entropy(copy(x[index]), y[index])
        value.backward()
        by_hand.step()
        losses.append(value.item())
    assert loss == pytest.approx(sum(losses) / 3)
    for a, b in zip(net.parameters(), copy.parameters(), strict=True):
        assert torch.equal(a, b)
    assert accuracy(torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.tensor([0, 1])) == 0.5


# --------------------------------------------------------------------------- estimator
# Every check of scikit-learn's suite runs; none is skipped. (check_array_api_input
# skips itself unless SCIPY_ARRAY_API is set: the estimator computes with torch.)
@parametrize_with_checks(
    [CompetingHiddenUnits(n_hidden=8, k=2, n_epochs=3, batch_size=10, random_state=0)]
)
def test_sklearn_estimator_checks(
    estimator: BaseEstimator, check: Callable[[BaseEstimator], None]
) -> None:
    check(estimator)


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


def test_pipeline_with_a_linear_classifier_beats_random_features_on_digits() -> None:
    X_train, X_test, y_train, y_test = _digits()
    settings = {"n_hidden": 20, "p": 3.0, "k": 3, "delta": 0.3, "power": 1.0, "random_state": 0}

    def pipeline(model: CompetingHiddenUnits) -> Pipeline:
        classifier = LogisticRegression(max_iter=300)
        return make_pipeline(model, StandardScaler(), classifier).fit(X_train, y_train)

    learned = pipeline(CompetingHiddenUnits(n_epochs=20, learning_rate=0.04, **settings))
    # the same pipeline with learning switched off: the initial random weights
    untrained = pipeline(CompetingHiddenUnits(n_epochs=1, learning_rate=1e-12, **settings))
    assert learned[0].components_.shape == (20, 64)
    assert learned.score(X_test, y_test) > 0.9  # about 0.93 here; chance is 0.1
    assert learned.score(X_test, y_test) > untrained.score(X_test, y_test) + 0.03  # 0.87


def test_fit_transform_partial_fit_and_attributes() -> None:
    X_train, _, _, _ = _digits()
    model = CompetingHiddenUnits(
        n_hidden=10, p=2.0, k=2, n_epochs=4, batch_size=100, random_state=1
    )
    assert model.fit(X_train) is model
    assert model.n_iter_ == 4 and model.n_steps_ == 4 * (len(X_train) // 100)
    features = model.transform(X_train)
    assert features.shape == (len(X_train), 10) and (features >= 0).all()
    expected = (
        np.maximum(
            (X_train / np.linalg.norm(X_train, axis=1, keepdims=True)) @ model.components_.T, 0
        )
        ** 4.5
    )
    np.testing.assert_allclose(features, expected, rtol=1e-10)
    assert list(model.get_feature_names_out())[:2] == [
        "competinghiddenunits0",
        "competinghiddenunits1",
    ]

    # partial_fit continues the annealing schedule: the same as a longer fit's epochs
    stepwise = CompetingHiddenUnits(
        n_hidden=10, p=2.0, k=2, n_epochs=4, batch_size=100, random_state=1
    )
    for _ in range(4):
        stepwise.partial_fit(X_train)
    np.testing.assert_array_equal(stepwise.components_, model.components_)
    stepwise.partial_fit(X_train[:100])  # one batch, past n_epochs: the last rate, eps0 / 4
    assert stepwise.n_iter_ == 5
    change = np.abs(stepwise.components_ - model.components_).max()
    assert change == pytest.approx(0.02 / 4)

    # fit starts afresh, whatever happened before
    stepwise.fit(X_train)
    np.testing.assert_array_equal(stepwise.components_, model.components_)


def test_random_state_pickling_and_the_global_seed() -> None:
    X_train, _, _, _ = _digits()
    torch.manual_seed(123)
    marker = torch.rand(1)
    torch.manual_seed(123)
    a = CompetingHiddenUnits(n_hidden=6, p=2.0, k=2, n_epochs=2, random_state=7).fit(X_train)
    assert torch.equal(torch.rand(1), marker)  # the global generator was not used
    b = CompetingHiddenUnits(n_hidden=6, p=2.0, k=2, n_epochs=2, random_state=7).fit(X_train)
    c = CompetingHiddenUnits(n_hidden=6, p=2.0, k=2, n_epochs=2, random_state=8).fit(X_train)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert not np.allclose(a.components_, c.components_)
    a.partial_fit(X_train)
    b2 = pickle.loads(pickle.dumps(b))
    b2.partial_fit(X_train)
    np.testing.assert_array_equal(a.components_, b2.components_)
    assert not hasattr(clone(a), "components_")


def test_estimator_refuses_bad_settings() -> None:
    X_train, _, _, _ = _digits()
    with pytest.raises(NotFittedError):
        CompetingHiddenUnits().transform(X_train)
    with pytest.raises(ValueError, match="k must be at most hidden_units"):
        CompetingHiddenUnits(n_hidden=4, k=5).fit(X_train)
    with pytest.raises(ValueError, match="power"):
        CompetingHiddenUnits(n_hidden=4, k=2, power=0.0).fit(X_train)
    with pytest.raises(TypeError, match="random_state"):
        CompetingHiddenUnits(n_hidden=4, k=2, random_state="x").fit(X_train)
    with pytest.raises(ValueError, match="device"):
        CompetingHiddenUnits(n_hidden=4, k=2, device="nowhere").fit(X_train)
    model = CompetingHiddenUnits(n_hidden=4, k=2, n_epochs=1).fit(X_train)
    model.set_params(n_hidden=5)
    with pytest.raises(ValueError, match="n_hidden changed"):
        model.partial_fit(X_train)


def test_sizes_that_cannot_fit_in_memory_are_refused_before_allocating() -> None:
    params = CompetingParams(hidden_units=10**9, k=2)
    with pytest.raises(ValueError, match=r"^hidden_units=1000000000, features=10000 \("):
        initial_weights(10**9, 10**4, params, torch.Generator())
    X = np.random.default_rng(0).random((30, 64))
    for method in ("fit", "partial_fit"):
        model = CompetingHiddenUnits(n_hidden=10**9, k=2)
        with pytest.raises(ValueError, match=r"^n_hidden=1000000000 \(.*\) would need"):
            getattr(model, method)(X)


def test_a_cuda_device_without_cuda_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X = np.random.default_rng(0).random((30, 4))
    for method in ("fit", "partial_fit"):
        model = CompetingHiddenUnits(n_hidden=4, k=2, n_epochs=1, device="cuda")
        with pytest.raises(ValueError, match=r"^device='cuda' needs CUDA, which this machine"):
            getattr(model, method)(X)


@pytest.mark.cuda
def test_tied_currents_rank_the_same_on_cuda() -> None:
    """CUDA's top-k picks other tied entries than the CPU's; the ranking must not."""
    currents = torch.randint(0, 4, (500, 40), generator=torch.Generator().manual_seed(3))
    for k in (2, 7, 40):
        on_cpu = competition(currents.float(), k, 0.4)
        torch.testing.assert_close(competition(currents.float().cuda(), k, 0.4).cpu(), on_cpu)


@pytest.mark.cuda
def test_training_on_cuda_matches_cpu() -> None:
    g = torch.Generator().manual_seed(0)
    data = torch.randn(200, 12, generator=g, dtype=F64)
    params = CompetingParams(hidden_units=16, p=3.0, k=3, batch_size=20, epochs=3)
    on_cpu = fit_competing(data, params, torch.Generator().manual_seed(1))
    on_gpu = fit_competing(data.cuda(), params, torch.Generator().manual_seed(1))
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), on_cpu, rtol=1e-9, atol=1e-9)
    features = hidden_features(data.cuda(), on_gpu, 4.5)
    torch.testing.assert_close(
        features.cpu(), hidden_features(data, on_cpu, 4.5), rtol=1e-9, atol=1e-9
    )
