"""Dense associative memory checked against brute force and the papers' claims."""

from __future__ import annotations

import itertools
import pickle

import pytest
import torch

from hebbian.hopfield import (
    DenseAssociativeMemory,
    Exponential,
    HopfieldNetwork,
    Polynomial,
    RectifiedPolynomial,
    UpdateRule,
    dense,
    flip_gain,
)

# XOR truth table in +-1 encoding (-1 = False): third bit = x1 XOR x2 = -x1 * x2.
XOR = torch.tensor(
    [[-1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 1.0, -1.0]],
    dtype=torch.float64,
)
ALL_STATES_3 = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=3)), dtype=torch.float64)


def random_patterns(count: int, n: int, generator: torch.Generator, dtype=torch.float32):
    return (torch.randint(0, 2, (count, n), generator=generator) * 2 - 1).to(dtype)


def brute_force_energy(states, patterns, f):
    return -f(states @ patterns.T).sum(dim=1)


FUNCTIONS = {
    "poly2": (Polynomial(2), lambda x: x**2),
    "poly3": (Polynomial(3), lambda x: x**3),
    "poly5": (Polynomial(5), lambda x: x**5),
    "relu3": (RectifiedPolynomial(3), lambda x: x.clamp(min=0) ** 3),
    "exp": (Exponential(), torch.exp),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gain_has_the_sign_of_the_energy_difference(name):
    interaction, f = FUNCTIONS[name]
    g = torch.Generator().manual_seed(0)
    patterns = random_patterns(5, 8, g, torch.float64)
    states = random_patterns(6, 8, g, torch.float64)
    gains = flip_gain(states, patterns, interaction)  # (B, N)
    for i in range(8):
        up, down = states.clone(), states.clone()
        up[:, i], down[:, i] = 1.0, -1.0
        difference = brute_force_energy(down, patterns, f) - brute_force_energy(up, patterns, f)
        if isinstance(interaction, Exponential):
            # log-space gain: lse(up) - lse(down) = log(sum e^up / sum e^down)
            expected = torch.log(-brute_force_energy(up, patterns, f)) - torch.log(
                -brute_force_energy(down, patterns, f)
            )
            torch.testing.assert_close(gains[:, i], expected)
            assert torch.equal(torch.sign(gains[:, i]), torch.sign(difference))
        else:
            torch.testing.assert_close(gains[:, i], difference)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_energy_matches_brute_force(name):
    interaction, f = FUNCTIONS[name]
    g = torch.Generator().manual_seed(1)
    patterns = random_patterns(4, 6, g, torch.float64)
    states = random_patterns(3, 6, g, torch.float64)
    expected = brute_force_energy(states, patterns, f)
    if isinstance(interaction, Exponential):
        expected = -torch.log(-expected)  # log-form energy
    torch.testing.assert_close(dense.energy(states, patterns, interaction), expected)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_energy_never_increases_under_asynchronous_updates(name):
    interaction, _ = FUNCTIONS[name]
    g = torch.Generator().manual_seed(2)
    for _ in range(5):
        patterns = random_patterns(6, 10, g, torch.float64)
        states = random_patterns(8, 10, g, torch.float64)
        e = dense.energy(states, patterns, interaction)
        for _sweep in range(3):
            order = torch.rand(8, 10, generator=g).argsort(dim=1)
            for t in range(10):  # one neuron at a time, via one-step orders
                i = order[:, t]
                gain = flip_gain(states, patterns, interaction).gather(1, i[:, None])[:, 0]
                current = states.gather(1, i[:, None])[:, 0]
                new = torch.where(gain > 0, 1.0, torch.where(gain < 0, -1.0, current))
                states = states.scatter(1, i[:, None], new[:, None].double())
                new_e = dense.energy(states, patterns, interaction)
                assert torch.all(new_e <= e + 1e-9)
                e = new_e


def test_asynchronous_sweep_matches_single_neuron_updates():
    g = torch.Generator().manual_seed(3)
    patterns = random_patterns(7, 12, g, torch.float64)
    states = random_patterns(4, 12, g, torch.float64)
    order = torch.rand(4, 12, generator=g).argsort(dim=1)
    for interaction in (Polynomial(3), RectifiedPolynomial(2), Exponential()):
        expected = states.clone()
        for t in range(12):
            gains = flip_gain(expected, patterns, interaction)
            for b in range(4):
                i = int(order[b, t])
                if gains[b, i] != 0:
                    expected[b, i] = torch.sign(gains[b, i])
        out = dense.asynchronous_sweep(states, patterns, interaction, cue_orders=order)
        assert torch.equal(out, expected)


def test_synchronous_step_is_the_same_in_chunks(monkeypatch):
    g = torch.Generator().manual_seed(4)
    patterns = random_patterns(9, 30, g)
    states = random_patterns(5, 30, g)
    whole = dense.synchronous_step(states, patterns, Polynomial(3))
    monkeypatch.setattr(dense, "_SYNC_CHUNK_ELEMENTS", 7)
    assert torch.equal(dense.synchronous_step(states, patterns, Polynomial(3)), whole)


def test_cubic_memory_stores_xor_and_completes_the_third_bit():
    memory = DenseAssociativeMemory(Polynomial(3)).fit(XOR)
    for update in (UpdateRule.ASYNCHRONOUS, UpdateRule.SYNCHRONOUS):
        memory.update = update
        result = memory.recall(XOR)
        assert torch.equal(result.states, XOR) and result.converged.all()
    # completion: for every input (x1, x2) and either guess of the third bit, the third
    # neuron's gain points to x1 XOR x2
    gains = flip_gain(ALL_STATES_3, XOR, Polynomial(3))
    target = -ALL_STATES_3[:, 0] * ALL_STATES_3[:, 1]
    assert torch.equal(torch.sign(gains[:, 2]), target)
    wrong = XOR.clone()
    wrong[:, 2] *= -1
    completed = dense.asynchronous_sweep(
        wrong, XOR, Polynomial(3), cue_orders=torch.tensor([2, 0, 1])
    )
    assert torch.equal(completed, XOR)


def test_quadratic_memory_cannot_do_xor():
    # n = 2 is the classical network: the third bit's field is sum_mu xi3 (xi1 s1 + xi2 s2),
    # and sum_mu xi3 xi1 = sum_mu xi3 xi2 = 0 for XOR: the third neuron gets no information.
    gains = flip_gain(ALL_STATES_3, XOR, Polynomial(2))
    assert torch.all(gains[:, 2] == 0)
    wrong = XOR.clone()
    wrong[:, 2] *= -1
    stuck = dense.asynchronous_sweep(wrong, XOR, Polynomial(2), cue_orders=torch.tensor([2, 0, 1]))
    assert not torch.equal(stuck[:, 2], XOR[:, 2])
    assert torch.equal(stuck[:, 2], wrong[:, 2])  # ties keep the wrong bit
    # and the Hebbian network of the same patterns has zero weights to the third neuron
    weights = HopfieldNetwork().fit(XOR).weights_
    assert torch.all(weights[2] == 0) and torch.all(weights[:, 2] == 0)


def test_cubic_memory_beats_the_classical_capacity():
    g = torch.Generator().manual_seed(5)
    n, count = 100, 40  # alpha = 0.4, far past 0.138
    patterns = random_patterns(count, n, g)
    cues = torch.where(torch.rand(count, n, generator=g) < 0.1, -patterns, patterns)
    dense_states = DenseAssociativeMemory(Polynomial(3)).fit(patterns).recall(cues, generator=g)
    hebb_states = HopfieldNetwork().fit(patterns).recall(cues, max_sweeps=20, generator=g)
    assert (dense_states.states == patterns).all(dim=1).float().mean() >= 0.95
    assert (hebb_states.states == patterns).all(dim=1).float().mean() <= 0.2


@pytest.mark.parametrize("update", [UpdateRule.ASYNCHRONOUS, UpdateRule.SYNCHRONOUS])
def test_exponential_memory_at_n_1000_has_finite_energies_and_recalls(update):
    g = torch.Generator().manual_seed(6)
    n, count, batch = 1000, 300, 6
    patterns = random_patterns(count, n, g)
    cues = torch.where(torch.rand(batch, n, generator=g) < 0.3, -patterns[:batch], patterns[:batch])
    # the naive energy overflows float32: e^(xi . s) with xi . s = 1000
    assert torch.isinf(torch.exp(patterns[:batch] @ patterns.T).sum(dim=1)).all()
    memory = DenseAssociativeMemory(Exponential(), update=update).fit(patterns)
    result = memory.recall(cues, generator=g, return_energy=True)
    assert torch.isfinite(result.energies).all()
    assert torch.equal(result.states, patterns[:batch])
    assert result.converged.all()
    assert torch.all(result.energies[1:] <= result.energies[:-1])
    # the final log-energy is -log(e^1000 + sum of much smaller terms) ~ -1000
    torch.testing.assert_close(result.energies[-1], torch.full((batch,), -1000.0))
    torch.testing.assert_close(result.overlaps.amax(dim=1), torch.ones(batch))


def test_partial_fit_appends_and_fit_resets():
    memory = DenseAssociativeMemory(RectifiedPolynomial(3)).fit(XOR[:2])
    assert memory.store(XOR[2:]).patterns_.shape == (4, 3)
    assert torch.equal(memory.patterns_, XOR)
    assert memory.fit(XOR[:1]).patterns_.shape == (1, 3)


def test_interactions_and_memories_pickle():
    memory = DenseAssociativeMemory(Exponential(), update=UpdateRule.SYNCHRONOUS).fit(XOR)
    clone = pickle.loads(pickle.dumps(memory))
    assert clone.interaction == Exponential() and clone.update is UpdateRule.SYNCHRONOUS
    assert torch.equal(clone.patterns_, XOR)
    assert pickle.loads(pickle.dumps(Polynomial(4))) == Polynomial(4)


def test_the_old_name_dense_energy_is_the_energy_of_dense_memories():
    from hebbian import hopfield

    assert hopfield.dense_energy is dense.energy
