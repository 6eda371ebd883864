"""Speed of Krotov & Hopfield's unsupervised rule: hebbian against NumPy and the matmul roofline.

One epoch over Fashion-MNIST's 60,000 training images with 2000 hidden units, p = 3,
k = 7, Delta = 0.4 and batches of 100, timed side by side in the same run as

(a) a plain NumPy transcription of the published per-batch algorithm: float64, the
    p-norm currents as one product, a full ``argsort`` ranking of every sample's
    currents, the dense Hebbian product ``g @ v`` and the dense update of all ``H x N``
    weights;
(b) the roofline: the matrix products one epoch needs, ``(100 x 784) @ (784 x 2000)``
    for the currents of each of the 600 batches, run back to back by ``torch.mm`` in
    float32 (hebbian's dtype). The rule needs no other full-size product: the Hebbian
    term has two non-zero entries per sample, so hebbian computes it row by row.

The three measurements are interleaved over several rounds (so a busy shared machine
slows them alike) and the median of each is kept. NumPy is too slow for a full epoch
at every round: it runs a fixed number of batches and its epoch time is extrapolated
linearly (the batches cost the same); the report says so. Before timing, one batch of
each implementation is run from the same float64 weights and compared.

Targets: hebbian at least 10 times faster than (a) and at least 50% of (b), i.e. an
epoch in at most twice the roofline time.

Usage::

    nice -n 10 .venv/bin/python benchmarks/competing.py           # full: ~15 s here
    nice -n 10 .venv/bin/python benchmarks/competing.py --quick   # a subset, ~5 s

On a machine busy with other work, two threads stall in the thread pool on the many
small per-batch operations (hebbian slows far more than the big products do); pass
``--threads 1`` there, and compare runs made with the same setting.

With ``--device cuda`` hebbian and the roofline run on the GPU (the NumPy transcription
stays on the CPU, as a reference), and one batch of hebbian on the GPU is compared with
the same batch on the CPU.

It prints a table and writes ``benchmarks/results/competing.json`` (``--quick``:
``competing-quick.json``; on a GPU ``competing-cuda.json`` and ``competing-cuda-quick.json``)
atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from hebbian.competing import CompetingParams, competing_epoch, initial_weights, power_weights
from hebbian.data import DatasetNotFoundError, load_dataset
from hebbian.experiments.base import resolve_device
from hebbian.runs import atomic_write_text

RESULTS = Path(__file__).parent / "results"


def numpy_published_batch(
    weight: np.ndarray, inputs: np.ndarray, p: float, k: int, delta: float, rate: float,
    precision: float = 1e-30,
) -> np.ndarray:  # fmt: skip
    """One batch of the published algorithm, transcribed plainly (float64, full sort).

    ``weight`` is (H, N), ``inputs`` is (N, B) (samples in columns, as in the paper).
    """
    powered = np.sign(weight) * np.abs(weight) ** (p - 1)  # (H, N)
    currents = powered @ inputs  # (H, B)
    ranking = np.argsort(currents, axis=0)  # (H, B), ascending: full sort of each sample
    columns = np.arange(inputs.shape[1])
    g = np.zeros_like(currents)
    g[ranking[-1], columns] = 1.0  # strongest unit
    g[ranking[-k], columns] = -delta  # k-th strongest unit
    decay = np.sum(g * currents, axis=1)  # (H,)
    dw = g @ inputs.T - decay[:, None] * weight  # (H, N), dense
    peak = max(np.abs(dw).max(), precision)
    return weight + rate * dw / peak


def load_images(quick: bool) -> tuple[torch.Tensor, str]:
    """Fashion-MNIST's training images (N, 784) float32, or random stand-ins of that shape."""
    try:
        return load_dataset("fashion-mnist", "train").flat.contiguous(), "fashion-mnist"
    except DatasetNotFoundError:
        if not quick:
            raise
        g = torch.Generator().manual_seed(0)
        return torch.rand(60000, 784, generator=g), "uniform random stand-in (no Fashion-MNIST)"


def check_agreement(data: torch.Tensor, params: CompetingParams) -> float:
    """Largest |difference| between one batch of hebbian and of the NumPy transcription."""
    g = torch.Generator().manual_seed(1)
    weight = initial_weights(params.hidden_units, data.shape[1], params, g, dtype=torch.float64)
    batch = data[: params.batch_size].double()
    ours = competing_epoch(weight, batch, params, 0, torch.Generator())
    theirs = numpy_published_batch(
        weight.numpy(), batch.numpy().T, params.p, params.k, params.delta, params.learning_rate
    )
    return float(np.abs(ours.numpy() - theirs).max())


def check_device_agreement(
    data: torch.Tensor, params: CompetingParams, device: torch.device
) -> float:
    """Largest |difference| between one float64 batch of hebbian on ``device`` and on the CPU."""
    g = torch.Generator().manual_seed(1)
    weight = initial_weights(params.hidden_units, data.shape[1], params, g, dtype=torch.float64)
    batch = data[: params.batch_size].double().cpu()
    on_cpu = competing_epoch(weight, batch, params, 0, torch.Generator())
    there = competing_epoch(weight.to(device), batch.to(device), params, 0, torch.Generator())
    return float((there.cpu() - on_cpu).abs().max())


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_hebbian(data: torch.Tensor, params: CompetingParams, weight: torch.Tensor) -> float:
    g = torch.Generator().manual_seed(2)
    _synchronize(data.device)
    start = time.perf_counter()
    competing_epoch(weight, data, params, 0, g)
    _synchronize(data.device)
    return time.perf_counter() - start


