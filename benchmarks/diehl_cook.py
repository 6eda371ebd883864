"""Training speed of the Diehl & Cook (2015) network: ``hebbian`` against BindsNET and Brian2.

Workload (issue #14, "Speed", item 1): unsupervised STDP training of the Diehl & Cook
network, 784 Poisson inputs onto N excitatory neurons (N = 100 and 400) with as many
inhibitory neurons, one image at a time, measured in training images per wall second.
The target: ``hebbian`` at least 50 times BindsNET's images per second at both sizes,
its accuracy reported beside it.

BindsNET's settings (PyPI ``bindsnet`` 0.3.4, read in its installed
``bindsnet/models/models.py``, ``DiehlAndCook2015`` and ``network/nodes.py``,
``DiehlAndCookNodes``, and in ``examples/mnist/eth_mnist.py`` of its repository, which
the wheel does not ship):

* eth_mnist's arguments: ``time`` 250 (ms of input per image), ``dt`` 1.0 ms (so 250
  steps an image), ``intensity`` 128 (a pixel of 1 fires at 128 Hz, Poisson encoded by
  ``PoissonEncoder``), ``exc`` 22.5, ``inh`` 120 (the model's own default is 17.5),
  ``theta_plus`` 0.05, ``norm`` 78.4, ``n_neurons`` 100 (``--n_neurons 400`` for the paper's size);
  ``torch.set_num_threads(os.cpu_count() - 1)``, which is 1 on this 2-core machine;
* the model: current-based neurons (an input spike adds its weight to ``v`` at once; no
  conductances); excitatory rest -65, reset -60, threshold -52 + theta mV, refractory
  5 ms, tau 100 ms, theta decaying with tau 1e7 ms; inhibitory rest -60, reset -45,
  threshold -40, refractory 2 ms, tau 10 ms; ``exc`` on the one-to-one
  excitatory-to-inhibitory weights, ``-inh`` on the all-but-self inhibitory-to-excitatory
  ones; input weights initially uniform in [0, 0.3], bounded to [0, 1], learned by
  pair-based ``PostPre`` (nu 1e-4 on an input spike, times the excitatory trace; 1e-2 on
  an excitatory spike, times the input trace; traces set to 1 on a spike, tau 20 ms) and
  renormalised to column sums 78.4 after every image;
* ``DiehlAndCookNodes(one_spike=True)``: at most one excitatory spike per step (drawn at
  random among the neurons over threshold); every neuron over threshold is reset, made
  refractory and gets ``theta_plus``, only the drawn one spikes;
* between images no rest period: ``network.reset_state_variables()`` puts voltages back
  to rest and zeroes traces and refractory counters; theta and weights are kept;
* what differs from the paper (Diehl & Cook 2015): the paper's neurons are
  conductance-based, each image is shown for 350 ms then 150 ms of rest at dt 0.5 ms,
  pixels fire at up to 63.75 Hz with the intensity raised until 5 spikes occur, the
  rule is post-synaptic only with a target trace, and spikes are not limited to one a
  step. BindsNET's example runs its own defaults above, and so does this benchmark.

Making the simulators do the same work:

* the same images: the first ``warmup + images`` training images of Fashion-MNIST
  (``hebbian.data.load_dataset("fashion-mnist", download=False)``; if absent,
  scikit-learn's 8x8 digits upscaled bilinearly to 28x28), written to a ``.npy`` file
  that each peer reads; each simulator draws its own Poisson spikes from them;
* the same network size, presentation time (250 ms), time step (1 ms), intensity
  (128 Hz), reset between images and no rest; the first ``warmup`` images are trained
  on untimed, the next ``images`` timed, encoding included (eth_mnist encodes inside
  its training loop), plotting and label assignment excluded;
* one thread everywhere (``OMP_NUM_THREADS``, ``torch.set_num_threads``), by default.

Peers, each in its own virtual environment and run in a subprocess (``benchmarks/peers``):

* BindsNET, ``peers/bindsnet_diehl_cook.py``: ``DiehlAndCook2015`` built with
  eth_mnist's arguments, trained as eth_mnist trains, recording only the excitatory
  spikes (``--monitors example`` attaches eth_mnist's full set of monitors);
* Brian2, ``peers/brian2_diehl_cook.py``: the paper's conductance-based equations written
  for this benchmark (Brian2's example ``examples/frompapers/Diehl_Cook_2015.py`` is not
  in the PyPI package and is not copied), with BindsNET's rule and schedule (250 ms,
  dt 1 ms, no rest, reset), ``numpy`` code-generation target by default, 100 neurons and
  10 images by default; not the same model as BindsNET's (conductances, no one-spike
  limit), so its spike counts differ and it is a reference, not the target's baseline.

Wall and CPU seconds are both recorded (the machine may be shared; CPU time is the
steadier under load), with the load average before and after each timed loop. With
``--repeats R`` each size runs ours and BindsNET in turn R times, and the verdict takes
the ratio of the two medians (a machine's speed can move by a fifth from one process to
the next, which one run cannot tell from a real difference).

Run::

    python3 -m venv /tmp/bindsnet-venv
    /tmp/bindsnet-venv/bin/pip install torch==2.13.0        # the CPU wheel, first
    /tmp/bindsnet-venv/bin/pip install --no-deps bindsnet==0.3.4 torchvision==0.28.0
    /tmp/bindsnet-venv/bin/pip install 'numpy>=2,<3' scipy matplotlib 'pandas>=3,<4'
    /tmp/bindsnet-venv/bin/pip install scikit-learn tqdm opencv-python-headless \
        'gymnasium>=1,<2' 'ale-py<1' tensorboardX
    python3 -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install brian2 'numpy<2.4'
    .venv/bin/python benchmarks/diehl_cook.py                 # about two minutes
    .venv/bin/python benchmarks/diehl_cook.py --quick         # 10 images, under a minute
    .venv/bin/python benchmarks/diehl_cook.py --images 200 --repeats 3  # docs/RESULTS.md's

It prints a table and writes ``benchmarks/results/diehl_cook.json`` (atomically).
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

from hebbian.runs import atomic_write_text

HERE = Path(__file__).resolve().parent
DEFAULT_PEER_PYTHON = "/tmp/bindsnet-venv/bin/python"
DEFAULT_BRIAN_PYTHON = "/tmp/peer-venv/bin/python"
DEFAULT_OUTPUT = HERE / "results" / "diehl_cook.json"
BINDSNET_HINT = (
    "python3 -m venv /tmp/bindsnet-venv && /tmp/bindsnet-venv/bin/pip install torch==2.13.0"
    " && /tmp/bindsnet-venv/bin/pip install --no-deps bindsnet==0.3.4 torchvision==0.28.0"
    " (and its other dependencies; see this script's docstring)"
)
BRIAN_HINT = "python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install brian2 'numpy<2.4'"

# BindsNET's eth_mnist defaults, shared by every simulator here.
PRESENTATION_S = 0.25
DT_S = 1e-3
INTENSITY_HZ = 128.0
TARGET_RATIO = 50.0


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def load_images(count: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first ``count`` training images, ``(count, 784)`` float32 in [0, 1], and labels.

    Fashion-MNIST where its files are on disk (no download), else scikit-learn's 8x8
    digits upscaled bilinearly to 28x28. Every simulator in this benchmark trains on
    these images, in this order; ``_ours`` should call this too.
    """
    from hebbian.data import DatasetNotFoundError, load_dataset

    try:
        data = load_dataset("fashion-mnist", download=False)
        images, source = data.images[:count], "fashion-mnist (train, first images)"
    except DatasetNotFoundError:
        data = load_dataset("digits")
        small = data.images[:count].unsqueeze(1)
        images = torch.nn.functional.interpolate(
            small, size=(28, 28), mode="bilinear", align_corners=False
        ).squeeze(1)
        images = images.clamp(0.0, 1.0)
        source = "digits (scikit-learn 8x8, upscaled bilinearly to 28x28)"
    if images.shape[0] < count:
        raise ValueError(f"only {images.shape[0]} images available, {count} needed")
    return images.reshape(count, 784).float(), data.labels[:count], source


