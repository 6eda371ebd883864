r"""Storage rules of the classical Hopfield network: patterns in, weights ``W`` (N, N) out.

* :func:`hebb_weights` (Hopfield 1982) and its integer form :func:`hebb_counts`;
* :func:`storkey_weights` (Storkey 1997), incremental;
* :func:`pseudo_inverse_weights` (Personnaz, Guyon & Dreyfus 1985), the projector onto
  the patterns' span;
* :class:`StorageRule`, the names :class:`~hebbian.hopfield.HopfieldNetwork` takes.
"""

from __future__ import annotations

import enum

import torch

from hebbian._checks import check_bool, check_same_device
from hebbian.hopfield._common import check_patterns, check_weights

__all__ = [
    "StorageRule",
    "hebb_counts",
    "hebb_weights",
    "pseudo_inverse_weights",
    "storkey_weights",
]


def hebb_weights(patterns: torch.Tensor) -> torch.Tensor:
    r"""Hebbian (outer-product) storage with zero diagonal.

    .. math:: W = \frac1N \sum_{\mu=1}^{P} \xi^\mu \xi^{\mu\top}, \qquad W_{ii} = 0 .

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
        Patterns as rows, usually with entries in {-1, +1}.

    Returns
    -------
    Tensor, shape (N, N)
        Symmetric weights with zero diagonal, same dtype and device as ``patterns``.

    Examples
    --------
    >>> xi = torch.tensor([[1.0, -1.0, 1.0]])
    >>> hebb_weights(xi) * 3
    tensor([[ 0., -1.,  1.],
            [-1.,  0., -1.],
            [ 1., -1.,  0.]])
    """
    patterns = check_patterns("patterns", patterns)
    n = patterns.shape[1]
    weights = patterns.T @ patterns / n  # (N, N)
    weights.fill_diagonal_(0.0)
    return weights


def hebb_counts(patterns: torch.Tensor) -> torch.Tensor:
    r"""The Hebbian couplings times N, :math:`N W = \Xi^\top \Xi` with a zero diagonal.

    For ±1 patterns these are integers (summed exactly in a wide enough dtype, see
    :func:`~hebbian.hopfield._common.integer_dtype`); the patterns are not checked.

    Parameters
    ----------
    patterns : Tensor, shape (P, N)

    Returns
    -------
    Tensor, shape (N, N)

    Examples
    --------
    >>> hebb_counts(torch.tensor([[1.0, -1.0], [1.0, 1.0]]))
    tensor([[0., 0.],
            [0., 0.]])
    """
    counts = patterns.T @ patterns  # (N, N)
    counts.fill_diagonal_(0.0)
    return counts


def storkey_weights(patterns: torch.Tensor, initial: torch.Tensor | None = None) -> torch.Tensor:
    r"""Incremental Storkey (1997) learning rule.

    Patterns are added one at a time, :math:`\nu = 1, \dots, P`:

    .. math::

        w_{ij}^{\nu} = w_{ij}^{\nu-1}
          + \frac1N \left(\xi^\nu_i \xi^\nu_j - \xi^\nu_i h^\nu_{ji} - h^\nu_{ij} \xi^\nu_j\right),
        \qquad
        h^\nu_{ij} = \sum_{k \ne i, j} w^{\nu-1}_{ik} \xi^\nu_k .

    **k-exclusion.** The local field :math:`h_{ij}` excludes *both* ``k = i`` and
    ``k = j``, as written by Storkey (1997) and Storkey & Valabregue (1999); some
    implementations only exclude ``k = i``. Vectorised per pattern with
    :math:`g = W \xi` (N,) and :math:`h_{ij} = g_i - w_{ii}\xi_i - w_{ij}\xi_j`; expanding
    the products, the update is two rank-1 terms plus a rescaling of the old weights,

    .. math::

        N \Delta W = v \xi^\top + \xi v^\top + D W^\top + W D, \qquad
        v = \tfrac12 \xi + \operatorname{diag}(W) \odot \xi - g, \quad
        D = \operatorname{diag}(\xi \odot \xi),

    so adding one pattern costs a few passes over an (N, N) matrix, :math:`O(N^2)`.

    **Diagonal.** Only off-diagonal entries are updated; the diagonal keeps the value it
    has in ``initial`` (zero when starting from scratch), i.e. there is no self-coupling.

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
        Patterns to add, as rows, usually with entries in {-1, +1}.
    initial : Tensor, shape (N, N), optional
        Weights to continue from (for example weights returned by an earlier call);
        default zeros. Not modified.

    Returns
    -------
    Tensor, shape (N, N)
        New weights (symmetric when ``initial`` is symmetric).

    Examples
    --------
    The first pattern stored from zero weights gives the Hebbian weights:

    >>> xi = torch.tensor([[1.0, -1.0, 1.0, 1.0]])
    >>> torch.allclose(storkey_weights(xi), hebb_weights(xi))
    True
    >>> w = storkey_weights(xi)
    >>> w2 = storkey_weights(torch.tensor([[1.0, 1.0, -1.0, 1.0]]), initial=w)
    >>> torch.allclose(w2, w2.T)
    True
    """
    patterns = check_patterns("patterns", patterns)
    n = patterns.shape[1]
    if initial is None:
        weights = torch.zeros(n, n, dtype=patterns.dtype, device=patterns.device)
    else:
        weights = check_weights(initial, n).clone()
        check_same_device(patterns=patterns, initial=weights)
    diagonal = weights.diagonal().clone()  # (N,)
    for xi in patterns:  # xi: (N,)
        g = weights @ xi  # (N,)  g_i = sum_k w_ik xi_k
        v = 0.5 * xi + diagonal * xi - g  # (N,)
        square = xi * xi  # (N,)
        # w_ij += (v_i xi_j + xi_i v_j + xi_i^2 w_ji + w_ij xi_j^2) / N
        weights = weights * (1.0 + square[None, :] / n) + weights.T * (square[:, None] / n)
        weights.addr_(v, xi, alpha=1.0 / n).addr_(xi, v, alpha=1.0 / n)
        weights.diagonal().copy_(diagonal)  # no self-coupling is learned
    return weights


