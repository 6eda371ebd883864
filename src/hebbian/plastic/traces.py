r"""Hebbian traces of differentiable plasticity, as pure functions of the trace.

A plastic connection has a fixed part :math:`W` and a plastic part :math:`\alpha \odot
\mathrm{Hebb}(t)`, where the Hebbian trace :math:`\mathrm{Hebb}` changes during an episode
and :math:`W`, :math:`\alpha` and the plasticity rate :math:`\eta` are learned by
backpropagation across episodes (Miconi, Clune & Stanley, "Differentiable plasticity:
training plastic neural networks with backpropagation", ICML 2018). Backpropamine
(Miconi, Rawal, Clune & Stanley, ICLR 2019) lets the network compute its own plasticity
rate :math:`M(t)`, the *neuromodulation*.

Conventions (the library's, see ``docs/ARCHITECTURE.md``):

* ``pre`` :math:`x` is ``(B, N_pre)``, ``post`` :math:`y` is ``(B, N_post)``;
* a trace ``hebb`` is ``(B, N_post, N_pre)``: one matrix per episode of the batch, with
  the layout of a weight ``(N_post, N_pre)``, so ``hebb[b, j, i]`` is the paper's
  :math:`\mathrm{Hebb}_{ij}` (from input :math:`i` to output :math:`j`) of episode ``b``;
* :math:`\eta` is a float or a scalar tensor (learned: gradients flow to it);
* a modulation :math:`M(t)` is ``(B,)``, ``(B, 1)`` (one neuromodulator per episode) or
  ``(B, N_post)`` (one per post-synaptic neuron); it scales whole rows of the trace.

The update rules, with :math:`\mathrm{outer}(y, x)_{ji} = y_j x_i`:

=============== ===========================================================================
``DECAYING``    :math:`H \leftarrow (1-\eta) H + \eta\, y x^\top` (Miconi et al. 2018, eq. 2)
``OJA``         :math:`H_{ji} \leftarrow H_{ji} + \eta\, y_j (x_i - y_j H_{ji})` (eq. 3)
``CLIPPED``     :math:`H \leftarrow \mathrm{clip}(H + \eta\, y x^\top)` (Miconi et al. 2019)
``MODULATED``   :math:`H \leftarrow \mathrm{clip}(H + M(t)\, y x^\top)` (simple neuromodulation)
``RETROACTIVE`` :math:`H \leftarrow \mathrm{clip}(H + M(t) E)`, then
                :math:`E \leftarrow (1-\eta) E + \eta\, y x^\top` (eligibility trace)
=============== ===========================================================================

``clip`` bounds every entry to :math:`[-b, b]` (``bound``, default 1). The retroactive rule
follows the paper's equations: :math:`\mathrm{Hebb}(t+1) = \mathrm{clip}(\mathrm{Hebb}(t) +
M(t) E(t))` and :math:`E(t+1) = (1-\eta) E(t) + \eta\, x_i(t-1) x_j(t)`, so the modulation
at step :math:`t` acts on the coincidences of the steps *before* :math:`t`, which is what
makes it retroactive.

Traces start at zero at the start of every episode. Everything is built from
differentiable tensor operations and allocates on the device and dtype of its inputs.
:func:`history_drive` and :func:`hebb_from_history` give the decaying trace in factored
form, :math:`\mathrm{Hebb}(t) = \sum_{s \le t} \eta (1-\eta)^{t-s} y_s x_s^\top` (Ba et
al., "Using fast weights to attend to the recent past", NeurIPS 2016, section 3.1), which
:class:`hebbian.plastic.PlasticRecurrentCell` uses for fast training.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

import torch

from hebbian._checks import (
    check_enum,
    check_floating_tensor,
    check_positive,
    check_pre_post,
    check_same_device,
)

__all__ = [
    "TraceRule",
    "TraceState",
    "check_modulation",
    "clipped_trace",
    "decay_coefficients",
    "decaying_trace",
    "hebb_from_history",
    "hebbian_outer",
    "history_drive",
    "initial_trace_state",
    "modulated_trace",
    "oja_trace",
    "plastic_drive",
    "plastic_drive_unchecked",
    "retroactive_trace",
    "update_trace",
    "update_trace_unchecked",
]

Rate = float | torch.Tensor


class TraceRule(Enum):
    r"""How the Hebbian trace of a plastic connection changes (see the module docstring).

    ``MODULATED`` and ``RETROACTIVE`` need a modulation :math:`M(t)` computed by the
    network; the others use the learned rate :math:`\eta`.

    >>> TraceRule.RETROACTIVE.modulated, TraceRule.OJA.modulated
    (True, False)
    """

    DECAYING = "decaying"
    OJA = "oja"
    CLIPPED = "clipped"
    MODULATED = "modulated"
    RETROACTIVE = "retroactive"

    @property
    def modulated(self) -> bool:
        """Whether the rule needs a modulation signal :math:`M(t)`."""
        return self in (TraceRule.MODULATED, TraceRule.RETROACTIVE)

    @property
    def clipped(self) -> bool:
        """Whether the rule clips the trace to ``[-bound, bound]``."""
        return self in (TraceRule.CLIPPED, TraceRule.MODULATED, TraceRule.RETROACTIVE)


class TraceState(NamedTuple):
    """The plastic state of a batch of episodes.

    Attributes
    ----------
    hebb : Tensor, shape (B, N_post, N_pre)
        The Hebbian traces, one per episode.
    eligibility : Tensor of shape (B, N_post, N_pre), or None
        The eligibility traces of the ``RETROACTIVE`` rule; None for the other rules.
    """

    hebb: torch.Tensor
    eligibility: torch.Tensor | None = None


# --------------------------------------------------------------------------------- checks
def _check_trace(name: str, trace: object, pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    expected = (pre.shape[0], post.shape[1], pre.shape[1])
    trace_t = check_floating_tensor(name, trace, shape=expected)
    check_same_device(**{name: trace_t, "pre": pre})
    return trace_t


def _check_rate(name: str, rate: object, like: torch.Tensor) -> Rate:
    """A rate is a finite float or a floating scalar tensor on ``like``'s device."""
    if isinstance(rate, torch.Tensor):
        if rate.numel() != 1 or not rate.is_floating_point():
            raise ValueError(
                f"{name} must be a float or a floating scalar tensor, got a {rate.dtype} "
                f"tensor of shape {tuple(rate.shape)}"
            )
        if rate.device != like.device:
            raise ValueError(f"{name} must be on {like.device}, got {rate.device}")
        return rate.reshape(())
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise TypeError(f"{name} must be a float or a scalar tensor, got {type(rate).__name__}")
    return check_positive(name, rate, allow_zero=True)


