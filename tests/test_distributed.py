"""Data-parallel competing hidden units: 2 gloo processes equal one process with batch 2b."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from hebbian import distributed
from hebbian.competing import (
    CompetingParams,
    Homeostasis,
    competing_epoch,
    competing_epoch_outcome,
    fit_competing,
    initial_weights,
)

SEED = 3
LOCAL_BATCH = 10
SETTINGS = {"hidden_units": 12, "p": 3.0, "k": 3, "delta": 0.4, "learning_rate": 0.05, "epochs": 4}

WORKER = textwrap.dedent(
    """
    import dataclasses
    import sys
    import torch
    from hebbian import distributed
    from hebbian.competing import CompetingParams, Homeostasis, competing_epoch_outcome

    rank, world_size = distributed.init_from_environment(backend="gloo")
    data = torch.load(sys.argv[1])
    params = CompetingParams(batch_size={batch}, **{settings})
    generator = torch.Generator().manual_seed({seed})
    weight = distributed.fit_competing_distributed(data, params, generator)
    torch.save(weight, f"{{sys.argv[2]}}.rank{{rank}}-of-{{world_size}}.pt")
    outcome = competing_epoch_outcome(
        weight, data, params, 1, torch.Generator().manual_seed(1),
        rank=rank, world_size=world_size, reduce=distributed.all_reduce_sum,
    )
    torch.save(outcome.wins, f"{{sys.argv[2]}}.wins.rank{{rank}}.pt")
    homeostatic = dataclasses.replace(params, homeostasis=Homeostasis.THRESHOLD)
    weight = distributed.fit_competing_distributed(
        data, homeostatic, torch.Generator().manual_seed({seed})
    )
    torch.save(weight, f"{{sys.argv[2]}}.threshold.rank{{rank}}.pt")
    distributed.shutdown()
    """
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthetic_data() -> torch.Tensor:
    """Symmetric float64 data: every unit wins some samples; float64 keeps the ranking stable."""
    g = torch.Generator().manual_seed(0)
    return torch.randn(200, 9, generator=g, dtype=torch.float64)


def test_two_gloo_processes_match_one_process_with_the_global_batch(tmp_path: Path) -> None:
    data = synthetic_data()
    torch.save(data, tmp_path / "data.pt")
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(batch=LOCAL_BATCH, settings=SETTINGS, seed=SEED))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node=2", "--nnodes=1",
        "--master-addr=127.0.0.1", f"--master-port={free_port()}",
        str(script), str(tmp_path / "data.pt"), str(tmp_path / "weight"),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0 = torch.load(tmp_path / "weight.rank0-of-2.pt")
    rank1 = torch.load(tmp_path / "weight.rank1-of-2.pt")
    torch.testing.assert_close(rank0, rank1, rtol=0, atol=0)  # one step applied everywhere

    single = fit_competing(
        data,
        CompetingParams(batch_size=2 * LOCAL_BATCH, **SETTINGS),
        torch.Generator().manual_seed(SEED),
    )
    torch.testing.assert_close(rank0, single, rtol=1e-12, atol=1e-12)
    start = initial_weights(12, 9, CompetingParams(**SETTINGS), torch.Generator().manual_seed(SEED))
    assert (single - start.double()).abs().max() > 0.5  # it learned: the comparison has teeth

    # the win counts of an epoch are summed over both processes' samples
    global_params = CompetingParams(batch_size=2 * LOCAL_BATCH, **SETTINGS)
    wins = competing_epoch_outcome(
        single, data, global_params, 1, torch.Generator().manual_seed(1)
    ).wins
    for rank in (0, 1):
        assert torch.equal(torch.load(tmp_path / f"weight.wins.rank{rank}.pt"), wins)
    assert int(wins.sum()) == 200
    # the thresholds follow the wins of the global batch, so they too match one process
    homeostatic = dataclasses.replace(global_params, homeostasis=Homeostasis.THRESHOLD)
    expected = fit_competing(data, homeostatic, torch.Generator().manual_seed(SEED))
    for rank in (0, 1):
        got = torch.load(tmp_path / f"weight.threshold.rank{rank}.pt")
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    assert (expected - single).abs().max() > 1e-3  # the thresholds changed the ranking

    # and a process that used only its own batch of 10 would have ended elsewhere
    alone = fit_competing(
        data,
        CompetingParams(batch_size=LOCAL_BATCH, **SETTINGS),
        torch.Generator().manual_seed(SEED),
    )
    assert (alone - single).abs().max() > 1e-3


def test_the_shares_of_the_ranks_add_up_to_the_global_update() -> None:
    """In one process: rank 0 and rank 1's shares, summed by a fake all-reduce, equal one step."""
    data = synthetic_data()[:40]
    params = CompetingParams(batch_size=20, **{**SETTINGS, "epochs": 1})
    start = initial_weights(12, 9, params, torch.Generator().manual_seed(1)).double()
    shares: list[torch.Tensor] = []

    def record(share: torch.Tensor) -> torch.Tensor:
        if share.is_floating_point():  # dW; the epoch's int64 win counts come once at the end
            shares.append(share.clone())
        return share

    for rank in (0, 1):
        competing_epoch(
            start, data, params, 0, torch.Generator().manual_seed(5),
            rank=rank, world_size=2, reduce=record,
        )  # fmt: skip
    summed = shares[0] + shares[1]  # both ranks' first (and only) global batch of 40
    one = CompetingParams(batch_size=40, **{**SETTINGS, "epochs": 1})
    recorded: list[torch.Tensor] = []
    competing_epoch(
        start, data, one, 0, torch.Generator().manual_seed(5),
        reduce=lambda dw: recorded.append(dw.clone()) or dw,
    )  # fmt: skip
    torch.testing.assert_close(summed, recorded[0], rtol=1e-12, atol=1e-12)


def test_in_one_process_the_launcher_is_fit_competing_with_the_all_reduce() -> None:
    """Without a process group fit_competing_distributed is the one loop, dense step."""
    assert not dist.is_initialized()
    data = synthetic_data()
    params = CompetingParams(batch_size=LOCAL_BATCH, **SETTINGS)
    got = distributed.fit_competing_distributed(data, params, torch.Generator().manual_seed(1))
    expected = fit_competing(
        data, params, torch.Generator().manual_seed(1), reduce=distributed.all_reduce_sum
    )
    assert torch.equal(got, expected)


def test_without_a_process_group_all_reduce_is_the_identity() -> None:
    assert not dist.is_initialized()
    t = torch.arange(3.0)
    assert distributed.all_reduce_sum(t) is t
    assert torch.equal(t, torch.arange(3.0))


def test_launch_errors_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="launch with torchrun"):
        distributed.init_from_environment()
    with pytest.raises(ValueError, match="reduce must be given"):
        competing_epoch(
            torch.zeros(3, 2), torch.zeros(4, 2), CompetingParams(hidden_units=3, k=2,
            batch_size=2), 0, torch.Generator(), rank=0, world_size=2,
        )  # fmt: skip
    with pytest.raises(ValueError, match="rank must be < world_size"):
        competing_epoch(
            torch.zeros(3, 2), torch.zeros(4, 2), CompetingParams(hidden_units=3, k=2,
            batch_size=2), 0, torch.Generator(), rank=2, world_size=2, reduce=lambda t: t,
        )  # fmt: skip
    assert distributed.default_backend("cpu") == "gloo"
    assert distributed.default_backend(torch.device("cuda", 0)) == "nccl"