def pseudo_inverse_weights(patterns: torch.Tensor, *, zero_diagonal: bool = False) -> torch.Tensor:
    r"""Pseudo-inverse (projection) storage rule.

    Personnaz, Guyon & Dreyfus (1985); Kanter & Sompolinsky (1987).

    With the patterns as columns of :math:`\Xi` (N, P):

    .. math::

        W = \frac1N \, \Xi\, C^{+} \Xi^\top, \qquad C = \frac1N \Xi^\top \Xi ,

    which is the orthogonal projector onto the span of the patterns, so
    :math:`W \xi^\mu = \xi^\mu` for every stored pattern: any linearly independent set
    (P <= N) is stored as exact fixed points. It is computed from a thin SVD
    :math:`\Xi^\top = U S V^\top` as :math:`W = V_r V_r^\top` (``V_r``: right singular
    vectors with singular values above ``max(P, N) * eps * s_max``, the same cut-off as
    ``torch.linalg.pinv``); this equals the formula above (with :math:`C^+` the
    pseudo-inverse, so linearly dependent patterns are fine), is symmetric by
    construction, and avoids forming :math:`C^{-1}` explicitly (whose condition number
    is the square of that of :math:`\Xi`).

    **Diagonal.** By default the diagonal is *kept*: then the field of a stored pattern is
    exactly :math:`h = \xi` (margin 1 on every neuron). The diagonal of a projector lies in
    [0, 1] and is about P / N on average, so with ``zero_diagonal=True`` the field becomes
    :math:`h_i = (1 - W_{ii}) \xi_i`: stored patterns stay fixed points in exact
    arithmetic, but the margin shrinks to 0 as P -> N and rounding can then break them.
    On the other hand the self-coupling :math:`W_{ii} s_i` also stabilises many spurious
    states and shrinks the basins of attraction, which zeroing the diagonal avoids
    (Kanter & Sompolinsky 1987). Note that the energy is non-increasing under
    asynchronous updates in both cases (it needs :math:`W_{ii} \ge 0`).

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
        Patterns as rows.
    zero_diagonal : bool, default False
        Set the diagonal to zero after projecting.

    Returns
    -------
    Tensor, shape (N, N)
        Symmetric weights.

    Examples
    --------
    >>> xi = torch.tensor([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0]])
    >>> w = pseudo_inverse_weights(xi)
    >>> torch.allclose(xi @ w.T, xi, atol=1e-6)
    True
    """
    patterns = check_patterns("patterns", patterns)
    zero_diagonal = check_bool("zero_diagonal", zero_diagonal)
    _, s, vh = torch.linalg.svd(patterns, full_matrices=False)  # s: (r,), vh: (r, N)
    tolerance = max(patterns.shape) * torch.finfo(patterns.dtype).eps * s.max()
    basis = vh[s > tolerance]  # (rank, N): orthonormal basis of the patterns' span
    weights = basis.T @ basis  # (N, N)
    if zero_diagonal:
        weights.fill_diagonal_(0.0)
    return weights


class StorageRule(enum.Enum):
    """Storage (learning) rules of :class:`HopfieldNetwork`.

    ``HEBB`` -> :func:`hebb_weights`, ``STORKEY`` -> :func:`storkey_weights`,
    ``PSEUDO_INVERSE`` -> :func:`pseudo_inverse_weights` (diagonal kept).

    >>> StorageRule.STORKEY.value
    'storkey'
    """

    HEBB = "hebb"
    STORKEY = "storkey"
    PSEUDO_INVERSE = "pseudo_inverse"
