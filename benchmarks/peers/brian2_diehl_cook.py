"""Peer runner: a Brian2 model of Diehl & Cook (2015), trained unsupervised, timed per image.

Run by ``benchmarks/diehl_cook.py`` with the interpreter of a virtual environment that
has ``brian2``: ``python brian2_diehl_cook.py CONFIG`` where ``CONFIG`` is a JSON object
(see :data:`DEFAULTS`). It prints one line ``RESULT {...}`` (JSON) on standard output.

Written here from the paper's equations (Diehl & Cook 2015, Front. Comput. Neurosci. 9:99,
section 2.1), not taken from Brian2's example ``examples/frompapers/Diehl_Cook_2015.py``:

* excitatory neurons: ``tau dv/dt = (E_rest - v) + ge (E_exc - v) + gi (E_inh - v)``,
  tau 100 ms, E_rest -65 mV, E_exc 0 mV, E_inh -100 mV, threshold ``-52 mV + theta``,
  reset -65 mV, refractory 5 ms; ``theta += theta_plus`` on a spike, decaying with
  tau_theta 1e7 ms; inhibitory neurons: tau 10 ms, E_rest -60 mV, E_inh -85 mV,
  threshold -40 mV, reset -45 mV, refractory 2 ms; conductances decay with 1 ms
  (excitatory) and 2 ms (inhibitory);
* 784 Poisson inputs at ``pixel * intensity`` Hz onto every excitatory neuron (weights
  in [0, 1], initially uniform in [0, 0.3]); each excitatory neuron onto its own
  inhibitory neuron (``w_exc_inh``); each inhibitory neuron onto every other excitatory
  neuron (``w_inh_exc``);
* learning on the input weights: BindsNET's pair-based ``PostPre`` (the rule its
  ``DiehlAndCook2015`` uses by default) so that both peers learn with the same rule:
  traces set to 1 on a spike and decaying with 20 ms; on an input spike
  ``w -= nu_pre * apost``, on an excitatory spike ``w += nu_post * apre``, clipped to
  [0, 1]; column sums renormalised to ``norm`` after every image;
* per image: ``time`` ms of input, then ``rest`` ms of silence (0 by default, as in
  BindsNET), then the state reset as BindsNET's ``reset_state_variables`` does (voltages
  to rest, conductances and traces to 0, refractory periods cleared; theta and weights
  kept).

Integration: ``exponential_euler`` (exact for these equations with the conductances held
over a step); explicit Euler with tau_ge = dt = 1 ms would zero the conductance in one
step. No synaptic delays (the paper's code draws random 0-10 ms delays; BindsNET has
none). Code-generation target ``numpy`` (Brian2's default runtime mode) or ``cython``;
code generation and compilation are done during the warm-up images, outside the timing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

DEFAULTS: dict[str, Any] = {
    "images_path": "",  # .npy, float32 (N, 784) in [0, 1]
    "n_neurons": 100,
    "warmup": 2,
    "images": 10,
    "time": 250.0,  # ms of input per image
    "rest": 0.0,  # ms of silence after it
    "dt": 1.0,  # ms
    "intensity": 128.0,  # Hz for a pixel of 1
    "w_exc_inh": 10.4,
    "w_inh_exc": 17.0,
    "nu_pre": 1e-4,
    "nu_post": 1e-2,
    "theta_plus": 0.05,  # mV
    "norm": 78.4,
    "target": "numpy",
    "seed": 0,
}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    cfg = {**DEFAULTS, **json.loads(sys.argv[1])}
    import brian2 as b2
    import numpy as np

    b2.prefs.codegen.target = cfg["target"]
    b2.defaultclock.dt = float(cfg["dt"]) * b2.ms
    b2.seed(int(cfg["seed"]))
    rng = np.random.default_rng(int(cfg["seed"]))
    n = int(cfg["n_neurons"])
    total = int(cfg["warmup"]) + int(cfg["images"])
    pixels = np.load(cfg["images_path"]).astype(np.float64)[:total]
    if pixels.shape != (total, 784):
        raise SystemExit(f"need ({total}, 784) images, got {pixels.shape}")

    ms, mV = b2.ms, b2.mV
    common = """
    dv/dt = ((E_rest - v) + ge * (E_exc - v) + gi * (E_inh - v)) / tau : volt (unless refractory)
    dge/dt = -ge / tau_ge : 1
    dgi/dt = -gi / tau_gi : 1
    """
    exc = b2.NeuronGroup(
        n,
        common + "dtheta/dt = -theta / tau_theta : volt",
        threshold="v > V_th + theta",
        reset="v = V_reset; theta += theta_plus",
        refractory=5 * ms,
        method="exponential_euler",
        namespace={
            "E_rest": -65 * mV,
            "E_exc": 0 * mV,
            "E_inh": -100 * mV,
            "tau": 100 * ms,
            "tau_ge": 1 * ms,
            "tau_gi": 2 * ms,
            "tau_theta": 1e7 * ms,
            "V_th": -52 * mV,
            "V_reset": -65 * mV,
            "theta_plus": float(cfg["theta_plus"]) * mV,
        },
        name="exc",
    )
    inh = b2.NeuronGroup(
        n,
        common,
        threshold="v > -40 * mV",
        reset="v = -45 * mV",
        refractory=2 * ms,
        method="exponential_euler",
        namespace={
            "E_rest": -60 * mV,
            "E_exc": 0 * mV,
            "E_inh": -85 * mV,
            "tau": 10 * ms,
            "tau_ge": 1 * ms,
            "tau_gi": 2 * ms,
        },
        name="inh",
    )
    exc.v, inh.v = -65 * mV, -60 * mV
    inputs = b2.PoissonGroup(784, 0 * b2.Hz, name="inputs")
    plastic = b2.Synapses(
        inputs,
        exc,
        model="""w : 1
                 dapre/dt = -apre / tau_trace : 1 (event-driven)
                 dapost/dt = -apost / tau_trace : 1 (event-driven)""",
        on_pre="""ge_post += w
                  apre = 1
                  w = clip(w - nu_pre * apost, 0, 1)""",
        on_post="""apost = 1
                   w = clip(w + nu_post * apre, 0, 1)""",
        namespace={
            "tau_trace": 20 * ms,
            "nu_pre": float(cfg["nu_pre"]),
            "nu_post": float(cfg["nu_post"]),
        },
        name="plastic",
    )
    plastic.connect()  # i (input) varies slowest: row-major (784, n)
    plastic.w = 0.3 * rng.random(784 * n)
    to_inh = b2.Synapses(exc, inh, on_pre=f"ge_post += {float(cfg['w_exc_inh'])!r}")
    to_inh.connect(j="i")
    to_exc = b2.Synapses(inh, exc, on_pre=f"gi_post += {float(cfg['w_inh_exc'])!r}")
    to_exc.connect(condition="i != j")
    spikes = b2.SpikeMonitor(exc, name="spikes")
    net = b2.Network(exc, inh, inputs, plastic, to_inh, to_exc, spikes)

    presentation = float(cfg["time"]) * ms
    rest = float(cfg["rest"]) * ms

    def train_one(image: np.ndarray) -> int:
        weights = np.asarray(plastic.w[:]).reshape(784, n)
        sums = weights.sum(axis=0)
        sums[sums == 0] = 1.0
        plastic.w = (weights * (float(cfg["norm"]) / sums)).ravel()
        before = int(spikes.num_spikes)
        inputs.rates = image * float(cfg["intensity"]) * b2.Hz
        net.run(presentation)
        count = int(spikes.num_spikes) - before
        if rest > 0:
            inputs.rates = 0 * b2.Hz
            net.run(rest)
        exc.v, inh.v = -65 * mV, -60 * mV
        exc.ge = exc.gi = inh.ge = inh.gi = 0
        plastic.apre = plastic.apost = 0
        exc.lastspike = inh.lastspike = -1e4 * b2.second  # clears refractoriness
        exc.not_refractory = inh.not_refractory = True
        return count

    t0 = time.perf_counter()
    for index in range(int(cfg["warmup"])):
        train_one(pixels[index])
    warmup_s = time.perf_counter() - t0

    load_before = _load()
    counts: list[int] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    for index in range(int(cfg["warmup"]), total):
        counts.append(train_one(pixels[index]))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load_after = _load()
    result = {
        "simulator": "brian2",
        "brian2_version": b2.__version__,
        "numpy_version": np.__version__,
        "target": cfg["target"],
        "method": "exponential_euler",
        "n_neurons": n,
        "time_ms": float(cfg["time"]),
        "rest_ms": float(cfg["rest"]),
        "dt_ms": float(cfg["dt"]),
        "steps_per_image": round((float(cfg["time"]) + float(cfg["rest"])) / float(cfg["dt"])),
        "intensity_hz": float(cfg["intensity"]),
        "warmup_images": int(cfg["warmup"]),
        "warmup_wall_s": warmup_s,
        "images": int(cfg["images"]),
        "train_wall_s": wall,
        "train_cpu_s": cpu,
        "images_per_s": int(cfg["images"]) / wall,
        "images_per_cpu_s": int(cfg["images"]) / cpu,
        "exc_spikes_per_image": sum(counts) / len(counts),
        "theta_mean_mv": float(np.mean(exc.theta[:] / mV)),
        "load_before": load_before,
        "load_after": load_after,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
