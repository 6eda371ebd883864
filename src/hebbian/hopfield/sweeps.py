r"""Blocked asynchronous sweeps of the classical Hopfield network, exact to the step.

An asynchronous sweep visits the N neurons one at a time, each update seeing the changes
made before it. Done literally that is N dependent steps; :func:`sweep_` does them a
block of ``k`` steps at a time (``k = 64`` with one visiting order for the whole batch,
16 with one order per cue) and solves each block's triangular system exactly, so the
result is that of the N sequential updates while the work is matrix products.

The local fields are kept between steps by a *field keeper*: :class:`DenseFields` keeps
``s W^T`` (B, N) with rank-k corrections; :class:`HebbFields` keeps the overlaps
``Xi s`` (B, P) of Hebbian weights, O(P) per flip instead of O(N). With integer
couplings both keep integers, summed exactly in any order.
"""

from __future__ import annotations

import torch

__all__ = [
    "BLOCK",
    "BLOCK_PER_CUE",
    "DenseFields",
    "FieldKeeper",
    "HebbFields",
    "flips",
    "minus_thresholds",
    "sweep_",
    "thresholds_at",
]


#: Neurons per block of an asynchronous sweep (see :func:`sweep_`), with one visiting order
#: for the whole batch, and with one order per cue (whose couplings cost B k^2 to gather).
BLOCK = 64
BLOCK_PER_CUE = 16


def thresholds_at(bias: torch.Tensor | None, neurons: torch.Tensor) -> torch.Tensor | None:
    """Thresholds of a block's neurons: (k,) for ``neurons`` (k,), (B, k) for (B, k)."""
    if bias is None:
        return None
    return bias.index_select(0, neurons) if neurons.ndim == 1 else bias[neurons]


