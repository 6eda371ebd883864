"""Each Hebbian trace update against a computation by hand, and the factored form."""

from __future__ import annotations

import pytest
import torch

from hebbian.plastic import (
    TraceRule,
    TraceState,
    check_modulation,
    clipped_trace,
    decay_coefficients,
    decaying_trace,
    hebb_from_history,
    hebbian_outer,
    history_drive,
    initial_trace_state,
    modulated_trace,
    oja_trace,
    plastic_drive,
    plastic_drive_unchecked,
    retroactive_trace,
    update_trace,
    update_trace_unchecked,
)

F64 = torch.float64

# One episode, two pre-synaptic and two post-synaptic neurons, worked out by hand below.
PRE = torch.tensor([[1.0, -2.0]], dtype=F64)  # x_i(t-1)
POST = torch.tensor([[0.5, -1.0]], dtype=F64)  # x_j(t)
HEBB = torch.tensor([[[0.2, -0.4], [0.6, 0.9]]], dtype=F64)  # [post j, pre i]
# outer(post, pre)[j, i] = y_j x_i = [[0.5, -1.0], [-1.0, 2.0]]


def test_outer_is_post_times_pre_in_weight_layout() -> None:
    expected = torch.tensor([[[0.5, -1.0], [-1.0, 2.0]]], dtype=F64)
    torch.testing.assert_close(hebbian_outer(PRE, POST), expected)


def test_decaying_trace_by_hand() -> None:
    # (1 - 0.1) H + 0.1 y x^T
    expected = torch.tensor(
        [[[0.9 * 0.2 + 0.05, 0.9 * -0.4 - 0.1], [0.9 * 0.6 - 0.1, 0.9 * 0.9 + 0.2]]], dtype=F64
    )
    torch.testing.assert_close(decaying_trace(HEBB, PRE, POST, 0.1), expected)


def test_oja_trace_by_hand() -> None:
    # H_ji + eta y_j (x_i - y_j H_ji) with eta = 0.1
    # j=0 (y=0.5): 0.2 + 0.05 (1 - 0.1) = 0.245;  -0.4 + 0.05 (-2 + 0.2) = -0.49
    # j=1 (y=-1):  0.6 - 0.1 (1 + 0.6) = 0.44;     0.9 - 0.1 (-2 + 0.9) = 1.01
    expected = torch.tensor([[[0.245, -0.49], [0.44, 1.01]]], dtype=F64)
    torch.testing.assert_close(oja_trace(HEBB, PRE, POST, 0.1), expected)


def test_clipped_trace_by_hand() -> None:
    # H + 0.3 y x^T = [[0.35, -0.7], [0.3, 1.5]] -> clip to [-1, 1], then to [-0.5, 0.5]
    torch.testing.assert_close(
        clipped_trace(HEBB, PRE, POST, 0.3),
        torch.tensor([[[0.35, -0.7], [0.3, 1.0]]], dtype=F64),
    )
    torch.testing.assert_close(
        clipped_trace(HEBB, PRE, POST, 0.3, bound=0.5),
        torch.tensor([[[0.35, -0.5], [0.3, 0.5]]], dtype=F64),
    )


def test_modulated_trace_by_hand_with_negative_modulation() -> None:
    # M = -0.2 replaces eta: H - 0.2 y x^T = [[0.1, -0.2], [0.8, 0.5]]
    m = torch.tensor([-0.2], dtype=F64)
    expected = torch.tensor([[[0.1, -0.2], [0.8, 0.5]]], dtype=F64)
    torch.testing.assert_close(modulated_trace(HEBB, PRE, POST, m), expected)
    # one modulation per post-synaptic neuron scales rows: row 0 by 1, row 1 by 0
    per_neuron = torch.tensor([[1.0, 0.0]], dtype=F64)
    expected = torch.tensor([[[0.7, -1.0], [0.6, 0.9]]], dtype=F64)  # 0.2+0.5, clip(-1.4)
    torch.testing.assert_close(modulated_trace(HEBB, PRE, POST, per_neuron), expected)


