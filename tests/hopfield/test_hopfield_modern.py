"""Modern continuous Hopfield retrieval against attention and the paper's theorems."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn.functional import scaled_dot_product_attention

from hebbian.hopfield import ModernHopfield, iterate, modern, retrieve, separation_probabilities


def test_retrieve_equals_attention_on_the_same_tensors():
    g = torch.Generator().manual_seed(0)
    for beta in (0.1, 1 / math.sqrt(16), 3.0):
        query = torch.randn(5, 16, generator=g, dtype=torch.float64)
        patterns = torch.randn(7, 16, generator=g, dtype=torch.float64)
        expected = scaled_dot_product_attention(query, patterns, patterns, scale=beta)
        torch.testing.assert_close(retrieve(query, patterns, beta), expected)
        # one set of patterns per query (B, P, d)
        batched = torch.randn(5, 7, 16, generator=g, dtype=torch.float64)
        expected = scaled_dot_product_attention(query[:, None], batched, batched, scale=beta)
        torch.testing.assert_close(retrieve(query, batched, beta), expected[:, 0])


def test_retrieve_by_hand_with_patterns_as_rows():
    patterns = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # P = 2 rows, d = 3
    query = torch.tensor([[1.0, 1.0, 5.0]])
    # scores X xi = (2, 1); softmax at beta = 1: (e^2, e^1) / (e^2 + e^1)
    p = torch.tensor([math.e**2, math.e]) / (math.e**2 + math.e)
    expected = p[0] * patterns[0] + p[1] * patterns[1]
    torch.testing.assert_close(retrieve(query, patterns, 1.0), expected[None])
    torch.testing.assert_close(separation_probabilities(query, patterns, 1.0), p[None])


def test_energy_formula_and_lower_bound():
    g = torch.Generator().manual_seed(1)
    query = torch.randn(4, 6, generator=g, dtype=torch.float64)
    patterns = torch.randn(9, 6, generator=g, dtype=torch.float64)
    beta = 0.7
    lse = torch.log(torch.exp(beta * query @ patterns.T).sum(dim=1)) / beta
    big_m = patterns.norm(dim=1).max()
    expected = -lse + 0.5 * (query**2).sum(dim=1) + math.log(9) / beta + 0.5 * big_m**2
    energies = modern.energy(query, patterns, beta)
    torch.testing.assert_close(energies, expected)
    assert torch.all(energies >= 0)  # Ramsauer et al. (2020), Lemma A1
    per_query = patterns.expand(4, 9, 6)
    torch.testing.assert_close(modern.energy(query, per_query, beta), expected)


@pytest.mark.parametrize("beta", [0.05, 0.5, 2.0, 8.0])
def test_energy_does_not_increase_along_iterations(beta):
    g = torch.Generator().manual_seed(int(beta * 100))
    for _ in range(5):
        query = 2 * torch.randn(6, 10, generator=g, dtype=torch.float64)
        patterns = torch.randn(12, 10, generator=g, dtype=torch.float64)
        state = query
        e = modern.energy(state, patterns, beta)
        for _step in range(15):
            state = retrieve(state, patterns, beta)
            new_e = modern.energy(state, patterns, beta)
            assert torch.all(new_e <= e + 1e-10)
            e = new_e


def test_perturbed_pattern_is_retrieved_in_one_step_at_large_beta():
    g = torch.Generator().manual_seed(2)
    patterns = torch.randn(20, 64, generator=g)
    patterns = patterns / patterns.norm(dim=1, keepdim=True) * 8  # well separated, norm 8
    query = patterns[:5] + 0.3 * torch.randn(5, 64, generator=g)
    out = retrieve(query, patterns, beta=8.0)
    torch.testing.assert_close(out, patterns[:5], atol=1e-4, rtol=0)
    result = iterate(query, patterns, beta=8.0, tol=1e-5)
    assert result.converged.all() and result.steps <= 3
    # at small beta the update averages: far from any single pattern
    assert (retrieve(query, patterns, beta=0.001) - patterns[:5]).norm(dim=1).min() > 5


def test_iterate_reports_non_convergence():
    g = torch.Generator().manual_seed(3)
    patterns = torch.randn(5, 4, generator=g, dtype=torch.float64)
    result = iterate(torch.randn(3, 4, generator=g, dtype=torch.float64), patterns, 0.3, 1, 0.0)
    assert result.steps == 1 and not result.converged.any()


def test_gradients_flow_gradcheck():
    g = torch.Generator().manual_seed(4)
    query = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    patterns = torch.randn(5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda q, x: retrieve(q, x, 0.8), (query, patterns))
    assert torch.autograd.gradcheck(lambda q, x: modern.energy(q, x, 0.8), (query, patterns))
    beta = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda b: retrieve(query, patterns, b), (beta,))


def test_module_buffer_versus_learnable_parameter():
    g = torch.Generator().manual_seed(5)
    patterns = torch.randn(6, 8, generator=g, dtype=torch.float64)
    frozen = ModernHopfield(patterns)
    assert frozen.beta == pytest.approx(1 / math.sqrt(8))
    assert "patterns" in dict(frozen.named_buffers()) and not list(frozen.parameters())
    assert "patterns" in frozen.state_dict()

    layer = ModernHopfield(patterns, beta=0.9, learnable=True, steps=2)
    assert [name for name, _ in layer.named_parameters()] == ["patterns"]
    query = torch.randn(3, 8, generator=g, dtype=torch.float64, requires_grad=True)
    out = layer(query)
    torch.testing.assert_close(out, retrieve(retrieve(query, patterns, 0.9), patterns, 0.9))
    out.square().sum().backward()
    assert query.grad is not None and torch.isfinite(query.grad).all()
    assert layer.patterns.grad is not None and layer.patterns.grad.abs().sum() > 0
    patterns += 1.0  # the module holds a copy
    assert not torch.equal(layer.patterns.detach(), patterns)
    tiny = ModernHopfield(patterns[:2, :3], beta=0.5, learnable=True)
    query = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda q, x: modern.retrieve(q, x, 0.5), (query, tiny.patterns))


def test_one_gradient_step_on_learnable_patterns_lowers_a_loss():
    g = torch.Generator().manual_seed(6)
    layer = ModernHopfield(torch.randn(4, 5, generator=g), beta=1.0, learnable=True)
    query = torch.randn(8, 5, generator=g)
    target = torch.randn(8, 5, generator=g)
    optimiser = torch.optim.SGD(layer.parameters(), lr=0.05)
    before = (layer(query) - target).square().mean()
    before.backward()
    optimiser.step()
    after = (layer(query) - target).square().mean()
    assert after < before
