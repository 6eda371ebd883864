"""Training speed and memory of the plastic recurrent network on the 1000-bit pattern task.

Measures, for batch sizes 1, 16 and 64 and for both kinds of plasticity coefficients
(one per connection, as in the paper, and one shared), how many training episodes per
second the network trains (forward through the 106 steps of an episode, squared error at
the last step, backward, one Adam step) and its peak memory. The batched form must train
at least 5 times more episodes per second than batch size 1; the table says, for each
kind of alpha, whether it does. The straightforward dense form (one ``(B, N, N)`` trace
stepped with autograd) is measured at batch size 1 for comparison.

With one alpha per connection, two exact methods are measured side by side at every batch
size: the factored one (``RunMethod.FACTORED``) and the blocked dense-refresh one
(``RunMethod.BLOCKED``, :mod:`hebbian.plastic.blocked`, at its default block and, at
batch size 1, also at block 8). The blocked one must train at least 1.8 times more
episodes per second than the factored one at batch size 1; the table marks the method
that ``RunMethod.AUTO`` picks at each batch size
(:func:`hebbian.plastic.blocked.prefers_blocked`).

With one alpha per connection, batching cannot help much, and the benchmark measures why:
the factored form multiplies ``(x_{s-1} * x_{t-1}) @ alpha.T`` for every pair of steps
``s < t`` of *each* episode, about ``4 T (T-1) N^2`` floating-point operations per
training episode (forward, the recomputation in backward, and two products in backward),
with nothing shared between episodes. The same run measures the machine's matrix-multiply
throughput on products of that shape (the roofline); the ratio of the roofline to the
throughput reached at batch size 1 bounds what any batching could gain.

Each configuration runs in its own process, so that its peak resident memory (or peak
CUDA memory) is its own; every configuration is run ``--rounds`` times, interleaved, and
the best round is kept, because the machine may be shared; episodes per second of the
process's CPU time are reported beside them, which other processes disturb less. Batch
sizes above 1 time half as many batches (at least one). Results are printed as a table
and written atomically to ``benchmarks/results/plastic.json``.

Usage::

    python benchmarks/plastic.py            # the full benchmark (several minutes)
    python benchmarks/plastic.py --quick    # fewer repeats, no dense reference
    python benchmarks/plastic.py --threads 1 --batch-sizes 1,16   # a shared machine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "plastic.json"
BATCH_SIZES = (1, 16, 64)
REQUIRED_SPEEDUP = 5.0
REQUIRED_BLOCKED_SPEEDUP = 1.8  # blocked over factored, per-connection alpha, batch 1
COMPARED_BLOCK = 8  # a second block size, measured at batch 1


def per_connection_flops(steps: int, neurons: int) -> float:
    """Floating-point operations of one factored training episode with per-connection alpha.

    For each step t the forward pass multiplies a (t-1, N) block by the (N, N) alpha,
    2 (t-1) N^2 operations; backward does three products of the same size. The O(T N^2)
    products with W are left out (under 2% at T = 106).
    """
    return 4.0 * steps * (steps - 1) * neurons**2


def _roofline(args: argparse.Namespace, steps: int, neurons: int) -> dict[str, float]:
    """Best matmul throughput on (rows, N) @ (N, N) in float32, rows as at the top batch."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    generator = torch.Generator().manual_seed(0)
    rows = max(args.batch_sizes) * steps // 2  # the mean block height of the factored products
    a = torch.randn(rows, neurons, generator=generator).to(device)
    b = torch.randn(neurons, neurons, generator=generator).to(device)
    best = float("inf")
    for _ in range(10):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return {"rows": rows, "gflops_per_second": 2 * rows * neurons**2 / best / 1e9}


