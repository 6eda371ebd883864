r"""
Spiking neurons and STDP
========================

Real neurons talk in spikes, and in many synapses the sign of a weight change depends
on the order of the spikes on both sides: a presynaptic spike a few milliseconds
*before* a postsynaptic one strengthens the synapse, the reverse order weakens it (Bi &
Poo, "Synaptic modifications in cultured hippocampal neurons", J. Neurosci. 1998). This
is spike-timing-dependent plasticity, STDP. This tutorial uses :mod:`hebbian.spiking` to

1. simulate the leaky integrate-and-fire (LIF) neuron with exact integration, and check
   its firing rate against the closed-form f-I curve;
2. implement pair STDP with synaptic traces, measure its learning window with pairing
   protocols and compare it with the exponential window of Song, Miller & Abbott
   (2000);
3. run the network of Song, Miller & Abbott ("Competitive Hebbian learning through
   spike-timing-dependent synaptic plasticity", Nat. Neurosci. 2000), in which STDP
   drives a neuron's input weights to the two ends of their range.

Time is in seconds and potentials in mV throughout the library.
"""  # noqa: D205, D400 (a sphinx-gallery title, not a summary line)

# %%
# The leaky integrate-and-fire neuron
# -----------------------------------
#
# Below threshold, the membrane potential :math:`V` of a LIF neuron relaxes towards the
# potential set by its input,
#
# .. math::
#
#     \tau_m \frac{dV}{dt} = -(V - E_L) + R I ,
#
# and when :math:`V` reaches :math:`V_\mathrm{th}` the neuron spikes, :math:`V` is reset
# to :math:`V_\mathrm{reset}` and held there for a refractory period
# :math:`t_\mathrm{ref}` (Lapicque 1907; Dayan & Abbott, *Theoretical Neuroscience*,
# 2001, section 5.4). The library gives the drive as the voltage :math:`R I` it would
# hold the membrane at. For a drive held constant over a step the equation can be
# solved exactly:
#
# .. math::
#
#     V(t + dt) = V_\infty + \big(V(t) - V_\infty\big)\, e^{-dt/\tau_m},
#     \qquad V_\infty = E_L + R I .
#
# :func:`~hebbian.spiking.lif_step` uses this update (Rotter & Diesmann 1999), so the
# step size does not bias the trajectory, as forward Euler,
# :math:`V \leftarrow V + \frac{dt}{\tau_m}(V_\infty - V)`, does. We check it with a
# drive too weak to reach threshold and a coarse step of 1 ms.

import math
from functools import partial

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import NullFormatter, ScalarFormatter

from hebbian.spiking import (
    LIFParameters,
    PairSTDPParameters,
    SongAbbottParameters,
    fit_stdp_window,
    isolated_pairs_change,
    lif_rate,
    lif_state,
    lif_step,
    output_rates,
    pair_stdp_step,
    pair_traces,
    pair_window,
    pairing_weight_changes,
    song_abbott_run,
    song_abbott_state,
    weight_distribution,
)

neuron = LIFParameters()  # tau_m 10 ms, E_L -65, V_th -50, V_reset -65 mV, t_ref 2 ms
print(neuron)

coarse_dt, drive = 1e-3, 10.0  # V_inf = -55 mV, below the threshold
state = lif_state(1, 1, neuron)
v_euler = neuron.v_rest
exact_error = euler_error = 0.0
for k in range(1, 31):
    state, _ = lif_step(
        state, neuron, coarse_dt, current=torch.full((1, 1), drive, dtype=torch.float64)
    )
    v_euler += coarse_dt / neuron.tau_m * (neuron.v_rest + drive - v_euler)
    closed_form = neuron.v_rest + drive * (1 - math.exp(-k * coarse_dt / neuron.tau_m))
    exact_error = max(exact_error, abs(state.v.item() - closed_form))
    euler_error = max(euler_error, abs(v_euler - closed_form))
print(
    f"largest error over 30 ms at dt = 1 ms: exact {exact_error:.1e} mV, Euler {euler_error:.3f} mV"
)
assert exact_error < 1e-9
assert euler_error > 1e3 * exact_error

