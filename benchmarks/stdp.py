"""Speed of the Song-Abbott STDP network: ``hebbian.spiking`` against Brian2, same model.

Workload (issue #6): Brian2's example ``examples/synapses/STDP.py`` (Song, Miller & Abbott
2000): 1000 Poisson inputs at 15 Hz onto one conductance-based LIF neuron (tau_m 10 ms,
E_L -74, V_th -54, V_reset -60, E_e 0 mV, tau_e 5 ms) through synapses with additive
all-to-all STDP (g_max 0.01, A+ = 0.01 g_max, A- = 1.05 A+, tau+ = tau- = 20 ms, hard
bounds [0, g_max]), initial weights uniform in [0, g_max], dt = 0.1 ms, 100 s simulated
(10^6 steps).

Making both do the same work:

* the same equations and update order (state update, threshold, ``on_pre`` with
  clipping, ``on_post`` with clipping, reset), the neuron starting at E_L;
* the same integration: the example uses ``method='euler'``; here Brian2 is given
  ``method='exponential_euler'``, which for these linear equations is exactly what
  ``hebbian`` does (the conductance held over a step, the membrane solved exactly, the
  conductance decayed exactly). ``--brian-method euler`` runs the example's method;
* the same statistics, not the same random numbers: each simulator draws its own
  Poisson inputs and initial weights, so the final numbers agree in distribution only
  (output rate, fraction of weights near 0 and near g_max, printed for both).

Timed runs:

* ``hebbian``, one network: :func:`hebbian.spiking.song_abbott_run` (on the CPU its
  Numba kernel, in one thread; inputs drawn by torch with ``--threads`` intra-op
  threads, 1 by default). The kernel's compilation (or loading from Numba's cache) on
  first use is excluded from the timed run and reported as ``first_use_s``;
* ``hebbian``, ``--batch`` networks at once (64 by default), the kernel on
  ``--batch-threads`` threads (every CPU by default: one draws the inputs while the
  kernel runs the previous block): throughput in simulated seconds times networks per
  wall second;
* Brian2 (PyPI ``brian2``, in its own virtual environment, run in a subprocess) with the
  code-generation targets ``numpy`` (the default runtime mode), ``cython`` (runtime,
  needs a C compiler) and ``cpp_standalone`` (compiles a program). A compilation
  warm-up (one 1 ms run) is excluded from the runtime targets' timed ``run()``;
  ``cpp_standalone`` reports the compiled program's own run time and, separately, the
  wall time including code generation and compilation. The peer runs with
  ``OMP_NUM_THREADS=1``.

Wall and CPU seconds are both recorded: the machine may be shared, and CPU time is the
steadier of the two under load; the load average is recorded before and after each run.

Run::

    python3 -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install brian2 'numpy<2.4'     # brian2 2.9 fails with numpy 2.4
    .venv/bin/python benchmarks/stdp.py                     # full: several minutes
    .venv/bin/python benchmarks/stdp.py --quick             # 2 s simulated

It prints a table and writes ``benchmarks/results/stdp.json`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from hebbian.runs import atomic_write_text
from hebbian.spiking import (
    SongAbbottParameters,
    _song_abbott_kernel,
    song_abbott_run,
    song_abbott_state,
)

DEFAULT_PEER_PYTHON = "/tmp/peer-venv/bin/python"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "stdp.json"
INSTALL_HINT = "python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install brian2 'numpy<2.4'"
TARGETS = ("numpy", "cython", "cpp_standalone")
# issue #14: one network at least 5x faster than Brian2 cpp_standalone's own run time, and
# 64 networks at 1000 network-seconds per wall second or more
TARGET_SPEEDUP_VS_STANDALONE = 5.0
TARGET_BATCH_THROUGHPUT = 1000.0

# Runs inside the peer's interpreter; argv[1] is a JSON config, the result is one JSON line.
PEER_SCRIPT = r"""
import json, os, sys, time
cfg = json.loads(sys.argv[1])
start = time.perf_counter()
import brian2
from brian2 import (
    Network, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, defaultclock, device, ms, mV,
    prefs, second, seed, set_device, Hz,
)
target = cfg["target"]
if target == "cpp_standalone":
    set_device("cpp_standalone", directory=cfg["build_dir"], build_on_run=True)