def _ours(size: int, images: int, threads: int, presentation_s: float, dt_s: float) -> dict:
    """Train ``hebbian``'s Diehl & Cook network on ``images`` images and time it.

    The network of :mod:`hebbian.spiking.diehl_cook` (conductance-based, as in the
    paper; on the CPU its Numba-compiled step loop) on the peers' schedule:
    ``presentation_s`` of input per image at ``dt_s``, ``INTENSITY_HZ`` for a pixel of 1,
    state reset between images, no rest and no repetition (as BindsNET), one image at a
    time (the paper's protocol; the timed images are passed as one sequence, which the
    compiled kernel trains on in one call), ``threads`` torch threads. One untimed image
    first compiles (or loads) the kernel.
    """
    from hebbian.spiking.diehl_cook import DiehlCookParameters, diehl_cook_state, diehl_cook_train

    torch.set_num_threads(threads)
    params = DiehlCookParameters(
        n_excitatory=size,
        presentation=presentation_s,
        rest=0.0,
        dt=dt_s,
        max_rate=INTENSITY_HZ,
        reset=True,
        min_spikes=0,
    )
    data, _, _ = load_images(images + 1)
    state = diehl_cook_state(params, [0])
    state, _ = diehl_cook_train(state, data[:1].view(1, 1, 784), params)
    timed = data[1 : images + 1].view(images, 1, 1, 784)  # one sequence: the images in turn
    load_before, cpu, wall = _load(), time.process_time(), time.perf_counter()
    state, shown = diehl_cook_train(state, timed, params)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    spikes = int(shown.counts.sum())
    return {
        "model": "conductance-based LIF, nearest-spike triplet STDP (the paper's)",
        "images_per_s": images / wall,
        "images_per_cpu_s": images / cpu,
        "images": images,
        "train_wall_s": wall,
        "exc_spikes_per_image": spikes / images,
        "load_before": load_before,
        "load_after": _load(),
        "accuracy": "not measured here: see docs/RESULTS.md (diehl-cook-fashion)",
    }