def _child(args: argparse.Namespace) -> None:
    """Time one configuration and print one JSON line."""
    import torch

    from hebbian.plastic import AlphaMode, PatternTask, PlasticRecurrentCell, RunMethod
    from hebbian.plastic.blocked import BLOCK, blocked_decaying_run

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    task = PatternTask()  # the paper's 1000-bit task: 1001 neurons, 106 steps
    generator = torch.Generator().manual_seed(0)
    cell = PlasticRecurrentCell(
        task.neurons, alpha_mode=AlphaMode(args.alpha), generator=generator
    ).to(device)
    optimiser = torch.optim.Adam(cell.parameters(), lr=3e-4)
    method = RunMethod(args.method)
    block = args.block or BLOCK

    def activities(drives: torch.Tensor) -> torch.Tensor:
        if method is RunMethod.BLOCKED and block != BLOCK:  # another block than the cell's
            return blocked_decaying_run(drives, cell.weight, cell.alpha, cell.eta, block)
        return cell.run_activity(drives, method=method)

    episodes = [
        task.sample(args.batch, generator=generator, device=device) for _ in range(args.repeats + 1)
    ]
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times, cpu_times = [], []
    for episode in episodes:  # the first one warms up
        start, cpu_start = time.perf_counter(), time.process_time()
        activity = activities(episode.inputs)
        output = activity[-1, :, : task.pattern_size]
        loss = (output - episode.target).square().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    timed = sorted(times[1:])
    cpu_best = min(cpu_times[1:])
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    record = {
        "alpha": args.alpha,
        "method": args.method,
        "block": block if method is RunMethod.BLOCKED else None,
        "batch_size": args.batch,
        "seconds_per_batch_min": timed[0],
        "seconds_per_batch_median": timed[len(timed) // 2],
        "episodes_per_second": args.batch / timed[0],
        "episodes_per_second_median": args.batch / timed[len(timed) // 2],
        "cpu_seconds_per_batch_min": cpu_best,
        "episodes_per_cpu_second": args.batch / cpu_best,
        "peak_rss_bytes": peak_rss,
        "rss_growth_bytes": peak_rss - baseline_rss,
        "threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        record["peak_cuda_bytes"] = torch.cuda.max_memory_allocated()
    print(json.dumps(record))


def _configurations(quick: bool, batch_sizes: tuple[int, ...]) -> list[dict[str, object]]:
    """Every configuration, the two per-connection methods of a batch size side by side."""
    from hebbian.plastic.blocked import BLOCK

    configs: list[dict[str, object]] = []
    for batch in batch_sizes:
        configs.append({"alpha": "per_connection", "method": "factored", "batch": batch})
        configs.append(
            {"alpha": "per_connection", "method": "blocked", "batch": batch, "block": BLOCK}
        )
        if batch == 1 and COMPARED_BLOCK != BLOCK:
            configs.append(
                {
                    "alpha": "per_connection",
                    "method": "blocked",
                    "batch": 1,
                    "block": COMPARED_BLOCK,
                }
            )
    for batch in batch_sizes:
        configs.append({"alpha": "shared", "method": "factored", "batch": batch})
    if not quick:
        configs.append({"alpha": "per_connection", "method": "dense", "batch": 1})
    return configs


def _key(config: dict[str, object]) -> tuple[object, ...]:
    return (config["alpha"], config["method"], config["batch"], config.get("block"))


def _run_child(config: dict[str, object], args: argparse.Namespace) -> dict[str, object]:
    repeats = args.repeats
    if config["batch"] != 1:
        repeats = max(1, repeats // 2)  # seconds per batch: fewer batches suffice
    if config["method"] == "dense":
        repeats = min(repeats, 2)  # seconds per episode: two timed runs suffice
    command = [
        sys.executable, __file__, "--child",
        "--alpha", str(config["alpha"]), "--method", str(config["method"]),
        "--batch", str(config["batch"]), "--repeats", str(repeats),
        "--block", str(config.get("block") or 0),
        "--device", args.device, "--threads", str(args.threads),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"configuration {config} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mib(value: float) -> str:
    return f"{value / 2**20:8.0f}"


def _batch_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(","))
    if not sizes or min(sizes) < 1 or sizes[0] != 1:
        raise argparse.ArgumentTypeError(f"expected sizes >= 1 starting with 1, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no dense run")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--repeats", type=int, default=0, help="timed batches per run")
    parser.add_argument("--rounds", type=int, default=0, help="interleaved rounds")
    parser.add_argument(
        "--batch-sizes",
        type=_batch_sizes,
        default=BATCH_SIZES,
        help="comma-separated, starting with 1 (default 1,16,64)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--alpha", default="per_connection", help=argparse.SUPPRESS)
    parser.add_argument("--method", default="factored", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--block", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from hebbian.experiments.base import resolve_device

    try:
        resolve_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    if args.child:
        _child(args)
        return 0
    args.repeats = args.repeats or (2 if args.quick else 4)
    args.rounds = args.rounds or (1 if args.quick else 2)
    started = time.time()
    load_before = os.getloadavg()
    configs = _configurations(args.quick, args.batch_sizes)
    best: dict[tuple[object, ...], dict[str, object]] = {}
    loads = []
    for round_index in range(args.rounds):
        for config in configs:
            key = _key(config)
            record = _run_child(config, args)
            loads.append(os.getloadavg()[0])
            print(
                f"round {round_index + 1}/{args.rounds}: {key} "
                f"{record['episodes_per_second']:.2f} episodes/s (load {loads[-1]:.1f})",
                flush=True,
            )
            kept = best.get(key)
            if kept is None or record["episodes_per_second"] > kept["episodes_per_second"]:
                best[key] = record
    records = [best[_key(c)] for c in configs]

    from hebbian.plastic import PatternTask
    from hebbian.plastic.blocked import BLOCK, prefers_blocked

    task = PatternTask()
    print()
    print("plastic RNN, 1000-bit pattern task (1001 neurons, 106 steps), training episodes/s")
    print(
        f"{'alpha':>15} {'method':>9} {'block':>5} {'batch':>5} {'episodes/s':>11} "
        f"{'(median)':>9} {'per CPU s':>9} {'s/batch':>8} {'peak RSS MiB':>12} "
        f"{'growth MiB':>10} "
        f"{'x batch 1':>9} {'AUTO':>4}"
    )
    speedups: dict[str, dict[str, float]] = {}
    for record in records:
        alpha, method, batch = record["alpha"], record["method"], record["batch_size"]
        single = best[(alpha, method, 1, record["block"])]["episodes_per_second"]
        ratio = record["episodes_per_second"] / single
        if method != "dense" and record["block"] in (None, BLOCK):
            speedups.setdefault(f"{alpha} {method}", {})[str(batch)] = ratio
        blocked = prefers_blocked(task.steps, int(batch), task.neurons, 4)
        auto = {
            "factored": alpha == "shared" or not blocked,
            "blocked": alpha == "per_connection" and blocked and record["block"] == BLOCK,
        }.get(str(method), False)
        print(
            f"{alpha:>15} {method:>9} {record['block'] or '':>5} {batch:>5} "
            f"{record['episodes_per_second']:>11.2f} {record['episodes_per_second_median']:>9.2f} "
            f"{record['episodes_per_cpu_second']:>9.2f} "
            f"{record['seconds_per_batch_min']:>8.3f} {_mib(record['peak_rss_bytes']):>12} "
            f"{_mib(record['rss_growth_bytes']):>10} {ratio:>9.2f} {'*' if auto else '':>4}"
        )
    roofline = _roofline(args, task.steps, task.neurons)
    flops = per_connection_flops(task.steps, task.neurons)
    single = best[("per_connection", "factored", 1, None)]["episodes_per_second"]
    reached = flops * single / 1e9
    bound = {
        "flops_per_episode": flops,
        "batch_1_gflops_per_second": reached,
        "roofline_gflops_per_second": roofline["gflops_per_second"],
        "roofline_rows": roofline["rows"],
        "batch_1_fraction_of_roofline": reached / roofline["gflops_per_second"],
        "largest_possible_speedup": roofline["gflops_per_second"] / reached,
    }
    larger = [str(b) for b in args.batch_sizes[1:]]
    verdicts = {
        name: {
            "best_speedup_over_batch_1": max(ratios[b] for b in larger),
            "meets_5x": max(ratios[b] for b in larger) >= REQUIRED_SPEEDUP,
        }
        for name, ratios in speedups.items()
        if larger
    }
    blocked_vs_factored = {}
    for batch in args.batch_sizes:
        factored = best[("per_connection", "factored", batch, None)]["episodes_per_second"]
        blocked = best[("per_connection", "blocked", batch, BLOCK)]["episodes_per_second"]
        cpu = {
            method: best[("per_connection", method, batch, block)]["episodes_per_cpu_second"]
            for method, block in (("factored", None), ("blocked", BLOCK))
        }
        blocked_vs_factored[str(batch)] = {
            "factored_episodes_per_second": factored,
            "blocked_episodes_per_second": blocked,
            "blocked_over_factored": blocked / factored,
            "factored_episodes_per_cpu_second": cpu["factored"],
            "blocked_episodes_per_cpu_second": cpu["blocked"],
            "blocked_over_factored_cpu_time": cpu["blocked"] / cpu["factored"],
            "auto_chooses": "blocked"
            if prefers_blocked(task.steps, batch, task.neurons, 4)
            else "factored",
        }
    compared = best.get(("per_connection", "blocked", 1, COMPARED_BLOCK))
    blocked_verdict = {
        "block": BLOCK,
        "batch_1_blocked_over_factored": blocked_vs_factored["1"]["blocked_over_factored"],
        "target": REQUIRED_BLOCKED_SPEEDUP,
        "meets_target": blocked_vs_factored["1"]["blocked_over_factored"]
        >= REQUIRED_BLOCKED_SPEEDUP,
        f"batch_1_block_{COMPARED_BLOCK}_over_factored": None
        if compared is None
        else compared["episodes_per_second"]
        / blocked_vs_factored["1"]["factored_episodes_per_second"],
    }
    print()
    for name, verdict in verdicts.items():
        status = "meets" if verdict["meets_5x"] else "does NOT meet"
        print(
            f"alpha {name}: batched/batch-1 speed-up {verdict['best_speedup_over_batch_1']:.2f}x, "
            f"{status} the {REQUIRED_SPEEDUP:.0f}x requirement"
        )
    for batch, row in blocked_vs_factored.items():
        print(
            f"per-connection alpha, batch {batch}: blocked (block {BLOCK}) "
            f"{row['blocked_over_factored']:.2f}x the factored method "
            f"({row['blocked_over_factored_cpu_time']:.2f}x in CPU time); AUTO runs "
            f"{row['auto_chooses']}"
        )
    status = "meets" if blocked_verdict["meets_target"] else "does NOT meet"
    print(f"blocked over factored at batch 1: {status} the {REQUIRED_BLOCKED_SPEEDUP}x target")
    print(
        f"per-connection alpha, factored: {flops / 1e9:.1f} GFLOP per episode; batch 1 runs at "
        f"{reached:.0f} GFLOP/s, {100 * bound['batch_1_fraction_of_roofline']:.0f}% of the "
        f"measured matmul roofline ({roofline['gflops_per_second']:.0f} GFLOP/s), so no "
        f"batching can be more than {bound['largest_possible_speedup']:.2f}x faster"
    )
    import torch

    payload = {
        "benchmark": "plastic",
        "task": "1000-bit patterns, 5 per episode, 1001 neurons, 106 steps (PatternTask())",
        "measure": "training episodes per second (forward, loss, backward, Adam step); best "
        "batch of --repeats (half as many above batch 1) after one warm-up, best of --rounds "
        "interleaved rounds; also per second of the process's CPU time, which a shared "
        "machine disturbs less (with one thread)",
        "quick": args.quick,
        "device": args.device,
        "repeats": args.repeats,
        "rounds": args.rounds,
        "batch_sizes": list(args.batch_sizes),
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "load_average_1min_after_each_configuration": loads,
        },
        "seconds": time.time() - started,
        "results": records,
        "speedup_over_batch_1": speedups,
        "verdict": verdicts,
        "blocked_vs_factored": blocked_vs_factored,
        "blocked_verdict": blocked_verdict,
        "per_connection_bound": bound,
    }
    from hebbian.runs import atomic_write_text

    atomic_write_text(args.output, json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
