"""Plastic networks: the equations by hand, gradients, batching, and learning."""

from __future__ import annotations

import math
import pickle

import pytest
import torch
from torch.func import functional_call

from hebbian.plastic import (
    AlphaMode,
    LSTMNetwork,
    PatternTask,
    PlasticLinear,
    PlasticRecurrentCell,
    PlasticState,
    RecurrentCell,
    RecurrentNetwork,
    RunMethod,
    TraceRule,
    TraceState,
    bit_error,
)

F64 = torch.float64


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def small_cell(rule: TraceRule, alpha_mode: AlphaMode, seed: int = 0) -> PlasticRecurrentCell:
    """A tiny float64 network with weights large enough for the traces to matter."""
    return PlasticRecurrentCell(
        3,
        rule=rule,
        alpha_mode=alpha_mode,
        eta=0.3,
        weight_std=0.6,
        alpha_init=0.9,
        generator=seeded(seed),
        dtype=F64,
    )


def test_one_step_of_the_recurrent_equation_by_hand() -> None:
    cell = PlasticRecurrentCell(2, eta=0.5, dtype=F64)
    with torch.no_grad():
        cell.weight.copy_(torch.tensor([[0.0, 1.0], [-1.0, 0.0]]))
        cell.alpha.copy_(torch.tensor([[1.0, 2.0], [0.0, 0.5]]))
    x0 = torch.tensor([[0.5, -0.5]], dtype=F64)
    hebb = torch.tensor([[[1.0, 1.0], [1.0, -1.0]]], dtype=F64)
    drive = torch.tensor([[0.1, 0.2]], dtype=F64)
    x1, state = cell(drive, PlasticState(x0, TraceState(hebb)))
    # W + alpha * Hebb = [[1, 3], [-1, -0.5]];  times x0: (0.5 - 1.5, -0.5 + 0.25)
    expected = torch.tanh(torch.tensor([[0.1 - 1.0, 0.2 - 0.25]], dtype=F64))
    torch.testing.assert_close(x1, expected)
    # Hebb <- 0.5 Hebb + 0.5 x1 x0^T (post x1, pre x0)
    expected_hebb = 0.5 * hebb + 0.5 * expected[:, :, None] * x0[:, None, :]
    torch.testing.assert_close(state.trace.hebb, expected_hebb)
    torch.testing.assert_close(state.x, expected)


def test_the_neuromodulator_reads_the_new_activity() -> None:
    cell = PlasticRecurrentCell(2, rule=TraceRule.MODULATED, dtype=F64)
    with torch.no_grad():
        cell.weight.zero_()
        cell.modulator_weight.copy_(torch.tensor([[1.0, -1.0]]))
        cell.modulator_bias.fill_(0.25)
    drive = torch.tensor([[0.3, -0.6]], dtype=F64)
    x1, state = cell(drive)  # from zero activity: x1 = tanh(drive), Hebb stays 0 (x0 = 0)
    torch.testing.assert_close(x1, torch.tanh(drive))
    assert torch.count_nonzero(state.trace.hebb) == 0
    x2, state2 = cell(torch.zeros_like(drive), state)
    m = torch.tanh(x2 @ torch.tensor([[1.0], [-1.0]], dtype=F64) + 0.25)  # M(2)
    expected = torch.clamp(m[:, :, None] * x2[:, :, None] * x1[:, None, :], -1, 1)
    torch.testing.assert_close(state2.trace.hebb, expected)
    torch.testing.assert_close(cell.modulation(x2), m)