def test_retroactive_trace_uses_the_old_eligibility_then_updates_it() -> None:
    eligibility = torch.tensor([[[1.0, 0.0], [-1.0, 0.5]]], dtype=F64)
    m = torch.tensor([[0.5]], dtype=F64)
    hebb, new_e = retroactive_trace(HEBB, eligibility, PRE, POST, 0.2, m)
    # Hebb + 0.5 E_old = [[0.7, -0.4], [0.1, 1.15 -> 1.0]]
    torch.testing.assert_close(hebb, torch.tensor([[[0.7, -0.4], [0.1, 1.0]]], dtype=F64))
    # E: 0.8 E + 0.2 y x^T = [[0.8 + 0.1, -0.2], [-0.8 - 0.2, 0.4 + 0.4]]
    torch.testing.assert_close(new_e, torch.tensor([[[0.9, -0.2], [-1.0, 0.8]]], dtype=F64))


def test_zero_modulation_freezes_the_trace() -> None:
    zero = torch.zeros(1, dtype=F64)
    torch.testing.assert_close(modulated_trace(HEBB, PRE, POST, zero), HEBB)
    eligibility = torch.ones_like(HEBB)
    hebb, _ = retroactive_trace(HEBB, eligibility, PRE, POST, 0.2, zero)
    torch.testing.assert_close(hebb, HEBB)


@pytest.mark.parametrize("rule", list(TraceRule))
def test_update_trace_dispatches_to_the_pure_functions(rule: TraceRule) -> None:
    eligibility = torch.full_like(HEBB, 0.3) if rule is TraceRule.RETROACTIVE else None
    state = TraceState(HEBB, eligibility)
    m = torch.tensor([0.4], dtype=F64) if rule.modulated else None
    new = update_trace(rule, state, PRE, POST, eta=0.1, modulation=m)
    expected = {
        TraceRule.DECAYING: lambda: (decaying_trace(HEBB, PRE, POST, 0.1), None),
        TraceRule.OJA: lambda: (oja_trace(HEBB, PRE, POST, 0.1), None),
        TraceRule.CLIPPED: lambda: (clipped_trace(HEBB, PRE, POST, 0.1), None),
        TraceRule.MODULATED: lambda: (modulated_trace(HEBB, PRE, POST, m), None),
        TraceRule.RETROACTIVE: lambda: retroactive_trace(HEBB, eligibility, PRE, POST, 0.1, m),
    }[rule]()
    torch.testing.assert_close(new.hebb, expected[0])
    if expected[1] is None:
        assert new.eligibility is None
    else:
        torch.testing.assert_close(new.eligibility, expected[1])


@pytest.mark.parametrize("rule", list(TraceRule))
def test_the_unchecked_update_is_the_checked_one(rule: TraceRule) -> None:
    eligibility = torch.full_like(HEBB, 0.3) if rule is TraceRule.RETROACTIVE else None
    state = TraceState(HEBB, eligibility)
    m = torch.tensor([0.4], dtype=F64) if rule.modulated else None
    checked = update_trace(rule, state, PRE, POST, eta=0.1, modulation=m, bound=0.5)
    rows = None if m is None else check_modulation(m, POST)
    assert rows is None or rows.shape == (1, 1)
    unchecked = update_trace_unchecked(rule, state, PRE, POST, 0.1, rows, 0.5)
    assert torch.equal(unchecked.hebb, checked.hebb)
    assert (unchecked.eligibility is None) == (checked.eligibility is None)
    if checked.eligibility is not None:
        assert unchecked.eligibility is not None
        assert torch.equal(unchecked.eligibility, checked.eligibility)


def test_decay_coefficients_in_both_orders() -> None:
    eta = torch.tensor(0.3, dtype=F64)
    by_age = decay_coefficients(eta, 40, PRE, oldest_first=False)
    expected = torch.tensor([0.3 * 0.7**a for a in range(40)], dtype=F64)
    torch.testing.assert_close(by_age, expected)
    torch.testing.assert_close(decay_coefficients(eta, 40, PRE), by_age.flip(0))
    assert decay_coefficients(0.5, 1, PRE).dtype == F64


