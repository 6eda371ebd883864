"""The Diehl & Cook (2015) network: against a hand-stepped reference, and its protocol."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from hebbian.spiking.diehl_cook import (
    DiehlCookParameters,
    DiehlCookState,
    diehl_cook_responses,
    diehl_cook_state,
    diehl_cook_train,
    normalise_weights,
)
from hebbian.spiking.inputs import counter_poisson_spikes
from hebbian.spiking.neurons import lif_state, lif_step
from hebbian.spiking.stdp import triplet_stdp_step, triplet_traces
from hebbian.spiking.voting import assign_labels, classify

# a few inputs and 2 excitatory neurons, driven hard so that a short presentation spikes
TINY = DiehlCookParameters(
    n_inputs=5, n_excitatory=2, presentation=0.06, rest=0.01, max_rate=1200.0, weight_sum=3.0
)


def hand_stepped(params: DiehlCookParameters, seed: int, image: torch.Tensor) -> dict:
    """One presentation and its rest, stepped with lif_step and the dense triplet step."""
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(params.n_inputs, params.n_excitatory, generator=g, dtype=torch.float64)
    w = (w * params.initial_weight).float()
    key = torch.randint(2**32, (1,), generator=g)  # the input stream's, drawn after the weights
    w = w * (params.weight_sum / torch.cumsum(w.double(), 0)[-1:]).float()  # normalised first
    weight = w.T.unsqueeze(0).contiguous()  # (1, N_post, N_pre): the dense rule's layout
    steps, rest = params.presentation_steps, params.rest_steps
    rates = image.double().unsqueeze(0) * params.max_rate
    spikes = counter_poisson_spikes(rates, steps, params.dt, key=key, start=torch.zeros(1).long())
    exc = lif_state(1, 2, params.excitatory, dtype=torch.float32)
    inh = lif_state(1, 2, params.inhibitory, dtype=torch.float32)
    traces = triplet_traces(1, params.n_inputs, 2, dtype=torch.float32)
    theta = torch.zeros(1, 2, dtype=torch.float64)  # float64: see DiehlCookState
    out: dict[str, list] = {"exc": [], "inh": [], "g": [], "theta": []}
    for t in range(steps + rest):
        pre = spikes[t].float() if t < steps else torch.zeros(1, params.n_inputs)
        theta = theta * math.exp(-params.dt / params.tau_theta)
        exc, e_spk = lif_step(exc, params.excitatory, params.dt, threshold=theta.float())
        inh, i_spk = lif_step(inh, params.inhibitory, params.dt)
        e_spk, i_spk = e_spk.float(), i_spk.float()
        drive = torch.zeros(1, 2, dtype=torch.float64)
        for j in range(params.n_inputs):  # ascending input index, in float64, rounded once
            drive = drive + weight[:, :, j].double() * pre[:, j].double()
        drive = drive.float()
        others = i_spk.sum(-1, keepdim=True) - i_spk
        exc = exc._replace(exc=exc.exc + drive, inh=exc.inh + params.w_inh_exc * others)
        inh = inh._replace(exc=inh.exc + params.w_exc_inh * e_spk)
        weight, traces = triplet_stdp_step(weight, traces, pre, e_spk, params.stdp, params.dt)
        theta = theta + params.theta_plus * e_spk.double()
        out["exc"].append(e_spk)
        out["inh"].append(i_spk)
        out["g"].append(exc.exc.clone())
        out["theta"].append(theta.clone())
    return {k: torch.stack(v) for k, v in out.items()} | {"weight": weight[0].T, "exc_state": exc}


def same_state(a: DiehlCookState, b: DiehlCookState) -> bool:
    """Whether two states hold the same bits, field by field."""
    fields = [(a.weight, b.weight), (a.theta, b.theta), (a.stream, b.stream)]
    for part in ("excitatory", "inhibitory", "traces"):
        fields += zip(getattr(a, part), getattr(b, part), strict=True)
    return all(torch.equal(x, y) for x, y in fields)


def test_one_presentation_equals_the_hand_stepped_reference() -> None:
    image = torch.tensor([1.0, 0.8, 0.0, 0.6, 1.0])
    record: list = []
    state = diehl_cook_state(TINY, [7])
    # the dense rule clips every weight at every step, the network a weight when it changes
    # (as the paper's synapses do): the two agree while the weights start within bounds
    assert float(normalise_weights(state.weight, TINY.weight_sum).max()) <= TINY.stdp.w_max
    state, shown = diehl_cook_train(state, image.view(1, 1, -1), TINY, record=record)
    reference = hand_stepped(TINY, 7, image)
    assert shown.presentations.tolist() == [[1]]  # enough spikes: no repetition
    assert reference["exc"].sum() >= TINY.min_spikes
    spikes = torch.stack([r[0][0] for r in record])
    assert torch.equal(spikes, reference["exc"])
    assert torch.equal(torch.stack([r[1][0] for r in record]), reference["inh"])
    assert torch.equal(torch.stack([r[2][0] for r in record]), reference["g"])
    assert torch.equal(torch.stack([r[3] for r in record]), reference["theta"])
    assert torch.equal(state.weight[0], reference["weight"])
    assert torch.equal(state.excitatory.v[0], reference["exc_state"].v)
    steps = TINY.presentation_steps
    assert shown.counts[0, 0].tolist() == reference["exc"][:steps].sum((0, 1)).long().tolist()


def test_normalisation_keeps_each_neurons_weight_sum() -> None:
    weight = torch.rand(3, 784, 10, generator=torch.Generator().manual_seed(0))
    total = normalise_weights(weight, 78.0).double().sum(1)
    assert torch.allclose(total, torch.full_like(total, 78.0), rtol=1e-5)
    assert torch.equal(normalise_weights(torch.zeros(1, 4, 2), 78.0), torch.zeros(1, 4, 2))


def test_theta_rises_only_at_spikes_and_decays_otherwise() -> None:
    params = replace(TINY, tau_theta=0.05)  # a fast decay, visible within the run
    record: list = []
    state = diehl_cook_state(params, [1])
    diehl_cook_train(state, torch.ones(1, 1, params.n_inputs), params, record=record)
    theta = torch.stack([r[3][0] for r in record])  # (T, N)
    spikes = torch.stack([r[0][0, 0] for r in record])  # (T, N)
    before = torch.cat([theta.new_zeros(1, 2), theta[:-1]])
    decayed = before * math.exp(-params.dt / params.tau_theta)
    rose = theta > before
    assert bool(spikes.any())
    assert torch.equal(rose, spikes > 0)
    assert torch.allclose(theta, decayed + params.theta_plus * spikes, atol=1e-6)


@pytest.mark.parametrize("kernel", [True, False])
def test_theta_decays_with_the_papers_time_constant_over_a_silent_image(
    monkeypatch: pytest.MonkeyPatch, kernel: bool
) -> None:
    from hebbian.spiking import diehl_cook as module

    monkeypatch.setattr(module._diehl_cook_kernel, "AVAILABLE", kernel)
    params = replace(TINY, presentation=0.35, rest=0.15, max_presentations=1)  # tau 1e7 ms
    state = diehl_cook_state(params, [3])
    start = torch.tensor([[20.0, 3.0]], dtype=torch.float64)
    state, shown = diehl_cook_train(
        state._replace(theta=start), torch.zeros(1, 1, params.n_inputs), params
    )
    assert int(shown.counts.sum()) == 0  # no input, no spike: theta only decays
    steps = params.presentation_steps + params.rest_steps
    expected = start * math.exp(-steps * params.dt / params.tau_theta)  # 1 - 5e-5
    # float32 steps would lose 1.2-2.4 times the decay (1 - 2^-24 per step, and rounding)
    assert torch.allclose(state.theta, expected, rtol=1e-12, atol=0.0)
    assert bool((state.theta < start).all())


def test_the_rest_lets_the_conductances_and_traces_decay() -> None:
    params = replace(TINY, rest=0.15)
    state = diehl_cook_state(params, [2])
    state, _ = diehl_cook_train(state, torch.ones(1, 1, params.n_inputs), params)
    # 150 ms is 150 time constants of g_e and 75 of g_i; the traces (20, 40 ms) shrink by
    # e^-7.5 and e^-3.75 after the last spike; the membrane (100 ms) keeps e^-1.5 of its
    # excursion
    assert float(state.excitatory.exc.max()) < 1e-30
    assert float(state.excitatory.inh.max()) < 1e-30
    # (a neuron may still fire in the first milliseconds of the rest: allow 10 ms)
    assert float(state.traces.o1.max()) <= math.exp(-7.0)
    assert float(state.traces.o2.max()) <= math.exp(-3.5)
    excursion = params.excitatory.v_threshold + 5 - params.excitatory.v_rest
    assert float(
        (state.excitatory.v - params.excitatory.v_rest).abs().max()
    ) < excursion * math.exp(-1.5)


def test_an_image_with_too_few_spikes_is_presented_again_with_more_input() -> None:
    params = replace(TINY, max_rate=20.0, rate_increment=400.0, max_presentations=4)
    state = diehl_cook_state(params, [0])
    _, shown = diehl_cook_train(state, torch.ones(1, 1, params.n_inputs), params)
    assert int(shown.presentations) >= 2
    assert int(shown.counts.sum()) >= params.min_spikes


def test_batched_networks_equal_the_same_networks_run_one_at_a_time() -> None:
    params = replace(
        TINY, max_rate=60.0, rate_increment=300.0, max_presentations=4
    )  # repetitions happen
    images = torch.rand(2, 2, params.n_inputs, generator=torch.Generator().manual_seed(3))
    both = diehl_cook_state(params, [4, 9], parallel_images=2)
    for _ in range(3):
        both, shown = diehl_cook_train(both, images, params)
    for n, seed in enumerate((4, 9)):
        alone = diehl_cook_state(params, [seed], parallel_images=2)
        for _ in range(3):
            alone, alone_shown = diehl_cook_train(alone, images[n : n + 1], params)
        assert torch.equal(alone.weight[0], both.weight[n])
        assert torch.equal(alone.theta[0], both.theta[n])
        assert torch.equal(alone_shown.counts[0], shown.counts[n])
        assert torch.equal(alone_shown.presentations[0], shown.presentations[n])
    assert int(shown.presentations.max()) >= 2  # the repetition path was exercised


def test_frozen_responses_do_not_learn_and_repeat_exactly() -> None:
    state = diehl_cook_state(TINY, [5])
    images = torch.rand(7, TINY.n_inputs, generator=torch.Generator().manual_seed(1))
    first = diehl_cook_responses(state, images, TINY, batch=3)
    again = diehl_cook_responses(state, images, TINY, batch=3)
    assert torch.equal(first.counts, again.counts)
    assert first.counts.shape == (1, 7, 2)
    assert (
        int(first.counts.sum(-1).min()) >= TINY.min_spikes
        or int(first.presentations.max()) == TINY.max_presentations
    )


def test_labels_and_votes_follow_the_paper_with_exact_ties() -> None:
    counts = torch.tensor([[[3, 0, 1], [1, 0, 1], [0, 0, 2], [0, 0, 2]]])
    labels = torch.tensor([0, 0, 1, 1])
    # neuron 0: class 0 (2.0 vs 0), neuron 1 silent (-1), neuron 2: 1.0 vs 2.0 -> class 1
    assignments = assign_labels(counts, labels, 2)
    assert assignments.tolist() == [[0, -1, 1]]
    tie = torch.tensor([[[2, 0, 2]]])  # class 0 and class 1 both average 2: the lower wins
    assert classify(tie, assignments, 2).tolist() == [[0]]
    assert classify(torch.zeros(1, 1, 3, dtype=torch.int64), assignments, 2).tolist() == [[-1]]


def test_bad_input_is_refused_in_one_line() -> None:
    state = diehl_cook_state(TINY, [0])
    with pytest.raises(ValueError, match=r"images must hold intensities in \[0, 1\]"):
        diehl_cook_train(state, torch.full((1, 1, TINY.n_inputs), 2.0), TINY)
    with pytest.raises(ValueError, match=r"images must have shape \(1, 1, 5\)"):
        diehl_cook_train(state, torch.ones(1, 1, 4), TINY)
    with pytest.raises(ValueError, match=r"state.theta must have shape \(1, 2\), got \(1, 3\)"):
        diehl_cook_train(state._replace(theta=torch.zeros(1, 3)), torch.ones(1, 1, 5), TINY)
    with pytest.raises(ValueError, match=r"state.stream must have shape \(1, 2\)"):
        diehl_cook_train(state._replace(stream=torch.zeros(1, 3).long()), torch.ones(1, 1, 5), TINY)
    with pytest.raises(ValueError, match=r"keys in \[0, 2\^32\) and positions >= 0"):
        diehl_cook_train(state._replace(stream=-state.stream - 1), torch.ones(1, 1, 5), TINY)
    with pytest.raises(ValueError, match=r"images must have shape \(\*, 1, 1, 5\)"):
        diehl_cook_train(state, torch.ones(3, 1, 2, 5), TINY)
    with pytest.raises(ValueError, match="presentation must be a whole number of steps"):
        DiehlCookParameters(presentation=0.0003)
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        diehl_cook_state(TINY, [])


@pytest.mark.cuda
def test_on_cuda_equals_cpu() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    images = torch.rand(1, 2, TINY.n_inputs, generator=torch.Generator().manual_seed(0))
    cpu, cpu_shown = diehl_cook_train(diehl_cook_state(TINY, [1], parallel_images=2), images, TINY)
    gpu_state = diehl_cook_state(TINY, [1], parallel_images=2, device="cuda")
    gpu, gpu_shown = diehl_cook_train(gpu_state, images.cuda(), TINY)
    assert torch.equal(cpu_shown.counts, gpu_shown.counts.cpu())
    assert torch.allclose(cpu.weight, gpu.weight.cpu(), atol=1e-6)


def test_reset_returns_the_neurons_and_traces_to_rest_after_each_image() -> None:
    params = replace(TINY, rest=0.0, reset=True)
    state = diehl_cook_state(params, [3])
    state, shown = diehl_cook_train(state, torch.ones(1, 1, params.n_inputs), params)
    assert int(shown.counts.sum()) > 0
    assert torch.equal(state.excitatory.v, torch.full_like(state.excitatory.v, -65.0))
    assert float(state.excitatory.exc.abs().max() + state.traces.r1.abs().max()) == 0.0
    assert float(state.theta.min()) > 0.0  # theta and the weights are kept


@pytest.mark.parametrize("parallel", [1, 3])
def test_the_compiled_kernel_gives_the_bits_of_the_pytorch_path(
    monkeypatch: pytest.MonkeyPatch, parallel: int
) -> None:
    from hebbian.spiking import diehl_cook as module

    if not module._diehl_cook_kernel.AVAILABLE:
        pytest.skip("numba is not installed: only the PyTorch path exists")
    params = DiehlCookParameters(n_inputs=64, n_excitatory=12, presentation=0.1, rest=0.02)
    g = torch.Generator().manual_seed(5)
    shape = (2, parallel, 64)
    images = [torch.rand(shape, generator=g) * (torch.rand(shape, generator=g) < 0.5)]
    images.append(torch.zeros(shape))  # silent: repeated with more input until it fires
    images[1][0, 0] = 0.05

    def train(kernel: bool) -> tuple:
        monkeypatch.setattr(module._diehl_cook_kernel, "AVAILABLE", kernel)
        state = diehl_cook_state(params, [1, 2], parallel_images=parallel)
        shown = []
        for batch in images:
            state, presented = diehl_cook_train(state, batch, params)
            shown.append(presented)
        return state, shown, diehl_cook_responses(state, images[0][0], params, batch=2)

    fast, fast_shown, fast_responses = train(True)
    slow, slow_shown, slow_responses = train(False)
    for a, b in zip(fast_shown, slow_shown, strict=True):
        assert torch.equal(a.counts, b.counts)
        assert torch.equal(a.presentations, b.presentations)
    assert int(fast_shown[0].counts.sum()) > 0
    assert int(fast_shown[1].presentations.max()) > 1
    assert same_state(fast, slow)
    assert torch.equal(fast_responses.counts, slow_responses.counts)


def test_frozen_networks_answer_alone_as_they_do_together() -> None:
    params = replace(TINY, max_rate=60.0, rate_increment=300.0, max_presentations=4)
    images = torch.rand(5, params.n_inputs, generator=torch.Generator().manual_seed(2))
    both = diehl_cook_responses(diehl_cook_state(params, [4, 9]), images, params, batch=2)
    assert int(both.presentations.max()) >= 2  # some images were presented again
    for n, seed in enumerate((4, 9)):
        alone = diehl_cook_responses(diehl_cook_state(params, [seed]), images, params, batch=2)
        assert torch.equal(alone.counts[0], both.counts[n])
        assert torch.equal(alone.presentations[0], both.presentations[n])


@pytest.mark.parametrize("kernel", [True, False])
def test_a_sequence_of_images_equals_one_call_per_image(
    monkeypatch: pytest.MonkeyPatch, kernel: bool
) -> None:
    from hebbian.spiking import diehl_cook as module

    if kernel and not module._diehl_cook_kernel.AVAILABLE:
        pytest.skip("numba is not installed: only the PyTorch path exists")
    monkeypatch.setattr(module._diehl_cook_kernel, "AVAILABLE", kernel)
    params = replace(TINY, max_rate=200.0, rate_increment=400.0, max_presentations=3, reset=True)
    images = torch.rand(4, 2, 1, params.n_inputs, generator=torch.Generator().manual_seed(6))
    images[1, 0] = 0.0  # a blank image: presented max_presentations times
    together, shown = diehl_cook_train(diehl_cook_state(params, [3, 4]), images, params)
    alone = diehl_cook_state(params, [3, 4])
    for k in range(4):
        alone, one = diehl_cook_train(alone, images[k], params)
        assert torch.equal(shown.counts[k], one.counts)
        assert torch.equal(shown.presentations[k], one.presentations)
    assert shown.presentations[1, 0, 0] == params.max_presentations
    assert same_state(together, alone)