# %%
# The f-I curve
# -------------
#
# Under a constant drive above threshold, :math:`V_\infty > V_\mathrm{th}`, the
# potential climbs from :math:`V_\mathrm{reset}` to :math:`V_\mathrm{th}` in a time
# :math:`\tau_m \ln \frac{V_\infty - V_\mathrm{reset}}{V_\infty - V_\mathrm{th}}`
# (solve the exponential above for :math:`V = V_\mathrm{th}`), and the neuron fires
# regularly at the rate (Dayan & Abbott 2001, eq. 5.11, with a refractory period)
#
# .. math::
#
#     r = \left[t_\mathrm{ref} + \tau_m \ln
#         \frac{E_L + R I - V_\mathrm{reset}}{E_L + R I - V_\mathrm{th}}\right]^{-1},
#
# zero below the threshold drive :math:`R I = V_\mathrm{th} - E_L`.
# :func:`~hebbian.spiking.lif_rate` computes it. A simulation on a grid of step
# :math:`dt` can only spike at the end of a step, and the library counts the refractory
# period in whole steps as Brian2 does, so each measured interspike interval may differ
# from :math:`1/r` by at most one step. We simulate one neuron per drive, all of them in
# one ``(1, D)`` state, for one second at :math:`dt` = 0.1 ms, and measure the rate from
# the mean interspike interval.

dt, duration = 1e-4, 1.0
drives = torch.linspace(10.0, 60.0, 51, dtype=torch.float64)[None, :]  # R I (mV), (1, D)
state = lif_state(1, drives.shape[1], neuron)
voltages, spikes = [], []
for _ in range(round(duration / dt)):
    state, fired = lif_step(state, neuron, dt, current=drives)
    voltages.append(torch.where(fired, 0.0, state.v)[0])  # draw spikes up to 0 mV
    spikes.append(fired[0])
voltages, spikes = torch.stack(voltages), torch.stack(spikes)  # (T, D)

measured, theory, worst_interval_gap = [], [], 0.0
for d, value in enumerate(drives[0].tolist()):
    times = torch.nonzero(spikes[:, d])[:, 0].double() * dt
    rate = 0.0 if len(times) < 2 else (len(times) - 1) / (times[-1] - times[0]).item()
    measured.append(rate)
    theory.append(lif_rate(neuron, value))
    if rate > 0 and theory[-1] > 0:
        worst_interval_gap = max(worst_interval_gap, abs(1 / rate - 1 / theory[-1]))
fires = [r > 0 for r in theory]
assert [m > 0 for m in measured] == fires  # silent exactly below the threshold drive
print(f"drives that fire: {sum(fires)} of {len(fires)}")
print(f"largest |measured - theoretical| interspike interval: {1e3 * worst_interval_gap:.4f} ms")
print(f"the step dt: {1e3 * dt:.1f} ms")
assert worst_interval_gap <= dt * (1 + 1e-6)

fig, (ax_v, ax_f) = plt.subplots(1, 2, figsize=(6.4, 3.4))
time_ms = 1e3 * dt * torch.arange(1, 501)
for d in (10, 25):
    ax_v.plot(time_ms, voltages[:500, d], label=f"RI = {drives[0, d].item():.0f} mV")
ax_v.axhline(neuron.v_threshold, color="0.6", linestyle="--", linewidth=0.8)
ax_v.set(xlabel="time (ms)", ylabel="V (mV)", title="Membrane potential")
ax_v.legend(fontsize=8, loc="lower right")
ax_f.plot(drives[0], theory, color="k", label="closed form")
ax_f.plot(drives[0], measured, "o", markersize=3, color="tab:red", label="simulated")
ax_f.set(xlabel="drive RI (mV)", ylabel="rate (Hz)", title="f-I curve")
ax_f.legend(fontsize=8)
fig.tight_layout()

# %%
# Pair STDP with traces
# ---------------------
#
# For one presynaptic spike at :math:`t_\mathrm{pre}` and one postsynaptic spike at
# :math:`t_\mathrm{post}`, :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}`, the
# additive pair rule changes the weight by (Song, Miller & Abbott 2000, eq. 1)
#
# .. math::
#
#     \Delta w = \begin{cases} A_+\, e^{-\Delta t/\tau_+} & \Delta t \ge 0, \\
#                             -A_-\, e^{\Delta t/\tau_-} & \Delta t < 0. \end{cases}
#
# A simulation does not need to look back over spike pairs: each synapse keeps a
# presynaptic trace :math:`x`, which jumps by 1 at each presynaptic spike and decays with
# :math:`\tau_+`, and each neuron a postsynaptic trace :math:`y`, decaying with
# :math:`\tau_-`. At a postsynaptic spike the weight grows by :math:`A_+ x`, at a
# presynaptic spike it falls by :math:`A_- y` (Morrison, Diesmann & Gerstner, "Phenomenological
# models of synaptic plasticity based on spike timing", Biol. Cybern. 2008), and
# clipping keeps it in :math:`[w_\min, w_\max]`. Because each trace is a sum of
# exponentials, this reproduces the window above for every pair of spikes ("all-to-all"
# pairing). :func:`~hebbian.spiking.pair_stdp_step` does one step; here it runs a short
# spike train on a 0.1 ms grid.

