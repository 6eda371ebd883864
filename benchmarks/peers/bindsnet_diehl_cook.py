"""Peer runner: BindsNET's ``DiehlAndCook2015`` trained unsupervised, timed per image.

Run by ``benchmarks/diehl_cook.py`` with the interpreter of a virtual environment that
has ``bindsnet`` (never with the project's own): ``python bindsnet_diehl_cook.py CONFIG``
where ``CONFIG`` is a JSON object (see :data:`DEFAULTS`). It prints one line
``RESULT {...}`` (JSON) on standard output and nothing else on that stream.

What it does is what BindsNET's ``examples/mnist/eth_mnist.py`` does per training image,
without plotting and without the periodic label assignment (bookkeeping, not
simulation): encode the image with ``bindsnet.encoding.PoissonEncoder(time, dt)`` at
``pixel * intensity`` Hz, ``network.run(inputs={"X": ...}, time=time)``, then
``network.reset_state_variables()``. The network is
``DiehlAndCook2015(n_inpt=784, n_neurons=N, exc=22.5, inh=120, dt=1.0, norm=78.4,
theta_plus=0.05, inpt_shape=(1, 28, 28))``, eth_mnist's arguments. Monitors: by default
only the excitatory spikes (``Ae``, ``s``), which the example's label assignment needs;
``"monitors": "example"`` attaches the example's full set (spikes of ``X``, ``Ae``,
``Ai`` and voltages of ``Ae``, ``Ai`` twice over).

The images come from a ``.npy`` file of float32 pixels in [0, 1], shape ``(N, 784)``,
written by the caller, so that every simulator sees the same images. The first
``warmup`` of them are trained on untimed; the next ``images`` are timed (encoding
included, as in eth_mnist, where the data loader encodes inside the training loop).

Torch 2.13 and bindsnet 0.3.4 (which pins torch >= 2.14) are paired by installing
bindsnet with ``--no-deps``; PyPI's torchvision wheels link CUDA libraries, so on a CPU
torch their C extension does not load and torchvision fails to import. BindsNET imports
torchvision for its data sets only; when the extension is missing, this script declares
the two operator schemas that torchvision's import registers fake kernels for
(``nms``, ``qnms``) so that the import succeeds. No torchvision operator is called.
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
    "images": 20,
    "time": 250,  # ms per image (eth_mnist --time)
    "dt": 1.0,  # ms (eth_mnist --dt)
    "intensity": 128.0,  # Hz for a pixel of 1 (eth_mnist --intensity)
    "exc": 22.5,
    "inh": 120.0,
    "theta_plus": 0.05,
    "norm": 78.4,
    "threads": 1,
    "seed": 0,
    "monitors": "spikes",  # or "example"
}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _torchvision_shim(torch: Any) -> bool:
    """Declare torchvision's fake-kernel operators when its C extension cannot load."""
    import importlib.util

    spec = importlib.util.find_spec("torchvision")
    if spec is None:
        return False
    try:
        torch.ops.load_library(os.path.join(os.path.dirname(spec.origin or ""), "_C.so"))
        return False
    except (OSError, RuntimeError):
        pass
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _torchvision_shim.library = library  # type: ignore[attr-defined]  # keep it alive
    return True


def main() -> None:
    cfg = {**DEFAULTS, **json.loads(sys.argv[1])}
    import numpy as np
    import torch

    torch.set_num_threads(int(cfg["threads"]))
    shimmed = _torchvision_shim(torch)
    import bindsnet
    from bindsnet.encoding import PoissonEncoder
    from bindsnet.models import DiehlAndCook2015
    from bindsnet.network.monitors import Monitor

    torch.manual_seed(int(cfg["seed"]))
    pixels = np.load(cfg["images_path"]).astype(np.float32)
    total = int(cfg["warmup"]) + int(cfg["images"])
    if pixels.shape[0] < total or pixels.shape[1] != 784:
        raise SystemExit(f"need ({total}, 784) images, got {pixels.shape}")
    data = torch.from_numpy(pixels[:total])

    run_time, dt = int(cfg["time"]), float(cfg["dt"])
    steps = int(run_time / dt)
    network = DiehlAndCook2015(
        n_inpt=784,
        n_neurons=int(cfg["n_neurons"]),
        exc=float(cfg["exc"]),
        inh=float(cfg["inh"]),
        dt=dt,
        norm=float(cfg["norm"]),
        theta_plus=float(cfg["theta_plus"]),
        inpt_shape=(1, 28, 28),
    )
    spikes = Monitor(network.layers["Ae"], state_vars=["s"], time=steps)
    network.add_monitor(spikes, name="Ae_spikes")
    if cfg["monitors"] == "example":
        for name, layer in (("exc_voltage", "Ae"), ("inh_voltage", "Ai")):
            network.add_monitor(Monitor(network.layers[layer], ["v"], time=steps), name=name)
        for layer in ("X", "Ai"):
            monitor = Monitor(network.layers[layer], state_vars=["s"], time=steps)
            network.add_monitor(monitor, name=f"{layer}_spikes")
        for layer in ("Ae", "Ai"):
            monitor = Monitor(network.layers[layer], state_vars=["v"], time=steps)
            network.add_monitor(monitor, name=f"{layer}_voltages")
    encoder = PoissonEncoder(time=run_time, dt=dt)

    def train_one(image: torch.Tensor) -> tuple[int, float]:
        t0 = time.perf_counter()
        encoded = encoder(image.view(1, 28, 28) * float(cfg["intensity"]))
        encode_s = time.perf_counter() - t0
        network.run(inputs={"X": encoded.view(steps, 1, 1, 28, 28)}, time=run_time)
        count = int(spikes.get("s").sum().item())
        network.reset_state_variables()
        return count, encode_s

    for index in range(int(cfg["warmup"])):
        train_one(data[index])

    load_before = _load()
    counts: list[int] = []
    encode_total = 0.0
    cpu0, t0 = time.process_time(), time.perf_counter()
    for index in range(int(cfg["warmup"]), total):
        count, encode_s = train_one(data[index])
        counts.append(count)
        encode_total += encode_s
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load_after = _load()

    theta = network.layers["Ae"].theta
    result = {
        "simulator": "bindsnet",
        "bindsnet_version": getattr(bindsnet, "__version__", None) or _dist_version("bindsnet"),
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "torchvision_shim": shimmed,
        "torch_threads": torch.get_num_threads(),
        "n_neurons": int(cfg["n_neurons"]),
        "time_ms": run_time,
        "dt_ms": dt,
        "steps_per_image": steps,
        "intensity_hz": float(cfg["intensity"]),
        "exc": float(cfg["exc"]),
        "inh": float(cfg["inh"]),
        "theta_plus": float(cfg["theta_plus"]),
        "norm": float(cfg["norm"]),
        "monitors": cfg["monitors"],
        "warmup_images": int(cfg["warmup"]),
        "images": int(cfg["images"]),
        "train_wall_s": wall,
        "train_cpu_s": cpu,
        "encode_wall_s": encode_total,
        "images_per_s": int(cfg["images"]) / wall,
        "images_per_cpu_s": int(cfg["images"]) / cpu,
        "exc_spikes_per_image": sum(counts) / len(counts),
        "theta_mean_mv": float(theta.mean()),
        "load_before": load_before,
        "load_after": load_after,
    }
    print("RESULT " + json.dumps(result), flush=True)


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
