"""The blocked dense-refresh path: the same function and gradients as the other methods."""

from __future__ import annotations

import pytest
import torch

from hebbian.plastic import (
    AlphaMode,
    PlasticRecurrentCell,
    RunMethod,
    blocked_decaying_run,
    factored_decaying_run,
    networks,
    prefers_blocked,
)
from hebbian.plastic.blocked import (
    BLOCK,
    BLOCKED_MEMORY_LIMIT,
    BLOCKED_MIN_NEURONS,
    BLOCKED_MIN_STEPS,
    blocked_memory,
)

F64 = torch.float64


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def arguments(
    steps: int, batch: int, size: int, seed: int = 0, eta: float = 0.3
) -> tuple[torch.Tensor, ...]:
    """Float64 drives, W, per-connection alpha and eta large enough for the traces to matter."""
    g = seeded(seed)
    drives = torch.randn(steps, batch, size, generator=g, dtype=F64)
    weight = 0.6 * torch.randn(size, size, generator=g, dtype=F64)
    alpha = 0.9 * torch.rand(size, size, generator=g, dtype=F64) - 0.2
    return drives, weight, alpha, torch.tensor(eta, dtype=F64)


def step_by_step(
    drives: torch.Tensor, weight: torch.Tensor, alpha: torch.Tensor, eta: torch.Tensor
) -> torch.Tensor:
    """The recurrence as the paper writes it, one dense trace per episode."""
    steps, batch, size = drives.shape
    x = drives.new_zeros(batch, size)
    hebb = drives.new_zeros(batch, size, size)
    outputs = []
    for t in range(steps):
        plastic = weight + alpha * hebb  # (B, N, N)
        new = torch.tanh(drives[t] + torch.bmm(plastic, x[:, :, None])[:, :, 0])
        hebb = (1 - eta) * hebb + eta * new[:, :, None] * x[:, None, :]
        x = new
        outputs.append(x)
    return torch.stack(outputs)


# (steps, block): a partial last block, an exact multiple, a refresh every step, one
# block longer than the episode, and many blocks
CASES = [(7, 3), (9, 3), (5, 1), (4, 8), (11, 2)]


@pytest.mark.parametrize(("steps", "block"), CASES)
def test_blocked_run_is_the_recurrence_step_by_step(steps: int, block: int) -> None:
    args = arguments(steps, 3, 4, seed=steps)
    expected = step_by_step(*args)
    torch.testing.assert_close(blocked_decaying_run(*args, block=block), expected)
    torch.testing.assert_close(factored_decaying_run(*args), expected)


@pytest.mark.parametrize(("steps", "block"), CASES)
def test_the_hand_written_backward_passes_gradcheck_across_block_boundaries(
    steps: int, block: int
) -> None:
    args = tuple(a.requires_grad_() for a in arguments(steps, 2, 3, seed=10 + steps))
    assert torch.autograd.gradcheck(lambda *a: blocked_decaying_run(*a, block=block), args)


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_gradients_at_the_ends_of_the_rate_are_those_of_the_step_by_step_form(
    eta: float,
) -> None:
    # eta = 1 makes (1 - eta)^0 and eta (1 - eta)^0 depend on 0^0: the derivative stays finite
    args = tuple(a.requires_grad_() for a in arguments(7, 2, 3, seed=3, eta=eta))
    blocked = torch.autograd.grad(blocked_decaying_run(*args, block=2).sum(), args)
    direct = torch.autograd.grad(step_by_step(*args).sum(), args)
    for got, expected in zip(blocked, direct, strict=True):
        assert torch.isfinite(got).all()
        torch.testing.assert_close(got, expected)