rule = PairSTDPParameters(  # Bi & Poo's fitted time constants; no upper bound
    a_plus=0.01, a_minus=0.0055, tau_plus=16.8e-3, tau_minus=33.7e-3, w_max=math.inf
)
pre_times, post_times = (0.010, 0.060), (0.020, 0.050)  # s
weight, traces = torch.ones(1, 1, 1, dtype=torch.float64), pair_traces(1, 1, 1)
trace_x, trace_y, weights = [], [], []
steps = round(0.1 / dt)
for k in range(1, steps + 1):
    pre = torch.tensor([[any(round(t / dt) == k for t in pre_times)]])
    post = torch.tensor([[any(round(t / dt) == k for t in post_times)]])
    weight, traces = pair_stdp_step(weight, traces, pre, post, rule, dt)
    trace_x.append(traces.pre.item())
    trace_y.append(traces.post.item())
    weights.append(weight.item() - 1.0)

# the same change from the window, summed over every (pre, post) pair
summed = sum(
    pair_window(torch.tensor(t_post - t_pre, dtype=torch.float64), rule).item()
    for t_pre in pre_times
    for t_post in post_times
)
print(f"weight change with traces: {weights[-1]:.6f}; window summed over pairs: {summed:.6f}")
assert abs(weights[-1] - summed) < 1e-9

fig, (ax_t, ax_w) = plt.subplots(2, 1, figsize=(6.4, 3.6), sharex=True)
time_ms = 1e3 * dt * torch.arange(1, steps + 1)
ax_t.plot(time_ms, trace_x, color="tab:blue", label="pre trace x")
ax_t.plot(time_ms, trace_y, color="tab:orange", label="post trace y")
ax_t.set(ylabel="trace", title="Traces and weight for a short spike train")
ax_t.legend(fontsize=8)
ax_w.plot(time_ms, weights, color="k")
ax_w.set(xlabel="time (ms)", ylabel=r"$w - w_0$")
for t in pre_times:
    ax_t.axvline(1e3 * t, color="tab:blue", linewidth=0.6, linestyle=":")
for t in post_times:
    ax_t.axvline(1e3 * t, color="tab:orange", linewidth=0.6, linestyle=":")
fig.tight_layout()

# %%
# The learning window from pairing protocols
# ------------------------------------------
#
# Bi & Poo measured the window by pairing: 60 presynaptic spikes at 1 Hz, each followed
# (or preceded) by a postsynaptic spike at a fixed :math:`\Delta t`.
# :func:`~hebbian.spiking.pairing_weight_changes` runs one protocol per :math:`\Delta t`,
# all in one batch, stepping from spike to spike (the traces decay exactly, so one step
# across a silent second equals ten thousand small ones). Pairings one second apart do
# not interact, so each side of the window should be exactly :math:`K A_\pm
# e^{-|\Delta t|/\tau_\pm}` for :math:`K` = 60 pairings
# (:func:`~hebbian.spiking.isolated_pairs_change`). We fit exponentials to each side with
# :func:`~hebbian.spiking.fit_stdp_window` and compare the fitted time constants and
# amplitudes with the rule's. Running the same protocols at 20 Hz shows what the
# isolated-pair window leaves out: with the pairings 50 ms apart, each spike also pairs
# with the spikes of the neighbouring pairings.