def run_ours(size: int, images: int, threads: int) -> dict[str, Any]:
    """Run :func:`_ours`; a failure becomes an ``error`` entry, not a traceback."""
    try:
        result = dict(_ours(size, images, threads, PRESENTATION_S, DT_S))
    except Exception as error:  # reported in the JSON instead of a traceback
        return {
            "simulator": "hebbian",
            "n_neurons": size,
            "error": f"{type(error).__name__}: {error}",
        }
    result.setdefault("simulator", "hebbian")
    result.setdefault("n_neurons", size)
    return result


def run_peer(
    simulator: str, python: str, script: Path, config: dict[str, Any], threads: int, timeout: float
) -> dict[str, Any]:
    """Run one peer script in its own interpreter; never raises."""
    base = {"simulator": simulator, "n_neurons": config["n_neurons"]}
    if not Path(python).exists():
        hint = BINDSNET_HINT if simulator == "bindsnet" else BRIAN_HINT
        return {**base, "error": f"peer interpreter {python} not found; install with: {hint}"}
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="diehl-cook-peer-") as folder:
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
            return {**base, "error": f"timed out ({timeout:g} s)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {**base, "error": " | ".join(tail) or f"exit status {done.returncode}"}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["process_wall_s"] = time.perf_counter() - t0
    return result


def _row(result: dict[str, Any]) -> str:
    name = result["simulator"] + (f" {result['target']}" if "target" in result else "")
    head = f"{result['n_neurons']:5d}  {name:16s}"
    if "error" in result:
        return f"{head} unavailable: {result['error']}"
    accuracy = result.get("accuracy")
    accuracy_text = f"{accuracy:8.4f}" if isinstance(accuracy, float) else "       -"
    return (
        f"{head} {result['images']:6d} {result['images_per_s']:10.2f} "
        f"{result['images_per_cpu_s']:10.2f} {result['exc_spikes_per_image']:9.1f} "
        f"{accuracy_text}   {result['load_before'][0]:.2f}/{result['load_after'][0]:.2f}"
    )


def _summary(
    size: int, ours: list[dict[str, Any]], bindsnet: list[dict[str, Any]]
) -> dict[str, Any]:
    """The verdict of one size from its repeats (ours and BindsNET's, run in turn).

    The ratio is that of the two medians; each repeat's own ratio is listed beside it.
    """
    entry: dict[str, Any] = {"n_neurons": size, "target_ratio": TARGET_RATIO}
    failed = [r["simulator"] for r in (*ours, *bindsnet) if "error" in r]
    if failed:
        entry.update(ratio_ours_to_bindsnet=None, target_met=None, missing=sorted(set(failed)))
        return entry

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    ratio = median(ours, "images_per_s") / median(bindsnet, "images_per_s")
    entry.update(
        repeats=len(ours),
        ours_median_images_per_s=median(ours, "images_per_s"),
        bindsnet_median_images_per_s=median(bindsnet, "images_per_s"),
        ratio_ours_to_bindsnet=ratio,
        ratio_ours_to_bindsnet_cpu=median(ours, "images_per_cpu_s")
        / median(bindsnet, "images_per_cpu_s"),
        ratio_each_repeat=[
            a["images_per_s"] / b["images_per_s"] for a, b in zip(ours, bindsnet, strict=True)
        ],
        target_met=ratio >= TARGET_RATIO,
        accuracy_ours=ours[0].get("accuracy"),
    )
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--images", type=int, default=None, help="timed images (default 50)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed images (default 3)")
    parser.add_argument("--quick", action="store_true", help="10 timed images, 2 warm-up")
    parser.add_argument("--threads", type=int, default=1, help="threads for every simulator")
    parser.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON, help="BindsNET's python")
    parser.add_argument("--brian-python", default=DEFAULT_BRIAN_PYTHON, help="Brian2's python")
    parser.add_argument(
        "--brian-sizes", type=int, nargs="*", default=[100], help="sizes Brian2 runs (none: skip)"
    )
    parser.add_argument("--brian-images", type=int, default=10, help="Brian2's timed images")
    parser.add_argument("--brian-target", default="numpy", choices=("numpy", "cython"))
    parser.add_argument(
        "--monitors",
        default="spikes",
        choices=("spikes", "example"),
        help="BindsNET's monitors: excitatory spikes only, or eth_mnist's full set",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of ours and BindsNET, in turn, per size"
    )
    parser.add_argument("--peer-timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    images = args.images or (10 if args.quick else 50)
    warmup = args.warmup if args.warmup is not None else (2 if args.quick else 3)
    brian_images = min(args.brian_images, images) if args.quick else args.brian_images
    if min(images, args.threads, args.repeats, *args.sizes) < 1 or warmup < 0:
        parser.error(
            "--images, --threads, --repeats and --sizes must be positive, --warmup not negative"
        )
    torch.set_num_threads(args.threads)

    count = warmup + max(images, brian_images)
    pixels, _labels, source = load_images(count)
    print(
        f"Diehl & Cook network, 784 inputs, {PRESENTATION_S * 1e3:g} ms per image at dt "
        f"{DT_S * 1e3:g} ms, {INTENSITY_HZ:g} Hz intensity, {images} timed images after "
        f"{warmup} warm-up, {source}; {args.threads} thread(s); load average {_load()}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="diehl-cook-") as folder:
        images_path = Path(folder) / "images.npy"
        np.save(images_path, pixels.numpy())
        common = {
            "images_path": str(images_path),
            "warmup": warmup,
            "time": PRESENTATION_S * 1e3,
            "dt": DT_S * 1e3,
            "intensity": INTENSITY_HZ,
            "seed": args.seed,
        }
        for size in args.sizes:
            bindsnet_config = {
                **common,
                "time": round(PRESENTATION_S * 1e3),
                "n_neurons": size,
                "images": images,
                "threads": args.threads,
                "monitors": args.monitors,
            }
            ours_runs, bindsnet_runs = [], []
            for repeat in range(args.repeats):  # in turn, so that both see the same load
                ours = {**run_ours(size, images, args.threads), "repeat": repeat}
                bindsnet = run_peer(
                    "bindsnet",
                    args.peer_python,
                    HERE / "peers" / "bindsnet_diehl_cook.py",
                    bindsnet_config,
                    args.threads,
                    args.peer_timeout,
                )
                bindsnet["repeat"] = repeat
                for result in (ours, bindsnet):
                    results.append(result)
                    print(_row(result), flush=True)
                ours_runs.append(ours)
                bindsnet_runs.append(bindsnet)
            if size in (args.brian_sizes or []):
                brian_config = {
                    **common,
                    "n_neurons": size,
                    "images": brian_images,
                    "target": args.brian_target,
                }
                brian = run_peer(
                    "brian2",
                    args.brian_python,
                    HERE / "peers" / "brian2_diehl_cook.py",
                    brian_config,
                    args.threads,
                    args.peer_timeout,
                )
                results.append(brian)
                print(_row(brian), flush=True)
            summary.append(_summary(size, ours_runs, bindsnet_runs))

    header = (
        f"{'size':>5s}  {'simulator':16s} {'images':>6s} {'images/s':>10s} {'img/cpu-s':>10s} "
        f"{'spk/img':>9s} {'accuracy':>8s}   load 1-min before/after"
    )
    print("\n" + header)
    for result in results:
        print(_row(result))
    print()
    for entry in summary:
        ratio = entry["ratio_ours_to_bindsnet"]
        verdict = (
            "not measured (" + ", ".join(entry["missing"]) + " missing)"
            if ratio is None
            else f"{ratio:.1f}x BindsNET (ratio of the medians of {entry['repeats']} runs; "
            + "each: "
            + ", ".join(f"{r:.1f}x" for r in entry["ratio_each_repeat"])
            + f"): target {TARGET_RATIO:g}x "
            + ("met" if entry["target_met"] else "not met")
        )
        print(f"{entry['n_neurons']:5d} neurons: hebbian {verdict}")
    payload = {
        "benchmark": "diehl_cook (Diehl & Cook 2015 network, unsupervised training speed)",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "presentation_s": PRESENTATION_S,
        "dt_s": DT_S,
        "intensity_hz": INTENSITY_HZ,
        "rest_s": 0.0,
        "reset_between_images": True,
        "images": images,
        "warmup_images": warmup,
        "brian_images": brian_images,
        "repeats": args.repeats,
        "data": source,
        "threads": args.threads,
        "torch_version": torch.__version__,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "results": results,
        "summary": summary,
    }
    atomic_write_text(args.output, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
