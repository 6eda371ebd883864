"""The blocked asynchronous sweep gives exactly the result of one-neuron-at-a-time updates.

``sweeps.sweep_`` updates the neurons a block at a time and solves each block's
triangular system by fixed-point iteration; these tests compare it with a literal loop
(one neuron, one field, one decision at a time) on several blocks, with ties, biases,
non-symmetric weights, per-cue and shared orders and Glauber draws, and check that the
overlap-based fields used for Hebbian weights give the same recall as the full matrix.
"""

from __future__ import annotations

import pytest
import torch

from hebbian.hopfield import HopfieldNetwork, StorageRule, classical, hebb_weights, sweeps


def literal_sweep(states, weights, bias, orders, temperature=0.0, draws=None):
    """N single-neuron updates per cue, in order, each from the current state."""
    states = states.clone()
    for b in range(states.shape[0]):
        order = orders[0] if orders.shape[0] == 1 else orders[b]
        for t, i in enumerate(order.tolist()):
            h = float(weights[i] @ states[b]) - (float(bias[i]) if bias is not None else 0.0)
            if temperature == 0.0:
                if h != 0.0:  # a tie keeps the state
                    states[b, i] = 1.0 if h > 0 else -1.0
            else:
                p_up = float(
                    torch.sigmoid(torch.tensor(2.0 * h / temperature, dtype=torch.float64))
                )
                states[b, i] = 1.0 if float(draws[b, t]) < p_up else -1.0
    return states


def random_states(batch, n, generator, dtype=torch.float64):
    return (torch.randint(0, 2, (batch, n), generator=generator) * 2 - 1).to(dtype)


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("kind", ["symmetric", "non-symmetric", "integer ties"])
def test_blocked_sweep_equals_the_literal_loop(shared, kind):
    g = torch.Generator().manual_seed(0)
    n, batch = 150, 6  # 3 blocks of 64 (the last partial) or 10 per-cue blocks of 16
    if kind == "integer ties":  # fields are small integers: ties h = 0 happen often
        weights = torch.randint(-1, 2, (n, n), generator=g).double()
        weights = torch.triu(weights, 1) + torch.triu(weights, 1).T
        bias = None
    else:
        weights = torch.randn(n, n, generator=g, dtype=torch.float64)
        if kind == "symmetric":
            weights = (weights + weights.T) / 2
        weights.fill_diagonal_(0.0)
        bias = torch.randn(n, generator=g, dtype=torch.float64)
    states = random_states(batch, n, g)
    for _ in range(3):  # successive sweeps from a moving state
        orders = torch.stack(
            [torch.randperm(n, generator=g) for _ in range(1 if shared else batch)]
        )
        order = orders[0] if shared else orders
        swept = classical.asynchronous_sweep(states, weights, bias, cue_orders=order)
        assert torch.equal(swept, literal_sweep(states, weights, bias, orders))
        states = swept


def test_a_tie_created_inside_a_block_keeps_the_state():
    # W01 = W12 = 1, from s = (1, -1, 1) in the order 0, 1, 2 (one block):
    # neuron 0: h = s1 = -1, flips to -1;
    # neuron 1: h = s0 + s2 = -1 + 1 = 0, a tie, keeps -1 (at the block's start h was 2,
    #           so the first guess flips it and the iteration must undo that);
    # neuron 2: h = s1 = -1, flips to -1 (the guess was "keep" once neuron 1 flipped).
    weights = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    start = torch.tensor([[1.0, -1.0, 1.0]])
    out = classical.asynchronous_sweep(start, weights, cue_orders=torch.tensor([0, 1, 2]))
    assert torch.equal(out, torch.tensor([[-1.0, -1.0, -1.0]]))


@pytest.mark.parametrize("shared", [True, False])
def test_blocked_glauber_sweep_uses_each_steps_draw_like_the_literal_loop(shared):
    g = torch.Generator().manual_seed(1)
    n, batch, temperature = 100, 5, 0.7
    weights = torch.randn(n, n, generator=g, dtype=torch.float64) / 10
    weights = (weights + weights.T) / 2
    weights.fill_diagonal_(0.0)
    states = random_states(batch, n, g)
    orders = torch.stack([torch.randperm(n, generator=g) for _ in range(1 if shared else batch)])
    draws = torch.rand(batch, n, generator=g, dtype=torch.float64)  # draws[b, t]: step t
    swept = states.clone()
    keeper = sweeps.DenseFields(swept, weights, None)
    sweeps.sweep_(swept, keeper, orders, temperature, draws)
    assert torch.equal(swept, literal_sweep(states, weights, None, orders, temperature, draws))
    torch.testing.assert_close(keeper.fields, swept @ weights.T)  # fields kept exact