pairings = 60
delta_ts = [k * 5e-3 for k in range(-20, 21)]  # -100 .. 100 ms
change = pairing_weight_changes(
    partial(pair_stdp_step, params=rule),
    pair_traces(len(delta_ts), 1, 1),
    [1.0] * len(delta_ts),
    delta_ts,
    pairings,
    dt,
    lead=0.2,
)
delta_t = torch.tensor(delta_ts, dtype=torch.float64)
theory = torch.tensor(
    [isolated_pairs_change(rule, d, pairings) for d in delta_ts], dtype=torch.float64
)
fit = fit_stdp_window(delta_t, change)
print(f"fitted tau+ = {1e3 * fit.tau_plus:.6f} ms (rule: {1e3 * rule.tau_plus} ms)")
print(f"fitted tau- = {1e3 * fit.tau_minus:.6f} ms (rule: {1e3 * rule.tau_minus} ms)")
print(f"fitted K A+ = {fit.amplitude_plus:.6f} (rule: {pairings * rule.a_plus:.6f})")
print(f"fitted K A- = {fit.amplitude_minus:.6f} (rule: {pairings * rule.a_minus:.6f})")
deviation = (change - theory).abs().max().item()
print(f"largest deviation from K times the single-pair window: {deviation:.1e}")
assert math.isclose(fit.tau_plus, rule.tau_plus, rel_tol=1e-6)
assert math.isclose(fit.tau_minus, rule.tau_minus, rel_tol=1e-6)
assert math.isclose(fit.amplitude_plus, pairings * rule.a_plus, rel_tol=1e-6)
assert math.isclose(fit.amplitude_minus, pairings * rule.a_minus, rel_tol=1e-6)
assert deviation < 1e-9

close = [d for d in delta_ts if abs(d) <= 20e-3]  # |dt| below half of the 50 ms period
fast = pairing_weight_changes(
    partial(pair_stdp_step, params=rule),
    pair_traces(len(close), 1, 1),
    [20.0] * len(close),
    close,
    pairings,
    dt,
    lead=0.2,
)
fast_theory = torch.tensor(
    [isolated_pairs_change(rule, d, pairings) for d in close], dtype=torch.float64
)
fast_deviation = (fast - fast_theory).abs().max().item()
print(f"at 20 Hz, largest deviation from the isolated-pair window: {fast_deviation:.3f}")

fig, ax = plt.subplots(figsize=(6.4, 3.6))
fine = torch.linspace(-0.1, 0.1, 401, dtype=torch.float64)
ax.axhline(0, color="0.7", linewidth=0.8)
ax.axvline(0, color="0.7", linewidth=0.8)
ax.plot(1e3 * fine, 100 * pairings * pair_window(fine, rule), color="k", label="K x window")
ax.plot(1e3 * delta_t, 100 * change, "o", markersize=4, color="tab:red", label="1 Hz pairings")
ax.plot(1e3 * torch.tensor(close), 100 * fast, "s", markersize=4, color="tab:blue", label="20 Hz")
ax.set(
    xlabel=r"$\Delta t = t_\mathrm{post} - t_\mathrm{pre}$ (ms)",
    ylabel="weight change (%)",
    title=f"STDP window, {pairings} pairings per protocol",
)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Song, Miller & Abbott: competition through STDP
# -----------------------------------------------
#
# Song, Miller & Abbott connected 1000 Poisson inputs, all firing at the same rate, to
# one conductance-based LIF neuron through synapses with additive STDP bounded to
# :math:`[0, g_\max]`,
#
# .. math::
#
#     \tau_m \frac{dV}{dt} = -(V - E_L) - g\,(V - E_e), \qquad
#     \tau_e \frac{dg}{dt} = -g, \qquad g \leftarrow g + w_j
#     \text{ at a spike of input } j .
#
# Depression is slightly stronger than potentiation (:math:`A_- = 1.05\, A_+`), so
# inputs whose spikes do not help fire the neuron lose weight, while those that tend to
# precede its spikes gain it. The inputs compete, the weights leave the middle of the
# range for its two ends, and the output rate ends up nearly independent of the input
# rate (their Fig. 1 and 2). :class:`~hebbian.spiking.SongAbbottParameters` holds the
# parameters of Brian2's version of this example and
# :func:`~hebbian.spiking.song_abbott_run` simulates it event by event (on the CPU a
# compiled Numba kernel, compiled on first use). Two networks, with inputs at 15 and 30
# Hz, start from the same uniform weights. One simulated second with plasticity off first
# measures their rates before learning; then 300 s with STDP.

network = SongAbbottParameters()
g_max, input_rates, batch = network.stdp.w_max, [15.0, 30.0], 2
generator = torch.Generator().manual_seed(0)
initial = torch.rand(1, network.n_inputs, generator=generator, dtype=torch.float64) * g_max
initial = initial.expand(batch, -1).contiguous()

frozen = network.without_plasticity()
_, record = song_abbott_run(
    song_abbott_state(frozen, initial, seeds=[1, 2]), frozen, input_rates, round(1.0 / dt), dt
)
rate_before = output_rates(record, batch, 1.0)

