r"""Local rate-based learning rules as pure functions that return the weight change.

Conventions shared by every rule in this module (docs/ARCHITECTURE.md):

* ``pre`` is the presynaptic activity ``x`` with shape ``(B, N_pre)``;
* ``post`` is the postsynaptic activity ``y`` with shape ``(B, N_post)``;
* ``weight`` is ``W`` with shape ``(N_post, N_pre)``, so that ``y = x @ W.T``;
* every rule returns ``dw`` with the shape of the weight, **averaged over the batch**
  (written :math:`\langle \cdot \rangle`) and **without the learning rate**. Applying
  the change, ``W + lr * dw``, and any clipping or normalisation are separate steps.

Rules never mutate their inputs and never touch ``.data``; they are built from
differentiable tensor operations, so gradients flow through them where that makes
sense. Results are allocated on the inputs' device and dtype.

The second half of the module wraps the rules in small frozen dataclasses that share
one interface, :class:`LocalRule`, for modules (such as
:class:`hebbian.layers.HebbianLinear`) that need to hold a rule and its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Protocol, TypeVar, runtime_checkable

import torch

from hebbian._checks import (
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_pre_post,
    check_same_device,
)

__all__ = [
    "BCM",
    "BCMState",
    "Covariance",
    "CovarianceState",
    "Hebb",
    "Instar",
    "LocalRule",
    "NoState",
    "Oja",
    "RuleState",
    "Sanger",
    "anti_hebbian",
    "bcm",
    "bcm_threshold",
    "covariance",
    "hebb",
    "instar",
    "oja",
    "sanger",
    "update_running_mean",
    "winner_take_all",
]


# ---------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------


def _check_weight(weight: object, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    """Check ``weight`` has shape (N_post, N_pre) and matches ``pre``'s device and dtype."""
    weight_t = check_floating_tensor("weight", weight, shape=(post.shape[1], pre.shape[1]))
    check_same_device(pre=pre, weight=weight_t)
    return weight_t


def _check_vector(
    name: str, value: object, size: int, like_name: str, like: torch.Tensor
) -> torch.Tensor:
    """Check a per-unit vector such as a running mean or a threshold: shape (size,)."""
    vector = check_floating_tensor(name, value, shape=(size,))
    check_same_device(**{like_name: like, name: vector})
    return vector


def _check_nonempty(name: str, value: torch.Tensor) -> None:
    if value.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {tuple(value.shape)}")


def _check_decay(decay: float) -> float:
    return check_in_range("decay", decay, 0.0, 1.0)


# ---------------------------------------------------------------------------------------
# pure rules
# ---------------------------------------------------------------------------------------