def check_modulation(modulation: object, post: torch.Tensor) -> torch.Tensor:
    """Check a modulation :math:`M(t)` against ``post`` and shape it to scale trace rows.

    Parameters
    ----------
    modulation : Tensor, shape (B,), (B, 1) or (B, N_post)
        One neuromodulator per episode, or one per post-synaptic neuron of each.
    post : Tensor, shape (B, N_post)
        The post-synaptic activity it goes with (gives ``B``, ``N_post`` and the device).

    Returns
    -------
    Tensor, shape (B, 1) or (B, N_post)
        ``modulation``, a ``(B,)`` one as ``(B, 1)``.

    Raises
    ------
    ValueError
        If the shape or the device does not match ``post``.

    Examples
    --------
    >>> tuple(check_modulation(torch.ones(2), torch.zeros(2, 3)).shape)
    (2, 1)
    """
    batch, n_post = post.shape
    m = check_floating_tensor("modulation", modulation)
    if m.shape == (batch,):
        m = m[:, None]
    if m.ndim != 2 or m.shape[0] != batch or m.shape[1] not in (1, n_post):
        raise ValueError(
            f"modulation must have shape ({batch},), ({batch}, 1) or ({batch}, {n_post}), "
            f"got {tuple(m.shape)}"
        )
    check_same_device(modulation=m, post=post)
    return m


def _check_bound(bound: object) -> float:
    return check_positive("bound", bound)


