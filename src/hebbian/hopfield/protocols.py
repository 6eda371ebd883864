r"""Recall protocols that measure what a Hopfield memory stores.

* :func:`recall_at_nested_loads`: a classical network stores P_1 < P_2 < ... of the same
  patterns in turn and recalls every stored pattern from its cue at each load (the
  capacity curve of a storage rule);
* :func:`dense_exact_recalls`: random memories of a dense associative memory, each of
  its probes recalled from a cue, counted when exact;
* :func:`recall_exactly`: one classical recall, with the cues recalled exactly;
* :func:`angle_code_retrieve`: one modern update from grey-level cues in the angle code
  (:func:`~hebbian.hopfield.cues.angle_encode`), unknown pixels contributing nothing.

Random draws come from the ``torch.Generator`` passed in, in a fixed order.
"""

from __future__ import annotations

import math

import torch

from hebbian.data import random_binary_patterns
from hebbian.hopfield import modern
from hebbian.hopfield._common import RecallResult
from hebbian.hopfield.classical import HopfieldNetwork, StorageFunction
from hebbian.hopfield.cues import angle_encode, flip_bits
from hebbian.hopfield.dense import DenseAssociativeMemory, Polynomial
from hebbian.hopfield.storage import StorageRule

__all__ = [
    "angle_code_retrieve",
    "dense_exact_recalls",
    "recall_at_nested_loads",
    "recall_exactly",
]


def recall_exactly(
    network: HopfieldNetwork,
    cues: torch.Tensor,
    truth: torch.Tensor,
    *,
    max_sweeps: int = 100,
    generator: torch.Generator | None = None,
) -> tuple[RecallResult, torch.Tensor]:
    """Recall ``cues`` (B, N) with a fitted network; also say which ended at ``truth``.

    Parameters
    ----------
    network : HopfieldNetwork
        A network that stores patterns.
    cues, truth : Tensor, shape (B, N)
        Starting states and the pattern each cue should end at, entries in {-1, +1}.
    max_sweeps : int, default 100
    generator : torch.Generator, optional
        Source of the visiting orders.

    Returns
    -------
    result : RecallResult
    exact : Tensor, shape (B,), bool
        True where the final state equals ``truth`` in every bit.

    Examples
    --------
    >>> xi = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
    >>> _, exact = recall_exactly(HopfieldNetwork().fit(xi), xi, xi)
    >>> exact.tolist()
    [True]
    """
    result = network.recall(cues, max_sweeps=max_sweeps, generator=generator)
    return result, (result.states == truth).all(dim=1)