def hebb(pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    r"""Plain Hebbian rule: correlated activity strengthens the synapse.

    .. math:: \Delta W = \langle y\, x^\top \rangle, \qquad
              \Delta w_{ij} = \langle y_i x_j \rangle

    The rule has no stabilising term: applied repeatedly with ``y = W x`` the weight
    norm grows without bound (Hebb 1949; see e.g. Dayan & Abbott 2001, ch. 8).

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
        Presynaptic activity ``x``.
    post : Tensor, shape (B, N_post)
        Postsynaptic activity ``y``.

    Returns
    -------
    Tensor, shape (N_post, N_pre)
        The batch-averaged weight change, without the learning rate.

    Examples
    --------
    >>> hebb(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0]]))
    tensor([[3., 6.]])
    """
    pre, post = check_pre_post(pre, post)
    return post.T @ pre / pre.shape[0]  # (N_post, B) @ (B, N_pre) -> (N_post, N_pre)


def covariance(
    pre: torch.Tensor, post: torch.Tensor, pre_mean: torch.Tensor, post_mean: torch.Tensor
) -> torch.Tensor:
    r"""Covariance rule: deviations of the same sign strengthen, opposite signs weaken.

    .. math:: \Delta W = \langle (y - \bar y)(x - \bar x)^\top \rangle

    with :math:`\bar x`, :math:`\bar y` reference (usually running) means, see
    :func:`update_running_mean` (Sejnowski 1977; Dayan & Abbott 2001, eq. 8.5).

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
        Presynaptic activity ``x``.
    post : Tensor, shape (B, N_post)
        Postsynaptic activity ``y``.
    pre_mean : Tensor, shape (N_pre,)
        Reference mean :math:`\bar x`.
    post_mean : Tensor, shape (N_post,)
        Reference mean :math:`\bar y`.

    Returns
    -------
    Tensor, shape (N_post, N_pre)

    Examples
    --------
    >>> covariance(torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0]]),
    ...            torch.tensor([1.0, 1.0]), torch.tensor([1.0]))
    tensor([[-1.,  1.]])
    """
    pre, post = check_pre_post(pre, post)
    pre_mean = _check_vector("pre_mean", pre_mean, pre.shape[1], "pre", pre)
    post_mean = _check_vector("post_mean", post_mean, post.shape[1], "post", post)
    centred_pre = pre - pre_mean  # (B, N_pre)
    centred_post = post - post_mean  # (B, N_post)
    return centred_post.T @ centred_pre / pre.shape[0]  # (N_post, N_pre)


def update_running_mean(mean: torch.Tensor, batch: torch.Tensor, decay: float) -> torch.Tensor:
    r"""Exponential running mean, returned as a new tensor.

    .. math:: m \leftarrow (1 - \lambda)\, m + \lambda \langle b \rangle

    with :math:`\lambda` = ``decay`` in [0, 1]; ``decay = 1`` replaces the mean by the
    batch mean, ``decay = 0`` freezes it. Used for :math:`\bar x`, :math:`\bar y` of
    :func:`covariance` and for the BCM threshold (:func:`bcm_threshold`).

    Parameters
    ----------
    mean : Tensor, shape (N,)
        The current mean.
    batch : Tensor, shape (B, N)
        New observations.
    decay : float
        Weight of the new batch mean, in [0, 1].

    Returns
    -------
    Tensor, shape (N,)

    Examples
    --------
    >>> update_running_mean(torch.tensor([0.0, 1.0]), torch.tensor([[1.0, 3.0], [3.0, 5.0]]), 0.5)
    tensor([1.0000, 2.5000])
    """
    batch = check_floating_tensor("batch", batch, ndim=2)
    _check_nonempty("batch", batch)
    mean = _check_vector("mean", mean, batch.shape[1], "batch", batch)
    decay = _check_decay(decay)
    return (1.0 - decay) * mean + decay * batch.mean(dim=0)


def winner_take_all(currents: torch.Tensor) -> torch.Tensor:
    r"""Hard winner-take-all: a one-hot code of the most active unit of each sample.

    .. math:: y_{bi} = [\, i = \arg\max_k u_{bk} \,]

    Ties go to the lowest index. The result is not differentiable (it is a constant
    with respect to ``currents``).

    Parameters
    ----------
    currents : Tensor, shape (B, N_post)
        Input currents ``u``.

    Returns
    -------
    Tensor, shape (B, N_post)
        One-hot rows, same dtype and device as ``currents``.

    Examples
    --------
    >>> winner_take_all(torch.tensor([[0.1, 0.7, 0.2], [3.0, -1.0, 0.0]]))
    tensor([[0., 1., 0.],
            [1., 0., 0.]])
    """
    currents = check_floating_tensor("currents", currents, ndim=2)
    if currents.shape[1] == 0:
        raise ValueError(f"currents must have at least one unit, got shape {tuple(currents.shape)}")
    winners = currents.detach().argmax(dim=1)  # (B,)
    return torch.nn.functional.one_hot(winners, currents.shape[1]).to(currents.dtype)


def instar(pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""Instar (heterosynaptic) rule: active units move their weights towards the input.

    .. math:: \Delta w_i = \langle y_i (x - w_i) \rangle
              = \langle y_i x \rangle - \langle y_i \rangle w_i

    With a winner-take-all ``post`` (:func:`winner_take_all`) the fixed point of each
    winner's weights is the mean of the inputs it wins (Grossberg 1976; competitive
    learning, Rumelhart & Zipser 1985).

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
    post : Tensor, shape (B, N_post)
    weight : Tensor, shape (N_post, N_pre)

    Returns
    -------
    Tensor, shape (N_post, N_pre)

    Examples
    --------
    >>> instar(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]]), torch.zeros(2, 2))
    tensor([[1., 0.],
            [0., 0.]])
    """
    pre, post = check_pre_post(pre, post)
    weight = _check_weight(weight, pre, post)
    batch = pre.shape[0]
    correlation = post.T @ pre / batch  # (N_post, N_pre)
    return correlation - post.mean(dim=0)[:, None] * weight  # (N_post, 1) * (N_post, N_pre)


def oja(pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""Oja's rule: Hebbian growth with a decay that normalises the weight vector.

    .. math:: \Delta w_i = \langle y_i (x - y_i w_i) \rangle
              = \langle y_i x \rangle - \langle y_i^2 \rangle w_i

    With one linear unit ``y = w . x`` on zero-mean data, ``w`` converges to the unit
    first principal component (Oja 1982, J. Math. Biol. 15:267). Several units each
    apply the rule independently (they all find the same component); use
    :func:`sanger` for several components.

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
    post : Tensor, shape (B, N_post)
    weight : Tensor, shape (N_post, N_pre)

    Returns
    -------
    Tensor, shape (N_post, N_pre)

    Examples
    --------
    >>> oja(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0]]), torch.tensor([[1.0, 0.0]]))
    tensor([[0., 2.]])
    """
    pre, post = check_pre_post(pre, post)
    weight = _check_weight(weight, pre, post)
    batch = pre.shape[0]
    correlation = post.T @ pre / batch  # (N_post, N_pre)
    power = (post * post).mean(dim=0)  # (N_post,)
    return correlation - power[:, None] * weight  # (N_post, 1) * (N_post, N_pre)


