"""Tests for hebbian.layers.HebbianLinear."""

from __future__ import annotations

import itertools
import pickle
import re

import pytest
import torch

from hebbian._checks import NonFiniteWeightsError
from hebbian.layers import HebbianLinear, shuffled_batches
from hebbian.rules import (
    BCM,
    BCMState,
    Covariance,
    Hebb,
    Instar,
    Oja,
    Sanger,
    oja,
    sanger,
    winner_take_all,
)

F64 = torch.float64


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_forward_is_the_linear_map() -> None:
    layer = HebbianLinear(3, 2, Oja(), 0.1, generator=seeded(0))
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]))
    # [1 - 3, 0.5 + 1 + 1.5] = [-2, 3];  [0 - 0.5, -0.5 + 0.25] = [-0.5, -0.25]
    torch.testing.assert_close(layer(x), torch.tensor([[-2.0, 3.0], [-0.5, -0.25]]))


def test_initialisation_is_reproducible_and_small() -> None:
    a = HebbianLinear(400, 5, Oja(), 0.1, generator=seeded(1))
    b = HebbianLinear(400, 5, Oja(), 0.1, generator=seeded(1))
    c = HebbianLinear(400, 5, Oja(), 0.1, generator=seeded(2))
    d = HebbianLinear(400, 5, Oja(), 0.1, generator=seeded(1), dtype=F64)
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)
    assert d.weight.dtype == F64
    torch.testing.assert_close(d.weight.float(), a.weight)  # same numbers in every dtype
    # default std 1 / sqrt(in_features): rows of norm close to 1
    assert float(a.weight.std()) == pytest.approx(1 / 20, rel=0.1)
    torch.testing.assert_close(a.weight.norm(dim=1), torch.ones(5), atol=0.15, rtol=0)
    small = HebbianLinear(400, 5, Oja(), 0.1, init_std=0.01, generator=seeded(1))
    torch.testing.assert_close(small.weight, a.weight * 0.01 * 20)


def test_plasticity_step_applies_the_rule_with_the_learning_rate() -> None:
    layer = HebbianLinear(2, 2, Oja(), 0.5, generator=seeded(3), dtype=F64)
    parameter = layer.weight
    before = layer.weight.detach().clone()
    pre = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=F64)
    dw = layer.plasticity_step(pre)
    expected = oja(pre, pre @ before.T, before)
    torch.testing.assert_close(dw, expected)
    torch.testing.assert_close(layer.weight.detach(), before + 0.5 * expected)
    assert layer.weight is parameter and not layer.weight.requires_grad
    assert int(layer.steps) == 1
    assert not dw.requires_grad


def test_plasticity_step_with_a_given_post_by_hand() -> None:
    layer = HebbianLinear(2, 1, Hebb(), 0.1, dtype=F64)
    with torch.no_grad():
        layer.weight.zero_()
    pre = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=F64)
    post = torch.tensor([[1.0], [2.0]], dtype=F64)
    # <y x^T> = ([1, 2] + [6, 0]) / 2 = [3.5, 1];  W = 0 + 0.1 * [3.5, 1]
    dw = layer.plasticity_step(pre, post)
    torch.testing.assert_close(dw, torch.tensor([[3.5, 1.0]], dtype=F64))
    torch.testing.assert_close(layer.weight.detach(), torch.tensor([[0.35, 0.1]], dtype=F64))


def test_hebb_through_the_layer_stops_with_the_last_finite_weights() -> None:
    g = seeded(4)
    layer = HebbianLinear(5, 2, Hebb(), 1.0, generator=g)  # float32 overflows quickly
    x = torch.randn(64, 5, generator=g) * torch.tensor([3.0, 2.0, 1.0, 1.0, 0.5])
    norms = [float(layer.weight.double().norm())]
    last_good = layer.weight.detach().clone()
    with pytest.raises(NonFiniteWeightsError) as caught:
        for _ in range(1000):
            last_good = layer.weight.detach().clone()
            layer.plasticity_step(x)
            norms.append(float(layer.weight.double().norm()))  # no overflow
    steps_done = int(layer.steps)
    assert 10 < steps_done < 1000
    message = str(caught.value)
    assert "'hebb'" in message
    assert re.search(rf"at step {steps_done + 1}\b", message), message
    # the failing step committed nothing: the weights are the last finite ones
    assert torch.equal(layer.weight.detach(), last_good)
    assert bool(torch.isfinite(layer.weight).all())
    # before the failure the norm grew monotonically, by many orders of magnitude
    assert all(b > a for a, b in itertools.pairwise(norms))
    assert norms[-1] / norms[0] > 1e20


