"""Bad arguments are refused early, with messages naming the argument."""

from __future__ import annotations

import pytest
import torch

from hebbian.hopfield import (
    DenseAssociativeMemory,
    Exponential,
    HopfieldNetwork,
    ModernHopfield,
    Polynomial,
    StorageRule,
    UpdateRule,
    classical,
    dense,
    field_state,
    hebb_weights,
    iterate,
    modern,
    pseudo_inverse_weights,
    retrieve,
    storkey_weights,
    update_neuron,
)

XI = torch.tensor([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]])
W = hebb_weights(XI)
Q = torch.randn(2, 4)

CASES = [
    # classical storage
    (lambda: hebb_weights([[1.0, -1.0]]), TypeError, "patterns must be a torch.Tensor"),
    (lambda: hebb_weights(torch.tensor([[1, -1]])), TypeError, "patterns must have a floating"),
    (lambda: hebb_weights(torch.ones(4)), ValueError, "patterns must be 2-D"),
    (
        lambda: hebb_weights(torch.tensor([[float("nan"), 1.0]])),
        ValueError,
        "patterns must be finite",
    ),
    (
        lambda: storkey_weights(XI, initial=torch.zeros(3, 3)),
        ValueError,
        r"weights must have shape \(4, 4\)",
    ),
    (
        lambda: pseudo_inverse_weights(XI, zero_diagonal=1),
        TypeError,
        "zero_diagonal must be a bool",
    ),
    # classical dynamics
    (lambda: classical.energy(XI, torch.zeros(4, 3)), ValueError, "weights must be square"),
    (
        lambda: classical.energy(XI, W, bias=torch.zeros(3)),
        ValueError,
        r"bias must have shape \(4\)",
    ),
    (lambda: classical.energy(XI, W.double()), TypeError, "states, weights must share one dtype"),
    (
        lambda: classical.synchronous_step(torch.zeros(1, 4), W),
        ValueError,
        "states must hold only -1.0 and",
    ),
    (
        lambda: classical.asynchronous_sweep(XI, W, temperature=-1.0),
        ValueError,
        "temperature must be",
    ),
    (
        lambda: classical.asynchronous_sweep(XI, W, generator=3),
        TypeError,
        "generator must be a torch.Gen",
    ),
    (
        lambda: classical.asynchronous_sweep(XI, W, cue_orders=torch.tensor([0, 0, 1, 2])),
        ValueError,
        "cue_orders must hold a permutation",
    ),
    (
        lambda: classical.asynchronous_sweep(XI, W, cue_orders=torch.tensor([0, 1])),
        ValueError,
        "cue_orders must have shape",
    ),
    (
        lambda: classical.asynchronous_sweep(XI, W, cue_orders=torch.ones(4)),
        TypeError,
        "cue_orders must have an integer",
    ),
    (lambda: update_neuron((XI, XI), 0, W), TypeError, "state must be a FieldState"),
    (lambda: update_neuron(field_state(XI, W), 4, W), ValueError, r"index must lie in \[0, 3\]"),
    (lambda: update_neuron(field_state(XI, W), 1.5, W), TypeError, "index must be an int"),
    (
        lambda: update_neuron(field_state(XI, W), torch.tensor([0]), W),
        ValueError,
        r"index must be an integer tensor of shape \(2,\)",
    ),
    # classical estimator
    (lambda: HopfieldNetwork(storage="hebb").fit(XI), TypeError, "storage must be a StorageRule"),
    (
        lambda: HopfieldNetwork(update="sync").fit(XI),
        TypeError,
        "update must be a hebbian.hopfield.UpdateRule",
    ),
    (
        lambda: HopfieldNetwork(update=UpdateRule.STOCHASTIC).fit(XI),
        ValueError,
        "temperature must be > 0",
    ),
    (lambda: HopfieldNetwork(temperature=1.0).fit(XI), ValueError, "temperature must be 0 for"),
    (lambda: HopfieldNetwork().fit(XI * 0.5), ValueError, "patterns must hold only -1.0 and"),
    (
        lambda: HopfieldNetwork(bias=torch.zeros(3)).fit(XI),
        ValueError,
        r"bias must have shape \(4\)",
    ),
    (lambda: HopfieldNetwork().recall(XI), RuntimeError, "call fit first"),
    (lambda: HopfieldNetwork().fit(XI).recall(XI[:, :3]), ValueError, "cues must have N = 4"),
    (lambda: HopfieldNetwork().fit(XI).recall(XI, max_sweeps=0), ValueError, "max_sweeps must be"),
    (
        lambda: HopfieldNetwork().fit(XI).recall(XI, return_energy=1),
        TypeError,
        "return_energy must be a bool",
    ),
    (
        lambda: HopfieldNetwork().fit(XI).partial_fit(torch.ones(1, 5)),
        ValueError,
        "patterns must have N = 4",
    ),
    (
        lambda: HopfieldNetwork(storage=lambda p: torch.zeros(2, 2)).fit(XI),
        ValueError,
        r"weights must have shape \(4, 4\)",
    ),
    # dense
    (lambda: Polynomial(0), ValueError, "degree must be an int >= 1"),
    (lambda: Polynomial(2.0), TypeError, "degree must be an int"),
    (lambda: dense.energy(XI, XI, "exp"), TypeError, "interaction must be Polynomial"),
    (
        lambda: dense.energy(XI, XI[:, :3], Exponential()),
        ValueError,
        "patterns must have N = 4",
    ),
    (
        lambda: dense.synchronous_step(XI * 2, XI, Exponential()),
        ValueError,
        "states must hold only",
    ),
    (
        lambda: DenseAssociativeMemory(update=UpdateRule.STOCHASTIC).fit(XI),
        ValueError,
        "update must be UpdateRule.ASYNCHRONOUS",
    ),
    (lambda: DenseAssociativeMemory(Polynomial(3)).recall(XI), RuntimeError, "call fit first"),
    (
        lambda: DenseAssociativeMemory().fit(XI).recall(XI, max_sweeps=-1),
        ValueError,
        "max_sweeps must be",
    ),
    (
        lambda: DenseAssociativeMemory().fit(XI).store(torch.ones(1, 3)),
        ValueError,
        "patterns must have N = 4",
    ),
    # modern
    (lambda: retrieve(Q, Q, beta=0.0), ValueError, "beta must be a finite number > 0"),
    (lambda: retrieve(Q, Q, beta="1"), TypeError, "beta must be a number"),
    (
        lambda: retrieve(Q, torch.randn(3, 5), beta=1.0),
        ValueError,
        r"patterns must have shape \(P, 4\)",
    ),
    (
        lambda: retrieve(Q, torch.randn(3, 3, 4), beta=1.0),
        ValueError,
        r"patterns must have shape \(2, P, 4\)",
    ),
    (lambda: retrieve(Q[0], Q, beta=1.0), ValueError, "query must be 2-D"),
    (lambda: retrieve(Q, torch.randn(4), beta=1.0), ValueError, "patterns must be 2-D"),
    (lambda: retrieve(Q, Q.double(), beta=1.0), TypeError, "query, patterns must share one dtype"),
    (
        lambda: retrieve(Q, Q, beta=torch.tensor([1.0, 2.0])),
        ValueError,
        "beta must be a positive number",
    ),
    (lambda: iterate(Q, Q, 1.0, max_steps=0), ValueError, "max_steps must be"),
    (lambda: iterate(Q, Q, 1.0, tol=-1.0), ValueError, "tol must be"),
    (
        lambda: modern.energy(Q, torch.zeros(0, 4), 1.0),
        ValueError,
        "patterns must hold at least one",
    ),
    (lambda: ModernHopfield(Q, beta=-1.0), ValueError, "beta must be"),
    (lambda: ModernHopfield(Q, steps=0), ValueError, "steps must be"),
    (lambda: ModernHopfield(Q, learnable="yes"), TypeError, "learnable must be a bool"),
    (lambda: ModernHopfield(torch.ones(2, 3, 4)), ValueError, "patterns must be 2-D"),
]


@pytest.mark.parametrize(("call", "error", "message"), CASES)
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_good_arguments_are_accepted():
    # the argument checks do not reject valid calls of every kind
    assert HopfieldNetwork(storage=StorageRule.STORKEY, update=UpdateRule.SYNCHRONOUS).fit(XI)
    assert DenseAssociativeMemory(Polynomial(2)).fit(XI).recall(XI).converged.all()
    assert retrieve(Q, Q, beta=torch.tensor(0.5)).shape == (2, 4)


def test_memories_check_their_parameters_when_storing_not_when_built():
    # scikit-learn manners: the constructor records, fit (and recall) check
    HopfieldNetwork(storage="hebb")
    DenseAssociativeMemory(update=UpdateRule.STOCHASTIC)
    with pytest.raises(TypeError, match="storage must be a StorageRule"):
        HopfieldNetwork(storage="hebb").partial_fit(XI)
    with pytest.raises(ValueError, match=r"update must be UpdateRule\.ASYNCHRONOUS"):
        DenseAssociativeMemory(update=UpdateRule.STOCHASTIC).partial_fit(XI)