def test_traces_of_a_batch_are_independent() -> None:
    g = torch.Generator().manual_seed(0)
    pre, post = torch.randn(3, 4, generator=g), torch.randn(3, 5, generator=g)
    hebb = torch.randn(3, 5, 4, generator=g)
    batched = oja_trace(hebb, pre, post, 0.1)
    for b in range(3):
        alone = oja_trace(hebb[b : b + 1], pre[b : b + 1], post[b : b + 1], 0.1)
        torch.testing.assert_close(batched[b : b + 1], alone)


def test_plastic_drive_by_hand() -> None:
    weight = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=F64)
    alpha = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=F64)
    # (W + alpha * H) = [[1.4, 0], [0, -0.1]];  times x = (1, -2): (1.4, 0.2)
    torch.testing.assert_close(
        plastic_drive(weight, alpha, HEBB, PRE), torch.tensor([[1.4, 0.2]], dtype=F64)
    )
    # shared alpha = 0.5: W + 0.5 H = [[1.1, -0.2], [0.3, -0.55]] -> (1.5, 1.4)
    torch.testing.assert_close(
        plastic_drive(weight, torch.tensor(0.5, dtype=F64), HEBB, PRE),
        torch.tensor([[1.5, 1.4]], dtype=F64),
    )
    for alpha in (torch.tensor(0.5, dtype=F64), weight):
        assert torch.equal(
            plastic_drive_unchecked(weight, alpha, HEBB, PRE),
            plastic_drive(weight, alpha, HEBB, PRE),
        )


@pytest.mark.parametrize("shared", [False, True])
def test_factored_trace_equals_repeated_decaying_updates(shared: bool) -> None:
    g = torch.Generator().manual_seed(1)
    batch, steps, n_pre, n_post = 3, 6, 4, 5
    pres = torch.randn(batch, steps, n_pre, generator=g, dtype=F64)
    posts = torch.randn(batch, steps, n_post, generator=g, dtype=F64)
    eta = torch.tensor(0.3, dtype=F64)
    hebb = initial_trace_state(TraceRule.DECAYING, batch, n_post, n_pre, dtype=F64).hebb
    for k in range(steps):
        hebb = decaying_trace(hebb, pres[:, k], posts[:, k], eta)
    torch.testing.assert_close(hebb_from_history(eta, pres, posts), hebb)
    alpha = (
        torch.tensor(0.7, dtype=F64)
        if shared
        else torch.randn(n_post, n_pre, generator=g, dtype=F64)
    )
    query = torch.randn(batch, n_pre, generator=g, dtype=F64)
    zero_w = torch.zeros(n_post, n_pre, dtype=F64)
    torch.testing.assert_close(
        history_drive(alpha, eta, pres, posts, query), plastic_drive(zero_w, alpha, hebb, query)
    )


BAD = [
    (lambda: decaying_trace(HEBB, PRE.float(), POST, 0.1), TypeError, "pre, post must share"),
    (lambda: decaying_trace(HEBB, PRE, POST[:, :1], 0.1), ValueError, "hebb must have shape"),
    (lambda: decaying_trace(HEBB, PRE, POST, -0.1), ValueError, "eta must be a finite"),
    (lambda: decaying_trace(HEBB, PRE, POST, "0.1"), TypeError, "eta must be a float"),
    (lambda: clipped_trace(HEBB, PRE, POST, 0.1, bound=0), ValueError, "bound must be"),
    (
        lambda: modulated_trace(HEBB, PRE, POST, torch.ones(1, 3, dtype=F64)),
        ValueError,
        "modulation must have shape",
    ),
    (
        lambda: update_trace(TraceRule.MODULATED, TraceState(HEBB), PRE, POST, eta=0.1),
        ValueError,
        "needs a modulation",
    ),
    (
        lambda: update_trace(
            TraceRule.OJA, TraceState(HEBB), PRE, POST, eta=0.1, modulation=torch.ones(1)
        ),
        ValueError,
        "takes no modulation",
    ),
    (lambda: update_trace("oja", TraceState(HEBB), PRE, POST, eta=0.1), TypeError, "rule must"),
    (
        lambda: plastic_drive(torch.zeros(2, 2, dtype=F64), torch.zeros(3, dtype=F64), HEBB, PRE),
        ValueError,
        "alpha must have shape",
    ),
    (lambda: initial_trace_state(TraceRule.OJA, 0, 2, 2), ValueError, "batch must be"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_arguments_are_refused_by_name(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()
