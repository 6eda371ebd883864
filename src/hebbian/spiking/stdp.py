r"""Spike-timing-dependent plasticity with synaptic traces: the pair rule and the triplet rule.

Shapes: ``B`` independent networks, ``N_pre`` inputs, ``N_post`` neurons. Weights are
``(B, N_post, N_pre)`` (one matrix per network; ``w[b, i, j]`` connects input ``j`` to
neuron ``i``), presynaptic quantities ``(B, N_pre)``, postsynaptic ones ``(B, N_post)``.
Spikes are bool (or 0/1 float) tensors of those shapes, one time step's worth.

Traces jump by 1 at a spike (all-to-all pairing) or are set to 1 (nearest-neighbour
pairing) and decay exactly, ``trace <- trace * exp(-dt / tau)``, so a step function
may be called with any ``dt``: between two events, one step of the whole gap gives
the same traces as many small steps (this is how the pairing recipes skip the silent
seconds between pairings). Time is in seconds; the amplitudes are in weight units for
the additive rules and dimensionless for the multiplicative one.

One step follows the order of Brian2's ``on_pre`` / ``on_post`` pathways: decay the
traces to the current time; on presynaptic spikes depress (with the postsynaptic
trace, which does not yet include this step's postsynaptic spike) and bump the
presynaptic traces; on postsynaptic spikes potentiate (with the presynaptic trace,
which does include this step's presynaptic spike) and bump the postsynaptic traces.
A pre and a post spike in the same step therefore count as "pre before post".

The rules themselves are pure functions returning the weight change
(:func:`pair_depression`, :func:`pair_potentiation`, :func:`triplet_depression`,
:func:`triplet_potentiation`); the step functions apply them, with :func:`clip_weights`
after each, explicitly.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from hebbian._checks import check_enum, check_floating_tensor, check_positive, check_positive_int
from hebbian.spiking._common import check_dt, check_spikes

__all__ = [
    "Bounds",
    "PairSTDPParameters",
    "PairTraces",
    "Pairing",
    "TripletSTDPParameters",
    "TripletTraces",
    "bump_trace",
    "clip_weights",
    "pair_depression",
    "pair_potentiation",
    "pair_stdp_step",
    "pair_traces",
    "pair_window",
    "triplet_depression",
    "triplet_potentiation",
    "triplet_stdp_step",
    "triplet_traces",
]


class Bounds(enum.Enum):
    r"""How the weight change depends on the weight itself.

    ``HARD``
        Additive: :math:`\Delta w_\pm = \pm A_\pm \cdot \text{trace}`, then clipped to
        ``[w_min, w_max]`` (Song, Miller & Abbott 2000).
    ``SOFT``
        Multiplicative (soft bounds): potentiation scales with the room left above,
        depression with the weight above the floor,
        :math:`\Delta w_+ = A_+ (w_\max - w)\,x`, :math:`\Delta w_- = -A_- (w - w_\min)\,y`
        (van Rossum, Bi & Turrigiano 2000; Rubin, Lee & Sompolinsky 2001). The bounds
        are then reached only asymptotically.

    >>> Bounds.SOFT.value
    'soft'
    """

    HARD = "hard"
    SOFT = "soft"


class Pairing(enum.Enum):
    """Which spike pairs interact.

    ``ALL_TO_ALL``
        Every pre spike pairs with every post spike: a trace jumps by 1 at each spike
        and sums the contributions of all earlier spikes.
    ``NEAREST``
        Symmetric nearest-neighbour pairing: a trace is reset to 1 at each spike, so
        only the most recent spike counts (Morrison, Diesmann & Gerstner 2008, Fig. 7;
        the "nearest-spike" model of Pfister & Gerstner 2006).

    >>> Pairing.NEAREST.value
    'nearest'
    """

    ALL_TO_ALL = "all_to_all"
    NEAREST = "nearest"


def _check_bounds_pair(w_min: float, w_max: float) -> None:
    for name, value in (("w_min", w_min), ("w_max", w_max)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise TypeError(f"{name} must be a number (inf allowed), got {value!r}")
    if not w_min < w_max:
        raise ValueError(f"w_min must be below w_max, got w_min={w_min}, w_max={w_max}")


@dataclass(frozen=True)
class PairSTDPParameters:
    r"""Parameters of pair-based STDP.

    For one pre spike at :math:`t_\mathrm{pre}` and one post spike at
    :math:`t_\mathrm{post}`, :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}`, the
    additive rule changes the weight by

    .. math::

        \Delta w = \begin{cases} A_+ e^{-\Delta t / \tau_+} & \Delta t \ge 0 \\
                                -A_- e^{\Delta t / \tau_-} & \Delta t < 0 \end{cases}

    (Bi & Poo 1998; Song, Miller & Abbott 2000), see :func:`pair_window`.

    Attributes
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes, >= 0 (weight units for ``HARD``,
        fractions for ``SOFT``).
    tau_plus, tau_minus : float
        Time constants (s) of the presynaptic and postsynaptic traces.
    w_min, w_max : float
        Weight bounds (``w_min < w_max``; ``-inf`` / ``inf`` allowed with ``HARD``).
    bounds : Bounds
        Additive with hard bounds, or multiplicative (soft bounds).
    pairing : Pairing
        All-to-all or nearest-neighbour spike interaction.

    Examples
    --------
    >>> p = PairSTDPParameters(a_plus=0.01, a_minus=0.0105, w_max=0.01)
    >>> p.tau_plus
    0.02
    """

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus: float = 20e-3
    tau_minus: float = 20e-3
    w_min: float = 0.0
    w_max: float = 1.0
    bounds: Bounds = Bounds.HARD
    pairing: Pairing = Pairing.ALL_TO_ALL

    def __post_init__(self) -> None:
        check_positive("a_plus", self.a_plus, allow_zero=True)
        check_positive("a_minus", self.a_minus, allow_zero=True)
        check_positive("tau_plus", self.tau_plus)
        check_positive("tau_minus", self.tau_minus)
        check_enum("bounds", self.bounds, Bounds)
        check_enum("pairing", self.pairing, Pairing)
        _check_bounds_pair(self.w_min, self.w_max)
        if self.bounds is Bounds.SOFT and not (
            math.isfinite(self.w_min) and math.isfinite(self.w_max)
        ):
            raise ValueError(
                f"soft bounds need finite w_min and w_max, got {self.w_min}, {self.w_max}"
            )


class PairTraces(NamedTuple):
    """Traces of the pair rule.

    Attributes
    ----------
    pre : Tensor, shape (B, N_pre)
        Presynaptic traces ``x`` (decay with ``tau_plus``), dimensionless.
    post : Tensor, shape (B, N_post)
        Postsynaptic traces ``y`` (decay with ``tau_minus``), dimensionless.
    """

    pre: torch.Tensor
    post: torch.Tensor


def pair_traces(
    batch: int,
    n_pre: int,
    n_post: int,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> PairTraces:
    """Zero traces for ``batch`` networks of ``n_pre`` inputs and ``n_post`` neurons.

    >>> traces = pair_traces(2, 3, 1)
    >>> traces.pre.shape, traces.post.shape
    (torch.Size([2, 3]), torch.Size([2, 1]))
    """
    check_positive_int("batch", batch)
    check_positive_int("n_pre", n_pre)
    check_positive_int("n_post", n_post)
    return PairTraces(
        torch.zeros(batch, n_pre, device=device, dtype=dtype),
        torch.zeros(batch, n_post, device=device, dtype=dtype),
    )


def bump_trace(trace: torch.Tensor, spikes: torch.Tensor, pairing: Pairing) -> torch.Tensor:
    """A trace after this step's spikes: ``+1`` (all-to-all) or set to 1 (nearest).

    >>> trace = torch.tensor([0.5, 0.5])
    >>> spikes = torch.tensor([1.0, 0.0])
    >>> bump_trace(trace, spikes, Pairing.ALL_TO_ALL), bump_trace(trace, spikes, Pairing.NEAREST)
    (tensor([1.5000, 0.5000]), tensor([1.0000, 0.5000]))
    """
    check_enum("pairing", pairing, Pairing)
    if pairing is Pairing.ALL_TO_ALL:
        return trace + spikes
    return torch.where(spikes > 0, torch.ones_like(trace), trace)


def _check_weight(weight: object) -> torch.Tensor:
    return check_floating_tensor("weight", weight, ndim=3)


def clip_weights(weight: torch.Tensor, w_min: float, w_max: float) -> torch.Tensor:
    """Clip weights to ``[w_min, w_max]`` (a no-op for infinite bounds).

    >>> clip_weights(torch.tensor([-0.5, 0.5, 1.5]), 0.0, 1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a torch.Tensor, got {type(weight).__name__}")
    _check_bounds_pair(w_min, w_max)
    if math.isinf(w_min) and math.isinf(w_max):
        return weight
    return weight.clamp(
        min=None if math.isinf(w_min) else w_min, max=None if math.isinf(w_max) else w_max
    )


def pair_depression(
    weight: torch.Tensor,
    post_trace: torch.Tensor,
    pre_spikes: torch.Tensor,
    params: PairSTDPParameters,
) -> torch.Tensor:
    r"""Weight change at presynaptic spikes (post-before-pre depression).

    .. math::

        \Delta w_{bij} = -A_-\, f_-(w_{bij})\, y_{bi}\, s^\mathrm{pre}_{bj}, \qquad
        f_- = 1 \ (\text{HARD}), \quad f_- = w - w_\min \ (\text{SOFT})

    Parameters
    ----------
    weight : Tensor, shape (B, N_post, N_pre)
    post_trace : Tensor, shape (B, N_post)
        Postsynaptic traces ``y`` at the time of the spikes.
    pre_spikes : Tensor, shape (B, N_pre)
        This step's presynaptic spikes (bool or 0/1).
    params : PairSTDPParameters

    Returns
    -------
    Tensor, shape (B, N_post, N_pre)
        The change (<= 0), before clipping.

    Examples
    --------
    >>> p = PairSTDPParameters(a_minus=0.5)
    >>> pair_depression(torch.ones(1, 1, 2), torch.tensor([[0.2]]),
    ...                 torch.tensor([[True, False]]), p)
    tensor([[[-0.1000, -0.0000]]])
    """
    weight = _check_weight(weight)
    batch, n_post, n_pre = weight.shape
    post_trace = check_floating_tensor("post_trace", post_trace, shape=(batch, n_post))
    pre = check_spikes("pre_spikes", pre_spikes, (batch, n_pre), weight)
    change = -params.a_minus * post_trace.unsqueeze(2) * pre.unsqueeze(1)  # (B, N_post, N_pre)
    if params.bounds is Bounds.SOFT:
        change = change * (weight - params.w_min)
    return change


def pair_potentiation(
    weight: torch.Tensor,
    pre_trace: torch.Tensor,
    post_spikes: torch.Tensor,
    params: PairSTDPParameters,
) -> torch.Tensor:
    r"""Weight change at postsynaptic spikes (pre-before-post potentiation).

    .. math::

        \Delta w_{bij} = A_+\, f_+(w_{bij})\, x_{bj}\, s^\mathrm{post}_{bi}, \qquad
        f_+ = 1 \ (\text{HARD}), \quad f_+ = w_\max - w \ (\text{SOFT})

    Parameters
    ----------
    weight : Tensor, shape (B, N_post, N_pre)
    pre_trace : Tensor, shape (B, N_pre)
        Presynaptic traces ``x`` at the time of the spikes.
    post_spikes : Tensor, shape (B, N_post)
    params : PairSTDPParameters

    Returns
    -------
    Tensor, shape (B, N_post, N_pre)
        The change (>= 0), before clipping.

    Examples
    --------
    >>> p = PairSTDPParameters(a_plus=0.5, bounds=Bounds.SOFT)
    >>> pair_potentiation(torch.full((1, 1, 1), 0.8), torch.tensor([[1.0]]),
    ...                   torch.tensor([[True]]), p)  # 0.5 * (1 - 0.8) * 1
    tensor([[[0.1000]]])
    """
    weight = _check_weight(weight)
    batch, n_post, n_pre = weight.shape
    pre_trace = check_floating_tensor("pre_trace", pre_trace, shape=(batch, n_pre))
    post = check_spikes("post_spikes", post_spikes, (batch, n_post), weight)
    change = params.a_plus * post.unsqueeze(2) * pre_trace.unsqueeze(1)  # (B, N_post, N_pre)
    if params.bounds is Bounds.SOFT:
        change = change * (params.w_max - weight)
    return change


def pair_stdp_step(
    weight: torch.Tensor,
    traces: PairTraces,
    pre_spikes: torch.Tensor,
    post_spikes: torch.Tensor,
    params: PairSTDPParameters,
    dt: float,
) -> tuple[torch.Tensor, PairTraces]:
    r"""One time step of pair STDP: decay, depress on pre, potentiate on post.

    With :math:`x` the presynaptic and :math:`y` the postsynaptic traces:

    .. math::

        x \leftarrow x e^{-dt/\tau_+}, \quad y \leftarrow y e^{-dt/\tau_-}; \qquad
        w \leftarrow \mathrm{clip}(w + \Delta w_-(y, s^\mathrm{pre})), \quad
        x \leftarrow x + s^\mathrm{pre};

        w \leftarrow \mathrm{clip}(w + \Delta w_+(x, s^\mathrm{post})), \quad
        y \leftarrow y + s^\mathrm{post}

    (``+ s`` becomes "set to 1" with nearest-neighbour pairing). For an isolated
    pre/post pair this gives exactly :func:`pair_window` (Morrison, Diesmann & Gerstner
    2008, sec. 4.1).

    Parameters
    ----------
    weight : Tensor, shape (B, N_post, N_pre)
    traces : PairTraces
        Traces after the previous step.
    pre_spikes : Tensor, shape (B, N_pre)
        Bool or 0/1 spikes in this step.
    post_spikes : Tensor, shape (B, N_post)
    params : PairSTDPParameters
    dt : float
        Time since the previous step (s); any positive value (the decay is exact).

    Returns
    -------
    weight : Tensor, shape (B, N_post, N_pre)
    traces : PairTraces

    Examples
    --------
    A pre spike, then a post spike 10 ms later: :math:`\Delta w = A_+ e^{-10/20}`.

    >>> p = PairSTDPParameters(a_plus=0.01, w_max=1.0)
    >>> w, tr = torch.full((1, 1, 1), 0.5), pair_traces(1, 1, 1, dtype=torch.float32)
    >>> yes, no = torch.ones(1, 1, dtype=torch.bool), torch.zeros(1, 1, dtype=torch.bool)
    >>> w, tr = pair_stdp_step(w, tr, yes, no, p, 1e-3)
    >>> w, tr = pair_stdp_step(w, tr, no, yes, p, 10e-3)
    >>> round(w.item() - 0.5, 6), round(0.01 * math.exp(-0.5), 6)
    (0.006065, 0.006065)
    """
    if not isinstance(params, PairSTDPParameters):
        raise TypeError(f"params must be PairSTDPParameters, got {type(params).__name__}")
    if not isinstance(traces, PairTraces):
        raise TypeError(f"traces must be PairTraces, got {type(traces).__name__}")
    dt = check_dt(dt)
    weight = _check_weight(weight)
    batch, n_post, n_pre = weight.shape
    x = check_floating_tensor("traces.pre", traces.pre, shape=(batch, n_pre))
    y = check_floating_tensor("traces.post", traces.post, shape=(batch, n_post))
    pre = check_spikes("pre_spikes", pre_spikes, (batch, n_pre), weight)
    post = check_spikes("post_spikes", post_spikes, (batch, n_post), weight)

    x = x * math.exp(-dt / params.tau_plus)
    y = y * math.exp(-dt / params.tau_minus)
    weight = clip_weights(weight + pair_depression(weight, y, pre, params), *_bounds(params))
    x = bump_trace(x, pre, params.pairing)
    weight = clip_weights(weight + pair_potentiation(weight, x, post, params), *_bounds(params))
    y = bump_trace(y, post, params.pairing)
    return weight, PairTraces(x, y)


def _bounds(params: PairSTDPParameters | TripletSTDPParameters) -> tuple[float, float]:
    return params.w_min, params.w_max


def pair_window(delta_t: torch.Tensor, params: PairSTDPParameters) -> torch.Tensor:
    r"""The additive pair rule's learning window for one isolated spike pair.

    .. math::

        W(\Delta t) = A_+ e^{-\Delta t/\tau_+} \ (\Delta t \ge 0), \qquad
        W(\Delta t) = -A_- e^{\Delta t/\tau_-} \ (\Delta t < 0),

    with :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}` in seconds (Song, Miller &
    Abbott 2000, eq. 1). Simultaneous spikes count as pre before post, as in
    :func:`pair_stdp_step`.

    Examples
    --------
    >>> p = PairSTDPParameters(a_plus=1.0, a_minus=1.0, tau_plus=0.01, tau_minus=0.01)
    >>> pair_window(torch.tensor([0.01, -0.01]), p)
    tensor([ 0.3679, -0.3679])
    """
    delta_t = check_floating_tensor("delta_t", delta_t)
    causal = params.a_plus * torch.exp(-delta_t.clamp_min(0) / params.tau_plus)
    acausal = -params.a_minus * torch.exp(delta_t.clamp_max(0) / params.tau_minus)
    return torch.where(delta_t >= 0, causal, acausal)


# ======================================================================================
# triplet rule
# ======================================================================================


@dataclass(frozen=True)
class TripletSTDPParameters:
    r"""Parameters of the triplet STDP rule of Pfister & Gerstner (2006).

    Two presynaptic detectors :math:`r_1, r_2` (time constants :math:`\tau_+,
    \tau_x`) and two postsynaptic ones :math:`o_1, o_2` (:math:`\tau_-, \tau_y`):

    .. math::

        \text{pre spike: } w \leftarrow w - o_1 \left[A_2^- + A_3^- r_2(t - \epsilon)\right],
        \qquad
        \text{post spike: } w \leftarrow w + r_1 \left[A_2^+ + A_3^+ o_2(t - \epsilon)\right],

    where :math:`r_2(t-\epsilon)`, :math:`o_2(t-\epsilon)` are read before the spike's
    own increment (Pfister & Gerstner 2006, J. Neurosci. 26:9673, eqs. 3-4). With
    :math:`A_3^\pm = 0` it is the pair rule with :math:`A_\pm = A_2^\pm`.

    Use the class methods for the published parameter sets.

    Attributes
    ----------
    a2_plus, a3_plus, a2_minus, a3_minus : float
        Pair and triplet amplitudes, >= 0 (weight units).
    tau_plus, tau_minus, tau_x, tau_y : float
        Detector time constants (s).
    w_min, w_max : float
        Hard bounds (``-inf`` / ``inf`` allowed).
    pairing : Pairing
        All-to-all (detectors add up) or nearest-spike (detectors saturate at 1).

    Examples
    --------
    >>> TripletSTDPParameters.visual_cortex_all_to_all().a3_plus
    0.0062
    """

    a2_plus: float = 5e-10
    a3_plus: float = 6.2e-3
    a2_minus: float = 7e-3
    a3_minus: float = 2.3e-4
    tau_plus: float = 16.8e-3
    tau_minus: float = 33.7e-3
    tau_x: float = 101e-3
    tau_y: float = 125e-3
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: Pairing = Pairing.ALL_TO_ALL

    def __post_init__(self) -> None:
        for name in ("a2_plus", "a3_plus", "a2_minus", "a3_minus"):
            check_positive(name, getattr(self, name), allow_zero=True)
        for name in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            check_positive(name, getattr(self, name))
        check_enum("pairing", self.pairing, Pairing)
        _check_bounds_pair(self.w_min, self.w_max)

    @classmethod
    def visual_cortex_all_to_all(
        cls, *, w_min: float = 0.0, w_max: float = 1.0
    ) -> TripletSTDPParameters:
        """The full all-to-all model fitted to visual cortex data (Sjöström et al. 2001).

        Pfister & Gerstner (2006), Table 2: tau+ 16.8, tau- 33.7, tau_x 101, tau_y 125 ms;
        A2+ 5e-10, A3+ 6.2e-3, A2- 7e-3, A3- 2.3e-4.

        >>> TripletSTDPParameters.visual_cortex_all_to_all().tau_y
        0.125
        """
        return cls(
            a2_plus=5e-10,
            a3_plus=6.2e-3,
            a2_minus=7e-3,
            a3_minus=2.3e-4,
            tau_plus=16.8e-3,
            tau_minus=33.7e-3,
            tau_x=101e-3,
            tau_y=125e-3,
            w_min=w_min,
            w_max=w_max,
            pairing=Pairing.ALL_TO_ALL,
        )

    @classmethod
    def visual_cortex_minimal_all_to_all(
        cls, *, w_min: float = 0.0, w_max: float = 1.0
    ) -> TripletSTDPParameters:
        """The minimal all-to-all model for the visual cortex data (no pair LTP, no triplet LTD).

        Pfister & Gerstner (2006), Table 2: A2+ 0, A3+ 6.5e-3, A2- 7.1e-3, A3- 0,
        tau_y 114 ms (tau+ 16.8, tau- 33.7 ms; tau_x plays no role since A3- = 0).

        >>> TripletSTDPParameters.visual_cortex_minimal_all_to_all().a2_plus
        0.0
        """
        return cls(
            a2_plus=0.0,
            a3_plus=6.5e-3,
            a2_minus=7.1e-3,
            a3_minus=0.0,
            tau_plus=16.8e-3,
            tau_minus=33.7e-3,
            tau_x=101e-3,
            tau_y=114e-3,
            w_min=w_min,
            w_max=w_max,
            pairing=Pairing.ALL_TO_ALL,
        )


class TripletTraces(NamedTuple):
    """Detectors of the triplet rule.

    Attributes
    ----------
    r1, r2 : Tensor, shape (B, N_pre)
        Presynaptic detectors (time constants ``tau_plus`` and ``tau_x``).
    o1, o2 : Tensor, shape (B, N_post)
        Postsynaptic detectors (time constants ``tau_minus`` and ``tau_y``).
    """

    r1: torch.Tensor
    r2: torch.Tensor
    o1: torch.Tensor
    o2: torch.Tensor


def triplet_traces(
    batch: int,
    n_pre: int,
    n_post: int,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> TripletTraces:
    """Zero detectors for ``batch`` networks of ``n_pre`` inputs and ``n_post`` neurons.

    >>> triplet_traces(1, 4, 2).o2.shape
    torch.Size([1, 2])
    """
    pre = pair_traces(batch, n_pre, n_post, device=device, dtype=dtype)
    return TripletTraces(pre.pre, pre.pre.clone(), pre.post, pre.post.clone())


def triplet_depression(
    o1: torch.Tensor, r2: torch.Tensor, pre_spikes: torch.Tensor, params: TripletSTDPParameters
) -> torch.Tensor:
    r"""Weight change at presynaptic spikes: :math:`-o_1 [A_2^- + A_3^- r_2]`.

    Parameters
    ----------
    o1 : Tensor, shape (B, N_post)
        Postsynaptic detector at the spike time.
    r2 : Tensor, shape (B, N_pre)
        Slow presynaptic detector just before the spike.
    pre_spikes : Tensor, shape (B, N_pre)
    params : TripletSTDPParameters

    Returns
    -------
    Tensor, shape (B, N_post, N_pre)

    Examples
    --------
    >>> p = TripletSTDPParameters(a2_minus=0.01, a3_minus=0.001)
    >>> triplet_depression(torch.tensor([[1.0]]), torch.tensor([[2.0]]),
    ...                    torch.tensor([[1.0]]), p)  # -(0.01 + 0.001 * 2)
    tensor([[[-0.0120]]])
    """
    o1 = check_floating_tensor("o1", o1, ndim=2)
    batch = o1.shape[0]
    r2 = check_floating_tensor("r2", r2, shape=(batch, None))
    pre = check_spikes("pre_spikes", pre_spikes, tuple(r2.shape), r2)
    per_pre = (params.a2_minus + params.a3_minus * r2) * pre  # (B, N_pre)
    return -o1.unsqueeze(2) * per_pre.unsqueeze(1)  # (B, N_post, N_pre)


def triplet_potentiation(
    r1: torch.Tensor, o2: torch.Tensor, post_spikes: torch.Tensor, params: TripletSTDPParameters
) -> torch.Tensor:
    r"""Weight change at postsynaptic spikes: :math:`r_1 [A_2^+ + A_3^+ o_2]`.

    Parameters
    ----------
    r1 : Tensor, shape (B, N_pre)
        Fast presynaptic detector at the spike time.
    o2 : Tensor, shape (B, N_post)
        Slow postsynaptic detector just before the spike.
    post_spikes : Tensor, shape (B, N_post)
    params : TripletSTDPParameters

    Returns
    -------
    Tensor, shape (B, N_post, N_pre)

    Examples
    --------
    >>> p = TripletSTDPParameters(a2_plus=0.0, a3_plus=0.01)
    >>> triplet_potentiation(torch.tensor([[0.5]]), torch.tensor([[1.0]]),
    ...                      torch.tensor([[1.0]]), p)  # 0.5 * (0 + 0.01 * 1)
    tensor([[[0.0050]]])
    """
    r1 = check_floating_tensor("r1", r1, ndim=2)
    batch = r1.shape[0]
    o2 = check_floating_tensor("o2", o2, shape=(batch, None))
    post = check_spikes("post_spikes", post_spikes, tuple(o2.shape), o2)
    per_post = (params.a2_plus + params.a3_plus * o2) * post  # (B, N_post)
    return per_post.unsqueeze(2) * r1.unsqueeze(1)  # (B, N_post, N_pre)


def triplet_stdp_step(
    weight: torch.Tensor,
    traces: TripletTraces,
    pre_spikes: torch.Tensor,
    post_spikes: torch.Tensor,
    params: TripletSTDPParameters,
    dt: float,
) -> tuple[torch.Tensor, TripletTraces]:
    r"""One time step of the triplet rule, in the order of :func:`pair_stdp_step`.

    Decay every detector by :math:`e^{-dt/\tau}`; on pre spikes apply
    :func:`triplet_depression` (with :math:`r_2` before its increment), clip, bump
    :math:`r_1, r_2`; on post spikes apply :func:`triplet_potentiation` (with
    :math:`o_2` before its increment), clip, bump :math:`o_1, o_2`.

    Parameters
    ----------
    weight : Tensor, shape (B, N_post, N_pre)
    traces : TripletTraces
    pre_spikes : Tensor, shape (B, N_pre)
    post_spikes : Tensor, shape (B, N_post)
    params : TripletSTDPParameters
    dt : float
        Time since the previous step (s); the decay is exact for any value.

    Returns
    -------
    weight : Tensor, shape (B, N_post, N_pre)
    traces : TripletTraces

    Examples
    --------
    With the minimal visual-cortex model (no pair potentiation, :math:`A_2^+ = 0`) a
    lone pre-post pair leaves the weight unchanged, but a second post spike 10 ms later
    potentiates, because it sees the :math:`o_2` left by the first:

    >>> p = TripletSTDPParameters.visual_cortex_minimal_all_to_all(w_max=2.0)
    >>> w, tr = torch.ones(1, 1, 1), triplet_traces(1, 1, 1, dtype=torch.float32)
    >>> yes, no = torch.ones(1, 1), torch.zeros(1, 1)
    >>> w, tr = triplet_stdp_step(w, tr, yes, no, p, 1e-3)    # pre at 0
    >>> w, tr = triplet_stdp_step(w, tr, no, yes, p, 10e-3)   # post at 10 ms
    >>> round(w.item() - 1.0, 6)
    0.0
    >>> w, tr = triplet_stdp_step(w, tr, no, yes, p, 10e-3)   # post at 20 ms
    >>> round(w.item() - 1.0, 5)  # r1 A3+ o2 = e^{-20/16.8} 0.0065 e^{-10/114}
    0.00181
    """
    if not isinstance(params, TripletSTDPParameters):
        raise TypeError(f"params must be TripletSTDPParameters, got {type(params).__name__}")
    if not isinstance(traces, TripletTraces):
        raise TypeError(f"traces must be TripletTraces, got {type(traces).__name__}")
    dt = check_dt(dt)
    weight = _check_weight(weight)
    batch, n_post, n_pre = weight.shape
    r1 = check_floating_tensor("traces.r1", traces.r1, shape=(batch, n_pre))
    r2 = check_floating_tensor("traces.r2", traces.r2, shape=(batch, n_pre))
    o1 = check_floating_tensor("traces.o1", traces.o1, shape=(batch, n_post))
    o2 = check_floating_tensor("traces.o2", traces.o2, shape=(batch, n_post))
    pre = check_spikes("pre_spikes", pre_spikes, (batch, n_pre), weight)
    post = check_spikes("post_spikes", post_spikes, (batch, n_post), weight)

    r1 = r1 * math.exp(-dt / params.tau_plus)
    r2 = r2 * math.exp(-dt / params.tau_x)
    o1 = o1 * math.exp(-dt / params.tau_minus)
    o2 = o2 * math.exp(-dt / params.tau_y)
    weight = clip_weights(weight + triplet_depression(o1, r2, pre, params), *_bounds(params))
    r1 = bump_trace(r1, pre, params.pairing)
    r2 = bump_trace(r2, pre, params.pairing)
    weight = clip_weights(weight + triplet_potentiation(r1, o2, post, params), *_bounds(params))
    o1 = bump_trace(o1, post, params.pairing)
    o2 = bump_trace(o2, post, params.pairing)
    return weight, TripletTraces(r1, r2, o1, o2)
