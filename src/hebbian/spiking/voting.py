"""Labels for neurons that learned without them, and the vote of a labelled population.

After unsupervised learning (Diehl & Cook 2015, section 2.6) each neuron takes the
class whose images made it fire most on average, and an image is given the class whose
neurons fired most on average. Both are computed exactly, in integers, with ties to the
lower class.
"""

from __future__ import annotations

import torch

from hebbian._checks import check_positive_int

__all__ = ["assign_labels", "classify"]


def _rational_argmax(totals: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Index of the largest ``totals / sizes`` along the last dim, exactly (int64).

    Entries with ``sizes == 0`` never win; ties go to the lower index; -1 where no
    entry is positive.
    """
    best = torch.full(totals.shape[:-1], -1, dtype=torch.int64, device=totals.device)
    best_total = torch.zeros(totals.shape[:-1], dtype=torch.int64, device=totals.device)
    best_size = torch.ones_like(best_total)
    for c in range(totals.shape[-1]):
        total, size = totals[..., c], sizes[..., c]
        wins = (size > 0) & (total * best_size > best_total * size)
        best = torch.where(wins, c, best)
        best_total = torch.where(wins, total, best_total)
        best_size = torch.where(wins, size, best_size)
    return best


def assign_labels(counts: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    r"""Each neuron's class: the one whose images made it fire most on average.

    Neuron :math:`i` takes :math:`\arg\max_c \frac{1}{|I_c|}\sum_{k \in I_c} n_{ki}`
    (Diehl & Cook 2015, section 2.6), computed exactly in integers; ties go to the
    lower class, and a neuron that never fired gets -1.

    Parameters
    ----------
    counts : Tensor of int64, shape (nets, K, N)
        Spike counts on labelled images.
    labels : Tensor of int64, shape (K,)
        Classes ``0 .. classes - 1``.
    classes : int

    Returns
    -------
    Tensor of int64, shape (nets, N)

    Examples
    --------
    >>> counts = torch.tensor([[[4, 0, 0], [0, 3, 0], [0, 3, 0]]])
    >>> assign_labels(counts, torch.tensor([0, 1, 1]), 2).tolist()
    [[0, 1, -1]]
    """
    counts, labels, classes = _check_counts(counts, labels, classes)
    nets, _, n = counts.shape
    totals = torch.zeros(nets, classes, n, dtype=torch.int64, device=counts.device)
    totals.index_add_(1, labels, counts)
    sizes = torch.bincount(labels, minlength=classes)  # (classes,)
    return _rational_argmax(totals.transpose(1, 2), sizes.expand(nets, n, classes))


def classify(counts: torch.Tensor, assignments: torch.Tensor, classes: int) -> torch.Tensor:
    r"""Each image's class: the one whose neurons fired most on average.

    Image :math:`k` is given :math:`\arg\max_c \frac{1}{|A_c|}\sum_{i \in A_c} n_{ki}`
    over the classes with at least one neuron (Diehl & Cook 2015, section 2.6), exactly;
    ties go to the lower class, and an image that silenced every class gets -1 (wrong).

    Parameters
    ----------
    counts : Tensor of int64, shape (nets, K, N)
    assignments : Tensor of int64, shape (nets, N)
        From :func:`assign_labels` (-1: no class).
    classes : int

    Returns
    -------
    Tensor of int64, shape (nets, K)

    Examples
    --------
    >>> counts = torch.tensor([[[5, 1, 1], [0, 2, 1]]])
    >>> classify(counts, torch.tensor([[0, 1, 1]]), 2).tolist()
    [[0, 1]]
    """
    if not isinstance(assignments, torch.Tensor) or assignments.dtype != torch.int64:
        raise TypeError("assignments must be an int64 tensor (from assign_labels)")
    if not isinstance(counts, torch.Tensor) or counts.ndim != 3:
        raise ValueError("counts must be an int64 tensor of shape (nets, K, N)")
    if assignments.shape != (counts.shape[0], counts.shape[2]):
        raise ValueError(
            f"assignments must have shape {(counts.shape[0], counts.shape[2])}, "
            f"got {tuple(assignments.shape)}"
        )
    classes = check_positive_int("classes", classes)
    member = torch.stack([assignments == c for c in range(classes)], dim=-1).to(torch.int64)
    totals = torch.einsum("nki,nic->nkc", counts.to(torch.int64), member)  # exact integers
    sizes = member.sum(1, keepdim=True).expand_as(totals)
    return _rational_argmax(totals, sizes)


def _check_counts(
    counts: object, labels: object, classes: int
) -> tuple[torch.Tensor, torch.Tensor, int]:
    if not isinstance(counts, torch.Tensor) or counts.ndim != 3 or counts.is_floating_point():
        raise ValueError("counts must be an integer tensor of shape (nets, K, N)")
    if not isinstance(labels, torch.Tensor) or labels.shape != (counts.shape[1],):
        raise ValueError(f"labels must be a tensor of shape ({counts.shape[1]},)")
    classes = check_positive_int("classes", classes)
    labels = labels.to(device=counts.device, dtype=torch.int64)
    if bool(((labels < 0) | (labels >= classes)).any()):
        raise ValueError(f"labels must lie in 0 .. {classes - 1}")
    return counts.to(torch.int64), labels, classes
