"""Recall throughput of ``hebbian.hopfield`` against the PyPI package ``hopfieldnetwork``.

Workload (issue #3): a classical Hopfield network with N = 1000 neurons storing P = 100
random ±1 patterns with the Hebb rule; 1,000 cues, cue ``c`` being pattern ``c mod P``
with exactly 10% of its bits flipped; asynchronous updates in a random order, one sweep
after another, until a sweep changes nothing.

What the peer does (``hopfieldnetwork`` 1.0.1, ``libary.py``, read in its site-packages):
``train_pattern`` adds ``W = xi xi^T / N`` with a zero diagonal, in float64;
``update_neurons(0, "async", run_max=True)`` repeats sweeps, each visiting the neurons
in the order ``np.random.permutation(N)`` and setting ``S[i] = sign_0(W[i] . S)``, until
a sweep leaves ``S`` unchanged; ``sign_0(h)`` is +1 for ``h >= -1e-15`` and -1 otherwise,
so a tie ``h = 0`` sets the neuron to +1. One cue at a time, in pure Python.

Making both do the same work:

* same patterns and cues (written to a file the peer reads);
* same update rule and stopping rule. ``hebbian`` keeps a neuron's state on a tie instead
  of setting +1. Here P is even, so every field is a multiple of 2/N, and a threshold
  ``b = -1/(2N)`` (fields ``h - b``) reproduces the peer's rule exactly: ``h >= 0`` gives
  +1, ``h <= -2/N`` gives -1, and no field is ever 0;
* same visiting orders: before each cue the peer's global numpy generator is seeded with
  the same seed, so sweep ``k`` of every cue uses the same permutation (the k-th of that
  stream; the seeding is outside the peer's timed region). ``hebbian`` is given exactly
  those permutations (``recall(..., sweep_orders=...)``), so it must end every cue in the
  bit-identical state.

Timed runs of ``hebbian`` (CPU, ``--threads`` threads, 1 by default like the peer):

* ``recall_peer_orders``: ``HopfieldNetwork(bias=b).fit(patterns).recall(cues,
  sweep_orders=peer_orders)``, the same work with the same orders: the headline figure, with
  recall identical to the peer's, cue by cue;
* ``sweep_loop_peer_orders``: the same orders fed sweep by sweep to
  ``classical.asynchronous_sweep`` (full weight matrix, per-cue sweep counts, which must
  equal the peer's);
* ``recall_shared_order`` and ``recall_per_cue_order``: ``recall`` with its own random
  orders (torch generator), one permutation per sweep for the batch
  (``shared_order=True``) or one per cue and sweep (the default); their accuracy agrees
  with the peer's statistically, not cue by cue.

Run (needs the peer in its own virtual environment, never in the project's)::

    python3 -m venv /tmp/peer-hopfield-venv
    /tmp/peer-hopfield-venv/bin/pip install hopfieldnetwork
    .venv/bin/python benchmarks/hopfield.py            # full: about a minute
    .venv/bin/python benchmarks/hopfield.py --quick    # 100 cues, a few seconds

It prints a table and writes ``benchmarks/results/hopfield.json`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hebbian.hopfield import HopfieldNetwork, classical, hebb_weights
from hebbian.runs import atomic_write_text

DEFAULT_PEER_PYTHON = "/tmp/peer-hopfield-venv/bin/python"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "hopfield.json"
INSTALL_HINT = (
    "python3 -m venv /tmp/peer-hopfield-venv && "
    "/tmp/peer-hopfield-venv/bin/pip install hopfieldnetwork"
)

# Runs inside the peer's interpreter: argv = data.npz, out.npz, seed, extra orders.
PEER_SCRIPT = r"""
import json, sys, time
import numpy as np
import hopfieldnetwork
from hopfieldnetwork import HopfieldNetwork

