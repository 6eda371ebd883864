"""Spike trains are the same on every machine: any thread count, any CPU vector width.

ATen picks its CPU kernels by the vector width of the machine (AVX-512, AVX2 or none);
``ATEN_CPU_CAPABILITY=default`` makes this machine run the kernels of a CPU without
vector extensions. The simulators' threshold crossings must not depend on that choice
nor on the number of threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from hebbian.spiking._common import fast_exp

# the core computations of the spiking recipes, each returning the tensors it produced
CORE = """
import sys
from dataclasses import replace
from functools import partial
import torch
from hebbian.spiking._common import fast_exp
from hebbian.spiking.networks import (
    FeedforwardState, SongAbbottParameters, feedforward_stdp_step, simulate,
    song_abbott_run, song_abbott_state,
)
from hebbian.spiking.neurons import LIFParameters, Synapses, lif_state
from hebbian.spiking.stdp import PairSTDPParameters, pair_traces


def core(threads):
    torch.set_num_threads(threads)
    out = {}
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(20000, generator=g, dtype=torch.float64) - 0.5) * 40
    out["exp"] = fast_exp(x)
    # song-abbott: event-driven network, 1 s of 300 inputs
    rule = replace(SongAbbottParameters().stdp, w_max=0.05, a_plus=5e-4, a_minus=5.25e-4)
    params = SongAbbottParameters(n_inputs=300, stdp=rule)
    w = torch.rand(2, 300, generator=g, dtype=torch.float64) * params.stdp.w_max
    state = song_abbott_state(params, w, [3, 4])
    state, record = song_abbott_run(state, params, [20.0, 40.0], 10000, 1e-4)
    out["song_abbott_spikes"] = record.post_step
    out["song_abbott_weight"] = state.weight
    # a conductance-based feed-forward layer with plastic weights, step by step
    neuron = LIFParameters(synapses=Synapses.CONDUCTANCE, refractory=1e-3)
    rule = PairSTDPParameters(a_plus=0.005, a_minus=0.00525, w_max=0.5)
    pre = torch.rand(2000, 2, 64, generator=g) < 0.02
    weight = torch.rand(2, 3, 64, generator=g, dtype=torch.float64) * 0.5
    start = FeedforwardState(lif_state(2, 3, neuron), weight, pair_traces(2, 64, 3))
    step = partial(feedforward_stdp_step, neuron=neuron, stdp=rule, dt=1e-4)
    final, rec = simulate(step, start, 2000, inputs={"pre_spikes": pre})
    out["feedforward_spikes"] = rec.spikes
    out["feedforward_weight"] = final.weight
    return out


if __name__ == "__main__":
    torch.save(core(int(sys.argv[2])), sys.argv[1])
"""


def run_core(path: Path, threads: int, capability: str | None) -> dict[str, torch.Tensor]:
    script = path.parent / "core.py"
    script.write_text(CORE)
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability is not None:
        env["ATEN_CPU_CAPABILITY"] = capability
    subprocess.run([sys.executable, str(script), str(path), str(threads)], env=env, check=True)
    return torch.load(path)


def test_spike_trains_are_bitwise_the_same_with_1_or_2_threads_and_without_vector_units(
    tmp_path: Path,
) -> None:
    here = run_core(tmp_path / "native.pt", threads=1, capability=None)
    assert here["song_abbott_spikes"].numel() > 20 and here["feedforward_spikes"].sum() > 20
    for threads, capability in ((2, None), (1, "default")):
        other = run_core(tmp_path / f"{threads}-{capability}.pt", threads, capability)
        for name, value in here.items():
            assert torch.equal(value, other[name]), (name, threads, capability)


def test_fast_exp_is_exp_to_a_unit_in_the_last_place() -> None:
    x = torch.linspace(-700.0, 700.0, 200001, dtype=torch.float64)
    relative = (fast_exp(x) - torch.exp(x)).abs() / torch.exp(x)
    assert relative.max().item() < 4.5e-16  # torch.exp and fast_exp are each within 1 ulp
    # an element's value does not depend on where it sits in a tensor (vector tails)
    torch.testing.assert_close(fast_exp(x[5:12]), fast_exp(x)[5:12], rtol=0, atol=0)


def test_feedforward_layer_gives_the_same_spikes_whatever_the_order_of_its_inputs() -> None:
    from functools import partial

    from hebbian.spiking.networks import FeedforwardState, feedforward_stdp_step, simulate
    from hebbian.spiking.neurons import LIFParameters, lif_state
    from hebbian.spiking.stdp import PairSTDPParameters, pair_traces

    neuron = LIFParameters(refractory=1e-3)
    rule = PairSTDPParameters(a_plus=0.02, a_minus=0.021, w_max=1.0)
    g = torch.Generator().manual_seed(1)
    pre = torch.rand(1000, 2, 80, generator=g) < 0.2  # about 16 input spikes per step
    weight = torch.rand(2, 3, 80, generator=g, dtype=torch.float64) * 0.4
    order = torch.randperm(80, generator=g)
    step = partial(feedforward_stdp_step, neuron=neuron, stdp=rule, dt=1e-4)

    def run(w: torch.Tensor, spikes: torch.Tensor) -> tuple[FeedforwardState, torch.Tensor]:
        start = FeedforwardState(lif_state(2, 3, neuron), w, pair_traces(2, 80, 3))
        final, record = simulate(step, start, 1000, inputs={"pre_spikes": spikes})
        return final, record.spikes

    straight, spikes = run(weight, pre)
    permuted, spikes_permuted = run(weight[..., order], pre[..., order])
    assert spikes.sum() > 50
    assert torch.equal(spikes, spikes_permuted)
    assert torch.equal(straight.neuron.exc, permuted.neuron.exc)  # bit for bit
    assert torch.equal(straight.neuron.v, permuted.neuron.v)
    assert torch.equal(straight.weight[..., order], permuted.weight)