state = song_abbott_state(network, initial, seeds=[3, 4])
chunk, chunks = 10.0, 30  # 300 s of simulated time
rate_history = []
for _ in range(chunks):
    state, record = song_abbott_run(state, network, input_rates, round(chunk / dt), dt)
    rate_history.append(output_rates(record, batch, chunk))
rate_after = rate_history[-1]

before = weight_distribution(initial, g_max)
after = weight_distribution(state.weight, g_max)
at_bounds_before = before.fraction_near_zero + before.fraction_near_max
at_bounds_after = after.fraction_near_zero + after.fraction_near_max
for i, rate in enumerate(input_rates):
    print(
        f"inputs at {rate:.0f} Hz: output {rate_before[i]:.1f} Hz before, "
        f"{rate_after[i]:.1f} Hz in the last {chunk:.0f} s"
    )
    print(
        f"    weights within 10% of 0 or g_max: {at_bounds_before[i]:.3f} before, "
        f"{at_bounds_after[i]:.3f} after; end-to-middle ratio "
        f"{before.end_to_middle_ratio[i]:.2f} before, {after.end_to_middle_ratio[i]:.2f} after"
    )
spread_before = (rate_before.max() - rate_before.min()).item()
spread_after = (rate_after.max() - rate_after.min()).item()
print(f"spread of the output rates: {spread_before:.1f} Hz before, {spread_after:.1f} Hz after")

# %%
# The weights were uniform on :math:`[0, g_\max]` at the start, so a fifth of them lay
# within 10% of a bound and the end-to-middle ratio (the mass per tenth of the range at
# the ends over that in the middle, :func:`~hebbian.spiking.weight_distribution`) was
# close to 1. After learning both measures are larger in both networks: the weights have
# moved towards the bounds, the bimodal distribution of the paper's Fig. 1. The two
# output rates, far apart with the initial weights, end up close to each other: the
# rate regulation of its Fig. 2. The checks use the thresholds of the ``song-abbott``
# recipe.

assert bool((at_bounds_after >= 0.3).all()), at_bounds_after
assert bool((after.end_to_middle_ratio >= 1.5).all()), after.end_to_middle_ratio
assert spread_after <= 0.25 * spread_before, (spread_before, spread_after)

fig, (ax_h, ax_r) = plt.subplots(1, 2, figsize=(6.4, 3.4))
centres = (torch.arange(after.histogram.shape[1]) + 0.5) / after.histogram.shape[1]
width = 1 / after.histogram.shape[1]
ax_h.bar(centres, before.histogram[0], width=width, color="0.75", label="start")
for i, colour in enumerate(("tab:red", "tab:blue")):
    ax_h.step(
        centres, after.histogram[i], where="mid", color=colour, label=f"{input_rates[i]:.0f} Hz"
    )
ax_h.set(xlabel=r"$w / g_\max$", ylabel="fraction of synapses", title="Weights after learning")
ax_h.legend(fontsize=8)
history = torch.stack(rate_history)  # (chunks, batch)
seconds = chunk * torch.arange(1, chunks + 1)
for i, colour in enumerate(("tab:red", "tab:blue")):
    ax_r.plot(seconds, history[:, i], color=colour, label=f"inputs at {input_rates[i]:.0f} Hz")
    ax_r.plot(0, rate_before[i], "o", color=colour)
ax_r.set(xlabel="time (s)", ylabel="output rate (Hz)", title="Output rate (dots: before)")
ax_r.set_yscale("log")
ax_r.set_yticks([10, 20, 50, 100, 200, 500])
ax_r.yaxis.set_major_formatter(ScalarFormatter())
ax_r.yaxis.set_minor_formatter(NullFormatter())
ax_r.legend(fontsize=8)
fig.tight_layout()

# %%
# Going further
# -------------
#
# The recipes of ``hebbian run`` are the full-size versions: ``stdp-window`` (the
# window above), ``song-abbott`` (four input rates), ``triplet-frequency`` (the triplet
# rule of Pfister & Gerstner 2006, :func:`~hebbian.spiking.triplet_stdp_step`, which
# captures the dependence on pairing frequency that the pair rule misses),
# ``hodgkin-huxley`` (:func:`~hebbian.spiking.hh_step`, the 1952 squid axon) and
# ``diehl-cook`` (unsupervised digit learning with STDP).
