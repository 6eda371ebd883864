"""LIF and Hodgkin-Huxley neurons against their analytic solutions and published behaviour."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch

from hebbian.spiking.networks import simulate
from hebbian.spiking.neurons import (
    HHParameters,
    LIFParameters,
    LIFState,
    Synapses,
    hh_gate_rates,
    hh_state,
    hh_step,
    lif_rate,
    lif_state,
    lif_step,
)

DT = 1e-4


def run_lif(params: LIFParameters, drive: torch.Tensor, steps: int, dt: float = DT):
    """Simulate one column of LIF neurons per drive value; returns the recording."""
    state = lif_state(1, drive.numel(), params)
    current = drive.reshape(1, -1).to(torch.float64)
    step = partial(lif_step, params=params, dt=dt, current=current)
    return simulate(step, state, steps, record=("v",))


# ----------------------------------------------------------------------------- LIF


def test_lif_membrane_follows_the_exponential_approach_to_v_inf() -> None:
    # below threshold: V(t) = V_inf + (V0 - V_inf) e^{-t/tau}, V_inf = E_L + R I
    params = LIFParameters(tau_m=20e-3, v_rest=-70.0, v_threshold=-50.0, v_reset=-70.0)
    drive = torch.tensor([5.0, 15.0])  # V_inf = -65 and -55 mV, both below threshold
    _, record = run_lif(params, drive, 2000)
    t = torch.arange(1, 2001, dtype=torch.float64) * DT
    for column, rate_drive in enumerate(drive.tolist()):
        v_inf = params.v_rest + rate_drive
        expected = v_inf + (params.v_rest - v_inf) * torch.exp(-t / params.tau_m)
        torch.testing.assert_close(record.values["v"][:, 0, column], expected, rtol=0, atol=1e-10)
    assert not record.spikes.any()


@pytest.mark.parametrize("refractory", [0.0, 2e-3])
def test_lif_interspike_interval_matches_the_analytic_formula(refractory: float) -> None:
    params = LIFParameters(
        tau_m=10e-3, v_rest=-65.0, v_threshold=-50.0, v_reset=-65.0, refractory=refractory
    )
    drive = 25.0  # V_inf = -40 mV
    dt = 1e-5
    _, record = run_lif(params, torch.tensor([drive]), 4000, dt=dt)  # three spikes
    steps = record.spikes[:, 0, 0].nonzero().flatten()
    intervals = torch.diff(steps).double() * dt
    # free flight from reset to threshold, then the refractory period
    free = params.tau_m * math.log((drive + params.v_rest - params.v_reset) / (drive - 15.0))
    analytic = refractory + free
    assert 1 / analytic == pytest.approx(lif_rate(params, drive))
    # in discrete time the threshold is reached at the first step at or after the crossing;
    # Brian2 holds a neuron refractory for n steps in steps k+1 .. k+n-1 after a spike at k
    n = round(refractory / dt)
    held = max(n - 1, 0)
    assert intervals.unique().tolist() == [(held + math.ceil(free / dt)) * dt]
    excess = intervals[0].item() - analytic
    assert (0 <= excess < dt) if n == 0 else (-dt <= excess < 0)
    # the first spike comes after the free flight from rest (= reset) alone
    assert (steps[0].item() + 1) * dt == pytest.approx(math.ceil(free / dt) * dt)


def brian2_reference_neuron(refractory: float) -> LIFParameters:
    return LIFParameters(
        tau_m=10e-3, v_rest=-65.0, v_threshold=-50.0, v_reset=-65.0, refractory=refractory
    )


@pytest.mark.parametrize("refractory", [2e-3, 2.07e-3])
def test_lif_refractory_spike_steps_are_brian2s_for_the_same_model_and_dt(
    refractory: float,
) -> None:
    # tau_m dV/dt = -(V - E_L) + RI, E_L = V_reset = -65, V_th = -50, RI = 25 mV (V_inf = -40),
    # dt = 0.1 ms, Brian2's refractory=t_ref with "(unless refractory)" on v.
    # From reset, V after j steps is V_inf + (V_reset - V_inf) e^{-j dt / tau_m}: it reaches
    # -50 mV first at j = ceil(100 ln(25/10)) = ceil(91.63) = 92, i.e. in step 91 (0-based).
    # Brian2 counts t_ref in steps n = floor(t_ref/dt + 1e-3) = 20 for 2 ms and 2.07 ms
    # (not rounded: 20.7 steps are 20); a neuron spiking in step k is not integrated while
    # timestep(t - t_k) < n, i.e. in steps k+1 .. k+19, and integrates again from k + 20.
    # So it spikes at 91, then 91 + 20 + 91 = 202, 313, 424 (Brian2 2.9 gives the same).
    params = brian2_reference_neuron(refractory)
    _, record = run_lif(params, torch.tensor([25.0]), 500, dt=1e-4)
    assert record.spikes[:, 0, 0].nonzero().flatten().tolist() == [91, 202, 313, 424]


@pytest.mark.parametrize(("refractory", "interval"), [(0.0, 92), (1e-4, 92), (5e-4, 96)])
def test_lif_refractory_period_of_one_step_or_less_changes_nothing_as_in_brian2(
    refractory: float, interval: int
) -> None:
    # n = 0 or 1 step: t - t_k >= n already holds in the step after the spike, so the
    # neuron integrates at once; with n = 5 it is held in 4 steps
    params = brian2_reference_neuron(refractory)
    _, record = run_lif(params, torch.tensor([25.0]), 300, dt=1e-4)
    steps = record.spikes[:, 0, 0].nonzero().flatten()
    assert steps[0].item() == 91
    assert torch.diff(steps).unique().tolist() == [interval]


def test_lif_refractory_neuron_is_held_at_reset_for_the_refractory_period() -> None:
    params = LIFParameters(refractory=3e-3)  # 30 steps: held in the 29 after the spike step
    _, record = run_lif(params, torch.tensor([40.0]), 400)
    v = record.values["v"][:, 0, 0]
    first = int(record.spikes[:, 0, 0].nonzero()[0])
    held = v[first : first + 30]  # the spike step and 29 steps
    assert bool((held == params.v_reset).all())
    assert v[first + 30] > params.v_reset


def test_lif_current_synapse_gives_the_exact_alpha_like_psp() -> None:
    # one input of 2 mV: V - E_L = 2 tau_s/(tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m})
    params = LIFParameters(tau_m=10e-3, tau_exc=3e-3, synapses=Synapses.CURRENT)
    state = lif_state(1, 1, params)
    state, _ = lif_step(state, params, DT, exc=torch.tensor([[2.0]], dtype=torch.float64))
    vs = []
    for _ in range(300):
        state, _ = lif_step(state, params, DT)
        vs.append(state.v.item())
    t = torch.arange(1, 301, dtype=torch.float64) * DT
    tau_s, tau_m = params.tau_exc, params.tau_m
    expected = 2.0 * tau_s / (tau_s - tau_m) * (torch.exp(-t / tau_s) - torch.exp(-t / tau_m))
    v = torch.tensor(vs, dtype=torch.float64)
    torch.testing.assert_close(v - params.v_rest, expected, rtol=1e-9, atol=1e-12)
    peak_time = t[v.argmax()].item()
    analytic_peak = tau_s * tau_m / (tau_m - tau_s) * math.log(tau_m / tau_s)
    assert abs(peak_time - analytic_peak) <= DT


def test_lif_inhibitory_current_hyperpolarises_and_conductance_pulls_to_reversal() -> None:
    current = LIFParameters(synapses=Synapses.CURRENT)
    state, _ = lif_step(lif_state(1, 1, current), current, DT, inh=torch.ones(1, 1).double())
    state, _ = lif_step(state, current, DT)
    assert state.v.item() < current.v_rest
    # a (nearly) constant conductance g: V -> (E_L + g E_e) / (1 + g) with tau_m / (1 + g)
    cond = LIFParameters(
        synapses=Synapses.CONDUCTANCE,
        tau_exc=1e6,
        e_exc=0.0,
        v_rest=-70.0,
        v_threshold=0.0 + 10.0,
        v_reset=-80.0,
    )
    g = 0.5
    state = LIFState(
        torch.full((1, 1), -70.0).double(),
        torch.full((1, 1), g).double(),
        torch.zeros(1, 1).double(),
        torch.zeros(1, 1).double(),
    )
    for _ in range(100):
        state, _ = lif_step(state, cond, DT)
    v_inf = (-70.0 + g * 0.0) / (1 + g)
    expected = v_inf + (-70.0 - v_inf) * math.exp(-100 * DT * (1 + g) / cond.tau_m)
    assert state.v.item() == pytest.approx(expected, abs=1e-6)


def test_lif_rate_is_zero_below_rheobase_and_simulation_agrees() -> None:
    params = LIFParameters()
    assert lif_rate(params, 14.9) == 0.0  # V_inf = -50.1 < V_th
    _, record = run_lif(params, torch.tensor([14.9]), 3000)
    assert not record.spikes.any()


def test_lif_arguments_are_checked() -> None:
    params = LIFParameters()
    state = lif_state(2, 3, params)
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        lif_step(state, params, 0.0)
    with pytest.raises(ValueError, match="current must be broadcastable"):
        lif_step(state, params, DT, current=torch.zeros(4, dtype=torch.float64))
    with pytest.raises(TypeError, match="synapses must be one of"):
        LIFParameters(synapses="current")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tau_m must be a finite number > 0"):
        LIFParameters(tau_m=-1.0)
    with pytest.raises(ValueError, match=r"state\.exc must have the shape"):
        lif_step(state._replace(exc=torch.zeros(2, 2, dtype=torch.float64)), params, DT)


# ----------------------------------------------------------------------------- HH


def test_hh_rate_functions_are_continuous_at_their_removable_singularities() -> None:
    v = torch.tensor(
        [-40.0 - 1e-7, -40.0, -40.0 + 1e-7, -55.0 - 1e-7, -55.0, -55.0 + 1e-7], dtype=torch.float64
    )
    alpha, _ = hh_gate_rates(v)
    torch.testing.assert_close(alpha[0, :3], torch.ones(3, dtype=torch.float64), atol=1e-7, rtol=0)
    torch.testing.assert_close(
        alpha[2, 3:], torch.full((3,), 0.1, dtype=torch.float64), atol=1e-8, rtol=0
    )
    # textbook values at rest (-65 mV): beta_m = 4, alpha_h = 0.07, beta_n = 0.125
    alpha, beta = hh_gate_rates(torch.tensor([-65.0], dtype=torch.float64))
    assert beta[0].item() == pytest.approx(4.0)
    assert alpha[1].item() == pytest.approx(0.07)
    assert beta[2].item() == pytest.approx(0.125)


def test_hh_rests_near_minus_65_fires_repetitively_at_10_and_not_at_2() -> None:
    params = HHParameters()
    currents = torch.tensor([[0.0, 2.0, 10.0]], dtype=torch.float64)
    step = partial(hh_step, params=params, dt=1e-5, current=currents)
    _, record = simulate(step, hh_state(1, 3), 3500, record=("v",), every=10)  # 35 ms
    v = record.values["v"][:, 0, :]  # (350, 3)
    counts = record.spikes[:, 0, :].sum(dim=0).tolist()
    assert abs(v[-1, 0].item() + 65.0) < 0.5  # rest
    assert v[:, 0].max() - v[:, 0].min() < 0.5
    assert counts[1] == 0 and v[:, 1].max() < -40.0  # 2 uA/cm2: subthreshold
    assert counts[2] >= 3  # 10 uA/cm2: repetitive, about 68 Hz
    assert v[:, 2].max() > 0.0  # the spike overshoots 0 mV
    spike_times = record.spikes[:, 0, 2].nonzero().flatten().double() * 1e-5
    interval = (spike_times[2] - spike_times[1]).item()  # after the first, from rest
    assert 1 / interval == pytest.approx(68.0, rel=0.05)


def test_hh_rk4_is_converged_at_a_hundredth_of_a_millisecond() -> None:
    # halving dt moves the first upward crossing of 0 mV by less than a microsecond
    params = HHParameters()
    firsts = []
    for dt in (1e-5, 5e-6):
        step = partial(hh_step, params=params, dt=dt, current=10.0)
        _, record = simulate(step, hh_state(1, 1), round(2.5e-3 / dt), record=("v",))
        v = record.values["v"][:, 0, 0]
        k = int(record.spikes[:, 0, 0].nonzero()[0])  # v[k - 1] < 0 <= v[k]
        fraction = -v[k - 1].item() / (v[k] - v[k - 1]).item()  # linear interpolation
        firsts.append((k + fraction) * dt)
    assert abs(firsts[0] - firsts[1]) < 1e-6


def test_hh_arguments_are_checked() -> None:
    state = hh_state(1, 2)
    with pytest.raises(TypeError, match="params must be HHParameters"):
        hh_step(state, LIFParameters(), 1e-5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="c_m must be a finite number > 0"):
        HHParameters(c_m=0.0)
    with pytest.raises(ValueError, match="current must be broadcastable"):
        hh_step(state, HHParameters(), 1e-5, current=torch.zeros(3, dtype=torch.float64))


@pytest.mark.cuda
def test_neurons_run_unchanged_on_cuda() -> None:
    params = LIFParameters()
    state = lif_state(2, 3, params, device="cuda")
    state, spikes = lif_step(
        state, params, DT, current=torch.full((2, 3), 30.0, device="cuda", dtype=torch.float64)
    )
    assert spikes.device.type == "cuda" and state.v.device.type == "cuda"
    hh = hh_state(1, 2, device="cuda")
    hh, fired = hh_step(hh, HHParameters(), 1e-5, current=10.0)
    assert hh.v.device.type == "cuda" and fired.device.type == "cuda"