def test_instar_with_winner_take_all_through_the_layer() -> None:
    g = seeded(5)
    means = torch.tensor([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]], dtype=F64)
    labels = torch.randint(3, (600,), generator=g)
    x = means[labels] + 0.5 * torch.randn(600, 3, generator=g, dtype=F64)
    layer = HebbianLinear(3, 3, Instar(), 0.3, activation=winner_take_all, dtype=F64)
    with torch.no_grad():  # one sample of each cluster, in a shuffled order
        layer.weight.copy_(x[[int((labels == k).nonzero()[0]) for k in (1, 2, 0)]])
    for _ in range(8):
        for start in range(0, len(x), 30):
            layer.plasticity_step(x[start : start + 30])
    distance = torch.cdist(means, layer.weight.detach())  # (cluster, unit)
    assert sorted(distance.argmin(dim=1).tolist()) == [0, 1, 2]
    assert float(distance.min(dim=1).values.max()) < 0.2
    # responses are one-hot
    assert torch.equal(layer.responses(x).sum(dim=1), torch.ones(600, dtype=F64))


def test_state_dict_round_trip_includes_rule_state() -> None:
    g = seeded(6)
    x = torch.rand(32, 4, generator=g)
    layer = HebbianLinear(4, 3, BCM(threshold_decay=0.3), 0.05, generator=seeded(7))
    for _ in range(5):
        layer.plasticity_step(x)
    state = layer.state_dict()
    assert set(state) == {"weight", "steps", "rule_state_theta"}
    assert float(state["rule_state_theta"].abs().sum()) > 0  # the threshold has moved

    other = HebbianLinear(4, 3, BCM(threshold_decay=0.3), 0.05, generator=seeded(8))
    assert not torch.equal(other.weight, layer.weight)
    other.load_state_dict(state)
    assert torch.equal(other.weight, layer.weight)
    assert int(other.steps) == 5
    assert isinstance(other.rule_state, BCMState)
    assert torch.equal(other.rule_state.theta, layer.rule_state.theta)
    # both continue identically
    torch.testing.assert_close(other.plasticity_step(x), layer.plasticity_step(x))
    assert torch.equal(other.weight, layer.weight)


def test_covariance_state_and_reset() -> None:
    layer = HebbianLinear(2, 1, Covariance(mean_decay=0.5), 0.1, dtype=F64)
    pre = torch.tensor([[1.0, 3.0], [3.0, 5.0]], dtype=F64)
    layer.plasticity_step(pre)
    # pre mean moved half-way from 0 to the batch mean [2, 4]
    torch.testing.assert_close(layer.rule_state.pre_mean, torch.tensor([1.0, 2.0], dtype=F64))
    assert {"rule_state_pre_mean", "rule_state_post_mean"} <= set(layer.state_dict())
    layer.reset_rule_state()
    assert int(layer.steps) == 0
    assert torch.equal(layer.rule_state.pre_mean, torch.zeros(2, dtype=F64))


def test_layer_pickles_with_its_rule_and_activation() -> None:
    layer = HebbianLinear(3, 2, Instar(), 0.1, activation=winner_take_all, generator=seeded(9))
    again = pickle.loads(pickle.dumps(layer))
    assert torch.equal(again.weight, layer.weight)
    assert again.rule == Instar() and again.activation is winner_take_all
    assert "rule=Instar()" in repr(layer) and "winner_take_all" in repr(layer)


def test_float64_sanger_layer_learns_principal_components() -> None:
    g = seeded(10)
    x = torch.randn(2000, 3, generator=g, dtype=F64) * torch.tensor([2.0, 1.0, 0.3], dtype=F64)
    layer = HebbianLinear(3, 2, Sanger(), 0.02, generator=g, dtype=F64)
    for _ in range(5):
        for start in range(0, len(x), 20):
            layer.plasticity_step(x[start : start + 20])
    assert layer.weight.dtype == F64
    # the axes are the principal components here (variances 4, 1, 0.09)
    torch.testing.assert_close(
        layer.weight.detach().abs(), torch.eye(3, dtype=F64)[:2], atol=0.05, rtol=0
    )


