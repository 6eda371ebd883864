"""Recall gives the same states whatever the order in which its sums are added.

The order of the additions in a matrix product depends on the BLAS, the CPU's vector
width and the number of threads, so a result that depends on it differs between
machines. Two ways to change that order within one process: the number of torch
threads, and a relabelling of the neurons (or of the patterns), which permutes the
terms of every sum. Recall of relabelled patterns from relabelled cues, with the
correspondingly relabelled visiting orders, must be the relabelling of the recall, at
the loads near capacity where ties (fields that are zero in exact arithmetic) and
near-ties are common.
"""

from __future__ import annotations

import pytest
import torch

from hebbian.hopfield import DenseAssociativeMemory, HopfieldNetwork, Polynomial, StorageRule
from hebbian.hopfield._common import integer_dtype


def random_states(count: int, n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(0, 2, (count, n), generator=generator).float() * 2 - 1


def flipped(states: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    count = round(fraction * states.shape[1])
    ranks = torch.rand(states.shape, generator=generator).argsort(dim=1).argsort(dim=1)
    return torch.where(ranks < count, -states, states)


def hadamard(n: int) -> torch.Tensor:
    """Sylvester's Hadamard matrix (n, n), n a power of 2: mutually orthogonal ±1 rows."""
    h = torch.ones(1, 1)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], dim=1), torch.cat([h, -h], dim=1)])
    return h


