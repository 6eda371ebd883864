r"""The parameters of Krotov & Hopfield's rule, and the one home of their checks.

:class:`CompetingParams` holds the rule's hyperparameters and training schedule;
:func:`check_exponent` and :func:`check_ranking` are the checks of ``p``, ``k`` and
``delta`` that it runs, and that the pure functions of :mod:`hebbian.competing.rule`
run on their plain arguments.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hebbian._checks import check_enum, check_finite, check_positive, check_positive_int

__all__ = [
    "AntiHebbian",
    "CompetingParams",
    "Homeostasis",
    "Init",
    "check_exponent",
    "check_ranking",
]


class Init(enum.Enum):
    r"""How the initial weights are drawn (``scale`` is :attr:`CompetingParams.init_scale`).

    NORMAL
        :math:`W_{\mu i} \sim \mathcal N(0, \text{scale}^2)`, the authors' notebook
        (mean 0, standard deviation 1).
    UNIFORM
        :math:`W_{\mu i} \sim \mathcal U(-\text{scale}, \text{scale})`.
    """

    NORMAL = "normal"
    UNIFORM = "uniform"


class AntiHebbian(enum.Enum):
    r"""When the k-th unit of a sample learns anti-Hebbian (:math:`g = -\Delta`).

    ALWAYS
        For every sample, whatever the sign of its current: the published rule
        (Krotov & Hopfield 2019, eq. 10; the authors' notebook).
    POSITIVE
        Only when its current is positive, :math:`I_{(k)} > 0`; otherwise its
        :math:`g` is 0. A unit is pushed away from an input only while it responds to
        it, so the push stops at zero current instead of driving the unit towards
        :math:`-v` (the mechanism of the collapse described in
        :class:`CompetingParams`). Still local: the k-th unit needs only its own
        current and its rank. A variant of ours, not the paper's.
    """

    ALWAYS = "always"
    POSITIVE = "positive"


class Homeostasis(enum.Enum):
    r"""Whether the units are ranked by their currents or by currents less a threshold.

    NONE
        Ranked by the currents :math:`I_{b\mu}`: the published rule.
    THRESHOLD
        Ranked by :math:`I_{b\mu} - \theta_\mu`, where each unit's threshold follows
        its own share of wins: after each batch of ``B`` samples,

        .. math:: \theta_\mu \leftarrow \theta_\mu + \eta_\theta
                  \left(\frac{H n_\mu}{B} - 1\right),

        with :math:`n_\mu` the samples of the batch that ranked unit :math:`\mu` first
        and :math:`\eta_\theta` = :attr:`CompetingParams.threshold_rate` (in units of
        the current). A unit that wins more than its fair share :math:`1/H` raises its
        threshold, one that never wins lowers it until it wins again, so every unit
        stays in the competition; the sum of the thresholds stays 0. The change
        :math:`\Delta W` itself is the published one, with the currents :math:`I`.
        An adaptive threshold as in competitive learning with a conscience (DeSieno
        1988) or the adaptive thresholds of Diehl & Cook (2015); a variant of ours for
        this rule, not the paper's. Each unit needs only its own wins: still local.
    """

    NONE = "none"
    THRESHOLD = "threshold"


def check_exponent(p: float) -> float:
    """Return ``p`` as a float if it is a finite number >= 1 (the p-norm's exponent).

    Parameters
    ----------
    p : float
        Exponent of the metric.

    Returns
    -------
    float

    Examples
    --------
    >>> check_exponent(3)
    3.0
    >>> check_exponent(0.5)
    Traceback (most recent call last):
    ...
    ValueError: p must be a finite number >= 1, got 0.5
    """
    value = check_finite("p", p)
    if value < 1:
        raise ValueError(f"p must be a finite number >= 1, got {p!r}")
    return value


def check_ranking(k: int, delta: float, hidden_units: int) -> tuple[int, float]:
    r"""Return ``(k, delta)`` if ``2 <= k <= hidden_units`` (an int) and ``delta >= 0``.

    Parameters
    ----------
    k : int
        Rank of the anti-Hebbian unit.
    delta : float
        :math:`\Delta`, strength of the anti-Hebbian update.
    hidden_units : int
        ``H``, the number of units ranked.

    Returns
    -------
    (int, float)

    Examples
    --------
    >>> check_ranking(7, 0.4, 2000)
    (7, 0.4)
    >>> check_ranking(5, 0.4, 4)
    Traceback (most recent call last):
    ...
    ValueError: k must be at most hidden_units = 4, got 5
    """
    check_positive_int("k", k, minimum=2)
    if k > hidden_units:
        raise ValueError(f"k must be at most hidden_units = {hidden_units}, got {k}")
    return k, check_positive("delta", delta, allow_zero=True)


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
    anti_hebbian : AntiHebbian
        ``always`` (the published rule) or ``positive`` (the k-th unit learns only when
        its current is positive; a variant of ours, see :class:`AntiHebbian`).
    homeostasis : Homeostasis
        ``none`` (the published rule) or ``threshold`` (units ranked by current less an
        adaptive threshold; a variant of ours, see :class:`Homeostasis`).
    threshold_rate : float
        :math:`\eta_\theta` > 0 of ``homeostasis = threshold``, in units of the
        current per batch; unused otherwise.

    Notes
    -----
    Collapse. A unit ranked k-th with a *negative* current is pushed towards
    :math:`-v`. When fewer than ``k`` units respond positively to most inputs (few
    units, large ``k``, or heavily overlapping inputs such as Fashion-MNIST's), the
    units drift one after another onto the negative of the mean input, leaving a few
    winners. We measured it with 100 units and ``k = 7`` on the 8x8 digits, and with
    2000 units and ``k = 7`` or ``k = 5`` on Fashion-MNIST within 30 epochs; ``k = 2``
    delays it. Watch :func:`~hebbian.competing.rule.p_norms` and the number of
    distinct winners.

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
    anti_hebbian: AntiHebbian = AntiHebbian.ALWAYS
    homeostasis: Homeostasis = Homeostasis.NONE
    threshold_rate: float = 0.001

    def __post_init__(self) -> None:
        check_positive_int("hidden_units", self.hidden_units)
        check_exponent(self.p)
        check_ranking(self.k, self.delta, self.hidden_units)
        check_positive("learning_rate", self.learning_rate)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("epochs", self.epochs)
        check_enum("init", self.init, Init)
        check_positive("init_scale", self.init_scale)
        check_positive("precision", self.precision)
        check_enum("anti_hebbian", self.anti_hebbian, AntiHebbian)
        check_enum("homeostasis", self.homeostasis, Homeostasis)
        check_positive("threshold_rate", self.threshold_rate)