def recall_at_nested_loads(
    storage: StorageRule | StorageFunction,
    patterns: torch.Tensor,
    counts: list[int],
    cue_sets: list[torch.Tensor],
    *,
    max_sweeps: int = 100,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Store the first ``counts[l]`` patterns in turn; recall each from every cue set.

    One :class:`HopfieldNetwork` (one shared visiting order per sweep) grows with
    :meth:`~HopfieldNetwork.partial_fit`, so Storkey's rule continues incrementally; at
    load ``l`` the first ``counts[l]`` cues of every cue set are recalled (load by load,
    cue set by cue set, drawing from ``generator`` in that order).

    Parameters
    ----------
    storage : StorageRule or callable
        The network's storage rule.
    patterns : Tensor, shape (P, N)
        Patterns, entries in {-1, +1}, with ``P >= max(counts)``.
    counts : list of int
        Numbers of stored patterns, non-decreasing.
    cue_sets : list of Tensor, each of shape (P, N)
        Cue ``mu`` of a set is the starting state for pattern ``mu``.
    max_sweeps : int, default 100
    generator : torch.Generator, optional

    Returns
    -------
    exact : Tensor, shape (F, L), float64
        Number of the ``counts[l]`` cues of set ``f`` recalled exactly.
    overlap : Tensor, shape (F, L), float64
        Sum over those cues of the final overlap with their pattern.

    Examples
    --------
    >>> xi = torch.tensor([[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]])
    >>> exact, _ = recall_at_nested_loads(StorageRule.HEBB, xi, [1, 2], [xi])
    >>> exact.tolist()
    [[1.0, 2.0]]
    """
    network, stored = HopfieldNetwork(storage=storage, shared_order=True), 0
    shape = (len(cue_sets), len(counts))
    exact = torch.zeros(shape, dtype=torch.float64, device=patterns.device)
    overlap = torch.zeros(shape, dtype=torch.float64, device=patterns.device)
    for load, count in enumerate(counts):
        if count > stored:
            network.partial_fit(patterns[stored:count])
            stored = count
        for index, cues in enumerate(cue_sets):
            result, hits = recall_exactly(
                network, cues[:count], patterns[:count], max_sweeps=max_sweeps, generator=generator
            )
            exact[index, load] += hits.sum()
            overlap[index, load] += result.overlaps.diagonal().sum()
    return exact, overlap


def dense_exact_recalls(
    degree: int,
    count: int,
    n_neurons: int,
    *,
    probes: int,
    flip_fraction: float = 0.0,
    max_sweeps: int = 100,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[int, int]:
    """Exact recalls of ``F(x) = x^degree`` memories of ``count`` random patterns.

    ``ceil(probes / count)`` independent memories are drawn; each recalls its first
    ``min(count, probes)`` patterns from cues with ``flip_fraction`` of their bits
    flipped (:func:`~hebbian.hopfield.cues.flip_bits`). With ``flip_fraction = 0`` a
    pattern is recalled exactly iff it is a fixed point, which one sweep decides.

    Parameters
    ----------
    degree : int
        Interaction order n of :class:`Polynomial`.
    count : int
        Patterns P per memory.
    n_neurons : int
        Neurons N.
    probes : int
        Patterns to recall in all, at least.
    flip_fraction : float, default 0
    max_sweeps : int, default 100
    generator : torch.Generator, optional
        Source of the patterns, cues and visiting orders, drawn memory by memory.
    device : torch.device or str, optional
        Device of the memories.

    Returns
    -------
    exact : int
        Cues recalled exactly.
    cues : int
        Cues recalled.

    Examples
    --------
    >>> dense_exact_recalls(3, 2, 32, probes=4, max_sweeps=1, generator=torch.Generator())
    (4, 4)
    """
    exact = cues = 0
    for _ in range(math.ceil(probes / count)):
        patterns = random_binary_patterns(count, n_neurons, generator=generator).to(device)
        probe = patterns[: min(count, probes)]  # (B, N)
        cue = flip_bits(probe, flip_fraction, generator)
        memory = DenseAssociativeMemory(Polynomial(degree)).fit(patterns)
        result = memory.recall(cue, max_sweeps=max_sweeps, generator=generator)
        exact += int((result.states == probe).all(dim=1).sum())
        cues += probe.shape[0]
    return exact, cues


def angle_code_retrieve(
    cues: torch.Tensor, unknown: torch.Tensor, codes: torch.Tensor, beta: float
) -> torch.Tensor:
    r"""One modern Hopfield update from grey-level cues, in the angle code.

    The query is :func:`~hebbian.hopfield.cues.angle_encode` of the cues with the unknown
    pixels set to (0, 0), then :math:`\xi \leftarrow X^\top \operatorname{softmax}(\beta
    X \xi)` with the stored codes :math:`X` (:func:`hebbian.hopfield.modern.retrieve`).

    Parameters
    ----------
    cues : Tensor, shape (B, D)
        Grey levels in [0, 1].
    unknown : Tensor, shape (B, D), bool
        Pixels that contribute nothing to the query.
    codes : Tensor, shape (P, 2D)
        Angle codes of the stored images.
    beta : float
        Inverse temperature.

    Returns
    -------
    Tensor, shape (B, 2D)
        The retrieved codes (decode with :func:`~hebbian.hopfield.cues.angle_decode`).

    Examples
    --------
    >>> codes = angle_encode(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    >>> cue, unknown = torch.tensor([[0.0, 0.5]]), torch.tensor([[False, True]])
    >>> bool(angle_code_retrieve(cue, unknown, codes, 5.0)[0, 0] > 0.9)
    True
    """
    query = angle_encode(cues) * (~unknown).repeat(1, 2)  # unknown pixels -> (0, 0)
    return modern.retrieve(query, codes, beta)