else:
    prefs.codegen.target = target
seed(cfg["seed"])
defaultclock.dt = cfg["dt"] * second
taum, taupre, taupost = 10 * ms, 20 * ms, 20 * ms
Ee, vt, vr, El, taue = 0 * mV, -54 * mV, -60 * mV, -74 * mV, 5 * ms
gmax = 0.01
dApre = 0.01
dApost = -dApre * taupre / taupost * 1.05
dApost *= gmax
dApre *= gmax
eqs_neurons = '''
dv/dt = (ge * (Ee - v) + El - v) / taum : volt
dge/dt = -ge / taue : 1
'''
inputs = PoissonGroup(cfg["n_inputs"], rates=cfg["rate"] * Hz)
neurons = NeuronGroup(1, eqs_neurons, threshold="v > vt", reset="v = vr", method=cfg["method"])
neurons.v = El
synapses = Synapses(
    inputs, neurons,
    '''w : 1
       dApre/dt = -Apre / taupre : 1 (event-driven)
       dApost/dt = -Apost / taupost : 1 (event-driven)''',
    on_pre='''ge += w
              Apre += dApre
              w = clip(w + Apost, 0, gmax)''',
    on_post='''Apost += dApost
               w = clip(w + Apre, 0, gmax)''',
)
synapses.connect()
synapses.w = "rand() * gmax"
output = SpikeMonitor(neurons)
net = Network(inputs, neurons, synapses, output)
result = {"target": target, "brian2_version": brian2.__version__, "method": cfg["method"]}
if target == "cpp_standalone":
    cpu0, t0 = time.process_time(), time.perf_counter()
    net.run(cfg["duration"] * second)
    result["total_wall_s"] = time.perf_counter() - t0
    result["run_wall_s"] = float(device._last_run_time)
    result["setup_s"] = result["total_wall_s"] - result["run_wall_s"]
    children = os.times()
    result["run_cpu_s"] = None  # the program runs in a child process; see total
    result["total_cpu_s"] = (time.process_time() - cpu0) + children.children_user
    simulated = cfg["duration"]
else:
    t0 = time.perf_counter()
    net.run(1 * ms)  # code generation and compilation (cython) happen here
    result["setup_s"] = time.perf_counter() - t0
    cpu0, t0 = time.process_time(), time.perf_counter()
    net.run(cfg["duration"] * second)
    result["run_wall_s"] = time.perf_counter() - t0
    result["run_cpu_s"] = time.process_time() - cpu0
    result["total_wall_s"] = time.perf_counter() - start
    simulated = cfg["duration"] + 1e-3