def test_float32_values_and_gradients_agree_with_the_factored_path() -> None:
    """A 64-neuron network over 50 steps (7 blocks): agreement to float32 tolerance."""
    g = seeded(4)
    drives = torch.randn(50, 2, 64, generator=g)
    weight = (torch.randn(64, 64, generator=g) / 8).requires_grad_()
    alpha = (torch.rand(64, 64, generator=g) / 8).requires_grad_()
    eta = torch.tensor(0.05, requires_grad=True)
    drives.requires_grad_()
    results = []
    for run in (blocked_decaying_run, factored_decaying_run):
        activity = run(drives, weight, alpha, eta)
        loss = (activity[-1] - 0.5).square().sum() + activity.sum()
        results.append((activity, *torch.autograd.grad(loss, (drives, weight, alpha, eta))))
    for got, expected in zip(*results, strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_the_cell_runs_the_blocked_method_and_rebuilds_its_final_trace() -> None:
    cell = PlasticRecurrentCell(
        4, eta=0.2, weight_std=0.5, alpha_init=0.8, generator=seeded(5), dtype=F64
    )
    drives = torch.randn(2 * BLOCK + 3, 2, 4, generator=seeded(6), dtype=F64)
    dense, dense_state = cell.run(drives, method=RunMethod.DENSE)
    blocked, blocked_state = cell.run(drives, method=RunMethod.BLOCKED)
    torch.testing.assert_close(blocked, dense)
    torch.testing.assert_close(blocked_state.trace.hebb, dense_state.trace.hebb)
    torch.testing.assert_close(blocked_state.x, dense_state.x)


def test_auto_runs_blocked_exactly_where_the_documented_rule_prefers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def spy(drives: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        calls.append(drives.shape[0])
        return blocked_decaying_run(drives, *rest)

    monkeypatch.setattr(networks, "blocked_decaying_run", spy)
    large = PlasticRecurrentCell(BLOCKED_MIN_NEURONS, generator=seeded(7))
    drives = torch.randn(BLOCKED_MIN_STEPS, 1, BLOCKED_MIN_NEURONS, generator=seeded(8))
    assert prefers_blocked(BLOCKED_MIN_STEPS, 1, BLOCKED_MIN_NEURONS, 4)
    auto = large.run_activity(drives)
    assert calls == [BLOCKED_MIN_STEPS]
    assert torch.equal(auto, large.run_activity(drives, method=RunMethod.BLOCKED))
    # one step short of the rule: the factored path
    assert not prefers_blocked(BLOCKED_MIN_STEPS - 1, 1, BLOCKED_MIN_NEURONS, 4)
    calls.clear()
    short = drives[:-1]
    assert torch.equal(
        large.run_activity(short), large.run_activity(short, method=RunMethod.FACTORED)
    )
    # a shared alpha never takes the blocked path
    shared = PlasticRecurrentCell(
        BLOCKED_MIN_NEURONS, alpha_mode=AlphaMode.SHARED, generator=seeded(7)
    )
    shared.run_activity(drives)
    assert calls == []


def test_the_rule_needs_long_episodes_large_networks_and_bounded_memory() -> None:
    assert prefers_blocked(106, 1, 1001, 4)  # the paper's 1000-bit task, one episode
    assert not prefers_blocked(23, 32, 51, 4)  # the tour's small task
    assert not prefers_blocked(106, 1, BLOCKED_MIN_NEURONS - 1, 4)
    assert not prefers_blocked(BLOCKED_MIN_STEPS - 1, 1, 1001, 4)
    too_many = BLOCKED_MEMORY_LIMIT // blocked_memory(106, 1, 1001, 4) + 1
    assert not prefers_blocked(106, too_many, 1001, 4)
    # 106 steps in blocks of 8: 14 blocks, 13 refreshed matrices kept, 3 working ones, and
    # 7 rows of block terms a step
    assert blocked_memory(106, 2, 1001, 4, block=8) == (16 * 1001 + 106 * 7) * 2 * 1001 * 4


def test_episodes_of_a_batch_are_independent() -> None:
    args = arguments(10, 3, 4, seed=9)
    drives, rest = args[0], args[1:]
    batched = blocked_decaying_run(drives, *rest, block=3)
    for b in range(3):
        alone = blocked_decaying_run(drives[:, b : b + 1], *rest, block=3)
        torch.testing.assert_close(batched[:, b : b + 1], alone)


def test_a_bad_block_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="block must be"):
        blocked_decaying_run(*arguments(3, 1, 2), block=0)


@pytest.mark.cuda
def test_cuda_gives_the_cpu_numbers_and_gradients() -> None:
    args = tuple(a.requires_grad_() for a in arguments(11, 2, 5, seed=11))
    cuda = tuple(a.detach().cuda().requires_grad_() for a in args)
    expected = blocked_decaying_run(*args, block=3)
    got = blocked_decaying_run(*cuda, block=3)
    torch.testing.assert_close(got.cpu(), expected)
    grads = torch.autograd.grad(expected.sum(), args)
    grads_cuda = torch.autograd.grad(got.sum(), cuda)
    for g_cpu, g_cuda in zip(grads, grads_cuda, strict=True):
        torch.testing.assert_close(g_cuda.cpu(), g_cpu)
