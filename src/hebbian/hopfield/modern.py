r"""Modern continuous Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You Need").

Stored patterns are the **rows** of ``X`` (P, d); a state (query) is :math:`\xi \in
\mathbb{R}^d`. With :math:`\operatorname{lse}(\beta, z) = \beta^{-1} \log \sum_\mu
e^{\beta z_\mu}` and :math:`M = \max_\mu \lVert x_\mu \rVert`, the energy is

.. math::

    E(\xi) = -\operatorname{lse}(\beta, X\xi) + \tfrac12 \xi^\top\xi
             + \beta^{-1}\log P + \tfrac12 M^2

and the update rule (one step of the concave-convex procedure, so :math:`E` never
increases) is

.. math:: \xi^{\text{new}} = X^\top \operatorname{softmax}(\beta X \xi) .

For a batch of queries (B, d) this is exactly attention with keys = values = patterns and
scale ``beta``: ``scaled_dot_product_attention(query, X, X, scale=beta)``; with
``beta = 1 / sqrt(d)`` it is the transformer's attention. Everything is differentiable,
so gradients flow to the queries, the patterns and ``beta``.

Note the orientation: the paper writes the patterns as *columns* of :math:`X` (d, N) and
the update as :math:`X \operatorname{softmax}(\beta X^\top \xi)`; here they are rows, the
PyTorch convention, so the transposes swap.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from hebbian._checks import (
    check_floating_tensor,
    check_positive,
    check_positive_int,
    check_same_device,
)

__all__ = [
    "IterateResult",
    "ModernHopfield",
    "energy",
    "iterate",
    "retrieve",
    "separation_probabilities",
]


def _check_query_patterns(query: object, patterns: object) -> tuple[torch.Tensor, torch.Tensor]:
    query = check_floating_tensor("query", query, ndim=2)
    patterns = check_floating_tensor("patterns", patterns)
    batch, dim = query.shape
    if patterns.ndim == 2:
        if patterns.shape[1] != dim:
            raise ValueError(
                f"patterns must have shape (P, {dim}) to match query (B, {dim}), "
                f"got {tuple(patterns.shape)}"
            )
    elif patterns.ndim == 3:
        if patterns.shape[0] != batch or patterns.shape[2] != dim:
            raise ValueError(
                f"patterns must have shape ({batch}, P, {dim}) to match query ({batch}, {dim}), "
                f"got {tuple(patterns.shape)}"
            )
    else:
        raise ValueError(
            f"patterns must be 2-D (P, d) or 3-D (B, P, d), got shape {tuple(patterns.shape)}"
        )
    if patterns.shape[-2] < 1:
        raise ValueError("patterns must hold at least one pattern (P >= 1), got P = 0")
    check_same_device(query=query, patterns=patterns)
    return query, patterns


def _check_beta(beta: object) -> float | torch.Tensor:
    """``beta`` is a positive number or a positive scalar tensor (e.g. a learnable one)."""
    if isinstance(beta, torch.Tensor):
        if beta.numel() != 1 or not beta.is_floating_point():
            raise ValueError(
                f"beta must be a positive number or a floating scalar tensor, "
                f"got a {beta.dtype} tensor of shape {tuple(beta.shape)}"
            )
        if not bool(beta.detach() > 0):
            raise ValueError(f"beta must be > 0, got {float(beta)!r}")
        return beta.reshape(())
    return check_positive("beta", beta)


def _scores(query: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    """Dot products ``X xi`` for every query, shape (B, P)."""
    if patterns.ndim == 2:
        return query @ patterns.T  # (B, P)
    return torch.einsum("bd,bpd->bp", query, patterns)  # (B, P)


def _mix(probabilities: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    """``X^T p`` for every query, shape (B, d)."""
    if patterns.ndim == 2:
        return probabilities @ patterns  # (B, d)
    return torch.einsum("bp,bpd->bd", probabilities, patterns)  # (B, d)


def separation_probabilities(
    query: torch.Tensor, patterns: torch.Tensor, beta: float | torch.Tensor
) -> torch.Tensor:
    r"""The attention weights :math:`p = \operatorname{softmax}(\beta X \xi)`, shape (B, P).

    Examples
    --------
    >>> x = torch.eye(2)
    >>> separation_probabilities(torch.tensor([[1.0, 0.0]]), x, beta=math.log(3.0))
    tensor([[0.7500, 0.2500]])
    """
    query, patterns = _check_query_patterns(query, patterns)
    beta = _check_beta(beta)
    return torch.softmax(beta * _scores(query, patterns), dim=-1)


def retrieve(
    query: torch.Tensor, patterns: torch.Tensor, beta: float | torch.Tensor
) -> torch.Tensor:
    r"""One modern Hopfield update.

    .. math:: \xi \leftarrow X^\top \operatorname{softmax}(\beta X \xi)

    Parameters
    ----------
    query : Tensor, shape (B, d)
        States :math:`\xi`, one per row.
    patterns : Tensor, shape (P, d) or (B, P, d)
        Stored patterns as rows, shared by the batch or one set per query.
    beta : float or scalar Tensor, > 0
        Inverse temperature.

    Returns
    -------
    Tensor, shape (B, d)
        Equal to ``scaled_dot_product_attention(query, patterns, patterns, scale=beta)``.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> retrieve(torch.tensor([[1.0, 0.0]]), x, beta=math.log(3.0))
    tensor([[0.7500, 0.2500]])
    """
    query, patterns = _check_query_patterns(query, patterns)
    beta = _check_beta(beta)
    probabilities = torch.softmax(beta * _scores(query, patterns), dim=-1)  # (B, P)
    return _mix(probabilities, patterns)


def energy(query: torch.Tensor, patterns: torch.Tensor, beta: float | torch.Tensor) -> torch.Tensor:
    r"""Modern Hopfield energy of each query, shape (B,).

    .. math::

        E(\xi) = -\beta^{-1}\log\sum_\mu e^{\beta\, x_\mu\cdot\xi} + \tfrac12\xi^\top\xi
                 + \beta^{-1}\log P + \tfrac12 M^2,
        \qquad M = \max_\mu\lVert x_\mu\rVert .

    The constants make :math:`E \ge 0` (Ramsauer et al. 2020, Lemma A1); the log-sum-exp
    is computed stably. For per-query patterns (B, P, d), ``M`` is per query.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> energy(torch.tensor([[1.0, 0.0]]), x, beta=1.0)
    tensor([0.3799])
    """
    query, patterns = _check_query_patterns(query, patterns)
    beta = _check_beta(beta)
    count = patterns.shape[-2]
    lse = torch.logsumexp(beta * _scores(query, patterns), dim=-1) / beta  # (B,)
    max_norm = patterns.norm(dim=-1).amax(dim=-1)  # () or (B,)
    return -lse + 0.5 * (query * query).sum(dim=-1) + math.log(count) / beta + 0.5 * max_norm**2


class IterateResult(NamedTuple):
    """Result of :func:`iterate`.

    Attributes
    ----------
    state : Tensor, shape (B, d)
        The final states.
    steps : int
        Number of updates performed.
    converged : Tensor, shape (B,), bool
        True where the last update moved the state by at most ``tol`` (max-abs norm).
    """

    state: torch.Tensor
    steps: int
    converged: torch.Tensor


def iterate(
    query: torch.Tensor,
    patterns: torch.Tensor,
    beta: float | torch.Tensor,
    max_steps: int = 100,
    tol: float = 1e-6,
) -> IterateResult:
    r"""Apply :func:`retrieve` until no state moves by more than ``tol`` (or ``max_steps``).

    The update is a concave-convex procedure, so :func:`energy` never increases along the
    iterates; with well separated patterns a single step usually converges.

    Parameters
    ----------
    query : Tensor, shape (B, d)
    patterns : Tensor, shape (P, d) or (B, P, d)
    beta : float or scalar Tensor, > 0
    max_steps : int, default 100
    tol : float, default 1e-6
        Convergence threshold on :math:`\max_i |\xi^{t+1}_i - \xi^t_i|`.

    Returns
    -------
    IterateResult
        ``(state, steps, converged)``.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> result = iterate(torch.tensor([[0.9, 0.2]]), x, beta=20.0)
    >>> result.state.round(decimals=4), result.converged.tolist()
    (tensor([[1., 0.]]), [True])
    """
    query, patterns = _check_query_patterns(query, patterns)
    beta = _check_beta(beta)
    max_steps = check_positive_int("max_steps", max_steps)
    tol = check_positive("tol", tol, allow_zero=True)
    state = query
    converged = torch.zeros(query.shape[0], dtype=torch.bool, device=query.device)
    steps = 0
    while steps < max_steps:
        new_state = _mix(torch.softmax(beta * _scores(state, patterns), dim=-1), patterns)
        converged = (new_state - state).abs().amax(dim=-1) <= tol  # (B,)
        state = new_state
        steps += 1
        if bool(converged.all()):
            break
    return IterateResult(state, steps, converged)


class ModernHopfield(nn.Module):
    r"""A modern Hopfield layer: stored patterns plus ``steps`` retrieval updates.

    ``forward(query)`` applies :func:`retrieve` ``steps`` times. The patterns are a buffer
    (moved by ``.to()``, saved in the ``state_dict``, no gradient) or, with
    ``learnable=True``, an ``nn.Parameter`` trained by backprop.

    Parameters
    ----------
    patterns : Tensor, shape (P, d)
        Initial stored patterns (copied).
    beta : float, optional
        Inverse temperature; default ``1 / sqrt(d)`` (attention's scale).
    learnable : bool, default False
        Make the patterns an ``nn.Parameter``.
    steps : int, default 1
        Number of updates per forward pass.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> layer = ModernHopfield(x, beta=20.0)
    >>> layer(torch.tensor([[0.9, 0.2]])).round(decimals=4)
    tensor([[1., 0.]])
    """

    patterns: torch.Tensor

    def __init__(
        self,
        patterns: torch.Tensor,
        beta: float | None = None,
        *,
        learnable: bool = False,
        steps: int = 1,
    ) -> None:
        super().__init__()
        patterns = check_floating_tensor("patterns", patterns, ndim=2)
        if patterns.shape[0] < 1 or patterns.shape[1] < 1:
            raise ValueError(f"patterns must be non-empty (P, d), got {tuple(patterns.shape)}")
        if not isinstance(learnable, bool):
            raise TypeError(f"learnable must be a bool, got {type(learnable).__name__}")
        self.beta = (
            1.0 / math.sqrt(patterns.shape[1]) if beta is None else check_positive("beta", beta)
        )
        self.steps = check_positive_int("steps", steps)
        self.learnable = learnable
        initial = patterns.detach().clone()
        if learnable:
            self.patterns = nn.Parameter(initial)
        else:
            self.register_buffer("patterns", initial)

    def forward(self, query: torch.Tensor) -> torch.Tensor:
        """Retrieve: ``steps`` updates of ``query`` (B, d); returns (B, d)."""
        state = query
        for _ in range(self.steps):
            state = retrieve(state, self.patterns, self.beta)
        return state

    def energy(self, query: torch.Tensor) -> torch.Tensor:
        """Energy (B,) of ``query`` (B, d) under the stored patterns."""
        return energy(query, self.patterns, self.beta)

    def probabilities(self, query: torch.Tensor) -> torch.Tensor:
        """Attention weights ``softmax(beta X query)`` (B, P)."""
        return separation_probabilities(query, self.patterns, self.beta)

    def extra_repr(self) -> str:
        """``patterns=(P, d), beta=..., steps=...``, shown in the module's repr."""
        count, dim = self.patterns.shape
        return (
            f"patterns={count}x{dim}, beta={self.beta:.4g}, steps={self.steps}, "
            f"learnable={self.learnable}"
        )