def sanger(pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    r"""Sanger's generalized Hebbian algorithm (GHA).

    .. math:: \Delta W = \langle y\, x^\top \rangle - \mathrm{LT}(\langle y\, y^\top \rangle)\, W

    where LT keeps the lower triangle including the diagonal. Row ``i`` learns with
    Oja's rule on the input minus its reconstruction by rows ``0..i-1``, so with
    ``y = W x`` on zero-mean data the rows converge to the leading principal
    components in order (Sanger 1989, Neural Networks 2:459). Row 0 follows
    :func:`oja` exactly.

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
    post : Tensor, shape (B, N_post)
    weight : Tensor, shape (N_post, N_pre)

    Returns
    -------
    Tensor, shape (N_post, N_pre)

    Examples
    --------
    >>> sanger(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.0]]), torch.eye(2))
    tensor([[0., 2.],
            [0., 0.]])
    """
    pre, post = check_pre_post(pre, post)
    weight = _check_weight(weight, pre, post)
    batch = pre.shape[0]
    correlation = post.T @ pre / batch  # (N_post, N_pre)
    post_power = post.T @ post / batch  # (N_post, N_post)
    # Lower triangle incl. diagonal by a mask (torch.tril can stall tiny matrices on
    # contended CPU threads).
    index = torch.arange(post.shape[1], device=post.device)
    lower = index[:, None] >= index[None, :]  # (N_post, N_post), bool
    return correlation - (post_power * lower) @ weight  # (N_post, N_post) @ (N_post, N_pre)


def bcm(pre: torch.Tensor, post: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    r"""BCM rule: potentiation above a sliding threshold, depression below it.

    .. math:: \Delta w_i = \langle y_i (y_i - \theta_i)\, x \rangle

    with :math:`\theta_i` a running mean of :math:`y_i^2` updated by
    :func:`bcm_threshold` on a faster time scale than the weights (Bienenstock,
    Cooper & Munro 1982, J. Neurosci. 2:32; in the form of Intrator & Cooper 1992,
    Neural Networks 5:3). The rule makes units selective to one of several input
    patterns.

    Parameters
    ----------
    pre : Tensor, shape (B, N_pre)
    post : Tensor, shape (B, N_post)
    theta : Tensor, shape (N_post,)
        The modification threshold of each unit.

    Returns
    -------
    Tensor, shape (N_post, N_pre)

    Examples
    --------
    >>> bcm(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 1.0]]), torch.tensor([1.0, 2.0]))
    tensor([[ 6., 12.],
            [-1., -2.]])
    """
    pre, post = check_pre_post(pre, post)
    theta = _check_vector("theta", theta, post.shape[1], "post", post)
    modulated = post * (post - theta)  # (B, N_post)
    return modulated.T @ pre / pre.shape[0]  # (N_post, B) @ (B, N_pre)


def bcm_threshold(theta: torch.Tensor, post: torch.Tensor, decay: float) -> torch.Tensor:
    r"""Slide the BCM threshold towards the mean squared response.

    .. math:: \theta \leftarrow (1 - \lambda)\, \theta + \lambda \langle y^2 \rangle

    Parameters
    ----------
    theta : Tensor, shape (N_post,)
    post : Tensor, shape (B, N_post)
    decay : float
        :math:`\lambda` in [0, 1]; larger is faster. It should make the threshold
        faster than the weights for the rule to be stable.

    Returns
    -------
    Tensor, shape (N_post,)

    Examples
    --------
    >>> bcm_threshold(torch.tensor([1.0]), torch.tensor([[1.0], [3.0]]), 0.5)
    tensor([3.])
    """
    post = check_floating_tensor("post", post, ndim=2)
    _check_nonempty("post", post)
    theta = _check_vector("theta", theta, post.shape[1], "post", post)
    decay = _check_decay(decay)
    return (1.0 - decay) * theta + decay * (post * post).mean(dim=0)


def anti_hebbian(post: torch.Tensor, target_rate: float | None = None) -> torch.Tensor:
    r"""Földiák's anti-Hebbian rule for lateral (decorrelating) weights.

    .. math:: \Delta Q_{ij} = -(\langle y_i y_j \rangle - p^2), \quad i \ne j,
              \qquad \Delta Q_{ii} = 0

    or :math:`\Delta Q_{ij} = -\langle y_i y_j \rangle` when ``target_rate`` ``p`` is
    None. Lateral weights ``Q`` (N_post, N_post) grow more inhibitory between units
    that fire together more often than chance (Földiák 1990, Biol. Cybern. 64:165).

    Parameters
    ----------
    post : Tensor, shape (B, N_post)
    target_rate : float, optional
        The target firing probability ``p`` in [0, 1].

    Returns
    -------
    Tensor, shape (N_post, N_post)
        Zero on the diagonal.

    Examples
    --------
    >>> anti_hebbian(torch.tensor([[1.0, 1.0]]), target_rate=0.5)
    tensor([[ 0.0000, -0.7500],
            [-0.7500,  0.0000]])
    """
    post = check_floating_tensor("post", post, ndim=2)
    _check_nonempty("post", post)
    co_activity = post.T @ post / post.shape[0]  # (N_post, N_post)
    if target_rate is not None:
        rate = check_in_range("target_rate", target_rate, 0.0, 1.0)
        co_activity = co_activity - rate * rate
    diagonal = torch.eye(post.shape[1], dtype=torch.bool, device=post.device)
    return torch.where(diagonal, torch.zeros_like(co_activity), -co_activity)


# ---------------------------------------------------------------------------------------
# rule objects: one uniform interface for modules
# ---------------------------------------------------------------------------------------

#: The state a rule object carries between steps: a NamedTuple of tensors (possibly empty).
RuleState = tuple[torch.Tensor, ...]


class NoState(NamedTuple):
    """The (empty) state of a rule that needs none."""


class CovarianceState(NamedTuple):
    """Running means of the covariance rule."""

    pre_mean: torch.Tensor
    """Shape (N_pre,)."""
    post_mean: torch.Tensor
    """Shape (N_post,)."""


class BCMState(NamedTuple):
    """Sliding threshold of the BCM rule."""

    theta: torch.Tensor
    """Shape (N_post,)."""


@runtime_checkable
class LocalRule(Protocol):
    """A local rule with the state it needs, as a module sees it.

    ``init_state`` builds the state from the weight (its shape, device and dtype);
    ``delta`` returns the weight change (batch-averaged, without learning rate) and the
    new state. Neither mutates its arguments.
    """

    @property
    def name(self) -> str:
        """Short lower-case name used in messages, e.g. ``'oja'``."""
        ...

    def init_state(self, weight: torch.Tensor) -> RuleState:
        """Return the initial state for ``weight`` (N_post, N_pre)."""
        ...

    def delta(
        self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor, state: RuleState
    ) -> tuple[torch.Tensor, RuleState]:
        """Return ``(dw, new_state)``."""
        ...


_StateT = TypeVar("_StateT", NoState, CovarianceState, BCMState)


def _check_state(rule: str, state: object, expected: type[_StateT]) -> _StateT:
    if not isinstance(state, expected):
        raise TypeError(
            f"state for rule {rule!r} must be a {expected.__name__}, got {type(state).__name__}"
        )
    return state


@dataclass(frozen=True)
class _StatelessRule:
    """Shared body of the rule objects without state: ``delta`` calls :meth:`_change`."""

    name: ClassVar[str]

    def init_state(self, weight: torch.Tensor) -> NoState:
        return NoState()

    def delta(
        self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor, state: RuleState
    ) -> tuple[torch.Tensor, NoState]:
        _check_state(self.name, state, NoState)
        return self._change(pre, post, weight), NoState()

    def _change(self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class Hebb(_StatelessRule):
    """Plain Hebb (:func:`hebb`) as a rule object; ``weight`` is unused.

    >>> dw, state = Hebb().delta(torch.ones(1, 2), torch.ones(1, 1), torch.zeros(1, 2), NoState())
    >>> dw
    tensor([[1., 1.]])
    """

    name: ClassVar[str] = "hebb"

    def _change(self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        pre, post = check_pre_post(pre, post)
        _check_weight(weight, pre, post)
        return hebb(pre, post)


@dataclass(frozen=True)
class Covariance:
    r"""Covariance rule (:func:`covariance`) with running means as state.

    Each step first updates the running means with the batch
    (:func:`update_running_mean`, weight ``mean_decay``), then computes the rule
    against the updated means; ``mean_decay=1`` therefore centres on the batch mean.
    The means start at zero.

    Parameters
    ----------
    mean_decay : float
        Weight of each new batch in the running means, in (0, 1].

    Examples
    --------
    >>> rule = Covariance(mean_decay=1.0)
    >>> pre, post = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [2.0]])
    >>> dw, state = rule.delta(pre, post, torch.zeros(1, 1), rule.init_state(torch.zeros(1, 1)))
    >>> dw, state.pre_mean, state.post_mean
    (tensor([[1.]]), tensor([2.]), tensor([1.]))
    """

    mean_decay: float = 0.01
    name: ClassVar[str] = "covariance"

    def __post_init__(self) -> None:
        value = check_in_range("mean_decay", self.mean_decay, 0.0, 1.0)
        if value == 0.0:
            raise ValueError(f"mean_decay must lie in (0, 1], got {self.mean_decay!r}")

    def init_state(self, weight: torch.Tensor) -> CovarianceState:
        """Zero running means, (N_pre,) and (N_post,), on ``weight``'s device and dtype."""
        weight = check_floating_tensor("weight", weight, ndim=2)
        n_post, n_pre = weight.shape
        return CovarianceState(
            pre_mean=torch.zeros(n_pre, dtype=weight.dtype, device=weight.device),
            post_mean=torch.zeros(n_post, dtype=weight.dtype, device=weight.device),
        )

    def delta(
        self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor, state: RuleState
    ) -> tuple[torch.Tensor, CovarianceState]:
        """Update the running means with the batch, then return the covariance change."""
        state = _check_state(self.name, state, CovarianceState)
        pre, post = check_pre_post(pre, post)
        _check_weight(weight, pre, post)
        pre_mean = update_running_mean(state.pre_mean, pre, self.mean_decay)
        post_mean = update_running_mean(state.post_mean, post, self.mean_decay)
        return covariance(pre, post, pre_mean, post_mean), CovarianceState(pre_mean, post_mean)


@dataclass(frozen=True)
class Instar(_StatelessRule):
    """Instar rule (:func:`instar`) as a rule object; pair it with winner-take-all.

    >>> dw, _ = Instar().delta(torch.ones(1, 2), torch.ones(1, 1), torch.zeros(1, 2), NoState())
    >>> dw
    tensor([[1., 1.]])
    """

    name: ClassVar[str] = "instar"

    def _change(self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return instar(pre, post, weight)


@dataclass(frozen=True)
class Oja(_StatelessRule):
    """Oja's rule (:func:`oja`) as a rule object.

    >>> dw, _ = Oja().delta(torch.ones(1, 2), torch.ones(1, 1), torch.zeros(1, 2), NoState())
    >>> dw
    tensor([[1., 1.]])
    """

    name: ClassVar[str] = "oja"

    def _change(self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return oja(pre, post, weight)


@dataclass(frozen=True)
class Sanger(_StatelessRule):
    """Sanger's generalized Hebbian algorithm (:func:`sanger`) as a rule object.

    >>> dw, _ = Sanger().delta(torch.ones(1, 2), torch.ones(1, 1), torch.zeros(1, 2), NoState())
    >>> dw
    tensor([[1., 1.]])
    """

    name: ClassVar[str] = "sanger"

    def _change(self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return sanger(pre, post, weight)


@dataclass(frozen=True)
class BCM:
    r"""BCM rule (:func:`bcm`) with its sliding threshold as state.

    Each step first slides the threshold with the batch (:func:`bcm_threshold`,
    weight ``threshold_decay``), then computes the rule against the new threshold.

    Parameters
    ----------
    threshold_decay : float
        Weight of each new batch in the running mean of ``y**2``, in (0, 1]. It must
        make the threshold faster than the weights (``threshold_decay`` well above the
        learning rate times the input power).
    initial_threshold : float
        The threshold every unit starts from, >= 0.

    Examples
    --------
    >>> rule = BCM(threshold_decay=0.5, initial_threshold=1.0)
    >>> state = rule.init_state(torch.zeros(1, 2))
    >>> dw, state = rule.delta(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0]]),
    ...                        torch.zeros(1, 2), state)
    >>> state.theta, dw
    (tensor([5.]), tensor([[ -6., -12.]]))
    """

    threshold_decay: float = 0.1
    initial_threshold: float = 0.0
    name: ClassVar[str] = "bcm"

    def __post_init__(self) -> None:
        value = check_in_range("threshold_decay", self.threshold_decay, 0.0, 1.0)
        if value == 0.0:
            raise ValueError(f"threshold_decay must lie in (0, 1], got {self.threshold_decay!r}")
        check_positive("initial_threshold", self.initial_threshold, allow_zero=True)

    def init_state(self, weight: torch.Tensor) -> BCMState:
        """Every unit's threshold at ``initial_threshold``, shape (N_post,)."""
        weight = check_floating_tensor("weight", weight, ndim=2)
        theta = torch.full(
            (weight.shape[0],), self.initial_threshold, dtype=weight.dtype, device=weight.device
        )
        return BCMState(theta=theta)

    def delta(
        self, pre: torch.Tensor, post: torch.Tensor, weight: torch.Tensor, state: RuleState
    ) -> tuple[torch.Tensor, BCMState]:
        r"""Slide :math:`\theta` with this batch first, then return the change against it."""
        state = _check_state(self.name, state, BCMState)
        pre, post = check_pre_post(pre, post)
        _check_weight(weight, pre, post)
        theta = bcm_threshold(state.theta, post, self.threshold_decay)
        return bcm(pre, post, theta), BCMState(theta)