data = np.load(sys.argv[1])
patterns, cues = data["patterns"], data["cues"]  # (P, N), (B, N) int8
seed, extra = int(sys.argv[3]), int(sys.argv[4])
count, n = patterns.shape
net = HopfieldNetwork(N=n)
net.train_pattern(patterns.T.copy())  # the package keeps patterns as columns
expected = patterns.T.astype(np.float64) @ patterns.astype(np.float64) / n
np.fill_diagonal(expected, 0.0)
finals = np.empty_like(cues)
sweeps = np.empty(len(cues), dtype=np.int64)
seconds = 0.0
for b in range(len(cues)):
    np.random.seed(seed)  # sweep k of every cue uses the k-th permutation of this stream
    net.set_initial_neurons_state(cues[b].copy())
    start = time.perf_counter()
    net.update_neurons(0, "async", run_max=True)
    seconds += time.perf_counter() - start
    finals[b] = net.S
    sweeps[b] = net.t + 1  # t counts the sweeps that changed something
stream = np.random.RandomState(seed)
orders = np.stack([stream.permutation(n) for _ in range(int(sweeps.max()) + extra)])
np.savez(sys.argv[2], finals=finals, sweeps=sweeps, orders=orders)
print(json.dumps({
    "seconds": seconds,
    "package_version": hopfieldnetwork.__version__,
    "numpy_version": np.__version__,
    "python_version": sys.version.split()[0],
    "max_weight_difference": float(np.abs(net.w - expected).max()),
}))
"""


def make_workload(
    n: int, count: int, cues: int, flip_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Patterns (P, N), cues (B, N) in {-1, +1} and each cue's pattern index (B,)."""
    generator = torch.Generator().manual_seed(seed)
    patterns = torch.randint(0, 2, (count, n), generator=generator).float() * 2 - 1
    source = torch.arange(cues) % count
    flips = round(flip_fraction * n)
    noisy = patterns[source].clone()
    for b in range(cues):
        noisy[b, torch.randperm(n, generator=generator)[:flips]] *= -1
    return patterns, noisy, source


def accuracy(states: torch.Tensor, patterns: torch.Tensor, source: torch.Tensor) -> dict:
    """Exact recalls, mean overlap with the right pattern, and nearest-pattern hits."""
    overlaps = states @ patterns.T / patterns.shape[1]  # (B, P)
    right = overlaps.gather(1, source[:, None]).squeeze(1)
    return {
        "exact_fraction": (states == patterns[source]).all(dim=1).float().mean().item(),
        "mean_overlap": right.mean().item(),
        "nearest_is_right_fraction": (overlaps.argmax(dim=1) == source).float().mean().item(),
    }