class _Runner(torch.nn.Module):
    """Calls ``cell.run`` so that ``functional_call`` can swap the cell's parameters."""

    def __init__(self, cell: PlasticRecurrentCell, method: RunMethod) -> None:
        super().__init__()
        self.cell, self.method = cell, method

    def forward(self, drives: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        activity, state = self.cell.run(drives, method=self.method)
        return activity, state.trace.hebb


def _run(cell, drives, values, method):  # type: ignore[no-untyped-def]
    """Activities and final traces of ``cell.run`` with its parameters set to ``values``."""
    names = [f"cell.{name}" for name, _ in cell.named_parameters()]
    parameters = dict(zip(names, values, strict=True))
    return functional_call(_Runner(cell, method), parameters, (drives,))


@pytest.mark.parametrize("rule", list(TraceRule))
@pytest.mark.parametrize("alpha_mode", list(AlphaMode))
def test_gradients_reach_w_alpha_and_eta(rule: TraceRule, alpha_mode: AlphaMode) -> None:
    cell = small_cell(rule, alpha_mode)
    drives = torch.randn(5, 2, 3, generator=seeded(1), dtype=F64)
    params = tuple(p.detach().clone().requires_grad_() for p in cell.parameters())
    assert torch.autograd.gradcheck(lambda *v: _run(cell, drives, v, RunMethod.DENSE), params)
    output = _run(cell, drives, params, RunMethod.DENSE)[0].sum()
    grads = torch.autograd.grad(output, params, allow_unused=True)
    by_name = dict(zip([name for name, _ in cell.named_parameters()], grads, strict=True))
    learned = ("weight", "alpha") if rule is TraceRule.MODULATED else ("weight", "alpha", "eta")
    for name in learned:
        assert by_name[name].abs().sum() > 0, f"no gradient reaches {name}"
    if rule is TraceRule.MODULATED:  # M(t) replaces eta
        assert by_name["eta"] is None
    if rule.modulated:
        assert by_name["modulator_weight"].abs().sum() > 0


# 37 steps: the backward pass defers some gradient terms in blocks of 16 steps
@pytest.mark.parametrize("steps", [6, 37])
@pytest.mark.parametrize("alpha_mode", list(AlphaMode))
def test_the_factored_fast_path_passes_gradcheck(alpha_mode: AlphaMode, steps: int) -> None:
    cell = small_cell(TraceRule.DECAYING, alpha_mode)
    drives = torch.randn(steps, 2, 3, generator=seeded(2), dtype=F64, requires_grad=True)
    params = tuple(p.detach().clone().requires_grad_() for p in cell.parameters())
    assert torch.autograd.gradcheck(
        lambda d, *v: _run(cell, d, v, RunMethod.FACTORED), (drives, *params)
    )


@pytest.mark.parametrize("steps", [8, 40])
@pytest.mark.parametrize("alpha_mode", list(AlphaMode))
def test_factored_and_dense_runs_agree_in_values_and_gradients(
    alpha_mode: AlphaMode, steps: int
) -> None:
    cell = small_cell(TraceRule.DECAYING, alpha_mode, seed=3)
    drives = torch.randn(steps, 4, 3, generator=seeded(4), dtype=F64)
    methods = [RunMethod.DENSE, RunMethod.FACTORED]
    if alpha_mode is AlphaMode.PER_CONNECTION:
        methods.append(RunMethod.BLOCKED)  # 8 and 40 steps: one and five blocks of 8
    results = {}
    for method in methods:
        activity, state = cell.run(drives, method=method)
        loss = activity.square().sum() + state.trace.hebb.pow(3).sum()
        grads = torch.autograd.grad(loss, list(cell.parameters()))
        results[method] = (activity, state.trace.hebb, grads)
    dense = results[RunMethod.DENSE]
    for method in methods[1:]:
        fast = results[method]
        torch.testing.assert_close(fast[0], dense[0])
        torch.testing.assert_close(fast[1], dense[1])
        for g_fast, g_dense in zip(fast[2], dense[2], strict=True):
            torch.testing.assert_close(g_fast, g_dense)
        torch.testing.assert_close(cell.run_activity(drives, method=method), dense[0])
    torch.testing.assert_close(cell.run_activity(drives), dense[0])


@pytest.mark.parametrize("rule", list(TraceRule))
@pytest.mark.parametrize("method", [RunMethod.DENSE, RunMethod.AUTO])
def test_a_batch_of_episodes_equals_the_episodes_one_at_a_time(
    rule: TraceRule, method: RunMethod
) -> None:
    cell = small_cell(rule, AlphaMode.PER_CONNECTION, seed=5)
    drives = torch.randn(7, 4, 3, generator=seeded(6), dtype=F64)
    batched, state = cell.run(drives, method=method)
    for b in range(4):
        alone, alone_state = cell.run(drives[:, b : b + 1], method=method)
        torch.testing.assert_close(batched[:, b : b + 1], alone)
        torch.testing.assert_close(state.trace.hebb[b : b + 1], alone_state.trace.hebb)
        if rule is TraceRule.RETROACTIVE:
            torch.testing.assert_close(
                state.trace.eligibility[b : b + 1], alone_state.trace.eligibility
            )


def test_run_continues_from_a_given_state_like_one_long_run() -> None:
    cell = small_cell(TraceRule.OJA, AlphaMode.SHARED, seed=7)
    drives = torch.randn(6, 2, 3, generator=seeded(8), dtype=F64)
    whole, end = cell.run(drives)
    first, middle = cell.run(drives[:2])
    second, end_again = cell.run(drives[2:], middle)
    torch.testing.assert_close(torch.cat([first, second]), whole)
    torch.testing.assert_close(end_again.trace.hebb, end.trace.hebb)
    # state=None is the explicit zero state
    torch.testing.assert_close(cell.run(drives, cell.initial_state(2))[0], whole)


def test_plastic_linear_reads_and_learns_by_hand() -> None:
    layer = PlasticLinear(2, 2, eta=0.5, dtype=F64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        layer.alpha.copy_(torch.tensor([[2.0, 2.0], [1.0, 1.0]]))
        layer.bias.copy_(torch.tensor([0.0, 0.5]))
    x = torch.tensor([[1.0, 2.0]], dtype=F64)
    torch.testing.assert_close(layer(x), torch.tensor([[1.0, 2.5]], dtype=F64))
    label = torch.tensor([[1.0, 0.0]], dtype=F64)
    state = layer.plasticity_step(x, label)  # Hebb = 0.5 * label x^T = [[0.5, 1], [0, 0]]
    torch.testing.assert_close(state.hebb, torch.tensor([[[0.5, 1.0], [0.0, 0.0]]], dtype=F64))
    # (W + alpha * Hebb) x + b = [[2, 2], [0, 1]] x + b = (6, 2.5)
    torch.testing.assert_close(layer(x, state), torch.tensor([[6.0, 2.5]], dtype=F64))


def test_plastic_linear_batch_equals_one_at_a_time() -> None:
    layer = PlasticLinear(4, 3, rule=TraceRule.CLIPPED, generator=seeded(9), dtype=F64)
    g = seeded(10)
    pre, post = torch.randn(5, 4, generator=g, dtype=F64), torch.randn(5, 3, generator=g, dtype=F64)
    state = layer.plasticity_step(pre, post)
    out = layer(pre, state)
    for b in range(5):
        alone = layer.plasticity_step(pre[b : b + 1], post[b : b + 1])
        torch.testing.assert_close(out[b : b + 1], layer(pre[b : b + 1], alone))


def test_baselines_run_and_keep_episodes_independent() -> None:
    g = seeded(11)
    inputs = torch.randn(5, 3, 4, generator=g)
    rnn = RecurrentCell(4, generator=g)
    lstm = LSTMNetwork(4, 6, 2, generator=g)
    wrapped = RecurrentNetwork(PlasticRecurrentCell(6, generator=g), 4, 2, generator=g)
    for model in (rnn, lstm, wrapped):
        outputs, _ = model.run(inputs)
        alone, _ = model.run(inputs[:, 1:2])
        torch.testing.assert_close(outputs[:, 1:2], alone, rtol=1e-5, atol=1e-6)
        # one step at a time gives the same outputs as a whole run
        state, stepped = None, []
        for t in range(5):
            y, state = model(inputs[t], state)
            stepped.append(y)
        torch.testing.assert_close(torch.stack(stepped), outputs, rtol=1e-5, atol=1e-6)


def test_rnn_step_by_hand() -> None:
    cell = RecurrentCell(2, dtype=F64)
    with torch.no_grad():
        cell.weight.copy_(torch.tensor([[0.0, 2.0], [1.0, 0.0]]))
    x1, state = cell(torch.tensor([[0.5, -0.5]], dtype=F64))
    x2, _ = cell(torch.zeros(1, 2, dtype=F64), state)
    torch.testing.assert_close(x2, torch.tanh(torch.stack([2 * x1[:, 1], x1[:, 0]], dim=1)))


def test_building_modules_leaves_the_global_generator_alone() -> None:
    before = torch.random.get_rng_state()
    PlasticRecurrentCell(4, rule=TraceRule.MODULATED, generator=seeded(0))
    PlasticLinear(4, 3, generator=seeded(0))
    RecurrentCell(4, generator=seeded(0))
    LSTMNetwork(3, 5, 2, generator=seeded(0))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_same_seed_same_weights_and_modules_pickle() -> None:
    a = PlasticRecurrentCell(5, rule=TraceRule.RETROACTIVE, generator=seeded(12))
    b = PlasticRecurrentCell(5, rule=TraceRule.RETROACTIVE, generator=seeded(12))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)
    clone = pickle.loads(pickle.dumps(a))
    assert clone.rule is TraceRule.RETROACTIVE
    torch.testing.assert_close(clone.weight, a.weight)


def test_initial_parameters_follow_the_documented_scales() -> None:
    cell = PlasticRecurrentCell(200, eta=0.03, weight_std=0.05, alpha_init=0.2, generator=seeded(0))
    assert cell.weight.std().item() == pytest.approx(0.05, rel=0.05)
    assert 0 <= cell.alpha.min().item() and cell.alpha.max().item() < 0.2
    assert cell.alpha.mean().item() == pytest.approx(0.1, rel=0.05)
    assert cell.eta.item() == pytest.approx(0.03)
    modulated = PlasticRecurrentCell(
        400, rule=TraceRule.RETROACTIVE, modulator_std=0.01, generator=seeded(1)
    )
    assert modulated.modulator_weight.std().item() == pytest.approx(0.01, rel=0.1)
    default = PlasticRecurrentCell(400, rule=TraceRule.MODULATED, generator=seeded(1))
    assert default.modulator_weight.std().item() == pytest.approx(0.05, rel=0.1)  # 1/sqrt(N)
    shared = PlasticRecurrentCell(4, alpha_mode=AlphaMode.SHARED, alpha_init=0.2)
    assert shared.alpha.shape == () and shared.alpha.item() == pytest.approx(0.2)


PLASTIC_3 = PlasticRecurrentCell(3)
BAD = [
    (lambda: PlasticRecurrentCell(0), ValueError, "size must be"),
    (lambda: PlasticRecurrentCell(3, rule="oja"), TypeError, "rule must be one of TraceRule"),
    (lambda: PlasticRecurrentCell(3, alpha_mode="shared"), TypeError, "alpha_mode must be"),
    (lambda: PlasticRecurrentCell(3, eta=-1.0), ValueError, "eta must be"),
    (lambda: PlasticRecurrentCell(3)(torch.zeros(2, 4)), ValueError, r"drive must have shape"),
    (
        lambda: PlasticRecurrentCell(3)(torch.zeros(2, 3, dtype=F64)),
        TypeError,
        "drive must have the module's dtype",
    ),
    (
        lambda: PlasticRecurrentCell(3, rule=TraceRule.OJA).run(
            torch.zeros(2, 1, 3), method=RunMethod.FACTORED
        ),
        ValueError,
        "method FACTORED needs rule DECAYING",
    ),
    (
        lambda: PlasticRecurrentCell(3, alpha_mode=AlphaMode.SHARED).run(
            torch.zeros(2, 1, 3), method=RunMethod.BLOCKED
        ),
        ValueError,
        "method BLOCKED needs rule DECAYING, alpha_mode PER_CONNECTION and state=None",
    ),
    (
        lambda: PlasticRecurrentCell(3).run_activity(
            torch.zeros(2, 1, 3), PlasticRecurrentCell(3).initial_state(1), method=RunMethod.BLOCKED
        ),
        ValueError,
        "method BLOCKED needs .* and a given state",
    ),
    (lambda: PlasticRecurrentCell(3).run(torch.zeros(0, 1, 3)), ValueError, "at least one step"),
    (
        lambda: PlasticRecurrentCell(3)(
            torch.zeros(2, 3), PlasticRecurrentCell(3).initial_state(1)
        ),
        ValueError,
        r"state.x must have the shape \(2, 3\)",
    ),
    (lambda: PlasticRecurrentCell(3).modulation(torch.zeros(1, 3)), ValueError, "no neuromod"),
    (
        lambda: PlasticLinear(2, 2, rule=TraceRule.MODULATED).plasticity_step(
            torch.zeros(1, 2), torch.zeros(1, 2)
        ),
        ValueError,
        "needs a modulation",
    ),
    (lambda: RecurrentNetwork(torch.nn.Linear(2, 2), 2, 2), TypeError, "cell must be"),
    (lambda: LSTMNetwork(2, 0, 2), ValueError, "hidden_size must be"),
    # sizes whose weights cannot fit in memory: refused before allocating, not by torch
    (
        lambda: PlasticRecurrentCell(10**7),
        ValueError,
        r"^size=10000000 \(the 10000000x10000000 weight and alpha matrices\) would need",
    ),
    (
        lambda: PlasticLinear(10**7, 10**6),
        ValueError,
        r"^in_features=10000000, out_features=1000000 \(.*\) would need .* GB but",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_arguments_are_refused_by_name(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_plastic_network_learns_the_small_pattern_task_and_the_rnn_does_not() -> None:
    """Miconi et al. (2018), section 4.1, small setting: 50 bits, 2 patterns, 51 neurons.

    The bit error starts near 0.25 (half the bits are given, the other half are
    guesses). Within 25 Adam steps on batches of 32 episodes the plastic network at
    least halves it; the non-plastic RNN of the same size, trained the same way on the
    same episodes, does not.
    """
    task = PatternTask(
        pattern_size=50, patterns=2, presentation_steps=3, gap_steps=2, cycles=2, test_steps=3
    )
    models = {
        "plastic": PlasticRecurrentCell(task.neurons, generator=seeded(0)),
        "rnn": RecurrentCell(task.neurons, generator=seeded(0)),
    }
    optimisers = {k: torch.optim.Adam(m.parameters(), lr=3e-3) for k, m in models.items()}
    data = seeded(1)
    errors: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(25):
        episode = task.sample(32, generator=data)
        for name, model in models.items():
            output = model.run(episode.inputs)[0][-1, :, : task.pattern_size]
            loss = (output - episode.target).square().mean()
            optimisers[name].zero_grad()
            loss.backward()
            optimisers[name].step()
            errors[name].append(bit_error(output.detach(), episode.target).mean().item())
    for name, curve in errors.items():
        first, last = curve[0], sum(curve[-3:]) / 3  # curve[0]: before any update
        assert first == pytest.approx(0.25, abs=0.04), f"{name} starts at {first}"
        errors[name] = [first, last]
    assert errors["plastic"][1] <= errors["plastic"][0] / 2, errors
    assert errors["rnn"][1] > errors["rnn"][0] / 2, errors
    assert math.isfinite(errors["plastic"][1])


@pytest.mark.cuda
@pytest.mark.parametrize("alpha_mode", list(AlphaMode))
def test_cuda_gives_the_cpu_numbers(alpha_mode: AlphaMode) -> None:
    cpu = small_cell(TraceRule.DECAYING, alpha_mode, seed=13)
    gpu = small_cell(TraceRule.DECAYING, alpha_mode, seed=13).cuda()
    drives = torch.randn(6, 3, 3, generator=seeded(14), dtype=F64)
    methods = [RunMethod.DENSE, RunMethod.FACTORED]
    if alpha_mode is AlphaMode.PER_CONNECTION:
        methods.append(RunMethod.BLOCKED)
    for method in methods:
        expected = cpu.run(drives, method=method)[0]
        got = gpu.run(drives.cuda(), method=method)[0]
        torch.testing.assert_close(got.cpu(), expected)
    layer = PlasticLinear(3, 2, generator=seeded(15), device="cuda")
    state = layer.plasticity_step(torch.ones(2, 3, device="cuda"), torch.ones(2, 2, device="cuda"))
    assert state.hebb.device.type == "cuda"