@pytest.fixture
def threads():
    """Restore torch's thread count after the test."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def classical_recall(rule, patterns, cues, orders, relabel=None):
    """States recalled with explicit orders; ``relabel`` (N,) puts neuron relabel[c] at c."""
    if relabel is not None:
        back = relabel.argsort()  # new label of every old neuron
        patterns, cues, orders = patterns[:, relabel], cues[:, relabel], back[orders]
    net = HopfieldNetwork(storage=rule, shared_order=True).fit(patterns)
    states = net.recall(cues, sweep_orders=orders).states
    return states if relabel is None else states[:, relabel.argsort()]


# (N, P, fraction of cue bits flipped): near and past capacity, Hebb with both ways of
# keeping the fields (overlaps when 4 P <= N, the weight matrix otherwise)
LOADS = [(200, 30, 0.0), (200, 50, 0.1), (100, 30, 0.1), (200, 80, 0.1), (200, 120, 0.1)]


@pytest.mark.parametrize("rule", list(StorageRule))
@pytest.mark.parametrize(("n", "count", "fraction"), LOADS)
def test_classical_recall_is_independent_of_the_summation_order(rule, n, count, fraction, threads):
    g = torch.Generator().manual_seed(n + count)
    patterns = random_states(count, n, g)
    cues = flipped(patterns, fraction, g)
    orders = torch.stack([torch.randperm(n, generator=g) for _ in range(100)])
    torch.set_num_threads(1)
    reference = classical_recall(rule, patterns, cues, orders)
    for seed in (1, 2):
        relabel = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(classical_recall(rule, patterns, cues, orders, relabel), reference)
    torch.set_num_threads(2)
    assert torch.equal(classical_recall(rule, patterns, cues, orders), reference)


def test_a_cue_orthogonal_to_every_pseudo_inverse_pattern_sees_zero_fields_and_stays():
    # Rows of a Hadamard matrix are orthogonal, and the pseudo-inverse weights project
    # onto the patterns' span: W s = 0 exactly for the other rows, a tie on every neuron
    h = hadamard(64)
    patterns, cues = h[1:9], h[16:32]
    net = HopfieldNetwork(storage=StorageRule.PSEUDO_INVERSE, shared_order=True).fit(patterns)
    result = net.recall(cues, generator=torch.Generator().manual_seed(0))
    assert torch.equal(result.states, cues)
    assert result.sweeps == 1 and bool(result.converged.all())


def test_storkey_stores_its_first_pattern_as_hebb_does_ties_included():
    # From zero weights, Storkey's first pattern gives W = xi xi^T / N: odd N and cues at
    # overlap 1 put zero fields on half the neurons, which must keep their state.
    g = torch.Generator().manual_seed(3)
    n = 101
    pattern = random_states(1, n, g)
    cues = random_states(200, n, g)
    orders = torch.stack([torch.randperm(n, generator=g) for _ in range(20)])
    hebb = HopfieldNetwork(StorageRule.HEBB, shared_order=True).fit(pattern)
    storkey = HopfieldNetwork(StorageRule.STORKEY, shared_order=True).fit(pattern)
    assert torch.equal(
        storkey.recall(cues, sweep_orders=orders).states,
        hebb.recall(cues, sweep_orders=orders).states,
    )


def dense_recall(patterns, cues, degree, orders_seed, relabel=None):
    if relabel is not None:
        patterns = patterns[relabel]  # the patterns in another order: the sums over mu
    memory = DenseAssociativeMemory(Polynomial(degree), shared_order=True).fit(patterns)
    return memory.recall(cues, max_sweeps=5, generator=torch.Generator().manual_seed(orders_seed))


@pytest.mark.parametrize(("n", "degree", "count"), [(32, 4, 300), (32, 3, 60), (48, 5, 1500)])
def test_dense_recall_is_independent_of_the_order_of_the_patterns(n, degree, count, threads):
    g = torch.Generator().manual_seed(degree)
    patterns = random_states(count, n, g)
    cues = flipped(patterns[:100], 0.1, g)
    torch.set_num_threads(1)
    reference = dense_recall(patterns, cues, degree, 5).states
    for seed in (1, 2):
        relabel = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(dense_recall(patterns, cues, degree, 5, relabel).states, reference)
    torch.set_num_threads(2)
    assert torch.equal(dense_recall(patterns, cues, degree, 5).states, reference)


@pytest.mark.parametrize("degree", [20, 30, 100, 400])
def test_dense_memory_of_high_degree_recalls_every_pattern_in_float32(degree):
    # (xi . sigma)^n reaches 200^n: beyond float32 (3.4e38) from n = 17 and beyond
    # float64 from n = 134; the gains are computed scaled by the largest power
    g = torch.Generator().manual_seed(degree)
    patterns = random_states(5, 200, g)
    cues = flipped(patterns, 0.1, g)
    memory = DenseAssociativeMemory(Polynomial(degree)).fit(patterns)
    result = memory.recall(cues, generator=g)
    assert torch.equal(result.states, patterns)
    assert bool(result.converged.all())
    assert torch.equal(memory.recall(patterns, generator=g).states, patterns)


@pytest.mark.parametrize("degree", [3, 31, 101])
def test_dense_gains_that_cancel_exactly_are_ties_at_any_degree(degree):
    # F(x) = x^n with n odd is odd, and xi_2 = -xi_1: the two patterns' gains
    # (r + a)^n - (r - a)^n are exact negatives, so every gain is 0 and any state stays
    g = torch.Generator().manual_seed(degree)
    xi = random_states(1, 40, g)
    memory = DenseAssociativeMemory(Polynomial(degree)).fit(torch.cat([xi, -xi]))
    states = random_states(20, 40, g)
    result = memory.recall(states, generator=g)
    assert torch.equal(result.states, states) and result.sweeps == 1


@pytest.mark.parametrize("memory", ["classical", "dense"])
def test_recall_of_no_cues_returns_empty_results(memory):
    patterns = random_states(3, 50, torch.Generator().manual_seed(0))
    net = (
        HopfieldNetwork().fit(patterns)
        if memory == "classical"
        else DenseAssociativeMemory().fit(patterns)
    )
    result = net.recall(torch.empty(0, 50), return_energy=True)
    assert result.states.shape == (0, 50) and result.overlaps.shape == (0, 3)
    assert result.converged.shape == (0,) and result.sweeps == 0
    assert result.energies.shape == (1, 0)


def test_integer_fields_use_float32_only_while_it_sums_them_exactly():
    like = torch.zeros(1)
    assert integer_dtype(2**24 - 1, like) == torch.float32
    assert integer_dtype(2**24, like) == torch.float64  # 2^24 + 1 has no float32
    assert integer_dtype(10, like.double()) == torch.float64
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("medium")  # products may round to bfloat16
        assert integer_dtype(10, like) == torch.float64
    finally:
        torch.set_float32_matmul_precision(before)
    with pytest.raises(ValueError, match=r"integer fields up to 9007199254740992 exceed 2\*\*53"):
        integer_dtype(2**53, like)


def test_hebb_recall_uses_the_integer_couplings_and_a_reloaded_network_rebuilds_them():
    g = torch.Generator().manual_seed(4)
    patterns = random_states(30, 100, g)
    cues = flipped(patterns, 0.1, g)
    net = HopfieldNetwork(shared_order=True).fit(patterns)
    expected = patterns.T @ patterns - 30 * torch.eye(100)
    assert torch.equal(net._couplings, expected)  # N W, integers
    torch.testing.assert_close(net.weights_, expected / 100)
    first = net.recall(cues, generator=torch.Generator().manual_seed(0)).states
    del net._couplings  # as if unpickled from a version without them
    again = net.recall(cues, generator=torch.Generator().manual_seed(0)).states
    assert torch.equal(first, again)


@pytest.mark.parametrize("storage", [StorageRule.HEBB, StorageRule.STORKEY])
def test_a_reloaded_network_without_couplings_can_store_more(storage: StorageRule) -> None:
    g = torch.Generator().manual_seed(5)
    first, more = random_states(5, 40, g), random_states(3, 40, g)
    reloaded = HopfieldNetwork(storage=storage).fit(first)
    del reloaded._couplings  # as if unpickled from a version without them
    reloaded.partial_fit(more)
    direct = HopfieldNetwork(storage=storage).fit(first).partial_fit(more)
    assert torch.equal(reloaded._couplings, direct._couplings)
