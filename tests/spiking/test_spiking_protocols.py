"""Pairing protocols, window fits, f-I rates and the Song-Abbott weight measurements."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch

from hebbian.spiking import networks, song_abbott
from hebbian.spiking.protocols import (
    fit_stdp_window,
    isolated_pairs_change,
    log_linear_fit,
    pairing_protocol_bytes,
    pairing_spike_ticks,
    pairing_weight_changes,
    run_pairing_protocols,
    steady_rate,
)
from hebbian.spiking.song_abbott import (
    SongAbbottParameters,
    song_abbott_memory_bytes,
    weight_distribution,
)
from hebbian.spiking.stdp import (
    PairSTDPParameters,
    TripletSTDPParameters,
    pair_stdp_step,
    pair_traces,
    triplet_stdp_step,
    triplet_traces,
)

UNBOUNDED = {"w_min": -math.inf, "w_max": math.inf}


def test_ticks_place_pre_spikes_at_the_frequency_and_post_spikes_delta_t_later() -> None:
    pre, post = pairing_spike_ticks([2.0, 5.0], [0.003, -0.004], 3, 1e-3, lead=0.01)
    assert pre.tolist() == [[10, 510, 1010], [10, 210, 410]]
    assert (post - pre).tolist() == [[3, 3, 3], [-4, -4, -4]]
    with pytest.raises(ValueError, match="one value per protocol"):
        pairing_spike_ticks([1.0], [0.0, 0.1], 3, 1e-3, lead=0.01)


def test_event_driven_protocol_equals_stepping_every_tick() -> None:
    # the traces decay exactly, so one step across a gap equals many small steps
    rule = TripletSTDPParameters.visual_cortex_all_to_all(**UNBOUNDED)
    step = partial(triplet_stdp_step, params=rule)
    pre, post = pairing_spike_ticks([20.0, 20.0], [0.005, -0.005], 5, 1e-3, lead=0.01)
    weight = torch.ones(2, 1, 1, dtype=torch.float64)
    events = run_pairing_protocols(step, triplet_traces(2, 1, 1), weight, pre, post, 1e-3)

    w, traces = weight, triplet_traces(2, 1, 1)
    for tick in range(1, int(torch.cat((pre, post)).max()) + 1):
        fired_pre = (pre == tick).any(1, keepdim=True)
        fired_post = (post == tick).any(1, keepdim=True)
        w, traces = step(w, traces, fired_pre, fired_post, dt=1e-3)
    torch.testing.assert_close(events, w, rtol=1e-12, atol=0.0)


def test_far_apart_pairings_add_up_to_the_isolated_pair_window() -> None:
    rule = PairSTDPParameters(a_plus=0.01, a_minus=0.0055, tau_plus=16.8e-3, tau_minus=33.7e-3)
    unbounded = PairSTDPParameters(
        a_plus=0.01, a_minus=0.0055, tau_plus=16.8e-3, tau_minus=33.7e-3, **UNBOUNDED
    )
    delta_ts = [-0.03, -0.01, 0.0, 0.01, 0.03]
    change = pairing_weight_changes(
        partial(pair_stdp_step, params=unbounded),
        pair_traces(5, 1, 1),
        [1.0] * 5,
        delta_ts,
        60,
        1e-4,
        lead=0.1,
    )
    theory = [isolated_pairs_change(rule, d, 60) for d in delta_ts]
    assert change.tolist() == pytest.approx(theory, rel=1e-11)


def test_window_fit_recovers_the_time_constants() -> None:
    dts = torch.linspace(-0.1, 0.1, 41, dtype=torch.float64)
    change = torch.where(dts >= 0, 0.6 * torch.exp(-dts / 0.0168), -0.33 * torch.exp(dts / 0.0337))
    fit = fit_stdp_window(dts, change)
    assert fit.tau_plus == pytest.approx(0.0168, rel=1e-12)
    assert fit.tau_minus == pytest.approx(0.0337, rel=1e-12)
    assert (fit.amplitude_plus, fit.amplitude_minus) == pytest.approx((0.6, 0.33), rel=1e-12)


def test_log_linear_fit_refuses_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="y must be > 0"):
        log_linear_fit(torch.tensor([0.0, 1.0]), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="distinct x"):
        log_linear_fit(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 2.0]))


def test_protocol_memory_grows_with_the_batch_and_pairings() -> None:
    assert pairing_protocol_bytes(2, 10) == 4 * 8 * 40 + 2 * 40 * 2
    with pytest.raises(ValueError, match="pairings"):
        pairing_protocol_bytes(2, 0)


def test_steady_rate_counts_intervals_in_the_second_half() -> None:
    assert steady_rate([0.001, 0.002, 0.5, 0.6, 0.7], 1.0) == pytest.approx(10.0)
    assert steady_rate([0.9], 1.0) == 0.0
    assert steady_rate([], 1.0) == 0.0


def test_uniform_weights_are_not_bimodal_and_bound_weights_are() -> None:
    uniform = torch.linspace(0, 0.01, 10001, dtype=torch.float64).unsqueeze(0)
    bimodal = torch.tensor([[0.0] * 50 + [0.01] * 50], dtype=torch.float64)
    summary = weight_distribution(torch.cat((uniform[:, :100], bimodal)), 0.01)
    flat = weight_distribution(uniform, 0.01)
    assert flat.end_to_middle_ratio.item() == pytest.approx(1.0, rel=1e-3)
    assert flat.histogram.sum().item() == pytest.approx(1.0)
    assert summary.fraction_near_zero[1].item() == 0.5
    assert summary.fraction_near_max[1].item() == 0.5
    assert summary.end_to_middle_ratio[1].item() > 1e6  # nothing in the middle


def test_song_abbott_helpers_and_the_old_import_path() -> None:
    params = SongAbbottParameters(n_inputs=100)
    frozen = params.without_plasticity()
    assert frozen.stdp.a_plus == frozen.stdp.a_minus == 0.0
    assert frozen.neuron == params.neuron
    one, two = (song_abbott_memory_bytes(params, [10.0] * n, 1e-4) for n in (1, 2))
    assert two == pytest.approx(2 * one, abs=1)
    # the network moved to spiking/song_abbott.py; the old path still gives the same names
    assert networks.song_abbott_run is song_abbott.song_abbott_run
    assert networks.SongAbbottParameters is SongAbbottParameters