@pytest.mark.parametrize("with_bias", [False, True])
def test_hebbian_recall_from_overlaps_equals_recall_from_the_weight_matrix(with_bias):
    # N even and P odd: every field is an odd multiple of 1/N and every threshold an even
    # one, so h - b is never 0 and the two float computations agree on every sign
    g = torch.Generator().manual_seed(2)
    n, count = 200, 21  # 4 P <= N: the overlap path is used
    bias = 2.0 * torch.randint(-3, 4, (n,), generator=g) / n if with_bias else None
    patterns = random_states(count, n, g, torch.float32)
    cues = (
        torch.where(torch.rand(60, n, generator=g) < 0.2, -1.0, 1.0)
        * patterns[torch.arange(60) % count]
    )
    from_overlaps = HopfieldNetwork(StorageRule.HEBB, bias=bias, shared_order=True).fit(patterns)
    from_matrix = HopfieldNetwork(hebb_weights, bias=bias, shared_order=True).fit(patterns)
    assert isinstance(from_overlaps._field_keeper(cues, True), sweeps.HebbFields)
    assert isinstance(from_matrix._field_keeper(cues, True), sweeps.DenseFields)
    a = from_overlaps.recall(cues, generator=torch.Generator().manual_seed(3))
    b = from_matrix.recall(cues, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.states, b.states)
    assert a.sweeps == b.sweeps and torch.equal(a.converged, b.converged)
    assert a.sweeps > 1  # the cues really moved


@pytest.mark.parametrize("shared", [True, False])
def test_recall_sets_converged_cues_aside_and_ends_at_fixed_points(shared):
    g = torch.Generator().manual_seed(4)
    patterns = random_states(10, 120, g, torch.float32)
    # half the cues are stored patterns (fixed points at this load), half random states
    cues = torch.cat([patterns[:8], random_states(8, 120, g, torch.float32)])
    net = HopfieldNetwork(shared_order=shared).fit(patterns)
    result = net.recall(cues, generator=g, return_energy=True)
    assert result.converged.all()
    # fixed points of the exact fields: N W holds integers, so no rounding decides a tie
    counts = (net.weights_ * 120).round()
    assert torch.equal(classical.synchronous_step(result.states, counts), result.states)
    assert torch.all(result.energies[1:] <= result.energies[:-1] + 1e-5)
    # cues set aside early keep their state in the energy trajectory
    assert torch.equal(result.energies[-1], classical.energy(result.states, net.weights_))


def test_a_sweep_of_one_cue_leaves_its_input_untouched():
    g = torch.Generator().manual_seed(5)
    patterns = random_states(3, 50, g, torch.float32)
    cue = -patterns[:1]  # a (1, N) tensor, whose transpose is contiguous
    before = cue.clone()
    classical.asynchronous_sweep(cue, hebb_weights(patterns), generator=g)
    HopfieldNetwork().fit(patterns).recall(cue, generator=g)
    assert torch.equal(cue, before)


def test_recall_with_explicit_orders_replays_them_sweep_by_sweep():
    g = torch.Generator().manual_seed(6)
    patterns = random_states(13, 100, g, torch.float32)  # P odd, N even: no ties
    cues = (
        torch.where(torch.rand(30, 100, generator=g) < 0.25, -1.0, 1.0)
        * patterns[torch.arange(30) % 13]
    )
    orders = torch.stack([torch.randperm(100, generator=g) for _ in range(20)])
    # the reference: every unfinished cue swept with orders[k] at sweep k
    states, active = cues.clone(), torch.arange(30)
    for order in orders:
        after = classical.asynchronous_sweep(
            states[active], hebb_weights(patterns), cue_orders=order
        )
        moved = (after != states[active]).any(dim=1)
        states[active] = after
        active = active[moved]
        if active.numel() == 0:
            break
    for storage in (StorageRule.HEBB, hebb_weights):  # overlap path and full matrix
        result = HopfieldNetwork(storage).fit(patterns).recall(cues, sweep_orders=orders)
        assert torch.equal(result.states, states)
    # at most len(orders) sweeps
    short = HopfieldNetwork().fit(patterns).recall(cues, sweep_orders=orders[:1])
    assert short.sweeps == 1


@pytest.mark.parametrize(
    ("orders", "update", "message"),
    [
        (torch.zeros(2, 10, dtype=torch.int64), None, "permutation"),
        (torch.arange(10), None, r"sweep_orders must have shape \(S, 10\)"),
        (torch.zeros(0, 10, dtype=torch.int64), None, "S >= 1"),
        (torch.arange(10)[None], "synchronous", "sweep_orders are for asynchronous"),
    ],
)
def test_recall_refuses_bad_orders(orders, update, message):
    from hebbian.hopfield import UpdateRule

    patterns = torch.ones(1, 10)
    kind = UpdateRule.SYNCHRONOUS if update else UpdateRule.ASYNCHRONOUS
    net = HopfieldNetwork(update=kind).fit(patterns)
    with pytest.raises(ValueError, match=message):
        net.recall(patterns, sweep_orders=orders)


def test_recall_refuses_orders_that_are_not_a_tensor():
    net = HopfieldNetwork().fit(torch.ones(1, 3))
    with pytest.raises(TypeError, match=r"sweep_orders must be a torch\.Tensor"):
        net.recall(torch.ones(1, 3), sweep_orders=[[0, 1, 2]])
