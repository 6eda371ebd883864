"""Data-parallel deep Hebbian training: 2 gloo processes equal one process with batch 2b."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from hebbian.deep import (
    HebbianBlock,
    HebbianConv2d,
    HebbianNetwork,
    Pooling,
    PoolSpec,
    SoftHebb,
    TrainingMode,
)

LOCAL_BATCH = 4

WORKER = textwrap.dedent(
    """
    import sys
    import torch
    from hebbian import distributed
    from hebbian.deep import TrainingMode

    sys.path.insert(0, {tests!r})
    from test_deep_distributed import network

    rank, world_size = distributed.init_from_environment(backend="gloo")
    images = torch.load(sys.argv[1])
    for mode in TrainingMode:
        net = network()
        net.fit_epoch(
            images, batch_size={batch}, generator=torch.Generator().manual_seed(3), mode=mode,
            rank=rank, world_size=world_size, reduce=distributed.all_reduce_sum,
        )
        torch.save(net.state_dict(), f"{{sys.argv[2]}}.{{mode.value}}.rank{{rank}}.pt")
    distributed.shutdown()
    """
)


def network() -> HebbianNetwork:
    """Two SoftHebb blocks (the workers import this too)."""
    g = torch.Generator().manual_seed(7)
    rule, f64 = SoftHebb(0.5), torch.float64
    first = HebbianConv2d(2, 5, 3, rule, 0.2, padding=1, generator=g, dtype=f64)
    second = HebbianConv2d(5, 6, 3, rule, 0.2, padding=1, generator=g, dtype=f64)
    return HebbianNetwork(
        [
            HebbianBlock(first, power=0.7, pool=PoolSpec(Pooling.MAX, 2, 2, 0)),
            HebbianBlock(second, pool=PoolSpec(Pooling.AVERAGE, 2, 2, 0)),
        ]
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_gloo_processes_match_one_process_with_the_global_batch(tmp_path: Path) -> None:
    images = torch.rand(
        30, 2, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    torch.save(images, tmp_path / "images.pt")
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(batch=LOCAL_BATCH, tests=str(Path(__file__).parent)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node=2", "--nnodes=1",
        "--master-addr=127.0.0.1", f"--master-port={free_port()}",
        str(script), str(tmp_path / "images.pt"), str(tmp_path / "net"),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    start = network().state_dict()
    for mode in TrainingMode:
        single = network()
        single.fit_epoch(
            images,
            batch_size=2 * LOCAL_BATCH,
            generator=torch.Generator().manual_seed(3),
            mode=mode,
        )
        alone = network()  # one process that used only its own batch
        alone.fit_epoch(
            images, batch_size=LOCAL_BATCH, generator=torch.Generator().manual_seed(3), mode=mode
        )
        for rank in (0, 1):
            got = torch.load(tmp_path / f"net.{mode.value}.rank{rank}.pt")
            for name, value in single.state_dict().items():
                torch.testing.assert_close(got[name], value, rtol=1e-12, atol=1e-12)
        weight = "blocks.1.conv.weight"
        assert (single.state_dict()[weight] - start[weight]).abs().max() > 1e-2  # it learned
        assert (alone.state_dict()[weight] - single.state_dict()[weight]).abs().max() > 1e-4