def test_bad_arguments_are_refused_with_their_names() -> None:
    with pytest.raises(ValueError, match="in_features"):
        HebbianLinear(0, 2, Oja(), 0.1)
    with pytest.raises(TypeError, match="out_features"):
        HebbianLinear(2, 1.5, Oja(), 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rule"):
        HebbianLinear(2, 2, "oja", 0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="learning_rate"):
        HebbianLinear(2, 2, Oja(), -0.1)
    with pytest.raises(TypeError, match="activation"):
        HebbianLinear(2, 2, Oja(), 0.1, activation="relu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="init_std"):
        HebbianLinear(2, 2, Oja(), 0.1, init_std=0.0)
    with pytest.raises(TypeError, match="generator"):
        HebbianLinear(2, 2, Oja(), 0.1, generator=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dtype"):
        HebbianLinear(2, 2, Oja(), 0.1, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"^in_features=10000000, out_features=10000000 .* GB"):
        HebbianLinear(10**7, 10**7, Oja(), 0.1)  # refused before allocating 800 TB

    layer = HebbianLinear(2, 3, Oja(), 0.1)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 2\)"):
        layer(torch.ones(4, 3))
    with pytest.raises(TypeError, match="x must have the layer's dtype"):
        layer(torch.ones(4, 2, dtype=F64))
    with pytest.raises(ValueError, match=r"pre must have shape \(\*, 2\)"):
        layer.plasticity_step(torch.ones(4, 5))
    with pytest.raises(ValueError, match=r"post must have shape \(\*, 3\)"):
        layer.plasticity_step(torch.ones(4, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="same batch size"):
        layer.plasticity_step(torch.ones(4, 2), torch.ones(5, 3))
    assert int(layer.steps) == 0


@pytest.mark.cuda
def test_layer_and_rules_run_on_cuda() -> None:
    layer = HebbianLinear(4, 3, BCM(), 0.05, generator=seeded(11), device="cuda")
    cpu = HebbianLinear(4, 3, BCM(), 0.05, generator=seeded(11))
    assert layer.weight.is_cuda and layer.rule_state.theta.is_cuda
    torch.testing.assert_close(layer.weight.cpu(), cpu.weight)  # same initial numbers
    x = torch.rand(16, 4, generator=seeded(12))
    dw = layer.plasticity_step(x.cuda())
    assert dw.is_cuda
    torch.testing.assert_close(dw.cpu(), cpu.plasticity_step(x), rtol=1e-4, atol=1e-5)
    wta = HebbianLinear(4, 3, Instar(), 0.1, activation=winner_take_all, device="cuda")
    assert wta.plasticity_step(x.cuda()).is_cuda


def test_a_step_may_use_its_own_learning_rate() -> None:
    layer = HebbianLinear(2, 1, Hebb(), 0.1, initial_weight=torch.zeros(1, 2, dtype=F64))
    pre = torch.tensor([[1.0, 2.0]], dtype=F64)
    layer.plasticity_step(pre, torch.ones(1, 1, dtype=F64), learning_rate=0.5)
    torch.testing.assert_close(layer.weight.detach(), torch.tensor([[0.5, 1.0]], dtype=F64))
    with pytest.raises(ValueError, match="learning_rate"):
        layer.plasticity_step(pre, learning_rate=0.0)
    assert int(layer.steps) == 1


def test_initial_weight_is_copied_and_excludes_a_draw() -> None:
    start = torch.tensor([[1.0, 0.0, 0.0]])
    layer = HebbianLinear(3, 1, Oja(), 0.1, initial_weight=start)
    assert torch.equal(layer.weight, start) and layer.weight.data_ptr() != start.data_ptr()
    assert layer.weight.dtype == torch.float32 and layer.init_std is None
    assert HebbianLinear(3, 1, Oja(), 0.1, initial_weight=start, dtype=F64).weight.dtype == F64
    with pytest.raises(ValueError, match="initial_weight"):
        HebbianLinear(3, 1, Oja(), 0.1, initial_weight=start, generator=seeded(0))
    with pytest.raises(ValueError, match=r"initial_weight must have shape \(2, 3\)"):
        HebbianLinear(3, 2, Oja(), 0.1, initial_weight=start)


def test_fit_epoch_steps_through_shuffled_batches_as_by_hand() -> None:
    """fit_epoch is one permutation from the generator, then a step per batch."""
    x = torch.randn(23, 3, generator=seeded(13), dtype=F64)
    layer = HebbianLinear(3, 2, Sanger(), 0.05, generator=seeded(14), dtype=F64)
    weight = layer.weight.detach().clone()
    assert layer.fit_epoch(x, batch_size=5, generator=seeded(15), learning_rate=0.02) == 5
    order = torch.randperm(23, generator=seeded(15))
    for start in range(0, 23, 5):
        pre = x[order[start : start + 5]]
        weight = weight + 0.02 * sanger(pre, pre @ weight.T, weight)
    assert torch.equal(layer.weight.detach(), weight)
    assert int(layer.steps) == 5
    sizes = [len(b) for b in shuffled_batches(x, 10, seeded(0))]
    assert sizes == [10, 10, 3]