def time_numpy(
    data: np.ndarray, params: CompetingParams, weight: np.ndarray, batches: int
) -> float:
    """Seconds for ``batches`` batches of the NumPy transcription (inputs as (N, B) columns)."""
    b = params.batch_size
    rng = np.random.default_rng(3)
    order = rng.permutation(data.shape[0])
    start = time.perf_counter()
    for i in range(batches):
        inputs = data[order[i * b : (i + 1) * b]].T  # (N, B)
        weight = numpy_published_batch(
            weight, inputs, params.p, params.k, params.delta, params.learning_rate
        )
    return time.perf_counter() - start


def time_roofline(data: torch.Tensor, powered: torch.Tensor, batches: int, b: int) -> float:
    """Seconds for the currents products of ``batches`` batches, back to back."""
    out = torch.empty(b, powered.shape[0], device=powered.device)
    _synchronize(powered.device)
    start = time.perf_counter()
    for i in range(batches):
        torch.mm(data[i * b : (i + 1) * b], powered.T, out=out)  # (b, N) @ (N, H)
    _synchronize(powered.device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6,000 images, 1 round")
    parser.add_argument("--rounds", type=int, default=None, help="default: 3 (quick: 1)")
    parser.add_argument("--numpy-batches", type=int, default=None, help="default: 30 (quick: 5)")
    parser.add_argument("--hidden", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda: hebbian's device")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's); 1 avoids thread-pool stalls on a busy machine",
    )
    args = parser.parse_args()
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 3)
    numpy_batches = args.numpy_batches or (5 if args.quick else 30)
    stem = "competing" + ("-cuda" if device.type == "cuda" else "")
    out = args.out or RESULTS / (f"{stem}-quick.json" if args.quick else f"{stem}.json")

    images, source = load_images(args.quick)
    if args.quick:
        images = images[:6000].contiguous()
    params = CompetingParams(hidden_units=args.hidden, batch_size=args.batch, epochs=1)
    batches = images.shape[0] // args.batch
    numpy_batches = min(numpy_batches, batches)
    gflop = 2 * args.hidden * images.shape[1] * args.batch * batches / 1e9  # currents only

    difference = check_agreement(images, params)
    device_difference = (
        check_device_agreement(images, params, device) if device.type != "cpu" else None
    )
    weight = initial_weights(args.hidden, images.shape[1], params, torch.Generator().manual_seed(0))
    images_np = images.double().numpy()
    weight_np = weight.double().numpy()
    images, weight = images.to(device), weight.to(device)
    powered = power_weights(weight, params.p).contiguous()
    time_roofline(images, powered, 20, args.batch)  # warm up MKL (or the GPU)
    times: dict[str, list[float]] = {"hebbian": [], "numpy": [], "roofline": []}
    for _ in range(rounds):
        times["roofline"].append(time_roofline(images, powered, batches, args.batch))
        times["hebbian"].append(time_hebbian(images, params, weight))
        numpy_seconds = time_numpy(images_np, params, weight_np.copy(), numpy_batches)
        times["numpy"].append(numpy_seconds * batches / numpy_batches)
    median = {name: statistics.median(values) for name, values in times.items()}
    speedup = median["numpy"] / median["hebbian"]
    fraction = median["roofline"] / median["hebbian"]
    results = {
        "benchmark": "one unsupervised epoch of Krotov & Hopfield's rule",
        "command": "benchmarks/competing.py"
        + (" --quick" if args.quick else "")
        + (f" --threads {args.threads}" if args.threads is not None else "")
        + (f" --device {args.device}" if device.type != "cpu" else ""),
        "data": f"{source}: {images.shape[0]} images of {images.shape[1]} pixels",
        "settings": {
            "hidden_units": args.hidden,
            "batch_size": args.batch,
            "p": params.p,
            "k": params.k,
            "delta": params.delta,
            "batches_per_epoch": batches,
        },
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "device": str(device),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "numpy": np.__version__,
            "load_average_1min": os.getloadavg()[0],
        },
        "rounds": rounds,
        "seconds_per_epoch_each_round": times,
        "seconds_per_epoch": median,
        "numpy_note": (
            f"NumPy timed on {numpy_batches} of {batches} batches per round and "
            "extrapolated linearly to the epoch"
        ),
        "roofline_gflop_per_epoch": gflop,
        "roofline_gflop_per_second": gflop / median["roofline"],
        "hebbian_gflop_per_second": gflop / median["hebbian"],
        "speedup_vs_numpy": speedup,
        "fraction_of_roofline": fraction,
        "targets": {"speedup_vs_numpy": 10.0, "fraction_of_roofline": 0.5},
        "targets_met": {
            "speedup_vs_numpy": speedup >= 10,
            "fraction_of_roofline": fraction >= 0.5,
        },
        "one_batch_max_abs_difference_vs_numpy_float64": difference,
        "one_batch_max_abs_difference_device_vs_cpu_float64": device_difference,
    }
    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    print(
        f"one epoch, {results['data']}, H = {args.hidden}, batch {args.batch}, "
        f"{rounds} round(s), median seconds:"
    )
    print(f"{'implementation':<50}{'s/epoch':>10}{'GFLOP/s':>10}{'vs hebbian':>12}")
    rows = (
        (f"hebbian (torch float32, top-k, row-sparse, {device.type})", median["hebbian"]),
        (f"(a) NumPy float64, argsort (x{batches}/{numpy_batches})", median["numpy"]),
        ("(b) roofline: the currents products (torch.mm)", median["roofline"]),
    )
    for name, seconds in rows:
        ratio = seconds / median["hebbian"]
        print(f"{name:<50}{seconds:>10.3f}{gflop / seconds:>10.1f}{ratio:>12.2f}")
    print(
        f"speed-up over NumPy: {speedup:.1f}x (target >= 10); fraction of roofline: "
        f"{fraction:.0%} (target >= 50%); one-batch difference vs NumPy: {difference:.1e}"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
