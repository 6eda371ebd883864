r"""Spiking neurons: leaky integrate-and-fire and Hodgkin-Huxley, as state + step functions.

Every neuron model here has

* a frozen parameter dataclass (:class:`LIFParameters`, :class:`HHParameters`);
* a small typed state (:class:`LIFState`, :class:`HHState`), a NamedTuple of tensors
  of one shape, e.g. ``(B, N)`` for B independent networks of N neurons;
* a function that builds the initial state (:func:`lif_state`, :func:`hh_state`);
* a pure step function ``step(state, params, dt, ...) -> (new_state, spikes)`` that
  advances every neuron of every network by one time step ``dt``.

Units: time in seconds, potentials in mV. The LIF input ``current`` is given as the
voltage ``R I`` it would hold the membrane at (mV); Hodgkin-Huxley currents are in
uA/cm2, conductances in mS/cm2 and the capacitance in uF/cm2 (the 1952 units).

Order of operations in one step (the order Brian2 uses, so that models written for it
mean the same here): integrate the membrane over ``[t, t + dt]``, test the threshold,
deliver this step's synaptic input (it acts from the next step on), reset the neurons
that spiked. The refractory period follows Brian2's convention too (see
:func:`lif_step`): the same model, ``dt`` and refractory period give the same spike steps.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import torch

from hebbian._checks import (
    check_enum,
    check_finite,
    check_positive,
    check_positive_int,
    check_state_tensor,
)
from hebbian.spiking._common import check_dt, check_input, fast_exp

__all__ = [
    "HHParameters",
    "HHState",
    "LIFParameters",
    "LIFState",
    "Synapses",
    "hh_gate_rates",
    "hh_state",
    "hh_step",
    "lif_rate",
    "lif_state",
    "lif_step",
]


# ======================================================================================
# leaky integrate-and-fire
# ======================================================================================


class Synapses(enum.Enum):
    """How synaptic input acts on a :func:`lif_step` neuron.

    ``CURRENT``
        Current-based: the synaptic variables are currents (written as the voltage
        ``R I_syn`` in mV) that decay exponentially and add to the drive, excitatory
        with a plus sign and inhibitory with a minus sign.
    ``CONDUCTANCE``
        Conductance-based: the synaptic variables are conductances relative to the leak
        conductance (dimensionless) that pull the membrane towards their reversal
        potentials ``e_exc`` and ``e_inh``.

    >>> Synapses.CONDUCTANCE.value
    'conductance'
    """

    CURRENT = "current"
    CONDUCTANCE = "conductance"


@dataclass(frozen=True)
class LIFParameters:
    r"""Parameters of a leaky integrate-and-fire neuron and its synapses.

    Current-based synapses (:attr:`Synapses.CURRENT`):

    .. math::

        \tau_m \frac{dV}{dt} = -(V - E_L) + R I + u_e - u_i, \qquad
        \tau_e \frac{du_e}{dt} = -u_e, \quad \tau_i \frac{du_i}{dt} = -u_i .

    Conductance-based synapses (:attr:`Synapses.CONDUCTANCE`), conductances in units of
    the leak conductance:

    .. math::

        \tau_m \frac{dV}{dt} = -(V - E_L) - g_e (V - E_e) - g_i (V - E_i) + R I, \qquad
        \tau_e \frac{dg_e}{dt} = -g_e, \quad \tau_i \frac{dg_i}{dt} = -g_i .

    When ``V`` reaches ``v_threshold`` the neuron spikes, ``V`` is reset to ``v_reset``
    and held there during the refractory period (Lapicque 1907; Dayan & Abbott 2001,
    ch. 5.4; Gerstner et al. 2014, ch. 1), counted as in Brian2: a neuron that spikes
    in step ``k`` integrates again from step ``k + n``,
    :math:`n = \lfloor t_\mathrm{ref}/dt + 10^{-3} \rfloor` (see :func:`lif_step`).

    Attributes
    ----------
    tau_m : float
        Membrane time constant (s), > 0.
    v_rest : float
        Leak reversal (resting) potential ``E_L`` (mV).
    v_threshold : float
        Spike threshold (mV), above ``v_reset``.
    v_reset : float
        Reset potential (mV).
    refractory : float
        Absolute refractory period ``t_ref`` (s), >= 0; counted in whole steps
        :math:`n = \lfloor t_\mathrm{ref}/dt + 10^{-3} \rfloor` (Brian2's ``timestep``).
    synapses : Synapses
        Current- or conductance-based synaptic input.
    tau_exc, tau_inh : float
        Decay time constants (s) of the excitatory and inhibitory synaptic variables.
    e_exc, e_inh : float
        Reversal potentials (mV) of the conductances (conductance-based only).

    Examples
    --------
    >>> LIFParameters(tau_m=20e-3).tau_m
    0.02
    >>> LIFParameters(v_reset=-40.0)
    Traceback (most recent call last):
    ...
    ValueError: v_reset must be below v_threshold, got v_reset=-40.0 mV, v_threshold=-50.0 mV
    """

    tau_m: float = 10e-3
    v_rest: float = -65.0
    v_threshold: float = -50.0
    v_reset: float = -65.0
    refractory: float = 2e-3
    synapses: Synapses = Synapses.CURRENT
    tau_exc: float = 5e-3
    tau_inh: float = 10e-3
    e_exc: float = 0.0
    e_inh: float = -80.0

    def __post_init__(self) -> None:
        check_positive("tau_m", self.tau_m)
        check_finite("v_rest", self.v_rest)
        check_finite("v_threshold", self.v_threshold)
        check_finite("v_reset", self.v_reset)
        check_positive("refractory", self.refractory, allow_zero=True)
        check_enum("synapses", self.synapses, Synapses)
        check_positive("tau_exc", self.tau_exc)
        check_positive("tau_inh", self.tau_inh)
        check_finite("e_exc", self.e_exc)
        check_finite("e_inh", self.e_inh)
        if self.v_reset >= self.v_threshold:
            raise ValueError(
                f"v_reset must be below v_threshold, got v_reset={self.v_reset} mV, "
                f"v_threshold={self.v_threshold} mV"
            )


class LIFState(NamedTuple):
    """State of a population of LIF neurons; every field has the same shape, e.g. (B, N).

    Attributes
    ----------
    v : Tensor
        Membrane potential (mV).
    exc, inh : Tensor
        Excitatory and inhibitory synaptic variables: currents as voltages ``R I`` (mV)
        for current-based synapses, conductances relative to the leak (dimensionless)
        for conductance-based ones. Both are >= 0.
    refractory : Tensor
        Refractory time left (s), counted from the start of the step in which the
        neuron spiked (Brian2's spike time); the membrane is held at ``v_reset`` in a
        step that begins with at least one whole step ``dt`` of it left (to within
        ``1e-3 dt``), see :func:`lif_step`.
    """

    v: torch.Tensor
    exc: torch.Tensor
    inh: torch.Tensor
    refractory: torch.Tensor


def lif_state(
    batch: int,
    neurons: int,
    params: LIFParameters,
    *,
    v: float | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> LIFState:
    """Initial state of ``batch`` networks of ``neurons`` LIF neurons, all at rest.

    Parameters
    ----------
    batch, neurons : int
        The state's shape ``(batch, neurons)``.
    params : LIFParameters
    v : float, optional
        Initial membrane potential (mV); default ``params.v_rest``.
    device, dtype
        Where and how to allocate (float64 by default: long simulations accumulate).

    Examples
    --------
    >>> state = lif_state(2, 3, LIFParameters())
    >>> state.v.shape, state.v[0, 0].item()
    (torch.Size([2, 3]), -65.0)
    """
    check_positive_int("batch", batch)
    check_positive_int("neurons", neurons)
    if not isinstance(params, LIFParameters):
        raise TypeError(f"params must be LIFParameters, got {type(params).__name__}")
    start = params.v_rest if v is None else check_finite("v", v)
    zeros = torch.zeros(batch, neurons, device=device, dtype=dtype)
    return LIFState(zeros + start, zeros.clone(), zeros.clone(), zeros.clone())


# a step is refractory when (1 - 1e-3) dt of the period is left: Brian2's
# timestep(t) = floor(t / dt + 1e-3) counts a period within 1e-3 dt of n steps as n steps
HELD_FRACTION = 1.0 - 1e-3


def _psc_propagator(tau_syn: float, tau_m: float, dt: float) -> float:
    r"""Response of :math:`\tau_m \dot V = -V + u(t)` after ``dt`` to ``u = e^{-t/\tau_s}``.

    .. math:: P = \frac{\tau_s}{\tau_s - \tau_m}\left(e^{-dt/\tau_s} - e^{-dt/\tau_m}\right),
              \qquad P = \frac{dt}{\tau_m} e^{-dt/\tau_m} \text{ when } \tau_s = \tau_m

    (exact integration, Rotter & Diesmann 1999).
    """
    if math.isclose(tau_syn, tau_m, rel_tol=1e-9):
        return dt / tau_m * math.exp(-dt / tau_m)
    return tau_syn / (tau_syn - tau_m) * (math.exp(-dt / tau_syn) - math.exp(-dt / tau_m))


def lif_step(
    state: LIFState,
    params: LIFParameters,
    dt: float,
    *,
    current: torch.Tensor | None = None,
    exc: torch.Tensor | None = None,
    inh: torch.Tensor | None = None,
    threshold: torch.Tensor | None = None,
) -> tuple[LIFState, torch.Tensor]:
    r"""Advance LIF neurons by one step ``dt`` with exact exponential integration.

    With current-based synapses the step is exact for the drive ``R I`` held constant
    over the step (Rotter & Diesmann 1999):

    .. math::

        V' = V_\infty + (V - V_\infty) e^{-dt/\tau_m} + P_e u_e - P_i u_i, \qquad
        V_\infty = E_L + R I,

    where :math:`P_x` is the exact response to the decaying synaptic current (see the
    module source, ``_psc_propagator``). With conductance-based synapses the
    conductances are held at their start-of-step values (exponential Euler, exact for
    constant conductances):

    .. math::

        V' = V_\infty + (V - V_\infty) e^{-dt (1 + g_e + g_i)/\tau_m}, \qquad
        V_\infty = \frac{E_L + g_e E_e + g_i E_i + R I}{1 + g_e + g_i} .

    Then the synaptic variables decay exactly, ``u <- u e^{-dt/tau}``, the neurons with
    ``V' >= v_threshold + threshold`` spike (``threshold`` is an optional per-neuron
    offset, e.g. an adaptive threshold), this step's synaptic input ``exc`` / ``inh`` is added
    (it acts from the next step on) and the spiking neurons are reset and made
    refractory. A refractory neuron's potential stays at ``v_reset``; its synapses
    still decay and receive input.

    Refractoriness is Brian2's (``refractory=t_ref`` with ``(unless refractory)`` on
    ``v``): a spike in step ``k`` (Brian2's spike time ``t_k = k dt``, the start of the
    step) makes the neuron refractory while ``timestep(t - t_k) < timestep(t_ref)``,
    where ``timestep(t) =`` :math:`\lfloor t/dt + 10^{-3} \rfloor`. With
    :math:`n = \lfloor t_\mathrm{ref}/dt + 10^{-3} \rfloor` the neuron is held at
    ``v_reset`` in steps ``k + 1 .. k + n - 1`` and integrates again from step
    ``k + n`` (from step ``k + 1`` when ``n <= 1``). Under a constant drive the
    interspike interval is therefore ``max(n, 1) - 1 + F`` steps, where
    :math:`F = \lceil (\tau_m/dt) \ln \frac{V_\infty - V_\mathrm{reset}}
    {V_\infty - V_\mathrm{th}} \rceil` is the number of steps from reset to threshold.
    The state carries the time left, ``t_ref - dt`` after the spike step; a step is
    held when at least ``(1 - 10^{-3}) dt`` is left at its start.

    Parameters
    ----------
    state : LIFState
        Every field of shape ``S`` (e.g. ``(B, N)``).
    params : LIFParameters
    dt : float
        Time step (s).
    current : Tensor, optional
        External drive ``R I`` (mV), broadcastable to ``S``; held constant over the step.
    exc, inh : Tensor, optional
        Synaptic input arriving in this step, broadcastable to ``S``: increments of the
        excitatory and inhibitory variables (mV for current-based synapses,
        dimensionless conductance for conductance-based ones).
    threshold : Tensor, optional
        Offset (mV) added to ``params.v_threshold`` in this step, broadcastable to ``S``
        (an adaptive threshold such as Diehl & Cook's :math:`\theta`).

    Returns
    -------
    state : LIFState
        The state at ``t + dt``.
    spikes : Tensor of bool, shape S
        True where a neuron spiked in this step.

    Examples
    --------
    A drive of 20 mV holds the membrane 5 mV above threshold; the neuron fires:

    >>> params = LIFParameters(refractory=0.0)
    >>> state = lif_state(1, 1, params)
    >>> drive = torch.full((1, 1), 20.0, dtype=torch.float64)
    >>> count = 0
    >>> for _ in range(1000):  # 0.1 s
    ...     state, spikes = lif_step(state, params, 1e-4, current=drive)
    ...     count += int(spikes.sum())
    >>> count  # analytic rate 1 / (tau_m ln 4) = 72.1 Hz
    7
    """
    if not isinstance(state, LIFState):
        raise TypeError(f"state must be a LIFState, got {type(state).__name__}")
    if not isinstance(params, LIFParameters):
        raise TypeError(f"params must be LIFParameters, got {type(params).__name__}")
    dt = check_dt(dt)
    v = check_state_tensor("state.v", state.v)
    syn_e = check_state_tensor("state.exc", state.exc, v)
    syn_i = check_state_tensor("state.inh", state.inh, v)
    refractory = check_state_tensor("state.refractory", state.refractory, v)
    current = check_input("current", current, v)
    exc = check_input("exc", exc, v)
    inh = check_input("inh", inh, v)
    threshold = check_input("threshold", threshold, v)

    decay_m = math.exp(-dt / params.tau_m)
    if params.synapses is Synapses.CURRENT:
        v_inf = params.v_rest if current is None else params.v_rest + current
        free = v_inf + (v - v_inf) * decay_m
        free = free + _psc_propagator(params.tau_exc, params.tau_m, dt) * syn_e
        free = free - _psc_propagator(params.tau_inh, params.tau_m, dt) * syn_i
    else:
        total = 1.0 + syn_e + syn_i  # conductance relative to the leak
        drive = params.v_rest + syn_e * params.e_exc + syn_i * params.e_inh
        if current is not None:
            drive = drive + current
        v_inf = drive / total
        free = v_inf + (v - v_inf) * fast_exp(total * (-dt / params.tau_m))
    held = refractory >= HELD_FRACTION * dt  # at least one whole step left (Brian2's timestep)
    v_new = torch.where(held, params.v_reset, free)
    refractory = (refractory - dt).clamp_min(0.0)

    syn_e = syn_e * math.exp(-dt / params.tau_exc)
    syn_i = syn_i * math.exp(-dt / params.tau_inh)
    if exc is not None:
        syn_e = syn_e + exc
    if inh is not None:
        syn_i = syn_i + inh

    spikes = v_new >= (params.v_threshold if threshold is None else params.v_threshold + threshold)
    v_new = torch.where(spikes, params.v_reset, v_new)
    # time left after this step, counted from its start (Brian2's spike time t_k)
    refractory = torch.where(spikes, max(params.refractory - dt, 0.0), refractory)
    return LIFState(v_new, syn_e, syn_i, refractory), spikes


def lif_rate(params: LIFParameters, drive: float) -> float:
    r"""Analytic firing rate (Hz) of a LIF neuron under a constant drive ``R I`` (mV).

    .. math::

        r = \left[t_\mathrm{ref} + \tau_m \ln \frac{V_\infty - V_\mathrm{reset}}
            {V_\infty - V_\mathrm{th}}\right]^{-1}, \qquad V_\infty = E_L + R I,

    and 0 when :math:`V_\infty \le V_\mathrm{th}` (Dayan & Abbott 2001, eq. 5.11, with a
    refractory period). In discrete time a step function reaches the threshold at the
    first step at or after the analytic crossing, so without a refractory period the
    simulated interspike intervals exceed ``1 / r`` by less than one step; with one of
    ``n >= 1`` whole steps, Brian2's count (see :func:`lif_step`) holds the neuron for
    ``n - 1`` steps after the spike step, and the intervals fall short of ``1 / r`` by
    at most one step.

    Examples
    --------
    >>> round(lif_rate(LIFParameters(refractory=0.0), 20.0), 2)
    72.13
    >>> lif_rate(LIFParameters(), 10.0)
    0.0
    """
    if not isinstance(params, LIFParameters):
        raise TypeError(f"params must be LIFParameters, got {type(params).__name__}")
    drive = check_finite("drive", drive)
    v_inf = params.v_rest + drive
    if v_inf <= params.v_threshold:
        return 0.0
    interval = params.refractory + params.tau_m * math.log(
        (v_inf - params.v_reset) / (v_inf - params.v_threshold)
    )
    return 1.0 / interval


# ======================================================================================
# Hodgkin-Huxley
# ======================================================================================


@dataclass(frozen=True)
class HHParameters:
    r"""Parameters of the Hodgkin-Huxley (1952) squid giant axon, rest at -65 mV.

    .. math::

        C \frac{dV}{dt} = I - \bar g_\mathrm{Na} m^3 h (V - E_\mathrm{Na})
            - \bar g_\mathrm{K} n^4 (V - E_\mathrm{K}) - g_L (V - E_L), \qquad
        \frac{dx}{dt} = \alpha_x(V)(1 - x) - \beta_x(V) x, \quad x \in \{m, h, n\}

    with the rate functions of :func:`hh_gate_rates` (Hodgkin & Huxley 1952, J. Physiol.
    117:500; shifted to the modern convention of a -65 mV resting potential, e.g.
    Dayan & Abbott 2001, ch. 5.6).

    Attributes
    ----------
    c_m : float
        Membrane capacitance (uF/cm2).
    g_na, g_k, g_l : float
        Maximal sodium and potassium conductances and the leak conductance (mS/cm2).
    e_na, e_k, e_l : float
        Reversal potentials (mV); ``e_l = -54.387`` puts the resting potential at -65 mV.
    spike_threshold : float
        A spike is counted when ``V`` crosses this level upwards (mV).

    Examples
    --------
    >>> HHParameters().g_na
    120.0
    """

    c_m: float = 1.0
    g_na: float = 120.0
    g_k: float = 36.0
    g_l: float = 0.3
    e_na: float = 50.0
    e_k: float = -77.0
    e_l: float = -54.387
    spike_threshold: float = 0.0

    def __post_init__(self) -> None:
        check_positive("c_m", self.c_m)
        check_positive("g_na", self.g_na, allow_zero=True)
        check_positive("g_k", self.g_k, allow_zero=True)
        check_positive("g_l", self.g_l, allow_zero=True)
        for name in ("e_na", "e_k", "e_l", "spike_threshold"):
            check_finite(name, getattr(self, name))


class HHState(NamedTuple):
    """State of Hodgkin-Huxley neurons; every field has the same shape, e.g. (B, N).

    Attributes
    ----------
    v : Tensor
        Membrane potential (mV).
    m, h, n : Tensor
        Gating variables in [0, 1]: sodium activation and inactivation, potassium
        activation.
    """

    v: torch.Tensor
    m: torch.Tensor
    h: torch.Tensor
    n: torch.Tensor


_LOG2_E = 1.4426950408889634


@functools.lru_cache(maxsize=32)
def _rate_constants(
    device: torch.device, dtype: torch.dtype, ndim: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Slopes, offsets and scales of the six rates as affine functions of ``u = V + 65``.

    The rows are ordered ``alpha_m, alpha_n, alpha_h, beta_m, beta_n, beta_h`` so that
    each kind of function (``x / (e^x - 1)``, exponential, logistic) and each group
    (the alphas, the betas) is a contiguous slice; shaped ``(6, 1, ..., 1)`` to broadcast
    against ``(1, *S)``.
    """
    slopes = (-0.1, -0.1, -_LOG2_E / 20, -_LOG2_E / 18, -_LOG2_E / 80, 0.1)
    offsets = (2.5, 1.0, math.log2(0.07), 2.0, -3.0, -3.0)  # exponentials in base 2
    shape = (-1,) + (1,) * ndim
    as_tensor = partial(torch.tensor, device=device, dtype=dtype)
    return (
        as_tensor(slopes).view(shape),
        as_tensor(offsets).view(shape),
        as_tensor((1.0, 0.1)).view((2,) + (1,) * ndim),
    )


def _rates_mnh(v: torch.Tensor) -> torch.Tensor:
    """The six rates (1/ms) in the order of :func:`_rate_constants`, shape (6, *S)."""
    slopes, offsets, scales = _rate_constants(v.device, v.dtype, v.ndim)
    z = (v + 65.0).unsqueeze(0) * slopes + offsets  # (6, *S)
    rates = torch.empty_like(z)
    linear = z[0:2]  # alpha_m = x/(e^x - 1) at x = -(V + 40)/10; alpha_n = 0.1 x/(e^x - 1)
    torch.div(linear, torch.expm1(linear), out=rates[0:2])
    torch.nan_to_num_(rates[0:2], nan=1.0)  # the removable singularity x = 0
    rates[0:2] *= scales
    torch.exp2(z[2:5], out=rates[2:5])  # alpha_h, beta_m, beta_n
    torch.sigmoid(z[5], out=rates[5])  # beta_h = 1 / (1 + exp(-(V + 35)/10))
    return rates


def hh_gate_rates(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Opening and closing rates (1/ms) of the gates m, h, n at potential ``v`` (mV).

    .. math::

        \alpha_m = \frac{0.1 (V + 40)}{1 - e^{-(V + 40)/10}}, \quad
        \beta_m = 4 e^{-(V + 65)/18}, \quad
        \alpha_h = 0.07 e^{-(V + 65)/20}, \quad
        \beta_h = \frac{1}{1 + e^{-(V + 35)/10}},

        \alpha_n = \frac{0.01 (V + 55)}{1 - e^{-(V + 55)/10}}, \quad
        \beta_n = 0.125 e^{-(V + 65)/80},

    with the limits :math:`\alpha_m(-40) = 1` and :math:`\alpha_n(-55) = 0.1` at the
    removable singularities (Hodgkin & Huxley 1952, -65 mV rest convention).

    Parameters
    ----------
    v : Tensor, any shape S
        Membrane potential (mV).

    Returns
    -------
    alpha, beta : Tensor, shape (3, *S)
        Rates for ``m``, ``h``, ``n`` in that order (1/ms).

    Examples
    --------
    >>> alpha, beta = hh_gate_rates(torch.tensor([-40.0, -55.0]))
    >>> alpha[0, 0].item(), round(alpha[2, 1].item(), 6)
    (1.0, 0.1)
    """
    if not isinstance(v, torch.Tensor) or not v.is_floating_point():
        raise TypeError("v must be a floating-point torch.Tensor")
    rates = _rates_mnh(v)  # m, n, h order
    order = torch.tensor([0, 2, 1], device=v.device)
    return rates[0:3].index_select(0, order), rates[3:6].index_select(0, order)


def hh_state(
    batch: int,
    neurons: int,
    params: HHParameters | None = None,
    *,
    v: float = -65.0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> HHState:
    r"""Initial state: potential ``v`` and every gate at its steady state there.

    .. math:: x_\infty(V) = \frac{\alpha_x(V)}{\alpha_x(V) + \beta_x(V)}

    Parameters
    ----------
    batch, neurons : int
        The state's shape ``(batch, neurons)``.
    params : HHParameters, optional
        Unused by the steady state; accepted so every ``*_state`` reads alike.
    v : float
        Initial potential (mV), default -65 (the resting potential).

    Examples
    --------
    >>> state = hh_state(1, 1)
    >>> [round(x.item(), 4) for x in (state.m, state.h, state.n)]
    [0.0529, 0.5961, 0.3177]
    """
    check_positive_int("batch", batch)
    check_positive_int("neurons", neurons)
    if params is not None and not isinstance(params, HHParameters):
        raise TypeError(f"params must be HHParameters or None, got {type(params).__name__}")
    v0 = torch.full((batch, neurons), check_finite("v", v), device=device, dtype=dtype)
    alpha, beta = hh_gate_rates(v0)
    gates = alpha / (alpha + beta)  # (3, batch, neurons)
    return HHState(v0, gates[0], gates[1], gates[2])


def _hh_derivatives(
    y: torch.Tensor, current: torch.Tensor | float, p: HHParameters
) -> torch.Tensor:
    """Time derivatives (per ms) of the stacked state ``y = (v, m, n, h)``, shape (4, *S)."""
    v, gates = y[0], y[1:]  # gates in the order m, n, h
    rates = _rates_mnh(v)
    alpha, beta = rates[0:3], rates[3:6]
    out = torch.empty_like(y)
    torch.sub(alpha, (alpha + beta) * gates, out=out[1:])  # alpha (1 - x) - beta x
    m, n, h = gates[0], gates[1], gates[2]
    sodium = (m * m * m * h).mul_(p.g_na)  # conductances, mS/cm2
    n2 = n * n
    potassium = (n2 * n2).mul_(p.g_k)
    # I_ion = sum_k g_k (V - E_k) = V G - sum_k g_k E_k
    total = sodium + potassium + p.g_l
    driving = torch.add(sodium * p.e_na, potassium, alpha=p.e_k) + p.g_l * p.e_l
    torch.sub(driving + current, v * total, out=out[0])
    if p.c_m != 1.0:
        out[0] /= p.c_m
    return out


def hh_step(
    state: HHState,
    params: HHParameters,
    dt: float,
    *,
    current: torch.Tensor | float | None = None,
) -> tuple[HHState, torch.Tensor]:
    r"""Advance Hodgkin-Huxley neurons by ``dt`` with one classical Runge-Kutta (RK4) step.

    The four equations of :class:`HHParameters` are integrated together with RK4, the
    input current held constant over the step. RK4's local error is
    :math:`O(dt^5)`; at ``dt = 1e-5`` s (0.01 ms) it is stable (the fastest gate, m,
    has a time constant near 0.1 ms) and the first spike time moves by less than a
    microsecond when the step is halved.

    Parameters
    ----------
    state : HHState
        Fields of one shape ``S``.
    params : HHParameters
    dt : float
        Time step (s); 1e-5 (0.01 ms) is a good choice.
    current : Tensor or float, optional
        Injected current density (uA/cm2), broadcastable to ``S``.

    Returns
    -------
    state : HHState
        The state at ``t + dt``.
    spikes : Tensor of bool, shape S
        True where ``V`` crossed ``params.spike_threshold`` upwards during the step.

    Examples
    --------
    >>> params = HHParameters()
    >>> state = hh_state(1, 2)
    >>> drive = torch.tensor([[0.0, 10.0]], dtype=torch.float64)
    >>> spikes = torch.zeros(1, 2)
    >>> for _ in range(1000):  # 10 ms at 0.01 ms
    ...     state, fired = hh_step(state, params, 1e-5, current=drive)
    ...     spikes += fired
    >>> spikes.tolist()  # no input: rest; 10 uA/cm2: a spike after about 2 ms
    [[0.0, 1.0]]
    """
    if not isinstance(state, HHState):
        raise TypeError(f"state must be an HHState, got {type(state).__name__}")
    if not isinstance(params, HHParameters):
        raise TypeError(f"params must be HHParameters, got {type(params).__name__}")
    dt = check_dt(dt)
    v = check_state_tensor("state.v", state.v)
    for name in ("m", "h", "n"):
        check_state_tensor(f"state.{name}", getattr(state, name), v)
    if current is None:
        drive: torch.Tensor | float = 0.0
    elif isinstance(current, (int, float)) and not isinstance(current, bool):
        drive = check_finite("current", current)
    else:
        checked = check_input("current", current, v)  # None only for a None current
        drive = 0.0 if checked is None else checked

    h = dt * 1e3  # the rates are per ms
    y = torch.stack((state.v, state.m, state.n, state.h))  # (4, *S), gates m, n, h
    k1 = _hh_derivatives(y, drive, params)
    k2 = _hh_derivatives(torch.add(y, k1, alpha=0.5 * h), drive, params)
    k3 = _hh_derivatives(torch.add(y, k2, alpha=0.5 * h), drive, params)
    k4 = _hh_derivatives(torch.add(y, k3, alpha=h), drive, params)
    slope = torch.add(k1, k2 + k3, alpha=2.0).add_(k4)
    y_new = torch.add(y, slope, alpha=h / 6.0)
    v_new = y_new[0]
    spikes = (v < params.spike_threshold) & (v_new >= params.spike_threshold)
    return HHState(v_new, y_new[1], y_new[3], y_new[2]), spikes
