"""The fast paths of the event-driven Song-Abbott simulator, each tied to a reference."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import pytest
import torch

from hebbian.spiking import _song_abbott_kernel as kernel
from hebbian.spiking._common import fast_exp
from hebbian.spiking.networks import (
    FeedforwardState,
    SongAbbottParameters,
    feedforward_stdp_step,
    simulate,
    song_abbott_run,
    song_abbott_state,
)
from hebbian.spiking.neurons import LIFState
from hebbian.spiking.song_abbott import _expm1
from hebbian.spiking.stdp import PairTraces

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="numba is not installed")


def test_expm1_matches_the_c_library_within_rounding() -> None:
    # the Pade branch (x <= 1/16) to 2 ulps, with halvings (largest x 3: 6 of them) to 8
    for top, bound in ((1 / 16, 4.5e-16), (3.0, 2e-15)):
        x = torch.linspace(0.0, top, 4001, dtype=torch.float64).unsqueeze(1)  # one per row
        got = _expm1(x)[:, 0]
        want = torch.tensor([math.expm1(v) for v in x[:, 0].tolist()], dtype=torch.float64)
        assert bool(((got - want).abs() <= bound * want).all()), top
    with pytest.raises(ValueError, match="pass a smaller window"):
        _expm1(torch.full((1, 1000), 1.0, dtype=torch.float64))


@pytest.mark.parametrize("compiled", [True, False], ids=["kernel", "pytorch"])
@pytest.mark.parametrize(("dt", "window"), [(1e-3, None), (1e-4, 1500), (1e-4, 7)])
def test_long_and_short_windows_and_large_steps_equal_stepping(
    dt: float, window: int | None, compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Default (long) windows, windows across blocks, and dt = 1 ms (halved exponents).

    Both CPU paths: the compiled kernel (which ignores windows) and the PyTorch one.
    """
    if compiled and not kernel.AVAILABLE:
        pytest.skip("numba is not installed: only the PyTorch path exists")
    monkeypatch.setattr(kernel, "AVAILABLE", compiled)
    default = SongAbbottParameters()
    g_max = 0.1 if dt < 1e-3 else 1.0  # at 1 ms strong inputs drive g above 5 (x > 1/16)
    rule = replace(default.stdp, w_max=g_max, a_plus=0.01 * g_max, a_minus=0.0105 * g_max)
    params = SongAbbottParameters(n_inputs=100, neuron=default.neuron, stdp=rule)
    batch, steps = 2, 3000 if dt < 1e-3 else 600
    weight = torch.rand(batch, 100, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    weight = weight * g_max
    state = song_abbott_state(params, weight, seeds=[8, 9])
    fast, record = song_abbott_run(
        state, params, [30.0, 60.0], steps, dt, window=window, block=1200, record_inputs=100
    )
    pre = torch.zeros(steps, batch, 100, dtype=torch.bool)
    pre[record.input_step, record.input_network, record.input_index] = True
    zeros = torch.zeros(batch, 1, dtype=torch.float64)
    start = FeedforwardState(
        LIFState(state.v.unsqueeze(1), zeros, zeros, zeros),
        weight.unsqueeze(1),
        PairTraces(torch.zeros(batch, 100, dtype=torch.float64), zeros),
    )
    step = partial(feedforward_stdp_step, neuron=params.neuron, stdp=params.stdp, dt=dt)
    slow, rec = simulate(step, start, steps, inputs={"pre_spikes": pre})
    when, network = rec.spikes[:, :, 0].nonzero(as_tuple=True)
    expected = sorted(zip(network.tolist(), when.tolist(), strict=True))
    got = sorted(zip(record.post_network.tolist(), record.post_step.tolist(), strict=True))
    assert len(expected) > 20 and got == expected
    torch.testing.assert_close(fast.weight, slow.weight[:, 0], rtol=0, atol=1e-12 * g_max / 0.1)
    torch.testing.assert_close(fast.v, slow.neuron.v[:, 0], rtol=0, atol=1e-9)
    torch.testing.assert_close(fast.g, slow.neuron.exc[:, 0], rtol=0, atol=1e-11)
    torch.testing.assert_close(fast.pre_trace, slow.traces.pre, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.post_trace, slow.traces.post[:, 0], rtol=0, atol=1e-12)


def test_a_window_too_long_for_float64_is_refused() -> None:
    params = SongAbbottParameters(n_inputs=10)
    state = song_abbott_state(params, torch.full((1, 10), 0.005, dtype=torch.float64), [1])
    with pytest.raises(ValueError, match="pass a smaller window"):
        song_abbott_run(state, params, 10.0, 10**6, 1e-4, window=10**6, block=10**6)


@needs_numba
def test_the_compiled_kernel_equals_the_pytorch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same inputs and output spikes; the states agree to rounding (different sums)."""
    params = SongAbbottParameters(n_inputs=300)
    weight = torch.rand(3, 300, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    state = song_abbott_state(params, weight * params.stdp.w_max, seeds=[1, 2, 3])
    rates = [20.0, 40.0, 60.0]
    fast, fast_record = song_abbott_run(state, params, rates, 12000, 1e-4)
    monkeypatch.setattr(kernel, "AVAILABLE", False)
    slow, slow_record = song_abbott_run(state, params, rates, 12000, 1e-4)
    assert fast_record.post_step.numel() > 100
    for a, b in zip(fast_record, slow_record, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(fast.rng, slow.rng) and torch.equal(fast.step, slow.step)
    torch.testing.assert_close(fast.weight, slow.weight, rtol=0, atol=1e-15)
    torch.testing.assert_close(fast.v, slow.v, rtol=0, atol=1e-9)
    torch.testing.assert_close(fast.g, slow.g, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.pre_trace, slow.pre_trace, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.post_trace, slow.post_trace, rtol=0, atol=1e-12)


@needs_numba
def test_the_compiled_kernel_gives_the_same_bits_on_any_number_of_threads() -> None:
    params = SongAbbottParameters(n_inputs=300)
    weight = torch.rand(5, 300, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    state = song_abbott_state(params, weight * params.stdp.w_max, seeds=range(5))
    runs = [
        song_abbott_run(state, params, 60.0, 6000, 1e-4, block=1000, threads=threads)
        for threads in (1, 2, 3)  # inline; a worker thread; a worker and Numba's threads
    ]
    for state_b, record_b in runs[1:]:
        assert all(torch.equal(a, b) for a, b in zip(runs[0][0], state_b, strict=True))
        assert all(torch.equal(a, b) for a, b in zip(runs[0][1], record_b, strict=True))
    assert runs[0][1].post_step.numel() > 50


@needs_numba
def test_the_kernels_exponential_has_the_bits_of_fast_exp() -> None:
    from hebbian.spiking._numba import fast_exp_into, fast_exp_scalar

    x = torch.cat(
        [
            torch.linspace(-800.0, 720.0, 20001, dtype=torch.float64),
            torch.linspace(-0.5, 0.0, 2001, dtype=torch.float64),
            torch.tensor([-746.0, -745.5, -708.4, 0.0, 709.7, 710.0], dtype=torch.float64),
        ]
    )
    got = torch.tensor([fast_exp_scalar(value) for value in x.tolist()], dtype=torch.float64)
    assert torch.equal(got, fast_exp(x))
    work = torch.empty_like(x).numpy()
    vectorised = torch.empty_like(x)  # the loop form, as the Diehl & Cook kernel calls it
    fast_exp_into(x.numpy(), vectorised.numpy(), work)
    assert torch.equal(vectorised, fast_exp(x))
    single = x.to(torch.float32)
    into_single = torch.empty_like(single)
    fast_exp_into(single.numpy(), into_single.numpy(), work)
    assert torch.equal(into_single, fast_exp(single))
    # the pass that skips the powers of two where round(x / ln 2) is 0, at its edges
    edge = math.log(2.0) / 2
    near = torch.tensor([edge, -edge], dtype=torch.float64)
    around = torch.cat([near + d for d in (-1e-15, -1e-16, 0.0, 1e-16, 1e-15)])
    small = torch.cat([around, torch.tensor([0.0, -0.0, 5e-324, -1e-300, 1e-9])])
    into_small = torch.empty_like(small)
    fast_exp_into(small.numpy(), into_small.numpy(), torch.empty_like(small).numpy())
    assert torch.equal(into_small, fast_exp(small))