class DenseFields:
    """Sums ``s W^T`` (B, N) of a batch, kept up to date while neurons flip.

    The thresholds ``b`` are kept apart and subtracted where a field is read
    (:func:`sweep_`), so with integer weights the sums stay integers, computed exactly.
    A block of neurons is given as ``neurons`` of shape (k,) (one visiting order shared
    by the batch) or (B, k) (one order per cue).
    """

    def __init__(
        self, states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None
    ) -> None:
        self.weights_t = weights.T.contiguous()  # row j = column j of W: dh when s_j moves
        self.fields = states @ weights.T  # (B, N), without the thresholds
        self.bias = bias

    def at(self, neurons: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        """Sums (B, k) of a block's neurons (``current``, their states, is not needed)."""
        if neurons.ndim == 1:
            return self.fields.index_select(1, neurons)
        return self.fields.gather(1, neurons)

    def thresholds(self, neurons: torch.Tensor) -> torch.Tensor | None:
        """Thresholds of a block's neurons, (k,) or (B, k), or None."""
        return thresholds_at(self.bias, neurons)

    def coupling(self, neurons: torch.Tensor) -> torch.Tensor:
        """``C[p, q] = W[neuron_q, neuron_p]``: (k, k), or (B, k, k) for per-cue orders."""
        if neurons.ndim == 1:
            return self.weights_t.index_select(0, neurons).index_select(1, neurons)
        n = self.weights_t.shape[0]
        flat = neurons[:, :, None] * n + neurons[:, None, :]  # (B, k, k): index of [p, q]
        return self.weights_t.view(-1).index_select(0, flat.view(-1)).view(flat.shape)

    def add(self, neurons: torch.Tensor, delta: torch.Tensor, flip: torch.Tensor) -> None:
        """Correct the fields for state changes ``delta`` (B, k) at ``neurons``."""
        if neurons.ndim == 1:  # h += delta @ W[:, neurons]^T, over the neurons that moved
            moved = flip.amax(dim=0).nonzero().squeeze(1)  # (m,) block positions
            if moved.numel() < neurons.numel():
                delta, neurons = delta.index_select(1, moved), neurons.index_select(0, moved)
            self.fields.addmm_(delta, self.weights_t.index_select(0, neurons))  # (B,m)@(m,N)
            return
        cue, where = flip.nonzero(as_tuple=True)  # (F,) each: one per flip
        rows = self.weights_t.index_select(0, neurons[cue, where]) * delta[cue, where, None]
        self.fields.index_add_(0, cue, rows)  # (F, N) rows added to their cues

    def keep(self, cues: torch.Tensor) -> None:
        """Drop the cues where ``cues`` (B,) is False."""
        self.fields = self.fields[cues]


class HebbFields:
    r"""Scaled fields of Hebbian weights from the overlaps with the stored patterns.

    With :math:`N W = \Xi^\top\Xi` and a zero diagonal,
    :math:`N h = \Xi^\top m - P s - N b` where :math:`m = \Xi s` are the
    (unnormalised) overlaps, kept as a (B, P) tensor. That costs O(P) per cue and flip
    instead of O(N). For ±1 patterns ``m``, :math:`\Xi^\top m - P s` and the couplings
    :math:`N W` are integers, computed exactly in any summation order (the dtype is
    chosen by :func:`~hebbian.hopfield._common.integer_dtype`), so a tie ``h = 0`` is
    found exactly. ``bias`` holds the scaled thresholds :math:`N b`. Shared visiting
    orders only.
    """

    def __init__(
        self, states: torch.Tensor, patterns: torch.Tensor, bias: torch.Tensor | None
    ) -> None:
        self.patterns = patterns  # (P, N)
        self.bias = bias
        self.overlaps = states @ patterns.T  # (B, P)

    def at(self, neurons: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        """Scaled sums ``N h + N b`` (B, k) of a block's neurons, whose states are ``current``."""
        count = self.patterns.shape[0]
        xi = self.patterns.index_select(1, neurons)  # (P, k)
        return self.overlaps @ xi - count * current  # (B, k), integers

    def thresholds(self, neurons: torch.Tensor) -> torch.Tensor | None:
        """Scaled thresholds ``N b`` of a block's neurons, (k,), or None."""
        return thresholds_at(self.bias, neurons)

    def coupling(self, neurons: torch.Tensor) -> torch.Tensor:
        """Integer couplings ``N W`` (k, k) among a block's neurons."""
        xi = self.patterns.index_select(1, neurons)  # (P, k)
        return xi.T @ xi  # (k, k) integers N W, symmetric; diagonal unused

    def add(self, neurons: torch.Tensor, delta: torch.Tensor, flip: torch.Tensor) -> None:
        """Correct the overlaps for state changes ``delta`` (B, k) at ``neurons``."""
        self.overlaps.addmm_(delta, self.patterns.index_select(1, neurons).T)  # (B,k)@(k,P)

    def keep(self, cues: torch.Tensor) -> None:
        """Drop the cues where ``cues`` (B,) is False."""
        self.overlaps = self.overlaps[cues]


#: How the fields of a batch are kept during a sweep.
FieldKeeper = DenseFields | HebbFields


def flips(
    fields: torch.Tensor,
    current: torch.Tensor,
    temperature: float,
    draws: torch.Tensor | None,
    tolerance: float = 0.0,
) -> torch.Tensor:
    """1.0 where a neuron takes a new value, else 0.0: ``h s < -tolerance``, or Glauber.

    A field with ``|h| <= tolerance`` is a tie and keeps the state. Float masks rather
    than booleans: on CPUs, comparisons written to a float tensor are several times
    faster than boolean ones.
    """
    if temperature == 0.0:
        return torch.lt(fields * current, -tolerance, out=torch.empty_like(fields))
    assert draws is not None  # internal invariant: callers draw when temperature > 0
    up = torch.lt(draws, torch.sigmoid(2.0 * fields / temperature), out=torch.empty_like(fields))
    return (up - (current + 1.0) / 2.0).abs_()  # up is 1.0 for a new value of +1


def minus_thresholds(fields: torch.Tensor, thresholds: torch.Tensor | None) -> torch.Tensor:
    """Fields ``h = sums - b`` from kept sums and thresholds (None: no thresholds)."""
    return fields if thresholds is None else fields - thresholds


def sweep_(
    states: torch.Tensor,
    keeper: FieldKeeper,
    orders: torch.Tensor,
    temperature: float,
    draws: torch.Tensor | None,
    tolerance: float = 0.0,
) -> torch.Tensor:
    r"""In place: one asynchronous sweep of ``states`` (B, N); return the flip mask (B,).

    ``orders`` (1, N) is one visiting order for the whole batch, (B, N) one per cue;
    ``draws`` (B, N) are the Glauber uniforms of the steps (``temperature > 0``); a field
    with ``|h| <= tolerance`` is a tie. The thresholds are subtracted from the kept sums
    only where a field is compared, so integer sums stay exact.

    The N single-neuron updates are done in blocks of ``k`` consecutive steps, with
    exactly the result of doing them one by one. For a block with fields :math:`h^0`
    (B, k) at its start, states :math:`s^0` and couplings :math:`C_{pq} = W_{i_q i_p}`,
    the field seen at step ``q`` is

    .. math:: h_q = h^0_q + \sum_{p < q} \delta_p C_{pq} ,

    where :math:`\delta_p \in \{0, -2 s^0_p\}` is the change made at step ``p``: a
    triangular system. It is solved by fixed-point iteration from the guess "flip where
    :math:`h^0` says so": iteration ``t`` gets the first ``t + 1`` steps right (step
    ``q`` depends only on the steps before it), so at most ``k`` iterations reach the one
    fixed point, which is the sequential result; as flips are few and the couplings
    small, one or two usually do. Each iteration is one (B, k) @ (k, k) product, so a
    sweep costs O(B N k) plus the upkeep of the fields (O(B N^2) at most, much less once
    few neurons flip) instead of N sequential steps.
    """
    batch, n = states.shape
    shared = orders.shape[0] == 1
    block = BLOCK if shared else BLOCK_PER_CUE
    positions = torch.arange(block, device=states.device)
    upper = (positions[:, None] < positions[None, :]).to(states.dtype)  # p < q: p acts on q
    if shared:  # the states in visiting order: every block is a slice, read and written in place
        visited = states.index_select(1, orders[0])  # (B, N)
    flips_per_cue = states.new_zeros(batch)  # (B,)
    for start in range(0, n, block):
        if shared:
            neurons = orders[0, start : start + block]  # (k,)
            current = visited[:, start : start + block]  # (B, k), a view
        else:
            neurons = orders[:, start : start + block]  # (B, k)
            current = states.gather(1, neurons)  # (B, k)
        base = keeper.at(neurons, current)  # (B, k), without the thresholds
        thresholds = keeper.thresholds(neurons)  # (k,), (B, k) or None
        block_draws = draws[:, start : start + block] if draws is not None else None
        flip = flips(
            minus_thresholds(base, thresholds), current, temperature, block_draws, tolerance
        )
        if not bool(flip.sum()):
            continue
        k = neurons.shape[-1]
        coupling = keeper.coupling(neurons) * upper[:k, :k]  # C[p, q] for p < q only
        step = -2.0 * current  # the change of a neuron that flips
        delta = step * flip
        for _ in range(k):
            if shared:
                fields = torch.addmm(base, delta, coupling)  # (B, k)
            else:
                fields = torch.baddbmm(base[:, None], delta[:, None], coupling).squeeze(1)
            again = flips(
                minus_thresholds(fields, thresholds), current, temperature, block_draws, tolerance
            )
            if not bool((again - flip).abs_().sum()):
                break
            flip = again
            delta = step * flip
        keeper.add(neurons, delta, flip)
        if shared:
            current += delta  # writes into ``visited``
        else:
            states.scatter_add_(1, neurons, delta)
        flips_per_cue += flip.sum(dim=1)
    if shared:  # back to neuron order: a gather with the inverse permutation
        states.copy_(visited.index_select(1, orders[0].argsort()))
    return flips_per_cue > 0
