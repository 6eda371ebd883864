r"""The recall loop shared by the binary Hopfield memories (classical and dense).

Recall runs sweeps from a batch of cues until a sweep changes no cue, or until
``max_sweeps``; what one sweep does (synchronous step, asynchronous or Glauber sweep,
with whatever the memory keeps between sweeps) is the memory's own business, passed in
as a function. The loop records the energies when asked and returns a
:class:`~hebbian.hopfield.RecallResult` with the overlaps
:math:`m_\mu = s \cdot \xi_\mu / N` of the final states with the stored patterns.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from hebbian.hopfield._common import RecallResult

__all__ = ["Sweep", "recall_loop"]

#: One sweep: ``sweep(states, k) -> (states, changed)`` performs sweep ``k`` (0-based) on
#: the working states (B, N), in place or not, and returns them with the mask (B,) of
#: the cues that changed in it.
Sweep = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def recall_loop(
    cues: torch.Tensor,
    patterns: torch.Tensor,
    sweep: Sweep,
    *,
    max_sweeps: int,
    dtype: torch.dtype,
    energy: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> RecallResult:
    r"""Sweep from ``cues`` until a sweep changes no cue, or ``max_sweeps`` sweeps.

    Parameters
    ----------
    cues : Tensor, shape (B, N)
        Checked starting states, entries in {-1, +1}; not modified.
    patterns : Tensor, shape (P, N)
        The stored patterns, in the dtype of ``cues``, for the overlaps.
    sweep : Sweep
        ``sweep(states, k) -> (states, changed)``: one sweep of the working states.
    max_sweeps : int
        Upper bound on the number of sweeps (>= 1).
    dtype : torch.dtype
        Dtype of the working states (e.g. that of exact couplings); the result comes
        back in the dtype of ``cues``.
    energy : callable, optional
        ``energy(states) -> (B,)`` of states in the dtype of ``cues``; when given, the
        energy before the first sweep and after each sweep is recorded.

    Returns
    -------
    RecallResult
        Final states, their overlaps :math:`s \cdot \xi_\mu / N` (B, P), ``converged``
        (the last sweep changed nothing), the number of sweeps and the energies
        (sweeps + 1, B) or None.

    Examples
    --------
    >>> xi = torch.tensor([[1.0, -1.0]])
    >>> def step(states, k):
    ...     new = xi.expand_as(states).clone()
    ...     return new, (new != states).any(dim=1)
    >>> result = recall_loop(torch.ones(1, 2), xi, step, max_sweeps=10, dtype=torch.float32)
    >>> result.states.tolist(), result.sweeps, result.converged.tolist()
    ([[1.0, -1.0]], 2, [True])
    """
    batch, n = cues.shape
    if batch == 0:
        return RecallResult.of_no_cues(cues, patterns.shape[0], energy is not None)
    states = cues.to(dtype)
    states = states.clone() if states is cues else states  # never sweep the caller's cues
    energies = [energy(cues)] if energy is not None else None
    changed = torch.ones(batch, dtype=torch.bool, device=cues.device)
    sweeps = 0
    while sweeps < max_sweeps:
        states, changed = sweep(states, sweeps)
        sweeps += 1
        if energy is not None and energies is not None:
            energies.append(energy(states.to(cues.dtype)))
        if not bool(changed.any()):
            break
    states = states.to(cues.dtype)
    overlaps = states @ patterns.T / n  # (B, P)
    trajectory = torch.stack(energies) if energies is not None else None
    return RecallResult(states, overlaps, ~changed, sweeps, trajectory)
