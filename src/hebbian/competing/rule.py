r"""The unsupervised rule of Krotov & Hopfield's competing hidden units, as pure functions.

Krotov & Hopfield, "Unsupervised learning by competing hidden units", PNAS 116 (16),
7723-7731 (2019), arXiv:1806.10181. The currents are inner products in the p-norm
metric :math:`\langle X, Y \rangle_W = \sum_i |W_i|^{p-2} X_i Y_i`,

.. math:: I_\mu = \langle W_\mu, v \rangle_W
          = \sum_i \operatorname{sign}(W_{\mu i}) |W_{\mu i}|^{p-1} v_i .

For each sample the units are ranked by current: the strongest gets :math:`g = 1`,
the ``k``-th strongest :math:`g = -\Delta` (anti-Hebbian), all others :math:`g = 0`.
The change summed over a mini-batch of ``B`` samples is

.. math:: \Delta W_{\mu i} = \sum_{b} g_{b\mu} \left(v_{bi} - I_{b\mu} W_{\mu i}\right),

applied normalised by its largest magnitude with a linearly annealed rate
(:func:`normalised_increment`, :func:`annealed_rate`). Every function here takes
plain tensors and numbers and returns new tensors; the training loop that applies
the rule batch by batch is :mod:`hebbian.competing.training`.
"""

from __future__ import annotations

import torch

from hebbian._checks import (
    check_enum,
    check_floating_tensor,
    check_positive,
    check_positive_int,
    check_same_device,
)
from hebbian.competing.params import AntiHebbian, check_exponent, check_ranking

__all__ = [
    "annealed_rate",
    "check_inputs_weight",
    "competing_update",
    "competition",
    "hidden_currents",
    "normalised_increment",
    "p_norms",
    "power_weights",
    "rank_first_and_kth",
]


