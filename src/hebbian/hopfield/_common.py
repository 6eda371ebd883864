"""Pieces shared by the binary Hopfield memories (classical and dense).

* :class:`UpdateRule`: how neurons are visited during recall;
* :class:`RecallResult`: what ``recall`` returns;
* the argument checks that the classical and dense modules share, and their random
  visiting orders (drawn with :mod:`hebbian._random`);
* exact arithmetic for the decisions: :func:`integer_dtype` and :func:`sign_keep`.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_positive, check_same_device
from hebbian._random import permutation

__all__ = ["TIE_TOLERANCE", "RecallResult", "UpdateRule"]


class UpdateRule(enum.Enum):
    """How the neurons of a binary Hopfield memory are updated during recall.

    ``ASYNCHRONOUS``
        One neuron at a time, in a random order; one *sweep* visits every neuron once
        (N single-neuron updates). Energy never increases (for symmetric weights with a
        non-negative diagonal).
    ``SYNCHRONOUS``
        All neurons at once from the same old state (Little dynamics). Can fall into
        2-cycles.
    ``STOCHASTIC``
        Asynchronous Glauber dynamics at temperature ``T > 0``:
        ``P(s_i = +1) = sigmoid(2 h_i / T)``.

    >>> UpdateRule.ASYNCHRONOUS.value
    'asynchronous'
    """

    ASYNCHRONOUS = "asynchronous"
    SYNCHRONOUS = "synchronous"
    STOCHASTIC = "stochastic"


class RecallResult(NamedTuple):
    """The outcome of recalling a batch of cues.

    Attributes
    ----------
    states : Tensor, shape (B, N)
        Final states, entries in {-1, +1}.
    overlaps : Tensor, shape (B, P)
        Overlaps ``m_mu = s . xi_mu / N`` of each final state with each stored pattern
        (1 means identical, -1 the negated pattern).
    converged : Tensor, shape (B,), bool
        True where the last sweep changed no neuron of that cue (a fixed point for the
        deterministic rules).
    sweeps : int
        Number of sweeps performed (the same for the whole batch; recall stops as soon
        as a sweep changes no cue, or after ``max_sweeps``).
    energies : Tensor of shape (sweeps + 1, B), or None
        Energy of every cue before the first sweep and after each sweep; only filled
        when ``return_energy=True``, otherwise ``None``.
    """

    states: torch.Tensor
    overlaps: torch.Tensor
    converged: torch.Tensor
    sweeps: int
    energies: torch.Tensor | None

    @classmethod
    def of_no_cues(cls, cues: torch.Tensor, patterns: int, return_energy: bool) -> RecallResult:
        """The result of recalling an empty batch ``cues`` of shape (0, N): no sweeps."""
        overlaps = cues.new_zeros(0, patterns)
        converged = torch.ones(0, dtype=torch.bool, device=cues.device)
        energies = cues.new_zeros(1, 0) if return_energy else None
        return cls(cues.clone(), overlaps, converged, 0, energies)


def check_update_rule(name: str, value: object) -> UpdateRule:
    """Return ``value`` if it is an :class:`UpdateRule` member, else raise ``TypeError``."""
    if not isinstance(value, UpdateRule):
        raise TypeError(
            f"{name} must be a hebbian.hopfield.UpdateRule member, got "
            f"{type(value).__name__} {value!r}"
        )
    return value


def check_binary(name: str, value: object, *, ndim: int | None = None) -> torch.Tensor:
    """Return ``value`` if it is a floating tensor whose entries are all -1 or +1.

    >>> check_binary("cues", torch.tensor([[1.0, -1.0]]), ndim=2).shape
    torch.Size([1, 2])
    >>> check_binary("cues", torch.tensor([[1.0, 0.0]]))
    Traceback (most recent call last):
    ...
    ValueError: cues must hold only -1.0 and +1.0, got 0.0 at index (0, 1)
    """
    tensor = check_floating_tensor(name, value, ndim=ndim)
    bad = (tensor != 1) & (tensor != -1)
    if bool(bad.any()):
        where = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(
            f"{name} must hold only -1.0 and +1.0, got {float(tensor[where])!r} at index {where}"
        )
    return tensor


def check_patterns(name: str, patterns: object) -> torch.Tensor:
    """Return ``patterns`` if it is a finite floating (P, N) tensor with P, N >= 1.

    >>> check_patterns("patterns", torch.zeros(0, 3))
    Traceback (most recent call last):
    ...
    ValueError: patterns must hold at least one pattern of at least one neuron, got shape (0, 3)
    """
    patterns = check_floating_tensor(name, patterns, ndim=2)
    if patterns.shape[0] < 1 or patterns.shape[1] < 1:
        raise ValueError(
            f"{name} must hold at least one pattern of at least one neuron, "
            f"got shape {tuple(patterns.shape)}"
        )
    if not bool(torch.isfinite(patterns).all()):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return patterns


def check_weights(
    weights: object, n: int | None = None, like: torch.Tensor | None = None
) -> torch.Tensor:
    """Return ``weights`` if it is a square floating (N, N) tensor (N = ``n`` if given).

    With ``like`` (the states), the weights must also share its device and dtype.

    >>> check_weights(torch.zeros(2, 3))
    Traceback (most recent call last):
    ...
    ValueError: weights must be square (N, N), got shape (2, 3)
    """
    weights = check_floating_tensor("weights", weights, ndim=2)
    if weights.shape[0] != weights.shape[1]:
        raise ValueError(f"weights must be square (N, N), got shape {tuple(weights.shape)}")
    if n is not None and weights.shape[0] != n:
        raise ValueError(
            f"weights must have shape ({n}, {n}) to match states with N = {n}, "
            f"got {tuple(weights.shape)}"
        )
    if like is not None:
        check_same_device(states=like, weights=weights)
    return weights


def check_bias(bias: object, n: int, like: torch.Tensor) -> torch.Tensor | None:
    """Return ``bias`` (None, or an (N,) tensor on the device and dtype of ``like``).

    >>> check_bias(None, 3, torch.zeros(1, 3)) is None
    True
    """
    if bias is None:
        return None
    bias = check_floating_tensor("bias", bias, shape=(n,))
    check_same_device(states=like, bias=bias)
    return bias


def check_temperature(temperature: object) -> float:
    """Return ``temperature`` as a float if it is a finite number >= 0.

    >>> check_temperature(0)
    0.0
    """
    return check_positive("temperature", temperature, allow_zero=True)


def check_cue_orders(
    name: str, value: object, batch: int, n: int, like: torch.Tensor
) -> torch.Tensor:
    """Return visiting orders, one per cue, as an int64 (B, N) tensor of permutations.

    ``value`` is (N,) (one order for every cue, expanded) or (B, N) (row b for cue b),
    of an integer dtype; the result is on the device of ``like``.

    >>> check_cue_orders("cue_orders", torch.tensor([1, 0]), 2, 2, torch.zeros(2, 2)).tolist()
    [[1, 0], [1, 0]]
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(value).__name__}")
    if value.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must have an integer dtype (int64), got {value.dtype}")
    if value.ndim == 1:
        value = value.unsqueeze(0).expand(batch, -1)
    if value.ndim != 2 or value.shape != (batch, n):
        raise ValueError(
            f"{name} must have shape ({n},) or ({batch}, {n}), got {tuple(value.shape)}"
        )
    orders = value.to(device=like.device, dtype=torch.int64)
    expected = torch.arange(n, device=like.device).expand(batch, n)
    if not torch.equal(orders.sort(dim=1).values, expected):
        raise ValueError(f"{name} must hold a permutation of 0..{n - 1} in every row")
    return orders


