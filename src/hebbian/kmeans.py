r"""k-means (Lloyd's algorithm) on integer data, with an exact nearest-centroid assignment.

The baseline of the competitive spiking learners (Diehl & Cook 2015, issue #14): as
many centroids as excitatory neurons, each labelled by the majority class of its
training points (:func:`label_centroids`), scored by the label of the nearest centroid
(:func:`predict`). It is the non-spiking competitive learner the networks approximate.

Every number it produces is exact and machine-independent: it does not depend on the
CPU, the BLAS kernel's summation order, the thread count or the device.

* The data are integers ``x`` of shape ``(N, D)`` (uint8 / int64, or a float tensor
  holding integers, e.g. pixels 0..255). Each centroid is an exact mean
  :math:`c = S_c / n_c`, held as its integer sum :math:`S_c` (int64, ``(k, D)``) and
  count :math:`n_c \ge 1` (int64, ``(k,)``); integer addition is exact in any order.
* A point goes to the centroid at the smallest squared Euclidean distance, ties to
  the lower centroid index (:func:`nearest_centroid`). A fast float64 matrix product
  ranks the centroids; the points whose best and runner-up are closer than a rigorous
  bound on its rounding error are decided in integer arithmetic,
  :math:`n_c^2 \lVert x - S_c/n_c \rVert^2 = \lVert n_c x - S_c \rVert^2`.

Error bound of the fast path. Since :math:`\lVert x \rVert^2` is common to all
centroids, the ranking uses :math:`f_c(x) = \lVert c \rVert^2 - 2\,x \cdot c`. With
:math:`\hat c = \mathrm{fl}(S_c / n_c)` (one correctly rounded division, :math:`S_c`
being exact in float64) and :math:`u = 2^{-53}`, any matrix product that sums rounded
products in any order, with or without fused multiply-adds (every BLAS, cuBLAS), gives

.. math:: |\hat f_c(x) - f_c(x)| \le (D + 4)\,u\,\bigl(\lVert c \rVert^2
          + 2 \textstyle\sum_i |x_i c_i|\bigr)\,(1 + O(D u))
          \le (D + 4)\,u\,\bigl(C + 2 \sqrt{D}\,M \sqrt{C}\bigr)\,(1 + O(D u)),

:math:`C = \max_c \lVert c \rVert^2`, :math:`M = \max |x|` (Cauchy-Schwarz and
:math:`\lVert x \rVert \le \sqrt{D} M`): ``D`` roundings in each dot product
(:math:`\gamma_D`, plus one for the added :math:`\lVert \hat c \rVert^2`), two in
:math:`\lVert \hat c \rVert^2 - \lVert c \rVert^2`, one in :math:`\hat c - c` and one
in the final subtraction. The code uses four times that,
:math:`E = 4 (D + 4) u (C + 2 \sqrt{D} M \sqrt{C})`, which also absorbs the rounding in
computing :math:`E` and the threshold themselves (:math:`D u \ll 1`). Every centroid
with :math:`\hat f_c \le \min_{c'} \hat f_{c'} + 2 E` is a candidate; any other is
strictly farther than the fast-path winner. A point with one candidate is decided; a
point with several (a tie, or a gap below the bound) is decided exactly, in int64
where :math:`D \max |n_c x - S_c|^2 < 2^{63}` and in Python integers otherwise. So the
assignment is the exact one whatever the fast path rounded.

An empty cluster keeps its previous centroid, sum and count included, so ``counts``
is the divisor of each centroid, not the size of its current cluster (that is
``torch.bincount(assignment, minlength=k)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hebbian import _random
from hebbian._checks import check_generator, check_positive_int, check_same_device

__all__ = ["KMeans", "fit_kmeans", "label_centroids", "nearest_centroid", "predict"]

_EXACT_FLOAT = 2**53  # every integer up to this magnitude is a float64
_INT64_LIMIT = 2**63
_CHUNK_ELEMENTS = 2**22  # float64 elements per chunk of points (32 MB per matrix)
_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


@dataclass(frozen=True)
class KMeans:
    r"""A fitted k-means: exact centroids as integer sums and counts.

    Attributes
    ----------
    sums : Tensor, shape (k, D), int64
        :math:`S_c`, the sum of the points centroid ``c`` is the mean of.
    counts : Tensor, shape (k,), int64
        :math:`n_c \ge 1`, their number (for a centroid whose cluster emptied, those of
        the last points it had; for one that never had any, its initial point's 1).
    assignment : Tensor, shape (N,), int64
        The exact nearest centroid of each training point to these centroids.
    iterations_run : int
        Centroid updates done.
    converged : bool
        Whether the last update left the assignment unchanged (a fixed point).
    """

    sums: torch.Tensor
    counts: torch.Tensor
    assignment: torch.Tensor
    iterations_run: int
    converged: bool

    @property
    def centroids(self) -> torch.Tensor:
        """``sums / counts`` in float64, shape ``(k, D)`` (each entry correctly rounded)."""
        return self.sums.to(torch.float64) / self.counts.to(torch.float64)[:, None]


def _integer_data(name: str, x: object, *, features: int | None = None) -> tuple[torch.Tensor, int]:
    """Return ``x`` (2-D, integer-valued) and ``max |x|`` as a Python int."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in _INTEGER_DTYPES and not x.is_floating_point():
        raise TypeError(f"{name} must have an integer or floating-point dtype, got {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (points, features), got shape {tuple(x.shape)}")
    if x.shape[1] == 0 or (features is not None and x.shape[1] != features):
        wanted = ">= 1" if features is None else str(features)
        raise ValueError(f"{name} must have {wanted} features, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        return x, 0
    if x.is_floating_point():
        bad = (x != x.trunc()) | ~torch.isfinite(x)  # NaN != NaN; inf - inf
        if bool(bad.any()):
            raise ValueError(
                f"{name} must hold integer values (e.g. pixels 0..255), got "
                f"{x.dtype} values such as {x[bad][0].item()!r}"
            )
    largest = max(int(x.max().item()), -int(x.min().item()))
    if largest > _EXACT_FLOAT:
        raise ValueError(f"{name} must hold integers of magnitude <= 2**53, got {largest}")
    return x, largest


def _check_centroid_state(sums: object, counts: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``sums`` (k, D) and ``counts`` (k,) if int64 with counts >= 1."""
    for name, value, ndim in (("sums", sums, 2), ("counts", counts, 1)):
        if not isinstance(value, torch.Tensor) or value.dtype != torch.int64:
            got = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"{name} must be an int64 torch.Tensor, got {got}")
        if value.ndim != ndim or value.shape[0] == 0:
            raise ValueError(
                f"{name} must be a non-empty {ndim}-D tensor, got {tuple(value.shape)}"
            )
    assert isinstance(sums, torch.Tensor) and isinstance(counts, torch.Tensor)
    if counts.shape[0] != sums.shape[0]:
        raise ValueError(
            f"counts must have one entry per row of sums ({sums.shape[0]}), got {counts.shape[0]}"
        )
    check_same_device(sums=sums, counts=counts)
    if bool((counts < 1).any()):
        raise ValueError(f"counts must all be >= 1, got minimum {int(counts.min())}")
    if int(sums.abs().max()) > _EXACT_FLOAT:
        raise ValueError(f"sums must have magnitudes <= 2**53, got {int(sums.abs().max())}")
    return sums, counts


def _exact_choice(
    points: torch.Tensor,
    candidates: torch.Tensor,
    x: torch.Tensor,
    sums: torch.Tensor,
    counts: torch.Tensor,
) -> list[int]:
    """The exact nearest candidate of each point (ties to the lower centroid index).

    ``points`` and ``candidates`` (P,) list (point, centroid) pairs grouped by point, the
    centroids of one point in increasing order. Returns one centroid per distinct point,
    in the order of their first pair.
    """
    n = counts[candidates]  # (P,)
    v = n[:, None] * x[points].to(torch.int64) - sums[candidates]  # (P, D), |v| <= 2**54
    largest = int(v.abs().max()) if v.numel() else 0
    if v.shape[1] * largest * largest < _INT64_LIMIT:
        q = (v * v).sum(dim=1).tolist()  # ||n_c x - S_c||^2, exact in int64
    else:
        q = [sum(value * value for value in row) for row in v.tolist()]  # Python integers
    chosen: list[int] = []
    best_q = best_n = previous = -1
    for point, centroid, q_c, n_c in zip(
        points.tolist(), candidates.tolist(), q, n.tolist(), strict=True
    ):
        if point != previous:
            chosen.append(centroid)
            best_q, best_n, previous = q_c, n_c, point
        elif q_c * best_n * best_n < best_q * n_c * n_c:  # q_c / n_c^2 < q_best / n_best^2
            chosen[-1] = centroid
            best_q, best_n = q_c, n_c
    return chosen


def nearest_centroid(x: torch.Tensor, sums: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    r"""The exact nearest centroid :math:`S_c / n_c` of each point, ties to the lower index.

    .. math:: a(x) = \min \operatorname{arg\,min}_c \lVert x - S_c / n_c \rVert^2

    computed exactly (the module docstring gives the float64 fast path and its error
    bound); the result does not depend on the machine, the BLAS or the thread count.

    Parameters
    ----------
    x : Tensor, shape (N, D)
        Integer-valued points (an integer dtype, or floats holding integers).
    sums : Tensor, shape (k, D), int64
        The centroids' integer sums :math:`S_c`, on the device of ``x``.
    counts : Tensor, shape (k,), int64
        Their counts :math:`n_c \ge 1`.

    Returns
    -------
    Tensor, shape (N,), int64
        The index of each point's nearest centroid, on the device of ``x``.

    Examples
    --------
    Centroids 0 and 2 (the second as 4 / 2); the point 1 is as far from both, so it
    goes to the lower index:

    >>> sums, counts = torch.tensor([[0], [4]]), torch.tensor([1, 2])
    >>> nearest_centroid(torch.tensor([[0], [1], [2], [3]]), sums, counts).tolist()
    [0, 0, 1, 1]
    """
    sums, counts = _check_centroid_state(sums, counts)
    x, largest = _integer_data("x", x, features=sums.shape[1])
    if x.device != sums.device:
        raise ValueError(f"x, sums must be on one device, got {x.device}, {sums.device}")
    if largest * int(counts.max()) > _EXACT_FLOAT:
        raise ValueError(
            f"x must have max|x| * max(counts) <= 2**53, got {largest} * {int(counts.max())}"
        )
    k, features = sums.shape
    centroids = sums.to(torch.float64) / counts.to(torch.float64)[:, None]  # (k, D)
    squared_norms = (centroids * centroids).sum(dim=1)  # (k,)
    biggest = float(squared_norms.max())
    bound = (
        4.0 * (features + 4) * 2.0**-53 * (biggest + 2.0 * (features * biggest) ** 0.5 * largest)
    )
    assignment = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
    rows = max(1, _CHUNK_ELEMENTS // (k + features))
    for start in range(0, x.shape[0], rows):
        block = x[start : start + rows].to(torch.float64)  # (B, D)
        ranking = torch.addmm(squared_norms, block, centroids.T, alpha=-2.0)  # (B, k): f_c(x)
        best = ranking.min(dim=1)
        candidate = ranking <= (best.values + 2.0 * bound)[:, None]  # (B, k)
        assignment[start : start + block.shape[0]] = best.indices
        ambiguous = candidate.sum(dim=1) > 1
        if bool(ambiguous.any()):
            points, centroid = candidate[ambiguous].nonzero(as_tuple=True)  # row-major order
            where = ambiguous.nonzero().squeeze(1) + start  # (A,) points of x
            chosen = _exact_choice(where[points], centroid, x, sums, counts)
            assignment[where] = torch.tensor(chosen, dtype=torch.int64, device=x.device)
    return assignment


def _cluster_sums(
    x: torch.Tensor, assignment: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact per-cluster int64 sums ``(k, D)`` and counts ``(k,)`` of ``x``."""
    sums = torch.zeros(k, x.shape[1], dtype=torch.int64, device=x.device)
    rows = max(1, _CHUNK_ELEMENTS // x.shape[1])
    for start in range(0, x.shape[0], rows):
        sums.index_add_(
            0, assignment[start : start + rows], x[start : start + rows].to(torch.int64)
        )
    return sums, torch.bincount(assignment, minlength=k)


def fit_kmeans(
    x: torch.Tensor, k: int, *, iterations: int = 100, generator: torch.Generator
) -> KMeans:
    r"""Lloyd's k-means with exact means and exact nearest-centroid assignments.

    Initial centroids: the points ``x[_random.permutation(N, generator)[:k]]``, ``k``
    distinct points (by index; equal values give equal centroids, and the higher index
    then starts with an empty cluster). Each iteration assigns every point to its
    exact nearest centroid (:func:`nearest_centroid`) and moves each centroid to the
    exact mean of its points, :math:`S_c / n_c`; an empty cluster keeps its previous
    centroid. It stops when an update leaves the assignment unchanged (converged) or
    after ``iterations`` updates. The returned ``assignment`` is always the exact
    nearest centroid of each point to the returned centroids.

    Parameters
    ----------
    x : Tensor, shape (N, D)
        Integer-valued training points (uint8, int64, or floats holding integers),
        with ``N * max|x| <= 2**53`` so that every sum is exact in float64 too.
    k : int
        Number of centroids, ``1 <= k <= N``.
    iterations : int, default 100
        Most centroid updates (0: the initial points are the centroids).
    generator : torch.Generator
        A CPU generator for the initial permutation (the same seed gives the same
        centroids on every device).

    Returns
    -------
    KMeans
        ``sums`` (k, D) and ``counts`` (k,) int64, ``centroids`` (k, D) float64,
        ``assignment`` (N,) int64, ``iterations_run``, ``converged``; on ``x``'s device.

    Examples
    --------
    >>> x = torch.tensor([[0, 0], [0, 1], [10, 10], [10, 11]], dtype=torch.uint8)
    >>> model = fit_kmeans(x, 2, generator=torch.Generator().manual_seed(0))
    >>> sorted(model.centroids.tolist())
    [[0.0, 0.5], [10.0, 10.5]]
    >>> model.converged, int(model.assignment[0] == model.assignment[1])
    (True, 1)
    """
    x, largest = _integer_data("x", x)
    size = x.shape[0]
    check_positive_int("k", k)
    if k > size:
        raise ValueError(f"k must be <= the number of points N = {size}, got {k}")
    check_positive_int("iterations", iterations, minimum=0)
    if check_generator("generator", generator) is None or generator.device.type != "cpu":
        raise TypeError(f"generator must be a CPU torch.Generator, got {generator!r}")
    if size * largest > _EXACT_FLOAT:
        raise ValueError(f"x must have N * max|x| <= 2**53, got {size} * {largest}")
    chosen = _random.permutation(size, generator, device=x.device)[:k]
    sums = x[chosen].to(torch.int64)
    counts = torch.ones(k, dtype=torch.int64, device=x.device)
    assignment = nearest_centroid(x, sums, counts)
    done, converged = 0, False
    while done < iterations and not converged:
        new_sums, new_counts = _cluster_sums(x, assignment, k)
        filled = new_counts > 0  # an empty cluster keeps its previous centroid
        sums = torch.where(filled[:, None], new_sums, sums)
        counts = torch.where(filled, new_counts, counts)
        updated = nearest_centroid(x, sums, counts)
        done += 1
        converged = torch.equal(updated, assignment)
        assignment = updated
    return KMeans(sums, counts, assignment, done, converged)


def label_centroids(
    assignment: torch.Tensor, labels: torch.Tensor, k: int, classes: int
) -> torch.Tensor:
    """The majority class of each centroid's points, ties to the lower class; -1 if none.

    A centroid with no points gets the label -1, which no prediction can match, so its
    points always count as errors.

    Parameters
    ----------
    assignment : Tensor, shape (N,), integer
        Each training point's centroid, in ``0 .. k - 1``.
    labels : Tensor, shape (N,), integer
        Each training point's class, in ``0 .. classes - 1``, on the same device.
    k, classes : int
        Numbers of centroids and classes.

    Returns
    -------
    Tensor, shape (k,), int64

    Examples
    --------
    >>> assignment = torch.tensor([0, 0, 0, 1, 1])
    >>> labels = torch.tensor([2, 1, 2, 0, 1])
    >>> label_centroids(assignment, labels, 3, 3).tolist()
    [2, 0, -1]
    """
    check_positive_int("k", k)
    check_positive_int("classes", classes)
    for name, value, high in (("assignment", assignment, k), ("labels", labels, classes)):
        if not isinstance(value, torch.Tensor) or value.dtype not in _INTEGER_DTYPES:
            got = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"{name} must be an integer torch.Tensor, got {got}")
        if value.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {tuple(value.shape)}")
        if value.numel() and (int(value.min()) < 0 or int(value.max()) >= high):
            got_range = f"{int(value.min())}..{int(value.max())}"
            raise ValueError(f"{name} must lie in 0..{high - 1}, got values {got_range}")
    if assignment.shape != labels.shape:
        raise ValueError(
            f"labels must have the shape {tuple(assignment.shape)} of assignment, "
            f"got {tuple(labels.shape)}"
        )
    check_same_device(assignment=assignment.long(), labels=labels.long())
    pairs = assignment.long() * classes + labels.long()
    votes = torch.bincount(pairs, minlength=k * classes).view(k, classes)  # (k, classes)
    order = torch.arange(classes - 1, -1, -1, device=votes.device)  # ties to the lower class
    majority = (votes * classes + order).argmax(dim=1)  # distinct scores: no tie left
    return torch.where(votes.sum(dim=1) > 0, majority, torch.full_like(majority, -1))


def predict(model: KMeans, centroid_labels: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The label of each point's exact nearest centroid (:func:`nearest_centroid`).

    Parameters
    ----------
    model : KMeans
        From :func:`fit_kmeans` (its ``sums`` and ``counts`` are used).
    centroid_labels : Tensor, shape (k,), int64
        From :func:`label_centroids` (-1 for a centroid without a label).
    x : Tensor, shape (N, D)
        Integer-valued points, on the model's device.

    Returns
    -------
    Tensor, shape (N,), int64

    Examples
    --------
    >>> model = KMeans(torch.tensor([[0], [20]]), torch.tensor([1, 2]), torch.tensor([0, 1]),
    ...                0, False)
    >>> predict(model, torch.tensor([7, 3]), torch.tensor([[1], [9]])).tolist()
    [7, 3]
    """
    if not isinstance(model, KMeans):
        raise TypeError(f"model must be a KMeans from fit_kmeans, got {type(model).__name__}")
    k = model.sums.shape[0]
    if not isinstance(centroid_labels, torch.Tensor) or centroid_labels.shape != (k,):
        got = (
            tuple(centroid_labels.shape)
            if isinstance(centroid_labels, torch.Tensor)
            else type(centroid_labels).__name__
        )
        raise ValueError(f"centroid_labels must be a tensor of shape ({k},), got {got}")
    return centroid_labels.to(model.sums.device)[nearest_centroid(x, model.sums, model.counts)]