def check_inputs_weight(inputs: object, weight: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``inputs`` ``(B, N)`` and ``weight`` ``(H, N)`` if floating, on one device and dtype.

    Parameters
    ----------
    inputs : Tensor, shape (B, N)
    weight : Tensor, shape (H, N)

    Returns
    -------
    (Tensor, Tensor)

    Examples
    --------
    >>> check_inputs_weight(torch.zeros(2, 3), torch.zeros(4, 5))
    Traceback (most recent call last):
    ...
    ValueError: weight must have shape (*, 3), got (4, 5)
    """
    inputs_t = check_floating_tensor("inputs", inputs, ndim=2)
    weight_t = check_floating_tensor("weight", weight, shape=(None, inputs_t.shape[1]))
    check_same_device(inputs=inputs_t, weight=weight_t)
    return inputs_t, weight_t


def power_weights(weight: torch.Tensor, p: float) -> torch.Tensor:
    r"""The weights as seen through the p-norm metric: :math:`\operatorname{sign}(W)|W|^{p-1}`.

    Exact special cases: ``p = 2`` returns ``W`` itself (a view-free copy is not
    made), ``p = 3`` returns :math:`W |W|`.

    Parameters
    ----------
    weight : Tensor, shape (H, N)
    p : float
        Exponent of the metric, >= 1.

    Returns
    -------
    Tensor, shape (H, N)

    Examples
    --------
    >>> power_weights(torch.tensor([[-2.0, 0.5]]), 3.0)
    tensor([[-4.0000,  0.2500]])
    """
    weight = check_floating_tensor("weight", weight)
    p = check_exponent(p)
    if p == 2.0:
        return weight
    if p == 3.0:
        return weight * weight.abs()
    if p == 1.0:
        return torch.sign(weight)
    return torch.sign(weight) * weight.abs().pow(p - 1.0)


def hidden_currents(inputs: torch.Tensor, weight: torch.Tensor, p: float) -> torch.Tensor:
    r"""Currents :math:`I_{b\mu} = \sum_i \operatorname{sign}(W_{\mu i})|W_{\mu i}|^{p-1} v_{bi}`.

    Parameters
    ----------
    inputs : Tensor, shape (B, N)
        Samples ``v``.
    weight : Tensor, shape (H, N)
    p : float
        Exponent of the metric, >= 1.

    Returns
    -------
    Tensor, shape (B, H)

    Examples
    --------
    >>> hidden_currents(torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, -1.0]]), 3.0)
    tensor([[3.]])
    """
    inputs, weight = check_inputs_weight(inputs, weight)
    return inputs @ power_weights(weight, p).T  # (B, N) @ (N, H) -> (B, H)


def competition(
    currents: torch.Tensor,
    k: int,
    delta: float,
    anti_hebbian: AntiHebbian = AntiHebbian.ALWAYS,
) -> torch.Tensor:
    r"""The learning activation :math:`g`: +1 for the strongest unit, :math:`-\Delta` for the k-th.

    For each sample (row) the units are ranked by current with a top-k selection
    (no full sort); ties go to the lower index, exactly as a stable descending sort
    would rank them, on every device and thread count (see :func:`rank_first_and_kth`).

    Parameters
    ----------
    currents : Tensor, shape (B, H)
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= H.
    delta : float
        :math:`\Delta` >= 0.
    anti_hebbian : AntiHebbian
        ``ALWAYS`` (published): the k-th unit gets :math:`-\Delta` in every row;
        ``POSITIVE``: only in the rows where its current is > 0, else 0.

    Returns
    -------
    Tensor, shape (B, H)
        At most two non-zero entries per row, dtype and device of ``currents``.

    Examples
    --------
    >>> competition(torch.tensor([[0.1, 0.9, 0.5, 0.7]]), k=3, delta=0.4)
    tensor([[ 0.0000,  1.0000, -0.4000,  0.0000]])
    >>> competition(torch.tensor([[-0.1, 0.9, -0.5, 0.7]]), 3, 0.4, AntiHebbian.POSITIVE)
    tensor([[0., 1., 0., 0.]])
    """
    currents = check_floating_tensor("currents", currents, ndim=2)
    k, delta = check_ranking(k, delta, currents.shape[1])
    check_enum("anti_hebbian", anti_hebbian, AntiHebbian)
    first, kth, _, kth_value = rank_first_and_kth(currents, k)
    g = torch.zeros_like(currents)
    rows = torch.arange(currents.shape[0], device=currents.device)
    if anti_hebbian is AntiHebbian.ALWAYS:
        g[rows, kth] = -delta
    else:
        g[rows, kth] = torch.where(kth_value > 0, g.new_tensor(-delta), g.new_tensor(0.0))
    g[rows, first] = 1.0
    return g


def rank_first_and_kth(
    currents: torch.Tensor, k: int, *, sync_free: bool | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The strongest and the k-th strongest unit of each row, ties to the lower index.

    The ranks are those of a stable descending sort of each row of ``currents``
    ``(B, H)``, found without sorting. :func:`torch.topk` gives the values
    :math:`c_{(1)} \ge \dots \ge c_{(k)}`, which do not depend on how ties are broken;
    which of several equal entries it returns is not documented and differs between
    CPU kernels and CUDA, so its indices are not used. The winner is the first index
    whose current equals :math:`c_{(1)}`; the k-th unit is the :math:`(k - G)`-th
    index, in index order, whose current equals :math:`c_{(k)}`, with :math:`G` the
    number of currents strictly above :math:`c_{(k)}` (so :math:`G < k` and the
    :math:`k - G` equal entries exist). Comparisons and counts are exact, so for the
    same currents the outcome is the same on every machine and thread count.

    Two paths give the same ranks. ``sync_free`` (the default off the CPU): every row
    takes the same path, a fixed sequence of kernels that never reads a tensor back to
    the host, so a loop of batches on a GPU runs without synchronising; it costs a few
    passes over the ``(B, H)`` currents. On the CPU, where reading back is free, the
    default keeps :func:`torch.topk`'s indices in the rows where the winner's and the
    k-th value are each held by one entry (there they are unambiguous) and ranks only
    the rows with such a tie the exact way: about 7x less ranking time at B = 100,
    H = 2000.

    Parameters
    ----------
    currents : Tensor, shape (B, H)
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= H (not checked here: the callers,
        :func:`competition` and the training loop, have checked it).
    sync_free : bool or None
        Force the host-read-free path (True) or the tie-rows path (False); None chooses
        by the device of ``currents``.

    Returns
    -------
    first, kth : Tensor, shape (B,), int64
    first_value, kth_value : Tensor, shape (B,)
        :math:`c_{(1)}` and :math:`c_{(k)}`.

    Examples
    --------
    >>> first, kth, _, _ = rank_first_and_kth(torch.tensor([[1.0, 3.0, 3.0, 3.0]]), 3)
    >>> first.tolist(), kth.tolist()
    ([1], [3])
    """
    if sync_free is None:
        sync_free = currents.device.type != "cpu"
    if sync_free:
        values = torch.topk(currents, k, dim=1).values  # (B, k), strongest first
        first_value, kth_value = values[:, 0], values[:, k - 1]
        first, kth = _exact_ranks(currents, k, first_value, kth_value)
        return first, kth, first_value, kth_value
    top = torch.topk(currents, min(k + 1, currents.shape[1]), dim=1)  # (B, k+1)
    values = top.values
    first_value, kth_value = values[:, 0], values[:, k - 1]
    first, kth = top.indices[:, 0].clone(), top.indices[:, k - 1].clone()
    tied = (values[:, 1] == first_value) | (values[:, k - 2] == kth_value)
    if values.shape[1] > k:
        tied |= values[:, k] == kth_value
    rows = tied.nonzero()[:, 0]  # a host read: free on the CPU
    if rows.numel():
        first[rows], kth[rows] = _exact_ranks(currents[rows], k, first_value[rows], kth_value[rows])
    return first, kth, first_value, kth_value


