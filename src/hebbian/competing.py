r"""Competing hidden units: Krotov & Hopfield's unsupervised rule and its top layer.

Krotov & Hopfield, "Unsupervised learning by competing hidden units", PNAS 116 (16),
7723-7731 (2019), arXiv:1806.10181. A layer of ``H`` hidden units with weights
``W`` (``H x N``) learns from inputs ``v`` (``N``) without labels; a supervised top
layer is then trained on the frozen hidden layer.

**Unsupervised rule.** The currents are inner products in the p-norm metric
:math:`\langle X, Y \rangle_W = \sum_i |W_i|^{p-2} X_i Y_i`,

.. math:: I_\mu = \langle W_\mu, v \rangle_W
          = \sum_i \operatorname{sign}(W_{\mu i}) |W_{\mu i}|^{p-1} v_i .

For each sample the units are ranked by current: the strongest gets :math:`g = 1`,
the ``k``-th strongest :math:`g = -\Delta` (anti-Hebbian), all others :math:`g = 0`.
The change summed over a mini-batch of ``B`` samples is

.. math:: \Delta W_{\mu i} = \sum_{b} g_{b\mu} \left(v_{bi} - I_{b\mu} W_{\mu i}\right),

and it is applied normalised by its largest magnitude, with a learning rate annealed
linearly towards zero over the ``E`` epochs (epoch ``e = 0 .. E-1``):

.. math:: W \leftarrow W + \varepsilon_e \frac{\Delta W}{\max(\max_{\mu i}|\Delta W_{\mu i}|,
          \text{precision})}, \qquad \varepsilon_e = \varepsilon_0 (1 - e / E).

For a unit that only wins, :math:`\frac{d}{dt}\lVert W_\mu \rVert_p^p = p\, g I_\mu
(1 - \lVert W_\mu \rVert_p^p)`: its weights converge to the unit sphere of the p-norm.

**Top layer.** On the frozen weights the hidden activity and the class scores are

.. math:: h_\mu = \operatorname{ReLU}\!\left(W_\mu \cdot \hat v\right)^n,\qquad
          c_\alpha = \tanh\!\left(\beta \sum_\mu S_{\alpha\mu} h_\mu\right),\qquad
          L = \sum_{\alpha} |c_\alpha - t_\alpha|^m,

with targets :math:`t_\alpha = +1` for the true class and :math:`-1` otherwise, and
:math:`\hat v = v / \lVert v \rVert_2` (each input normalised to unit length before
the top layer, as the first author advises). A cross-entropy loss on the scores
:math:`\beta S h` is the alternative (:class:`TopLoss`).

Pieces:

* pure maths: :func:`power_weights`, :func:`hidden_currents`, :func:`competition`,
  :func:`competing_update` (the rule, returns ``dW``), :func:`normalised_increment`,
  :func:`annealed_rate`, :func:`p_norms`;
* training: :func:`initial_weights`, :func:`competing_epoch` (one shuffled pass, with
  top-k ranking and row-sparse updates; optionally data-parallel, see
  :mod:`hebbian.distributed`), :func:`fit_competing`;
* top layer: :func:`hidden_features`, :class:`TopLayer`, :func:`top_layer_loss`,
  :func:`top_layer_epoch`;
* :class:`CompetingHiddenUnits`, a scikit-learn style transformer.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from hebbian._checks import (
    NonFiniteWeightsError,
    check_floating_tensor,
    check_in_range,
    check_memory,
    check_positive,
    check_positive_int,
    check_same_device,
)
from hebbian._sklearn import TorchInputMixin, generator_from_random_state

__all__ = [
    "CompetingHiddenUnits",
    "CompetingParams",
    "Init",
    "TopLayer",
    "TopLoss",
    "annealed_rate",
    "competing_epoch",
    "competing_update",
    "competition",
    "fit_competing",
    "hidden_currents",
    "hidden_features",
    "initial_weights",
    "normalised_increment",
    "p_norms",
    "power_loss",
    "power_weights",
    "top_layer_epoch",
    "top_layer_loss",
]

Reduce = Callable[[torch.Tensor], torch.Tensor]
"""A function that sums a tensor over the processes of a data-parallel group."""


# ---------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------


class Init(enum.Enum):
    """How the initial weights are drawn (``scale`` is :attr:`CompetingParams.init_scale`).

    NORMAL
        :math:`W_{\\mu i} \\sim \\mathcal N(0, \\text{scale}^2)`, the authors' notebook
        (mean 0, standard deviation 1).
    UNIFORM
        :math:`W_{\\mu i} \\sim \\mathcal U(-\\text{scale}, \\text{scale})`.
    """

    NORMAL = "normal"
    UNIFORM = "uniform"


class TopLoss(enum.Enum):
    """The loss of the supervised top layer (see :func:`top_layer_loss`).

    POWER
        :math:`\\sum_\\alpha |\\tanh(s_\\alpha) - t_\\alpha|^m`, targets in {-1, +1}
        (Krotov & Hopfield 2019, eq. 12).
    CROSS_ENTROPY
        Softmax cross-entropy on the scores :math:`s = \\beta S h`; the first author
        reports results similar to the power loss.
    """

    POWER = "power"
    CROSS_ENTROPY = "cross-entropy"


@dataclass(frozen=True)
class CompetingParams:
    r"""Hyperparameters of the unsupervised rule.

    The defaults are the paper's MNIST network (Krotov & Hopfield 2019: 2000 hidden
    units, :math:`p = 3`, :math:`k = 7`, :math:`\Delta = 0.4`) trained with the
    schedule of the authors' public notebook (:math:`\varepsilon_0 = 0.02`, batches of
    100, 200 epochs, :math:`W \sim \mathcal N(0, 1)`, precision 1e-30). A public
    reimplementation's configurations use :math:`\varepsilon_0 = 0.04` and 1000 epochs
    for MNIST, and :math:`p = 3, k = 5, \Delta = 0.3`, batches of 256 and 500 epochs
    for Fashion-MNIST.

    Attributes
    ----------
    hidden_units : int
        ``H``, the number of competing units.
    p : float
        Exponent of the p-norm metric, >= 1 (``p = 2`` is the Euclidean inner product).
    k : int
        Rank of the unit that is pushed away (anti-Hebbian), 2 <= k <= hidden_units.
    delta : float
        :math:`\Delta` >= 0, strength of the anti-Hebbian update.
    learning_rate : float
        :math:`\varepsilon_0` > 0, the largest change of any weight in one update at
        the first epoch.
    batch_size : int
        Samples per update (per process in data-parallel training).
    epochs : int
        ``E``: the learning rate reaches zero after ``E`` epochs.
    init : Init
        Distribution of the initial weights.
    init_scale : float
        Its standard deviation (NORMAL) or half-width (UNIFORM).
    precision : float
        Floor of the normaliser :math:`\max |\Delta W|`, so an empty update stays zero.

    Notes
    -----
    Collapse. A unit ranked k-th with a *negative* current is pushed towards
    :math:`-v`. When fewer than ``k`` units respond positively to most inputs (few
    units, large ``k``, or heavily overlapping inputs such as Fashion-MNIST's), the
    units drift one after another onto the negative of the mean input, leaving a few
    winners. We measured it with 100 units and ``k = 7`` on the 8x8 digits, and with
    2000 units and ``k = 7`` or ``k = 5`` on Fashion-MNIST within 30 epochs; ``k = 2``
    delays it. Watch :func:`p_norms` and the number of distinct winners.

    Examples
    --------
    >>> CompetingParams(hidden_units=100, p=2.0, k=2).delta
    0.4
    >>> CompetingParams(k=1)
    Traceback (most recent call last):
    ...
    ValueError: k must be an int >= 2, got 1
    """

    hidden_units: int = 2000
    p: float = 3.0
    k: int = 7
    delta: float = 0.4
    learning_rate: float = 0.02
    batch_size: int = 100
    epochs: int = 200
    init: Init = Init.NORMAL
    init_scale: float = 1.0
    precision: float = 1e-30

    def __post_init__(self) -> None:
        check_positive_int("hidden_units", self.hidden_units)
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)):
            raise TypeError(f"p must be a number, got {type(self.p).__name__} {self.p!r}")
        if not math.isfinite(self.p) or self.p < 1:
            raise ValueError(f"p must be a finite number >= 1, got {self.p!r}")
        check_positive_int("k", self.k, minimum=2)
        if self.k > self.hidden_units:
            raise ValueError(f"k must be at most hidden_units = {self.hidden_units}, got {self.k}")
        check_positive("delta", self.delta, allow_zero=True)
        check_positive("learning_rate", self.learning_rate)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("epochs", self.epochs)
        if not isinstance(self.init, Init):
            raise TypeError(f"init must be an Init, got {type(self.init).__name__} {self.init!r}")
        check_positive("init_scale", self.init_scale)
        check_positive("precision", self.precision)


# ---------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------


def _check_inputs_weight(inputs: object, weight: object) -> tuple[torch.Tensor, torch.Tensor]:
    """``inputs`` (B, N) and ``weight`` (H, N): floating, one device and dtype."""
    inputs_t = check_floating_tensor("inputs", inputs, ndim=2)
    weight_t = check_floating_tensor("weight", weight, shape=(None, inputs_t.shape[1]))
    check_same_device(inputs=inputs_t, weight=weight_t)
    return inputs_t, weight_t


def _check_p(p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"p must be a number, got {type(p).__name__} {p!r}")
    if not math.isfinite(p) or p < 1:
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    return float(p)


def _check_k_delta(k: int, delta: float, hidden: int) -> None:
    check_positive_int("k", k, minimum=2)
    if k > hidden:
        raise ValueError(f"k must be at most the number of hidden units {hidden}, got {k}")
    check_positive("delta", delta, allow_zero=True)


# ---------------------------------------------------------------------------------------
# the unsupervised rule (pure functions)
# ---------------------------------------------------------------------------------------


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
    p = _check_p(p)
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
    inputs, weight = _check_inputs_weight(inputs, weight)
    return inputs @ power_weights(weight, p).T  # (B, N) @ (N, H) -> (B, H)


def competition(currents: torch.Tensor, k: int, delta: float) -> torch.Tensor:
    r"""The learning activation :math:`g`: +1 for the strongest unit, :math:`-\Delta` for the k-th.

    For each sample (row) the units are ranked by current with a top-k selection
    (no full sort); ties go to the lower index, exactly as a stable descending sort
    would rank them, on every device and thread count (see :func:`_first_and_kth`).

    Parameters
    ----------
    currents : Tensor, shape (B, H)
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= H.
    delta : float
        :math:`\Delta` >= 0.

    Returns
    -------
    Tensor, shape (B, H)
        Two non-zero entries per row (one if ``delta`` is 0), dtype and device of
        ``currents``.

    Examples
    --------
    >>> competition(torch.tensor([[0.1, 0.9, 0.5, 0.7]]), k=3, delta=0.4)
    tensor([[ 0.0000,  1.0000, -0.4000,  0.0000]])
    """
    currents = check_floating_tensor("currents", currents, ndim=2)
    _check_k_delta(k, delta, currents.shape[1])
    first, kth, _, _ = _first_and_kth(currents, k)
    g = torch.zeros_like(currents)
    rows = torch.arange(currents.shape[0], device=currents.device)
    g[rows, kth] = -delta
    g[rows, first] = 1.0
    return g


def _first_and_kth(
    currents: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The strongest and the k-th strongest unit of each row, ties to the lower index.

    The ranks are those of a stable descending sort of each row of ``currents``
    ``(B, H)``, found without sorting. :func:`torch.topk` gives the values
    :math:`c_{(1)} \ge \dots \ge c_{(k+1)}`, which do not depend on how ties are
    broken, but not which of several equal entries it picks, and that differs between
    CPU kernels and CUDA. Its indices are kept where the winner's and the k-th value
    are each held by one entry only; in a row where one of them is tied, the winner is
    the first index whose current equals :math:`c_{(1)}`, and the k-th unit the
    :math:`(k - G)`-th index, in index order, whose current equals :math:`c_{(k)}`, with
    :math:`G` the number of currents strictly above :math:`c_{(k)}`. Comparisons and
    counts are exact, so for the same currents the outcome is the same on every
    machine and thread count.

    Returns
    -------
    first, kth : Tensor, shape (B,), int64
    first_value, kth_value : Tensor, shape (B,)
        :math:`c_{(1)}` and :math:`c_{(k)}`.
    """
    top = torch.topk(currents, min(k + 1, currents.shape[1]), dim=1)  # (B, k+1), strongest first
    values = top.values
    first, kth = top.indices[:, 0].clone(), top.indices[:, k - 1].clone()
    first_value, kth_value = values[:, 0], values[:, k - 1]
    tied = (values[:, 1] == first_value) | (values[:, k - 2] == kth_value)
    if values.shape[1] > k:
        tied |= values[:, k] == kth_value
    rows = tied.nonzero()[:, 0]
    if rows.numel():  # the slow, exact ranking, only in the rows with a tie that matters
        sub = currents[rows]  # (R, H)
        # argmax returns the first of equal maxima (documented), here the first True
        first[rows] = (sub == first_value[rows, None]).to(torch.uint8).argmax(dim=1)
        equal = sub == kth_value[rows, None]  # (R, H)
        above = (sub > kth_value[rows, None]).sum(dim=1)  # (R,), < k
        wanted = (k - above)[:, None]  # the k-th unit is the wanted-th equal entry, 1-based
        kth[rows] = (equal & (equal.cumsum(dim=1) == wanted)).to(torch.uint8).argmax(dim=1)
    return first, kth, first_value, kth_value


def competing_update(
    inputs: torch.Tensor, weight: torch.Tensor, *, p: float, k: int, delta: float
) -> torch.Tensor:
    r"""The Krotov-Hopfield change summed over a batch (no learning rate, no normalisation).

    .. math:: \Delta W_{\mu i} = \sum_b g_{b\mu}\,(v_{bi} - I_{b\mu} W_{\mu i})

    with :math:`I` from :func:`hidden_currents` and :math:`g` from :func:`competition`
    (Krotov & Hopfield 2019, eq. 3 with the ranking activation of eq. 10). This is the
    dense reference; :func:`competing_epoch` computes the same change row-sparsely.

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
    inputs, weight = _check_inputs_weight(inputs, weight)
    currents = hidden_currents(inputs, weight, p)  # (B, H)
    g = competition(currents, k, delta)  # (B, H)
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
    p = _check_p(p)
    return torch.linalg.vector_norm(weight, ord=p, dim=1)


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------


def initial_weights(
    hidden_units: int,
    features: int,
    params: CompetingParams,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Draw the initial weights ``(hidden_units, features)`` on the CPU, then move them.

    Drawing on the CPU from a CPU ``generator`` gives the same numbers on every device.

    Examples
    --------
    >>> w = initial_weights(3, 4, CompetingParams(hidden_units=3, k=2),
    ...                     torch.Generator().manual_seed(0))
    >>> tuple(w.shape), w.dtype
    ((3, 4), torch.float32)
    """
    check_positive_int("hidden_units", hidden_units)
    check_positive_int("features", features)
    if not isinstance(params, CompetingParams):
        raise TypeError(f"params must be a CompetingParams, got {type(params).__name__}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    shape = (hidden_units, features)
    check_memory(  # the float64 draw, before allocating it
        f"hidden_units={hidden_units}, features={features} (the initial weights)",
        8 * hidden_units * features,
    )
    if params.init is Init.NORMAL:
        weight = torch.randn(shape, generator=generator, dtype=torch.float64)
    else:
        weight = torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1
    return (weight * params.init_scale).to(dtype=dtype, device=device)


def _ranked(
    batch: torch.Tensor, powered: torch.Tensor, k: int, delta: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Winners ``(b,)``, k-th units ``(b,)`` and :math:`\sum_b g I` terms ``(2b,)`` of a batch."""
    currents = batch @ powered.T  # (b, N) @ (N, H) -> (b, H)
    first, kth, first_value, kth_value = _first_and_kth(currents, k)  # ties: lower index
    g_currents = torch.cat([first_value, kth_value * -delta])  # (2b,)
    return first, kth, g_currents


def _sparse_step(
    weight: torch.Tensor,
    powered: torch.Tensor,
    batch: torch.Tensor,
    params: CompetingParams,
    rate: float,
) -> torch.Tensor:
    r"""Apply one normalised update in place, touching only the rows that learn.

    Only the winner and the k-th unit of each sample have non-zero rows in ``dW``, so
    at most ``2 B`` of the ``H`` rows change; their ``powered`` weights are refreshed
    in place. Returns :math:`\max|\Delta W|`, a 0-d tensor.
    """
    b = batch.shape[0]
    first, kth, g_currents = _ranked(batch, powered, params.k, params.delta)
    rows, slot = torch.unique(torch.cat([first, kth]), return_inverse=True)  # (R,), (2b,)
    drows = batch.new_zeros(rows.shape[0], batch.shape[1])  # (R, N): non-zero rows of dW
    drows.index_add_(0, slot[:b], batch)  # + v_b for the winners
    drows.index_add_(0, slot[b:], batch, alpha=-params.delta)  # - delta v_b for the k-th
    decay = batch.new_zeros(rows.shape[0]).index_add_(0, slot, g_currents)  # (R,)
    old_rows = weight.index_select(0, rows)  # (R, N)
    drows.addcmul_(old_rows, decay[:, None], value=-1.0)  # sum_b g (v - I W)
    low, high = torch.aminmax(drows)
    peak = torch.maximum(high, -low)  # max |dW|
    new_rows = old_rows.addcmul_(drows, rate / peak.clamp_min(params.precision))
    weight.index_copy_(0, rows, new_rows)
    powered.index_copy_(0, rows, power_weights(new_rows, params.p))
    return peak


def _dense_step(
    weight: torch.Tensor,
    batch: torch.Tensor,
    params: CompetingParams,
    rate: float,
    reduce: Reduce,
) -> torch.Tensor:
    r"""Apply one update whose summed ``dW`` is reduced over processes before normalising.

    Returns :math:`\max|\Delta W|` of the reduced change, a 0-d tensor.
    """
    first, kth, g_currents = _ranked(batch, power_weights(weight, params.p), params.k, params.delta)
    dw = torch.zeros_like(weight)  # (H, N)
    dw.index_add_(0, first, batch)
    dw.index_add_(0, kth, batch, alpha=-params.delta)
    decay = weight.new_zeros(weight.shape[0]).index_add_(0, torch.cat([first, kth]), g_currents)
    dw.addcmul_(weight, decay[:, None], value=-1.0)  # this process's share of sum_b g (v - I W)
    dw = reduce(dw)  # the sum over every process's samples
    peak = dw.abs().amax()
    weight.addcmul_(dw, rate / peak.clamp_min(params.precision))
    return peak


def _raise_non_finite(step: int) -> None:
    raise NonFiniteWeightsError(
        f"rule 'krotov-hopfield' produced non-finite weights at step {step} (the summed "
        "update dW holds NaN or inf); check the inputs are finite and not huge"
    )


def competing_epoch(
    weight: torch.Tensor,
    data: torch.Tensor,
    params: CompetingParams,
    epochs_done: int,
    generator: torch.Generator,
    *,
    rank: int = 0,
    world_size: int = 1,
    reduce: Reduce | None = None,
) -> torch.Tensor:
    r"""One shuffled pass of the unsupervised rule over ``data``; returns the new weights.

    The samples are shuffled with a permutation drawn on the CPU from ``generator``
    and cut into batches of ``params.batch_size * world_size``; as in the authors'
    notebook an incomplete last batch is dropped. Each batch applies

    .. math:: W \leftarrow W + \varepsilon_e\, \Delta W / \max|\Delta W|,
              \quad \varepsilon_e = \varepsilon_0 (1 - e / E)

    with ``e`` = ``epochs_done`` (see :func:`competing_update`,
    :func:`normalised_increment`, :func:`annealed_rate`). Without ``reduce`` only the
    rows of the winners and k-th units are computed and changed, which leaves the
    product ``v @ W_p^T`` as the only full-size work.

    **Data-parallel training.** With ``world_size`` processes, every process draws
    the same permutation (same ``generator`` seed), takes the ``rank``-th slice of
    ``params.batch_size`` samples of each global batch, computes its share of
    :math:`\Delta W`, and ``reduce`` sums the shares over the processes *before*
    the normalisation; so ``N`` processes with batch ``b`` follow the same weights as
    one process with batch ``N b`` (see :mod:`hebbian.distributed`).

    Parameters
    ----------
    weight : Tensor, shape (H, N)
        Not modified; the result is a new tensor.
    data : Tensor, shape (n_samples, N)
        Same device and dtype as ``weight``.
    params : CompetingParams
        ``hidden_units`` is not used (it is ``H``); the others are.
    epochs_done : int
        Epochs already made, 0 for the first; sets the learning rate.
    generator : torch.Generator
        A CPU generator for the shuffling.
    rank, world_size : int
        This process's index and the number of processes (1 without data parallelism).
    reduce : callable, optional
        Sums a tensor over the processes; required when ``world_size > 1``.

    Returns
    -------
    Tensor, shape (H, N)

    Raises
    ------
    NonFiniteWeightsError
        If an update produced NaN or infinite weights (names the step).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> params = CompetingParams(hidden_units=8, p=2.0, k=2, batch_size=10, epochs=5)
    >>> data = torch.rand(100, 4, generator=g)
    >>> w = initial_weights(8, 4, params, g)
    >>> for e in range(5):
    ...     w = competing_epoch(w, data, params, e, g)
    >>> tuple(w.shape)
    (8, 4)
    """
    data, weight = _check_inputs_weight(data, weight)
    if not isinstance(params, CompetingParams):
        raise TypeError(f"params must be a CompetingParams, got {type(params).__name__}")
    _check_k_delta(params.k, params.delta, weight.shape[0])
    check_positive_int("epochs_done", epochs_done, minimum=0)
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise TypeError("generator must be a CPU torch.Generator")
    check_positive_int("world_size", world_size)
    check_positive_int("rank", rank, minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be < world_size = {world_size}, got {rank}")
    if world_size > 1 and reduce is None:
        raise ValueError("reduce must be given when world_size > 1 (it sums dW over processes)")
    global_batch = params.batch_size * world_size
    n_batches = data.shape[0] // global_batch
    if n_batches == 0:
        raise ValueError(
            f"data has {data.shape[0]} samples, fewer than one batch of "
            f"batch_size * world_size = {global_batch}"
        )
    rate = annealed_rate(params.learning_rate, epochs_done, params.epochs)
    order = torch.randperm(data.shape[0], generator=generator).to(data.device)
    weight = weight.detach().clone()
    # the powered weights of the sparse path are kept in step with ``weight`` row by row
    powered = power_weights(weight, params.p).clone() if reduce is None else weight
    for i in range(n_batches):
        start = i * global_batch + rank * params.batch_size
        batch = data[order[start : start + params.batch_size]]  # (b, N)
        if reduce is None:
            peak = _sparse_step(weight, powered, batch, params, rate)
        else:
            peak = _dense_step(weight, batch, params, rate, reduce)
        # |increment| <= rate, so finite weights stay finite unless dW is not finite
        if not math.isfinite(float(peak)):
            _raise_non_finite(epochs_done * n_batches + i + 1)
    return weight


def fit_competing(
    data: torch.Tensor,
    params: CompetingParams,
    generator: torch.Generator,
    *,
    weight: torch.Tensor | None = None,
    callback: Callable[[int, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Train for ``params.epochs`` epochs from fresh (or the given) weights.

    Parameters
    ----------
    data : Tensor, shape (n_samples, N)
    params : CompetingParams
    generator : torch.Generator
        A CPU generator: initial weights (if ``weight`` is None) and shuffling.
    weight : Tensor, shape (hidden_units, N), optional
        Start here instead of drawing initial weights.
    callback : callable, optional
        Called as ``callback(epoch, weight)`` after each epoch (1-based).

    Returns
    -------
    Tensor, shape (hidden_units, N)

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> params = CompetingParams(hidden_units=8, p=3.0, k=2, batch_size=20, epochs=40)
    >>> data = torch.randn(400, 10, generator=g)  # every unit wins some samples
    >>> w = fit_competing(data, params, g)
    >>> bool(((p_norms(w, 3.0) - 1).abs() < 0.01).all())  # the unit sphere of the 3-norm
    True
    """
    data = check_floating_tensor("data", data, ndim=2)
    if not isinstance(params, CompetingParams):
        raise TypeError(f"params must be a CompetingParams, got {type(params).__name__}")
    if weight is None:
        weight = initial_weights(
            params.hidden_units, data.shape[1], params, generator,
            dtype=data.dtype, device=data.device,
        )  # fmt: skip
    for epoch in range(params.epochs):
        weight = competing_epoch(weight, data, params, epoch, generator)
        if callback is not None:
            callback(epoch + 1, weight)
    return weight


# ---------------------------------------------------------------------------------------
# the supervised top layer
# ---------------------------------------------------------------------------------------


def hidden_features(
    inputs: torch.Tensor, weight: torch.Tensor, power: float = 4.5, *, normalize: bool = True
) -> torch.Tensor:
    r"""Hidden activity :math:`h = \operatorname{ReLU}(\hat v W^\top)^n` fed to the top layer.

    Each input is first scaled to unit Euclidean length, :math:`\hat v = v/\lVert v
    \rVert_2` (the first author's advice; zero rows stay zero), unless ``normalize``
    is False. Differentiable in ``inputs`` and ``weight``.

    Parameters
    ----------
    inputs : Tensor, shape (B, N)
    weight : Tensor, shape (H, N)
    power : float
        :math:`n` >= 1 (the paper: 4.5).
    normalize : bool
        Scale each input to unit length first.

    Returns
    -------
    Tensor, shape (B, H)

    Examples
    --------
    >>> hidden_features(torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [-1.0, 0.0]]), 2.0)
    tensor([[0.3600, 0.0000]])
    """
    inputs, weight = _check_inputs_weight(inputs, weight)
    check_in_range("power", power, 1.0, math.inf)
    if normalize:
        inputs = nn.functional.normalize(inputs, dim=1)
    return torch.relu(inputs @ weight.T).pow(power)  # (B, N) @ (N, H) -> (B, H)


class TopLayer(nn.Module):
    r"""The supervised readout: class scores :math:`s = \beta\, S h`.

    Predictions are :math:`\arg\max_\alpha s_\alpha`; the power loss reads
    :math:`c = \tanh(s)` (see :func:`top_layer_loss`).

    Parameters
    ----------
    hidden_units : int
        Size of ``h``.
    classes : int
        Number of classes.
    beta : float
        :math:`\beta` > 0, the inverse temperature of the scores (0.01 in the paper's
        settings as quoted by a reimplementation; unverified against the paper).
    generator : torch.Generator, optional
        For the initial ``S`` ~ N(0, 1/hidden_units); a fresh unseeded one if None.

    Examples
    --------
    >>> layer = TopLayer(4, 3, beta=0.5, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.ones(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        hidden_units: int,
        classes: int,
        *,
        beta: float = 0.01,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        check_positive_int("hidden_units", hidden_units)
        check_positive_int("classes", classes, minimum=2)
        self.beta = check_positive("beta", beta)
        if generator is None:
            generator = torch.Generator()
            generator.seed()
        initial = torch.randn(classes, hidden_units, generator=generator) / math.sqrt(hidden_units)
        self.readout = nn.Parameter(initial)  # S, (classes, H)

    @classmethod
    def from_readout(cls, readout: torch.Tensor, *, beta: float = 0.01) -> TopLayer:
        """A layer holding a copy of ``readout`` ``(classes, H)`` (no random draw).

        Examples
        --------
        >>> TopLayer.from_readout(torch.eye(2), beta=0.5)(torch.tensor([[2.0, 0.0]]))
        tensor([[1., 0.]], grad_fn=<MulBackward0>)
        """
        readout = check_floating_tensor("readout", readout, ndim=2)
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)
        check_positive_int("classes", readout.shape[0], minimum=2)
        layer.beta = check_positive("beta", beta)
        layer.readout = nn.Parameter(readout.detach().clone())
        return layer

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` from features ``(B, H)``."""
        features = check_floating_tensor("features", features, shape=(None, self.readout.shape[1]))
        return self.beta * (features @ self.readout.T)  # (B, H) @ (H, classes)


def power_loss(scores: torch.Tensor, labels: torch.Tensor, m: float = 6.0) -> torch.Tensor:
    r"""The paper's loss :math:`\frac1B \sum_b \sum_\alpha |\tanh(s_{b\alpha}) - t_{b\alpha}|^m`.

    Targets :math:`t_{b\alpha} = +1` if :math:`\alpha` is the label of sample ``b``,
    :math:`-1` otherwise.

    Parameters
    ----------
    scores : Tensor, shape (B, classes)
    labels : Tensor, shape (B,), integer
    m : float
        Exponent >= 1 (the paper: 6).

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> power_loss(torch.tensor([[0.0, 0.0]]), torch.tensor([1]), m=2.0)
    tensor(2.)
    """
    check_in_range("m", m, 1.0, math.inf)
    targets = 2.0 * nn.functional.one_hot(labels, scores.shape[1]).to(scores.dtype) - 1.0
    return (torch.tanh(scores) - targets).abs().pow(m).sum(dim=1).mean()


def top_layer_loss(
    scores: torch.Tensor, labels: torch.Tensor, loss: TopLoss = TopLoss.POWER, m: float = 6.0
) -> torch.Tensor:
    """The batch-averaged loss of the top layer: :func:`power_loss` or cross-entropy.

    Parameters
    ----------
    scores : Tensor, shape (B, classes)
    labels : Tensor, shape (B,), integer in ``[0, classes)``
    loss : TopLoss
    m : float
        Exponent of the power loss (ignored by cross-entropy).

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> s = torch.tensor([[0.0, 0.0]])
    >>> round(top_layer_loss(s, torch.tensor([0]), TopLoss.CROSS_ENTROPY).item(), 4)
    0.6931
    """
    scores = check_floating_tensor("scores", scores, ndim=2)
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.int64, torch.int32):
        raise TypeError("labels must be an int64 or int32 tensor")
    if labels.shape != scores.shape[:1]:
        raise ValueError(f"labels must have shape ({scores.shape[0]},), got {tuple(labels.shape)}")
    if not isinstance(loss, TopLoss):
        raise TypeError(f"loss must be a TopLoss, got {type(loss).__name__} {loss!r}")
    labels = labels.long()
    if loss is TopLoss.POWER:
        return power_loss(scores, labels, m)
    return nn.functional.cross_entropy(scores, labels)


def top_layer_epoch(
    layer: TopLayer,
    optimizer: torch.optim.Optimizer,
    features: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    *,
    batch_size: int = 100,
    loss: TopLoss = TopLoss.POWER,
    m: float = 6.0,
) -> float:
    """One shuffled pass of gradient steps on the top layer; returns the mean batch loss.

    Parameters
    ----------
    layer : TopLayer
    optimizer : torch.optim.Optimizer
        Over ``layer``'s parameters (the learning rate is set by the caller).
    features : Tensor, shape (n_samples, H)
        Precomputed :func:`hidden_features` of the frozen hidden layer.
    labels : Tensor, shape (n_samples,)
    generator : torch.Generator
        A CPU generator for the shuffling.
    batch_size : int
    loss : TopLoss
    m : float

    Returns
    -------
    float
    """
    features = check_floating_tensor("features", features, ndim=2)
    check_positive_int("batch_size", batch_size)
    order = torch.randperm(features.shape[0], generator=generator).to(features.device)
    total, batches = 0.0, 0
    for start in range(0, features.shape[0], batch_size):
        index = order[start : start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        value = top_layer_loss(layer(features[index]), labels[index], loss, m)
        value.backward()
        optimizer.step()
        total += float(value.detach())
        batches += 1
    return total / batches


# ---------------------------------------------------------------------------------------
# scikit-learn estimator
# ---------------------------------------------------------------------------------------


class CompetingHiddenUnits(
    TorchInputMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    r"""Krotov & Hopfield's competing hidden units as a scikit-learn transformer.

    ``fit`` learns the weights ``components_`` (``n_hidden x n_features``) with the
    unsupervised rule (:func:`competing_epoch`) from fresh initial weights, for
    ``n_epochs`` epochs with the rate annealed linearly from ``learning_rate`` towards
    0; ``partial_fit`` makes one more epoch, continuing the schedule (past
    ``n_epochs`` it keeps the last rate, ``learning_rate / n_epochs``); ``transform``
    returns the hidden activity :func:`hidden_features`,
    :math:`\operatorname{ReLU}(\hat x W^\top)^n`, with each sample scaled to unit
    length. Follow it with a linear classifier in a
    :class:`sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    n_hidden : int
        Hidden units ``H`` (paper: 2000).
    p : float
        Exponent of the p-norm metric (paper: 3).
    k : int
        Rank of the anti-Hebbian unit, 2 <= k <= n_hidden (paper: 7).
    delta : float
        Anti-Hebbian strength (paper: 0.4).
    learning_rate : float
        :math:`\varepsilon_0` (authors' notebook: 0.02).
    batch_size : int
        Samples per update (notebook: 100); at most the number of samples is used.
    n_epochs : int
        Epochs of ``fit`` and the length of the annealing schedule (notebook: 200).
    power : float
        :math:`n` of ``transform`` (paper: 4.5; 1 gives rectified linear features).
    random_state : None, int or numpy.random.RandomState
        Seeds a local ``torch.Generator`` for the initial weights and the shuffling.
    device : None, str or torch.device
        Where the learning runs; default CPU. ``fit`` and ``partial_fit`` refuse a
        device this machine lacks (e.g. ``"cuda"`` without CUDA) with a ValueError.

    Attributes
    ----------
    components_ : ndarray, shape (n_hidden, n_features)
        The learned weights ``W``.
    n_features_in_ : int
    n_iter_ : int
        Epochs made.
    n_steps_ : int
        Weight updates made.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data / 16
    >>> model = CompetingHiddenUnits(n_hidden=20, p=2.0, k=2, n_epochs=5, random_state=0)
    >>> model.fit_transform(X).shape
    (1797, 20)
    """

    def __init__(
        self,
        n_hidden: int = 2000,
        *,
        p: float = 3.0,
        k: int = 7,
        delta: float = 0.4,
        learning_rate: float = 0.02,
        batch_size: int = 100,
        n_epochs: int = 200,
        power: float = 4.5,
        random_state: Any = None,
        device: Any = None,
    ) -> None:
        self.n_hidden = n_hidden
        self.p = p
        self.k = k
        self.delta = delta
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.power = power
        self.random_state = random_state
        self.device = device

    def _params(self, n_samples: int, n_features: int) -> CompetingParams:
        check_in_range("power", self.power, 1.0, math.inf)
        check_positive_int("n_hidden", self.n_hidden)
        check_memory(  # the float64 draw, the weights and a copy of the data
            f"n_hidden={self.n_hidden} (weights for {n_features} features)",
            16 * self.n_hidden * n_features,
        )
        return CompetingParams(
            hidden_units=self.n_hidden,
            p=self.p,
            k=self.k,
            delta=self.delta,
            learning_rate=self.learning_rate,
            batch_size=min(check_positive_int("batch_size", self.batch_size), n_samples),
            epochs=self.n_epochs,
        )

    @property
    def _n_features_out(self) -> int:
        return int(self.components_.shape[0])

    def _epochs(self, X: np.ndarray, n_epochs: int, generator: torch.Generator) -> None:
        params = self._params(*X.shape)
        device = self._device()
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        data = torch.tensor(X, dtype=dtype, device=device)  # (n, N), a copy
        weight = torch.as_tensor(self.components_, dtype=dtype).to(device)  # (H, N)
        try:
            for _ in range(n_epochs):
                done = min(self.n_iter_, params.epochs - 1)  # keep the last rate past E
                weight = competing_epoch(weight, data, params, done, generator)
                self.n_iter_ += 1
                self.n_steps_ += data.shape[0] // params.batch_size
        finally:
            self.components_ = weight.cpu().numpy()
            self._generator_state = generator.get_state()

    def fit(self, X: Any, y: Any = None) -> CompetingHiddenUnits:
        """Learn the weights from scratch with ``n_epochs`` epochs over ``X``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X = self._validate(X, reset=True)
        params = self._params(*X.shape)
        self._device()
        generator = generator_from_random_state(self.random_state)
        weight = initial_weights(params.hidden_units, X.shape[1], params, generator)
        self.components_ = weight.double().numpy().astype(X.dtype)
        self.n_iter_ = 0
        self.n_steps_ = 0
        self._epochs(X, self.n_epochs, generator)
        return self

    def partial_fit(self, X: Any, y: Any = None) -> CompetingHiddenUnits:
        """One more epoch over ``X`` (from fresh weights on the first call).

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        params = self._params(*X.shape)
        self._device()  # refuse a device this machine lacks before drawing any weights
        if first:
            generator = generator_from_random_state(self.random_state)
            weight = initial_weights(params.hidden_units, X.shape[1], params, generator)
            self.components_ = weight.double().numpy().astype(X.dtype)
            self.n_iter_ = 0
            self.n_steps_ = 0
        else:
            if self.n_hidden != self.components_.shape[0]:
                raise ValueError(
                    f"n_hidden changed from {self.components_.shape[0]} to {self.n_hidden} "
                    "since the first partial_fit; call fit instead"
                )
            generator = torch.Generator()
            generator.set_state(self._generator_state)
        self._epochs(X, 1, generator)
        return self

    def transform(self, X: Any) -> np.ndarray:
        r"""Hidden activity :math:`\operatorname{ReLU}(\hat x W^\top)^n`, ``(n_samples, n_hidden)``.

        Parameters
        ----------
        X : array-like or Tensor, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_hidden)
        """
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        check_in_range("power", self.power, 1.0, math.inf)
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        weight = torch.as_tensor(self.components_).to(dtype)  # (H, N)
        features = hidden_features(torch.tensor(X), weight, self.power)  # (n, H)
        return features.numpy()