w = synapses.w[:] / gmax
result["output_rate_hz"] = float(output.num_spikes) / simulated
result["fraction_near_zero"] = float((w < 0.1).mean())
result["fraction_near_max"] = float((w > 0.9).mean())
print("RESULT " + json.dumps(result))
"""


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_ours(
    networks: int, duration: float, dt: float, rate: float, seed: int, threads: int
) -> dict[str, Any]:
    """Simulate ``networks`` Song-Abbott networks with hebbian and time it.

    A short run first (10 ms simulated, not timed) compiles the CPU kernel, or loads it
    from Numba's cache; its wall time is reported as ``first_use_s``.
    """
    params = SongAbbottParameters()
    generator = torch.Generator().manual_seed(seed)
    weight = torch.rand(networks, params.n_inputs, generator=generator, dtype=torch.float64)
    seeds = torch.randint(0, 2**62, (networks,), generator=generator)
    state = song_abbott_state(params, weight * params.stdp.w_max, seeds)
    steps = round(duration / dt)
    t0 = time.perf_counter()
    song_abbott_run(state, params, rate, 100, dt, threads=threads)  # compile or load
    first_use = time.perf_counter() - t0
    load_before = _load()
    cpu0, t0 = time.process_time(), time.perf_counter()
    state, record = song_abbott_run(state, params, rate, steps, dt, threads=threads)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    scaled = state.weight / params.stdp.w_max
    return {
        "simulator": "hebbian",
        "networks": networks,
        "compiled_kernel": _song_abbott_kernel.AVAILABLE,
        "kernel_threads": threads,
        "first_use_s": first_use,
        "run_wall_s": wall,
        "run_cpu_s": cpu,
        "throughput_network_seconds_per_wall_second": duration * networks / wall,
        "output_rate_hz": record.post_step.numel() / networks / duration,
        "fraction_near_zero": (scaled < 0.1).double().mean().item(),
        "fraction_near_max": (scaled > 0.9).double().mean().item(),
        "load_before": load_before,
        "load_after": _load(),
    }


def run_peer(
    python: str, target: str, duration: float, dt: float, rate: float, method: str, timeout: float
) -> dict[str, Any]:
    """Run Brian2 with one code-generation target in a subprocess; never raises."""
    with tempfile.TemporaryDirectory(prefix="stdp-bench-") as folder:
        config = {
            "target": target,
            "duration": duration,
            "dt": dt,
            "rate": rate,
            "n_inputs": 1000,
            "method": method,
            "seed": 1,
            "build_dir": str(Path(folder) / "standalone"),
        }
        script = Path(folder) / "peer.py"
        script.write_text(PEER_SCRIPT, encoding="utf-8")
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
        load_before = _load()
        t0 = time.perf_counter()
        try:
            done = subprocess.run(
                [python, str(script), json.dumps(config)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=folder,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"simulator": "brian2", "target": target, "error": f"timed out ({timeout} s)"}
        wall = time.perf_counter() - t0
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"simulator": "brian2", "target": target, "error": " | ".join(tail)}
    result = json.loads(lines[-1][len("RESULT ") :])
    result.update(
        simulator="brian2",
        networks=1,
        process_wall_s=wall,
        load_before=load_before,
        load_after=_load(),
    )
    result["throughput_network_seconds_per_wall_second"] = duration / result["run_wall_s"]
    return result


def _row(result: dict[str, Any]) -> str:
    name = result["simulator"] + (f" {result['target']}" if "target" in result else "")
    name += f" x{result.get('networks', 1)}"
    if "error" in result:
        return f"{name:28s} unavailable: {result['error']}"
    cpu = result.get("run_cpu_s")
    cpu_text = f"{cpu:8.1f}" if cpu is not None else "       -"
    setup = result.get("setup_s", result.get("first_use_s", 0.0))  # ours: kernel's first use
    return (
        f"{name:28s} {result['run_wall_s']:9.2f} {cpu_text} "
        f"{result['throughput_network_seconds_per_wall_second']:10.2f} "
        f"{result['output_rate_hz']:7.1f} {result['fraction_near_zero']:7.3f} "
        f"{result['fraction_near_max']:7.3f}   {setup:6.1f}"
    )


def _verdicts(results: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    """The two targets of issue #14, each with its measured value and ``met`` or ``short``.

    One network's wall time against Brian2 cpp_standalone's own run time (its compiled
    program, without code generation and compilation), and the batched run's
    throughput (reported under ``networks_64_throughput`` when ``--batch`` is 64).
    """
    one, many = results[0], results[1]
    standalone = next(
        (r for r in results if r.get("target") == "cpp_standalone" and "error" not in r), None
    )
    verdicts: dict[str, Any] = {}
    if standalone is not None:
        speedup = standalone["run_wall_s"] / one["run_wall_s"]
        verdicts["one_network_speedup_vs_cpp_standalone_run"] = {
            "value": speedup,
            "hebbian_wall_s": one["run_wall_s"],
            "cpp_standalone_run_wall_s": standalone["run_wall_s"],
            "target": TARGET_SPEEDUP_VS_STANDALONE,
            "verdict": "met" if speedup >= TARGET_SPEEDUP_VS_STANDALONE else "short",
        }
    throughput = many["throughput_network_seconds_per_wall_second"]
    verdicts[f"networks_{batch}_throughput"] = {
        "value": throughput,
        "unit": "network-seconds per wall second",
        "target": TARGET_BATCH_THROUGHPUT,
        "verdict": "met" if throughput >= TARGET_BATCH_THROUGHPUT else "short",
    }
    for name, verdict in verdicts.items():
        print(
            f"{name}: {verdict['value']:.1f} (target {verdict['target']:g}): {verdict['verdict']}"
        )
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s simulated instead of 100 s")
    parser.add_argument("--duration", type=float, default=None, help="simulated seconds")
    parser.add_argument("--batch", type=int, default=64, help="networks in the batched run")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument(
        "--batch-threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads of the compiled kernel in the batched run (default: every CPU; the "
        "one-network run uses 1)",
    )
    parser.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--targets", default=",".join(TARGETS), help="Brian2 targets to run")
    parser.add_argument(
        "--brian-method", default="exponential_euler", choices=("exponential_euler", "euler")
    )
    parser.add_argument("--peer-timeout", type=float, default=3600.0)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    duration = args.duration or (2.0 if args.quick else 100.0)
    dt, rate = 1e-4, 15.0
    torch.set_num_threads(args.threads)
    results: list[dict[str, Any]] = []
    print(
        f"Song-Abbott network, 1000 inputs at {rate:g} Hz, dt {dt * 1e3:g} ms, "
        f"{duration:g} s simulated; load average {_load()}",
        flush=True,
    )
    results.append(run_ours(1, duration, dt, rate, seed=0, threads=1))
    print(_row(results[-1]), flush=True)
    results.append(run_ours(args.batch, duration, dt, rate, seed=1, threads=args.batch_threads))
    print(_row(results[-1]), flush=True)
    targets = [t for t in args.targets.split(",") if t]
    if not Path(args.peer_python).exists():
        missing = f"peer interpreter {args.peer_python} not found; install with: {INSTALL_HINT}"
        print(missing, flush=True)
        results += [{"simulator": "brian2", "target": t, "error": missing} for t in targets]
    else:
        for target in targets:
            results.append(
                run_peer(
                    args.peer_python,
                    target,
                    duration,
                    dt,
                    rate,
                    args.brian_method,
                    args.peer_timeout,
                )
            )
            print(_row(results[-1]), flush=True)

    header = (
        f"{'run':28s} {'wall s':>9s} {'cpu s':>8s} {'net*s/s':>10s} {'rate Hz':>7s} "
        f"{'w<0.1':>7s} {'w>0.9':>7s}   {'setup':>6s}"
    )
    print("\n" + header)
    for result in results:
        print(_row(result))
    ours = results[0]
    runtime = next((r for r in results if r.get("target") == "numpy" and "error" not in r), None)
    summary: dict[str, Any] = _verdicts(results, args.batch)
    if runtime is not None:
        summary["speedup_vs_brian2_numpy_wall"] = runtime["run_wall_s"] / ours["run_wall_s"]
        summary["speedup_vs_brian2_numpy_cpu"] = runtime["run_cpu_s"] / ours["run_cpu_s"]
        summary["faster_than_brian2_runtime"] = ours["run_wall_s"] < runtime["run_wall_s"]
        wall_ratio = summary["speedup_vs_brian2_numpy_wall"]
        cpu_ratio = summary["speedup_vs_brian2_numpy_cpu"]
        print(
            f"\nhebbian x1 vs Brian2 numpy (runtime): {wall_ratio:.1f}x wall, {cpu_ratio:.1f}x CPU"
        )
    payload = {
        "benchmark": "stdp (Song-Abbott network, Brian2's example parameters)",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "simulated_seconds": duration,
        "dt_s": dt,
        "input_rate_hz": rate,
        "n_inputs": 1000,
        "brian_method": args.brian_method,
        "torch_threads": args.threads,
        "batch_kernel_threads": args.batch_threads,
        "torch_version": torch.__version__,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "results": results,
        "summary": summary,
    }
    atomic_write_text(args.output, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