# --------------------------------------------------------------------------- the updates
def _outer(pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    return post[:, :, None] * pre[:, None, :]  # (B, N_post, N_pre)


def hebbian_outer(pre: torch.Tensor, post: torch.Tensor) -> torch.Tensor:
    r"""The coincidences :math:`y x^\top` of each episode, shape (B, N_post, N_pre).

    >>> hebbian_outer(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0]]))
    tensor([[[3., 6.]]])
    """
    pre, post = check_pre_post(pre, post)
    return _outer(pre, post)


def decaying_trace(
    hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate
) -> torch.Tensor:
    r"""Decaying Hebb: :math:`H \leftarrow (1 - \eta) H + \eta\, y x^\top`.

    The trace is a running average of the coincidences, with time constant
    :math:`1/\eta` steps (Miconi et al. 2018, eq. 2).

    Parameters
    ----------
    hebb : Tensor, shape (B, N_post, N_pre)
    pre : Tensor, shape (B, N_pre)
        Pre-synaptic activity :math:`x(t-1)`.
    post : Tensor, shape (B, N_post)
        Post-synaptic activity :math:`x(t)`.
    eta : float or scalar Tensor
        Plasticity rate :math:`\eta`.

    Returns
    -------
    Tensor, shape (B, N_post, N_pre)

    Examples
    --------
    >>> h = torch.ones(1, 1, 2)
    >>> decaying_trace(h, torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0]]), eta=0.5)
    tensor([[[ 1.5000, -0.5000]]])
    """
    pre, post = check_pre_post(pre, post)
    hebb = _check_trace("hebb", hebb, pre, post)
    eta = _check_rate("eta", eta, pre)
    return _decaying(hebb, pre, post, eta)


def _decaying(hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate) -> torch.Tensor:
    return (1 - eta) * hebb + eta * _outer(pre, post)


def oja_trace(hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate) -> torch.Tensor:
    r"""Oja's variant: :math:`H_{ji} \leftarrow H_{ji} + \eta\, y_j (x_i - y_j H_{ji})`.

    The decay of each trace is proportional to the square of its post-synaptic
    activity, which keeps the traces bounded without clipping (Miconi et al. 2018,
    eq. 3, after Oja 1982). Shapes as in :func:`decaying_trace`.

    Examples
    --------
    >>> h = torch.ones(1, 1, 2)
    >>> oja_trace(h, torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0]]), eta=0.5)
    tensor([[[ 0., -2.]]])
    """
    pre, post = check_pre_post(pre, post)
    hebb = _check_trace("hebb", hebb, pre, post)
    eta = _check_rate("eta", eta, pre)
    return _oja(hebb, pre, post, eta)


def _oja(hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate) -> torch.Tensor:
    y = post[:, :, None]  # (B, N_post, 1)
    return hebb + eta * y * (pre[:, None, :] - y * hebb)  # (B, N_post, N_pre)


def clipped_trace(
    hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate, bound: float = 1.0
) -> torch.Tensor:
    r"""Clipped additive Hebb: :math:`H \leftarrow \mathrm{clip}(H + \eta\, y x^\top, -b, b)`.

    The non-modulated plastic network of Backpropamine (Miconi et al. 2019). Shapes as
    in :func:`decaying_trace`; ``bound`` is :math:`b > 0`.

    Examples
    --------
    >>> h = torch.full((1, 1, 2), 0.8)
    >>> clipped_trace(h, torch.tensor([[1.0, -1.0]]), torch.tensor([[1.0]]), eta=0.5)
    tensor([[[1.0000, 0.3000]]])
    """
    pre, post = check_pre_post(pre, post)
    hebb = _check_trace("hebb", hebb, pre, post)
    eta = _check_rate("eta", eta, pre)
    return _clipped(hebb, pre, post, eta, _check_bound(bound))


def _clipped(
    hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, eta: Rate, bound: float
) -> torch.Tensor:
    return torch.clamp(hebb + eta * _outer(pre, post), -bound, bound)


def modulated_trace(
    hebb: torch.Tensor,
    pre: torch.Tensor,
    post: torch.Tensor,
    modulation: torch.Tensor,
    bound: float = 1.0,
) -> torch.Tensor:
    r"""Simple neuromodulation: :math:`H \leftarrow \mathrm{clip}(H + M(t)\, y x^\top, -b, b)`.

    :math:`\eta` is replaced by :math:`M(t)`, computed by the network at each step and
    possibly negative (Miconi et al. 2019, eq. 3).

    Parameters
    ----------
    hebb, pre, post :
        As in :func:`decaying_trace`.
    modulation : Tensor, shape (B,), (B, 1) or (B, N_post)
        :math:`M(t)` for each episode (or each post-synaptic neuron of each episode).
    bound : float
        :math:`b > 0`.

    Examples
    --------
    >>> h = torch.zeros(2, 1, 1)
    >>> modulated_trace(h, torch.ones(2, 1), torch.ones(2, 1), torch.tensor([0.5, -2.0]))
    tensor([[[ 0.5000]],
    <BLANKLINE>
            [[-1.0000]]])
    """
    pre, post = check_pre_post(pre, post)
    hebb = _check_trace("hebb", hebb, pre, post)
    m = check_modulation(modulation, post)
    return _modulated(hebb, pre, post, m, _check_bound(bound))


def _modulated(
    hebb: torch.Tensor, pre: torch.Tensor, post: torch.Tensor, m: torch.Tensor, bound: float
) -> torch.Tensor:
    return torch.clamp(hebb + m[:, :, None] * _outer(pre, post), -bound, bound)


def retroactive_trace(
    hebb: torch.Tensor,
    eligibility: torch.Tensor,
    pre: torch.Tensor,
    post: torch.Tensor,
    eta: Rate,
    modulation: torch.Tensor,
    bound: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Retroactive neuromodulation through an eligibility trace (Miconi et al. 2019, eq. 4-5).

    .. math::

        H \leftarrow \mathrm{clip}(H + M(t)\, E, -b, b), \qquad
        E \leftarrow (1 - \eta) E + \eta\, y x^\top

    Both right-hand sides use the old :math:`E`, as in the paper's
    :math:`\mathrm{Hebb}(t+1) = \mathrm{clip}(\mathrm{Hebb}(t) + M(t) E(t))`: the
    modulation at step :math:`t` consolidates the coincidences of earlier steps.

    Parameters
    ----------
    hebb, eligibility : Tensor, shape (B, N_post, N_pre)
    pre, post, eta, modulation, bound :
        As in :func:`decaying_trace` and :func:`modulated_trace`.

    Returns
    -------
    (hebb, eligibility) : the new traces.

    Examples
    --------
    >>> h, e = torch.zeros(1, 1, 1), torch.ones(1, 1, 1)
    >>> retroactive_trace(h, e, torch.ones(1, 1), torch.full((1, 1), 3.0), 0.5,
    ...                   torch.tensor([0.25]))
    (tensor([[[0.2500]]]), tensor([[[2.]]]))
    """
    pre, post = check_pre_post(pre, post)
    hebb = _check_trace("hebb", hebb, pre, post)
    eligibility = _check_trace("eligibility", eligibility, pre, post)
    eta = _check_rate("eta", eta, pre)
    m = check_modulation(modulation, post)
    return _retroactive(hebb, eligibility, pre, post, eta, m, _check_bound(bound))


def _retroactive(
    hebb: torch.Tensor,
    eligibility: torch.Tensor,
    pre: torch.Tensor,
    post: torch.Tensor,
    eta: Rate,
    m: torch.Tensor,
    bound: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    new_hebb = torch.clamp(hebb + m[:, :, None] * eligibility, -bound, bound)
    return new_hebb, _decaying(eligibility, pre, post, eta)


# ----------------------------------------------------------------------- state and dispatch
def initial_trace_state(
    rule: TraceRule,
    batch: int,
    n_post: int,
    n_pre: int,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> TraceState:
    """Zero traces for ``batch`` new episodes (an eligibility trace only for ``RETROACTIVE``).

    >>> state = initial_trace_state(TraceRule.RETROACTIVE, 2, 3, 4)
    >>> tuple(state.hebb.shape), tuple(state.eligibility.shape)
    ((2, 3, 4), (2, 3, 4))
    >>> initial_trace_state(TraceRule.OJA, 2, 3, 4).eligibility is None
    True
    """
    rule = check_enum("rule", rule, TraceRule)
    for name, value in (("batch", batch), ("n_post", n_post), ("n_pre", n_pre)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    hebb = torch.zeros(batch, n_post, n_pre, device=device, dtype=dtype)
    eligibility = torch.zeros_like(hebb) if rule is TraceRule.RETROACTIVE else None
    return TraceState(hebb, eligibility)


def update_trace(
    rule: TraceRule,
    state: TraceState,
    pre: torch.Tensor,
    post: torch.Tensor,
    *,
    eta: Rate,
    modulation: torch.Tensor | None = None,
    bound: float = 1.0,
) -> TraceState:
    r"""Apply ``rule`` to ``state`` for the coincidences of ``pre`` and ``post``.

    ``modulation`` is required by the modulated rules and refused by the others; ``eta``
    is unused by ``MODULATED``; ``bound`` is used by the clipped rules.

    Examples
    --------
    >>> state = initial_trace_state(TraceRule.DECAYING, 1, 1, 1)
    >>> update_trace(TraceRule.DECAYING, state, torch.ones(1, 1), torch.ones(1, 1), eta=0.1)
    TraceState(hebb=tensor([[[0.1000]]]), eligibility=None)
    """
    rule = check_enum("rule", rule, TraceRule)
    if not isinstance(state, TraceState):
        raise TypeError(f"state must be a TraceState, got {type(state).__name__}")
    pre, post = check_pre_post(pre, post)
    _check_trace("state.hebb", state.hebb, pre, post)
    eta = _check_rate("eta", eta, pre)
    bound = _check_bound(bound)
    if rule.modulated:
        if modulation is None:
            raise ValueError(f"rule {rule.name} needs a modulation tensor, got None")
        modulation = check_modulation(modulation, post)
    elif modulation is not None:
        raise ValueError(f"rule {rule.name} takes no modulation; pass modulation=None")
    if rule is TraceRule.RETROACTIVE:
        if state.eligibility is None:
            raise ValueError("rule RETROACTIVE needs state.eligibility, got None")
        _check_trace("state.eligibility", state.eligibility, pre, post)
    return update_trace_unchecked(rule, state, pre, post, eta, modulation, bound)


def update_trace_unchecked(
    rule: TraceRule,
    state: TraceState,
    pre: torch.Tensor,
    post: torch.Tensor,
    eta: Rate,
    modulation: torch.Tensor | None,
    bound: float,
) -> TraceState:
    r""":func:`update_trace` without its checks, for inner loops that checked once.

    Applies the update of ``rule`` (the table of the module docstring) to ``state``
    with the coincidences :math:`y x^\top` of ``pre`` :math:`x` and ``post``
    :math:`y`. The caller guarantees what :func:`update_trace` checks.

    Parameters
    ----------
    rule : TraceRule
    state : TraceState
        Traces of shape (B, N_post, N_pre); ``eligibility`` set for ``RETROACTIVE``.
    pre : Tensor, shape (B, N_pre)
    post : Tensor, shape (B, N_post)
    eta : float or scalar Tensor
        The rate :math:`\eta` (unused by ``MODULATED``).
    modulation : Tensor of shape (B, 1) or (B, N_post), or None
        :math:`M(t)` as :func:`check_modulation` returns it, for the modulated rules;
        None for the others.
    bound : float
        The clipping bound :math:`b > 0` of the clipped rules.

    Returns
    -------
    TraceState
        The new traces.

    Examples
    --------
    >>> state = initial_trace_state(TraceRule.DECAYING, 1, 1, 1)
    >>> update_trace_unchecked(
    ...     TraceRule.DECAYING, state, torch.ones(1, 1), torch.ones(1, 1), 0.5, None, 1.0)
    TraceState(hebb=tensor([[[0.5000]]]), eligibility=None)
    """
    if rule is TraceRule.DECAYING:
        return TraceState(_decaying(state.hebb, pre, post, eta))
    if rule is TraceRule.OJA:
        return TraceState(_oja(state.hebb, pre, post, eta))
    if rule is TraceRule.CLIPPED:
        return TraceState(_clipped(state.hebb, pre, post, eta, bound))
    assert modulation is not None  # checked by the callers
    if rule is TraceRule.MODULATED:
        return TraceState(_modulated(state.hebb, pre, post, modulation, bound))
    assert state.eligibility is not None
    return TraceState(
        *_retroactive(state.hebb, state.eligibility, pre, post, eta, modulation, bound)
    )


# --------------------------------------------------------------------------------- reading
def plastic_drive(
    weight: torch.Tensor, alpha: torch.Tensor, hebb: torch.Tensor, pre: torch.Tensor
) -> torch.Tensor:
    r"""The input that ``pre`` sends through plastic connections, shape (B, N_post).

    .. math:: u_j = \sum_i \left(W_{ji} + \alpha_{ji}\, \mathrm{Hebb}_{ji}\right) x_i

    Parameters
    ----------
    weight : Tensor, shape (N_post, N_pre)
        The fixed part :math:`W`.
    alpha : Tensor, shape (N_post, N_pre) or () (one shared coefficient)
        The plasticity coefficients :math:`\alpha`.
    hebb : Tensor, shape (B, N_post, N_pre)
    pre : Tensor, shape (B, N_pre)

    Examples
    --------
    >>> w = torch.tensor([[1.0, 0.0]])
    >>> h = torch.tensor([[[0.0, 2.0]]])
    >>> plastic_drive(w, torch.tensor(0.5), h, torch.tensor([[1.0, 3.0]]))
    tensor([[4.]])
    """
    pre = check_floating_tensor("pre", pre, ndim=2)
    batch, n_pre = pre.shape
    weight = check_floating_tensor("weight", weight, shape=(None, n_pre))
    n_post = weight.shape[0]
    hebb = check_floating_tensor("hebb", hebb, shape=(batch, n_post, n_pre))
    alpha = check_floating_tensor("alpha", alpha)
    if alpha.shape not in (torch.Size([]), torch.Size([n_post, n_pre])):
        raise ValueError(
            f"alpha must have shape () or ({n_post}, {n_pre}), got {tuple(alpha.shape)}"
        )
    check_same_device(pre=pre, weight=weight, hebb=hebb, alpha=alpha)
    return plastic_drive_unchecked(weight, alpha, hebb, pre)


def plastic_drive_unchecked(
    weight: torch.Tensor, alpha: torch.Tensor, hebb: torch.Tensor, pre: torch.Tensor
) -> torch.Tensor:
    r""":func:`plastic_drive` without its checks, for inner loops that checked once.

    .. math:: u_j = \sum_i \left(W_{ji} + \alpha_{ji}\, \mathrm{Hebb}_{ji}\right) x_i

    Parameters
    ----------
    weight : Tensor, shape (N_post, N_pre)
    alpha : Tensor, shape (N_post, N_pre) or ()
    hebb : Tensor, shape (B, N_post, N_pre)
    pre : Tensor, shape (B, N_pre)
        As in :func:`plastic_drive`, same dtype and device (not checked).

    Returns
    -------
    Tensor, shape (B, N_post)

    Examples
    --------
    >>> plastic_drive_unchecked(
    ...     torch.eye(1), torch.tensor(2.0), torch.ones(1, 1, 1), torch.ones(1, 1))
    tensor([[3.]])
    """
    fixed = pre @ weight.T  # (B, N_post)
    if alpha.ndim == 0:  # one shared coefficient: alpha (Hebb x)
        return fixed + alpha * torch.bmm(hebb, pre[:, :, None])[:, :, 0]
    return fixed + torch.bmm(alpha * hebb, pre[:, :, None])[:, :, 0]  # (B, N_post)


def decay_coefficients(
    eta: Rate, count: int, like: torch.Tensor, *, oldest_first: bool = True
) -> torch.Tensor:
    r"""The weights :math:`c_a = \eta (1-\eta)^a` of coincidences of ages ``a = 0 .. count-1``.

    A decaying trace :math:`\sum_k \eta (1-\eta)^{K-k} y_k x_k^\top` weighs the
    coincidence of age :math:`a = K - k` by :math:`c_a`.

    Parameters
    ----------
    eta : float or scalar Tensor
        The plasticity rate :math:`\eta` (gradients flow to a tensor).
    count : int
        The number of ages ``K``.
    like : Tensor
        Gives the dtype and device.
    oldest_first : bool, default True
        Order ``c_{K-1}, ..., c_0`` (that of a history, oldest first); False gives
        ``c_0, ..., c_{K-1}`` (indexed by age). Each order is computed as such, not
        flipped from the other: the vectorised power may round an entry differently at
        another position, and each caller keeps its numbers.

    Returns
    -------
    Tensor, shape (count,)

    Examples
    --------
    >>> decay_coefficients(0.5, 3, torch.zeros(1))
    tensor([0.1250, 0.2500, 0.5000])
    >>> decay_coefficients(0.5, 3, torch.zeros(1), oldest_first=False)
    tensor([0.5000, 0.2500, 0.1250])
    """
    if oldest_first:
        ages = torch.arange(count - 1, -1, -1, device=like.device, dtype=like.dtype)
    else:
        ages = torch.arange(count, device=like.device, dtype=like.dtype)
    return eta * (1 - eta) ** ages


def history_drive(
    alpha: torch.Tensor,
    eta: Rate,
    pre_history: torch.Tensor,
    post_history: torch.Tensor,
    query: torch.Tensor,
) -> torch.Tensor:
    r"""Read a decaying trace kept as its history: :math:`(\alpha \odot \mathrm{Hebb}_K)\, q`.

    Starting from zero, ``K`` decaying updates with coincidences :math:`(x_k, y_k)` give
    :math:`\mathrm{Hebb}_K = \sum_{k=1}^{K} \eta (1-\eta)^{K-k} y_k x_k^\top`, hence

    .. math::

        (\alpha \odot \mathrm{Hebb}_K)\, q
            = \sum_k \eta (1-\eta)^{K-k}\; y_k \odot \big(\alpha\, (x_k \odot q)\big),

    and for one shared :math:`\alpha` simply :math:`\alpha \sum_k \eta (1-\eta)^{K-k}
    (x_k \cdot q)\, y_k`. This never builds the ``(B, N_post, N_pre)`` trace: it costs
    :math:`O(K N^2)` in matrix products for a per-connection :math:`\alpha` and
    :math:`O(K N)` for a shared one (Ba et al. 2016, section 3.1).

    Parameters
    ----------
    alpha : Tensor, shape (N_post, N_pre) or ()
    eta : float or scalar Tensor
    pre_history : Tensor, shape (B, K, N_pre)
        :math:`x_1 \dots x_K`, oldest first.
    post_history : Tensor, shape (B, K, N_post)
        :math:`y_1 \dots y_K`, oldest first.
    query : Tensor, shape (B, N_pre)

    Returns
    -------
    Tensor, shape (B, N_post)

    Examples
    --------
    >>> x = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # two coincidences, oldest first
    >>> y = torch.tensor([[[2.0], [4.0]]])
    >>> history_drive(torch.tensor(1.0), 0.5, x, y, torch.tensor([[1.0, 1.0]]))
    tensor([[2.5000]])
    """
    query = check_floating_tensor("query", query, ndim=2)
    batch, n_pre = query.shape
    pre_history = check_floating_tensor("pre_history", pre_history, shape=(batch, None, n_pre))
    count = pre_history.shape[1]
    post_history = check_floating_tensor("post_history", post_history, shape=(batch, count, None))
    n_post = post_history.shape[2]
    alpha = check_floating_tensor("alpha", alpha)
    if alpha.shape not in (torch.Size([]), torch.Size([n_post, n_pre])):
        raise ValueError(
            f"alpha must have shape () or ({n_post}, {n_pre}), got {tuple(alpha.shape)}"
        )
    check_same_device(query=query, pre_history=pre_history, post_history=post_history, alpha=alpha)
    eta = _check_rate("eta", eta, query)
    if count == 0:
        return query.new_zeros(batch, n_post)
    coefficients = decay_coefficients(eta, count, query)  # (K,)
    if alpha.ndim == 0:
        scores = torch.bmm(pre_history, query[:, :, None])[:, :, 0]  # (B, K)
        weights = alpha * coefficients * scores  # (B, K)
        return torch.bmm(weights[:, None, :], post_history)[:, 0, :]  # (B, N_post)
    gated = pre_history * query[:, None, :]  # (B, K, N_pre)
    mixed = gated @ alpha.T  # (B, K, N_post)
    return torch.einsum("k,bkj->bj", coefficients, post_history * mixed)


def hebb_from_history(
    eta: Rate, pre_history: torch.Tensor, post_history: torch.Tensor
) -> torch.Tensor:
    r"""The decaying trace :math:`\sum_k \eta (1-\eta)^{K-k} y_k x_k^\top`, (B, N_post, N_pre).

    Equal to ``K`` applications of :func:`decaying_trace` from a zero trace.

    >>> x = torch.tensor([[[1.0], [1.0]]])
    >>> hebb_from_history(0.5, x, x)  # 0.5 * 0.5 + 0.5
    tensor([[[0.7500]]])
    """
    pre_history = check_floating_tensor("pre_history", pre_history, ndim=3)
    batch, count, _ = pre_history.shape
    post_history = check_floating_tensor("post_history", post_history, shape=(batch, count, None))
    check_same_device(pre_history=pre_history, post_history=post_history)
    eta = _check_rate("eta", eta, pre_history)
    coefficients = decay_coefficients(eta, count, pre_history)  # (K,)
    weighted = post_history * coefficients[None, :, None]  # (B, K, N_post)
    return weighted.transpose(1, 2) @ pre_history  # (B, N_post, N_pre)