def check_sweep_orders(value: object, n: int, like: torch.Tensor) -> torch.Tensor:
    """Return visiting orders, one per sweep, as an int64 (S, N) tensor of permutations.

    Row ``k`` is the order of sweep ``k`` for every cue of a batch (S >= 1).

    >>> check_sweep_orders(torch.tensor([[0, 1], [1, 0]]), 2, torch.zeros(1, 2)).shape
    torch.Size([2, 2])
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"sweep_orders must be a torch.Tensor or None, got {type(value).__name__}")
    if value.ndim != 2 or value.shape[0] < 1:
        raise ValueError(
            f"sweep_orders must have shape (S, {n}) with S >= 1, got {tuple(value.shape)}"
        )
    return check_cue_orders("sweep_orders", value, value.shape[0], n, like)


def random_cue_orders(
    rows: int, n: int, generator: torch.Generator | None, *, device: torch.device
) -> torch.Tensor:
    """``rows`` independent uniformly random permutations of ``0..N-1``, (rows, N) int64.

    One :func:`hebbian._random.permutation` per row (``torch.randperm``, drawn on the
    generator's device, several times faster than sorting uniform draws on CPUs).

    >>> random_cue_orders(2, 3, torch.Generator().manual_seed(0), device=torch.device("cpu")).shape
    torch.Size([2, 3])
    """
    return torch.stack([permutation(n, generator, device=device) for _ in range(rows)])


#: Relative width of the tie band of non-integer fields and gains (see :func:`tie_band`).
TIE_TOLERANCE = 1e-9


def integer_dtype(bound: int, like: torch.Tensor) -> torch.dtype:
    r"""Floating dtype in which integers of magnitude up to ``bound`` are summed exactly.

    A float with a ``p``-bit significand holds every integer below :math:`2^p` exactly, so
    a sum of integers whose partial sums all stay below :math:`2^p` is exact **in any
    order** (the same on every machine, thread count and BLAS). That is float32 (p = 24)
    when ``like`` is float32, ``bound < 2**24`` and float32 products are not done in
    reduced precision (TF32 on CUDA, or a ``torch.set_float32_matmul_precision`` other
    than ``"highest"``); otherwise float64 (p = 53).

    Raises
    ------
    ValueError
        If ``bound >= 2**53``: no floating dtype holds such sums exactly.

    >>> integer_dtype(1000, torch.zeros(1))
    torch.float32
    >>> integer_dtype(2**30, torch.zeros(1))
    torch.float64
    """
    if bound >= 2**53:
        raise ValueError(
            f"integer fields up to {bound} exceed 2**53, the largest range float64 sums "
            "exactly; store fewer patterns or use fewer neurons"
        )
    reduced = torch.get_float32_matmul_precision() != "highest" or (
        like.is_cuda and torch.backends.cuda.matmul.allow_tf32
    )
    if like.dtype == torch.float32 and bound < 2**24 and not reduced:
        return torch.float32
    return torch.float64


def sign_keep(
    values: torch.Tensor, current: torch.Tensor, tolerance: float | torch.Tensor = 0.0
) -> torch.Tensor:
    """``sign(values)`` with ties (``|values| <= tolerance``) resolved by keeping ``current``.

    >>> sign_keep(torch.tensor([2.0, -1.0, 0.0, 0.0]), torch.tensor([-1.0, 1.0, 1.0, -1.0]))
    tensor([ 1., -1.,  1., -1.])
    >>> sign_keep(torch.tensor([1e-12, -0.5]), torch.tensor([-1.0, 1.0]), tolerance=1e-9)
    tensor([-1., -1.])
    """
    up, down = values > tolerance, values < -tolerance
    return torch.where(up, 1.0, torch.where(down, -1.0, current)).to(current.dtype)