def run_peer(
    python: str, patterns: torch.Tensor, cues: torch.Tensor, seed: int, folder: Path
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Run the peer on the same cues; return its report, final states, sweeps, orders."""
    data, out = folder / "workload.npz", folder / "peer.npz"
    np.savez(data, patterns=patterns.numpy().astype(np.int8), cues=cues.numpy().astype(np.int8))
    single = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    completed = subprocess.run(
        [python, "-c", PEER_SCRIPT, str(data), str(out), str(seed), "5"],
        capture_output=True,
        text=True,
        env={**os.environ, **single, "MPLBACKEND": "Agg"},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the peer failed:\n{completed.stderr[-3000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    result = np.load(out)
    return report, result["finals"], result["sweeps"], result["orders"]


def check_peer(python: str) -> str | None:
    """None if ``python`` can import the peer, else a message saying what is missing."""
    if not Path(python).exists():
        return f"peer interpreter {python} does not exist"
    probe = subprocess.run(
        [python, "-c", "import hopfieldnetwork; print(hopfieldnetwork.__version__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        check=False,
    )
    if probe.returncode != 0:
        return f"{python} cannot import hopfieldnetwork:\n{probe.stderr[-800:]}"
    return None


def time_recall(
    net: HopfieldNetwork,
    cues: torch.Tensor,
    seed: int,
    repeats: int,
    orders: torch.Tensor | None = None,
) -> tuple[list[float], Any]:
    """Wall times of ``repeats`` recalls (after an untimed one) and the last result."""
    net.recall(cues, generator=torch.Generator().manual_seed(seed), sweep_orders=orders)  # warm-up
    times, result = [], None
    for r in range(repeats):
        generator = torch.Generator().manual_seed(seed + 1 + r)
        start = time.perf_counter()
        result = net.recall(cues, generator=generator, sweep_orders=orders)
        times.append(time.perf_counter() - start)
    return times, result


def recall_with_orders(
    cues: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor, orders: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Sweep every unfinished cue with ``orders[k]`` at sweep k, like the peer.

    Returns the final states, the sweeps per cue (the last one changed nothing) and the
    wall time.
    """
    start = time.perf_counter()
    states = cues.clone()
    sweeps = torch.zeros(len(cues), dtype=torch.int64)
    active = torch.arange(len(cues))
    for order in orders:
        before = states[active]
        after = classical.asynchronous_sweep(before, weights, bias, cue_orders=order)
        states[active] = after
        sweeps[active] += 1
        active = active[(after != before).any(dim=1)]
        if active.numel() == 0:
            break
    seconds = time.perf_counter() - start
    if active.numel():
        raise RuntimeError(f"{active.numel()} cues still moving after the peer's orders ran out")
    return states, sweeps, seconds


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 cues, one repeat")
    parser.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--cues", type=int, default=None, help="default 1000 (100 if --quick)")
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--patterns", type=int, default=100)
    parser.add_argument("--flip-fraction", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 if --quick)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for hebbian")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    cues_count = args.cues or (100 if args.quick else 1000)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.patterns % 2:
        parser.error("--patterns must be even: the tie threshold -1/(2N) needs even fields")

    missing = check_peer(args.peer_python)
    if missing:
        print(
            f"PEER MISSING: {missing}\nInstall it in its own environment:\n  {INSTALL_HINT}\n"
            f"then pass --peer-python if it lives elsewhere. Nothing was measured or written.",
            file=sys.stderr,
        )
        return 2

    torch.set_num_threads(args.threads)
    n = args.neurons
    patterns, cues, source = make_workload(
        n, args.patterns, cues_count, args.flip_fraction, args.seed
    )
    bias = torch.full((n,), -0.5 / n)  # the peer's tie rule, see the module docstring

    print(f"peer: {args.peer_python} on {cues_count} cues (one at a time)...", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        peer, peer_finals, peer_sweeps, peer_orders = run_peer(
            args.peer_python, patterns, cues, args.seed, Path(folder)
        )
    peer_states = torch.from_numpy(peer_finals.astype(np.float32))
    peer_sweeps_t = torch.from_numpy(peer_sweeps)

    orders = torch.from_numpy(peer_orders).long()  # (S, N): the peer's sweeps
    runs = {}
    print("hebbian: recall with the peer's orders...", flush=True)
    net = HopfieldNetwork(bias=bias).fit(patterns)
    times, result = time_recall(net, cues, args.seed, repeats, orders=orders)
    runs["recall_peer_orders"] = {
        "seconds": statistics.median(times),
        "all_seconds": times,
        "batch_sweeps": result.sweeps,
        "cues_differing_from_peer": int((result.states != peer_states).any(dim=1).sum()),
        **accuracy(result.states, patterns, source),
    }
    print("hebbian: the same orders sweep by sweep (check run)...", flush=True)
    loop_states, loop_sweeps, loop_seconds = recall_with_orders(
        cues, hebb_weights(patterns), bias, orders
    )
    runs["sweep_loop_peer_orders"] = {
        "seconds": loop_seconds,
        "mean_sweeps_per_cue": loop_sweeps.double().mean().item(),
        "cues_differing_from_peer": int((loop_states != peer_states).any(dim=1).sum()),
        "cues_with_other_sweep_count": int((loop_sweeps != peer_sweeps_t).sum()),
        **accuracy(loop_states, patterns, source),
    }
    print("hebbian: recall with its own random orders, shared and per cue...", flush=True)
    for name, shared in (("recall_shared_order", True), ("recall_per_cue_order", False)):
        net = HopfieldNetwork(shared_order=shared, bias=bias).fit(patterns)
        times, result = time_recall(net, cues, args.seed, repeats)
        runs[name] = {
            "seconds": statistics.median(times),
            "all_seconds": times,
            "batch_sweeps": result.sweeps,
            **accuracy(result.states, patterns, source),
        }
    differing = runs["recall_peer_orders"]["cues_differing_from_peer"]
    differing += runs["sweep_loop_peer_orders"]["cues_differing_from_peer"]
    sweep_mismatch = runs["sweep_loop_peer_orders"]["cues_with_other_sweep_count"]
    peer_result = {
        "seconds": peer["seconds"],
        "mean_sweeps_per_cue": float(peer_sweeps.mean()),
        **accuracy(peer_states, patterns, source),
        "package_version": peer["package_version"],
        "numpy_version": peer["numpy_version"],
        "python_version": peer["python_version"],
        "max_weight_difference_from_hebb": peer["max_weight_difference"],
    }
    for run in (*runs.values(), peer_result):
        run["cues_per_second"] = cues_count / run["seconds"]
    ratios = {name: peer["seconds"] / run["seconds"] for name, run in runs.items()}

    header = f"{'implementation':34s} {'seconds':>9s} {'cues/s':>10s} {'x peer':>8s}"
    header += f" {'exact':>7s} {'overlap':>8s} {'nearest':>8s}"
    print("\n" + header + "\n" + "-" * len(header))
    rows = [("hopfieldnetwork (peer)", peer_result, 1.0)]
    rows += [(f"hebbian {name}", run, ratios[name]) for name, run in runs.items()]
    for label, run, ratio in rows:
        print(
            f"{label:34s} {run['seconds']:9.3f} {run['cues_per_second']:10.1f} {ratio:8.1f}"
            f" {run['exact_fraction']:7.3f} {run['mean_overlap']:8.4f}"
            f" {run['nearest_is_right_fraction']:8.3f}"
        )
    identical = differing == 0 and sweep_mismatch == 0
    print(
        f"\nwith the peer's orders: {differing} cues (both runs together) end in another "
        f"state than the peer's, {sweep_mismatch} need another number of sweeps -> "
        + ("IDENTICAL recall" if identical else "DIFFERENT recall")
    )
    print(f"headline: recall_peer_orders is {ratios['recall_peer_orders']:.1f} x the peer")

    payload = {
        "benchmark": "hopfield asynchronous recall throughput",
        "command": "python benchmarks/hopfield.py" + (" --quick" if args.quick else ""),
        "workload": {
            "neurons": n,
            "patterns": args.patterns,
            "cues": cues_count,
            "flipped_bits_per_cue": round(args.flip_fraction * n),
            "storage": "hebb, zero diagonal",
            "update": "asynchronous, random permutation per sweep, until a sweep changes nothing",
            "tie_rule": "h >= 0 -> +1 (peer); hebbian with threshold b = -1/(2N), same rule",
            "seed": args.seed,
        },
        "environment": {
            "cpu": cpu_model(),
            "torch_version": torch.__version__,
            "torch_threads": args.threads,
            "peer_threads": 1,
            "python_version": platform.python_version(),
        },
        "peer": peer_result,
        "hebbian": runs,
        "throughput_ratio": ratios,
        "headline": "recall_peer_orders",
        "headline_ratio": ratios["recall_peer_orders"],
        "identical_recall_with_same_orders": identical,
    }
    atomic_write_text(args.output, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