def _exact_ranks(
    currents: torch.Tensor, k: int, first_value: torch.Tensor, kth_value: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The winner and k-th index of each row from its values, ties to the lower index."""
    # argmax returns the index of the first of equal maxima (documented): the first True
    first = (currents == first_value[:, None]).to(torch.uint8).argmax(dim=1)  # (B,)
    equal = currents == kth_value[:, None]  # (B, H)
    above = (currents > kth_value[:, None]).sum(dim=1)  # (B,), G < k
    wanted = (k - above)[:, None]  # the k-th unit is the wanted-th equal entry, 1-based
    kth = (equal & (equal.cumsum(dim=1) == wanted)).to(torch.uint8).argmax(dim=1)  # (B,)
    return first, kth


def competing_update(
    inputs: torch.Tensor,
    weight: torch.Tensor,
    *,
    p: float,
    k: int,
    delta: float,
    anti_hebbian: AntiHebbian = AntiHebbian.ALWAYS,
) -> torch.Tensor:
    r"""The Krotov-Hopfield change summed over a batch (no learning rate, no normalisation).

    .. math:: \Delta W_{\mu i} = \sum_b g_{b\mu}\,(v_{bi} - I_{b\mu} W_{\mu i})

    with :math:`I` from :func:`hidden_currents` and :math:`g` from :func:`competition`
    (Krotov & Hopfield 2019, eq. 3 with the ranking activation of eq. 10). This is the
    dense reference; :func:`~hebbian.competing.training.competing_epoch` computes the
    same change row-sparsely.

    Parameters
    ----------
    inputs : Tensor, shape (B, N)
    weight : Tensor, shape (H, N)
    p : float
        Exponent of the metric, >= 1.
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= H.
    delta : float
        :math:`\Delta` >= 0.
    anti_hebbian : AntiHebbian
        When the k-th unit learns (see :func:`competition`).

    Returns
    -------
    Tensor, shape (H, N)

    Examples
    --------
    >>> v = torch.tensor([[1.0, 0.0]])
    >>> w = torch.tensor([[1.0, 1.0], [0.5, 0.0], [0.0, 1.0]])
    >>> competing_update(v, w, p=2.0, k=2, delta=0.5)
    tensor([[ 0.0000, -1.0000],
            [-0.3750,  0.0000],
            [ 0.0000,  0.0000]])
    """
    inputs, weight = check_inputs_weight(inputs, weight)
    currents = hidden_currents(inputs, weight, p)  # (B, H)
    g = competition(currents, k, delta, anti_hebbian)  # (B, H)
    hebbian = g.T @ inputs  # (H, B) @ (B, N) -> (H, N)
    decay = (g * currents).sum(dim=0)  # (H,)
    return hebbian - decay[:, None] * weight


def normalised_increment(dw: torch.Tensor, rate: float, precision: float = 1e-30) -> torch.Tensor:
    r"""The applied step :math:`\varepsilon\, \Delta W / \max(\max|\Delta W|, \text{precision})`.

    Its largest entry has magnitude exactly ``rate`` (unless ``dw`` is below
    ``precision`` everywhere).

    Parameters
    ----------
    dw : Tensor, any shape
    rate : float
        :math:`\varepsilon` >= 0.
    precision : float
        Floor of the normaliser, > 0.

    Returns
    -------
    Tensor, shape of ``dw``

    Examples
    --------
    >>> normalised_increment(torch.tensor([2.0, -4.0]), 0.1)
    tensor([ 0.0500, -0.1000])
    """
    dw = check_floating_tensor("dw", dw)
    check_positive("rate", rate, allow_zero=True)
    check_positive("precision", precision)
    return dw * (rate / dw.abs().amax().clamp_min(precision))


def annealed_rate(initial: float, epochs_done: int, epochs: int) -> float:
    r"""The linearly annealed learning rate :math:`\varepsilon_0 (1 - e/E)` of epoch ``e``.

    ``e`` = ``epochs_done`` counts from 0, so the first epoch uses
    :math:`\varepsilon_0` and the last :math:`\varepsilon_0 / E` (the authors'
    schedule). Past ``E`` the rate is 0.

    Examples
    --------
    >>> [annealed_rate(0.04, e, 4) for e in range(5)]
    [0.04, 0.03, 0.02, 0.01, 0.0]
    """
    check_positive("initial", initial)
    check_positive_int("epochs_done", epochs_done, minimum=0)
    check_positive_int("epochs", epochs)
    return initial * max(epochs - epochs_done, 0) / epochs


def p_norms(weight: torch.Tensor, p: float) -> torch.Tensor:
    r"""The p-norm of each unit's weights, :math:`(\sum_i |W_{\mu i}|^p)^{1/p}`.

    The rule drives it to 1 for every unit that learns.

    Parameters
    ----------
    weight : Tensor, shape (H, N)
    p : float

    Returns
    -------
    Tensor, shape (H,)

    Examples
    --------
    >>> p_norms(torch.tensor([[3.0, 4.0]]), 2.0)
    tensor([5.])
    """
    weight = check_floating_tensor("weight", weight, ndim=2)
    p = check_exponent(p)
    return torch.linalg.vector_norm(weight, ord=p, dim=1)
