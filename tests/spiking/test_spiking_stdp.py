"""Pair and triplet STDP against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.spiking.stdp import (
    Bounds,
    Pairing,
    PairSTDPParameters,
    PairTraces,
    TripletSTDPParameters,
    pair_depression,
    pair_stdp_step,
    pair_traces,
    pair_window,
    triplet_stdp_step,
    triplet_traces,
)

DT = 1e-4
YES = torch.ones(1, 1, dtype=torch.bool)
NO = torch.zeros(1, 1, dtype=torch.bool)


def one_synapse(w: float = 0.5) -> torch.Tensor:
    return torch.full((1, 1, 1), w, dtype=torch.float64)


def run_spike_times(params, pre_times, post_times, *, w=0.5, steps=None, triplet=False):
    """Step one synapse on a 0.1 ms grid with spikes at the given steps."""
    end = steps or max([*pre_times, *post_times]) + 1
    weight = one_synapse(w)
    traces = triplet_traces(1, 1, 1) if triplet else pair_traces(1, 1, 1)
    step = triplet_stdp_step if triplet else pair_stdp_step
    for n in range(end):
        pre = YES if n in pre_times else NO
        post = YES if n in post_times else NO
        weight, traces = step(weight, traces, pre, post, params, DT)
    return weight.item(), traces


def test_pre_then_post_potentiates_by_a_plus_exp_minus_dt_over_tau_plus() -> None:
    params = PairSTDPParameters(a_plus=0.01, a_minus=0.012, tau_plus=20e-3, tau_minus=30e-3)
    w, _ = run_spike_times(params, pre_times=[10], post_times=[110])  # post 10 ms after pre
    assert w - 0.5 == pytest.approx(0.01 * math.exp(-10 / 20), rel=1e-12)


def test_post_then_pre_depresses_by_a_minus_exp_minus_dt_over_tau_minus() -> None:
    params = PairSTDPParameters(a_plus=0.01, a_minus=0.012, tau_plus=20e-3, tau_minus=30e-3)
    w, _ = run_spike_times(params, pre_times=[160], post_times=[10])  # pre 15 ms after post
    assert w - 0.5 == pytest.approx(-0.012 * math.exp(-15 / 30), rel=1e-12)


def test_simultaneous_spikes_count_as_pre_before_post() -> None:
    params = PairSTDPParameters(a_plus=0.01, a_minus=0.012)
    w, _ = run_spike_times(params, pre_times=[5], post_times=[5])
    assert w - 0.5 == pytest.approx(0.01)
    assert pair_window(torch.tensor([0.0]), params).item() == pytest.approx(0.01)


def test_all_to_all_sums_every_pair_and_nearest_only_the_last() -> None:
    # two pre spikes at 0 and 5 ms, one post spike at 10 ms
    tau = 20.0
    all_to_all = PairSTDPParameters(a_plus=0.01, a_minus=0.0, tau_plus=tau * 1e-3)
    nearest = PairSTDPParameters(
        a_plus=0.01, a_minus=0.0, tau_plus=tau * 1e-3, pairing=Pairing.NEAREST
    )
    w_all, _ = run_spike_times(all_to_all, pre_times=[1, 51], post_times=[101])
    w_near, _ = run_spike_times(nearest, pre_times=[1, 51], post_times=[101])
    assert w_all - 0.5 == pytest.approx(0.01 * (math.exp(-10 / tau) + math.exp(-5 / tau)))
    assert w_near - 0.5 == pytest.approx(0.01 * math.exp(-5 / tau))


def test_soft_bounds_scale_potentiation_by_room_above_and_depression_by_weight() -> None:
    params = PairSTDPParameters(a_plus=0.1, a_minus=0.1, w_min=0.0, w_max=1.0, bounds=Bounds.SOFT)
    w, _ = run_spike_times(params, pre_times=[0], post_times=[100], w=0.8)
    assert w - 0.8 == pytest.approx(0.1 * (1.0 - 0.8) * math.exp(-10 / 20))
    w, _ = run_spike_times(params, pre_times=[100], post_times=[0], w=0.8)
    assert w - 0.8 == pytest.approx(-0.1 * 0.8 * math.exp(-10 / 20))


def test_hard_bounds_clip_after_each_pathway() -> None:
    params = PairSTDPParameters(a_plus=0.3, a_minus=0.3, w_min=0.0, w_max=1.0)
    w, _ = run_spike_times(params, pre_times=[0], post_times=[1], w=0.9)  # +0.3 e^{-0.005}
    assert w == 1.0
    w, _ = run_spike_times(params, pre_times=[1], post_times=[0], w=0.1)
    assert w == 0.0


def test_one_step_over_a_gap_equals_many_small_steps() -> None:
    # traces decay with exp(-dt/tau): stepping event to event is exact
    params = PairSTDPParameters(a_plus=0.01, a_minus=0.012)
    fine, _ = run_spike_times(params, pre_times=[3, 40], post_times=[25, 90])
    weight, traces = one_synapse(), pair_traces(1, 1, 1)
    for gap, pre, post in ((3, YES, NO), (22, NO, YES), (15, YES, NO), (50, NO, YES)):
        weight, traces = pair_stdp_step(weight, traces, pre, post, params, gap * DT)
    assert weight.item() == pytest.approx(fine, rel=1e-12)


def test_batched_synapses_are_independent() -> None:
    params = PairSTDPParameters()
    generator = torch.Generator().manual_seed(0)
    pre = torch.rand(50, 3, 4, generator=generator) < 0.2  # (T, B, N_pre)
    post = torch.rand(50, 3, 2, generator=generator) < 0.2  # (T, B, N_post)
    weight = torch.rand(3, 2, 4, generator=generator, dtype=torch.float64)
    traces = pair_traces(3, 4, 2)
    w_batch = weight
    for t in range(50):
        w_batch, traces = pair_stdp_step(w_batch, traces, pre[t], post[t], params, DT)
    for b in range(3):
        w_one, tr = weight[b : b + 1], pair_traces(1, 4, 2)
        for t in range(50):
            w_one, tr = pair_stdp_step(w_one, tr, pre[t, b : b + 1], post[t, b : b + 1], params, DT)
        torch.testing.assert_close(w_one[0], w_batch[b], rtol=0, atol=0)


def test_triplet_rule_reduces_to_pair_rule_without_triplet_terms() -> None:
    generator = torch.Generator().manual_seed(1)
    pre = torch.rand(400, 2, 5, generator=generator) < 0.05
    post = torch.rand(400, 2, 3, generator=generator) < 0.05
    weight = torch.rand(2, 3, 5, generator=generator, dtype=torch.float64)
    triplet = TripletSTDPParameters(
        a2_plus=0.004, a3_plus=0.0, a2_minus=0.005, a3_minus=0.0, tau_plus=17e-3, tau_minus=34e-3
    )
    pair = PairSTDPParameters(a_plus=0.004, a_minus=0.005, tau_plus=17e-3, tau_minus=34e-3)
    w_t, w_p = weight, weight
    tr_t, tr_p = triplet_traces(2, 5, 3), pair_traces(2, 5, 3)
    for t in range(400):
        w_t, tr_t = triplet_stdp_step(w_t, tr_t, pre[t], post[t], triplet, DT)
        w_p, tr_p = pair_stdp_step(w_p, tr_p, pre[t], post[t], pair, DT)
    assert not torch.equal(w_p, weight)  # something happened
    torch.testing.assert_close(w_t, w_p, rtol=0, atol=1e-15)
    torch.testing.assert_close(tr_t.r1, tr_p.pre)
    torch.testing.assert_close(tr_t.o1, tr_p.post)


def test_triplet_post_pre_post_by_hand() -> None:
    # post at 0, pre at 10 ms, post at 25 ms; all-to-all, visual cortex full parameters
    p = TripletSTDPParameters.visual_cortex_all_to_all(w_max=10.0)
    w, traces = run_spike_times(p, pre_times=[100], post_times=[0, 250], w=1.0, triplet=True)
    depression = math.exp(-10 / 33.7) * (p.a2_minus + p.a3_minus * 0.0)  # r2 = 0 before the pre
    r1 = math.exp(-15 / 16.8)
    o2_before = math.exp(-25 / 125)
    potentiation = r1 * (p.a2_plus + p.a3_plus * o2_before)
    assert w - 1.0 == pytest.approx(potentiation - depression, rel=1e-10)
    assert traces.o2.item() == pytest.approx(o2_before + 1.0)


def test_published_triplet_parameter_sets() -> None:
    full = TripletSTDPParameters.visual_cortex_all_to_all()
    assert (full.a2_plus, full.a3_plus, full.a2_minus, full.a3_minus) == (
        5e-10,
        6.2e-3,
        7e-3,
        2.3e-4,
    )
    assert (full.tau_plus, full.tau_minus, full.tau_x, full.tau_y) == (
        16.8e-3,
        33.7e-3,
        101e-3,
        125e-3,
    )
    minimal = TripletSTDPParameters.visual_cortex_minimal_all_to_all()
    assert (minimal.a2_plus, minimal.a3_plus, minimal.a2_minus, minimal.a3_minus) == (
        0.0,
        6.5e-3,
        7.1e-3,
        0.0,
    )
    assert minimal.tau_y == 114e-3


def test_stdp_arguments_are_checked() -> None:
    params = PairSTDPParameters()
    weight, traces = one_synapse(), pair_traces(1, 1, 1)
    with pytest.raises(ValueError, match="pre_spikes must have shape"):
        pair_stdp_step(weight, traces, torch.zeros(1, 2, dtype=torch.bool), NO, params, DT)
    with pytest.raises(TypeError, match="traces must be PairTraces"):
        pair_stdp_step(weight, (traces.pre, traces.post), YES, NO, params, DT)
    with pytest.raises(ValueError, match="w_min must be below w_max"):
        PairSTDPParameters(w_min=1.0, w_max=0.5)
    with pytest.raises(ValueError, match="soft bounds need finite"):
        PairSTDPParameters(bounds=Bounds.SOFT, w_max=math.inf)
    with pytest.raises(TypeError, match="pairing must be one of"):
        PairSTDPParameters(pairing="nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="post_trace must have shape"):
        pair_depression(weight, torch.zeros(2, 1, dtype=torch.float64), YES, params)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        pair_stdp_step(weight, PairTraces(traces.pre, traces.post), YES, NO, params, -1.0)


@pytest.mark.cuda
def test_stdp_runs_unchanged_on_cuda() -> None:
    params = PairSTDPParameters()
    weight = torch.full((1, 1, 1), 0.5, device="cuda", dtype=torch.float64)
    traces = pair_traces(1, 1, 1, device="cuda")
    yes, no = YES.cuda(), NO.cuda()
    weight, traces = pair_stdp_step(weight, traces, yes, no, params, DT)
    weight, traces = pair_stdp_step(weight, traces, no, yes, params, 10e-3)
    assert weight.device.type == "cuda"
    assert weight.item() - 0.5 == pytest.approx(params.a_plus * math.exp(-10 / 20))
