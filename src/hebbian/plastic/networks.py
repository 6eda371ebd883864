r"""Plastic networks trained by backpropagation across episodes, and their baselines.

* :class:`PlasticRecurrentCell`: the fully recurrent plastic network of Miconi, Clune &
  Stanley (ICML 2018, eq. 1),

  .. math::

      x(t) = \tanh\!\big(u(t) + (W + \alpha \odot \mathrm{Hebb}(t-1))\, x(t-1)\big),

  where :math:`u(t)` is the external drive, followed by the trace update of
  :class:`~hebbian.plastic.traces.TraceRule` with pre-synaptic :math:`x(t-1)` and
  post-synaptic :math:`x(t)`. The modulated rules compute their neuromodulator from the
  new activity, :math:`M(t) = \tanh(w_M \cdot x(t) + b_M)` (Backpropamine, Miconi et al.
  ICLR 2019).
* :class:`PlasticLinear`: a feed-forward plastic layer, :math:`y = (W + \alpha \odot
  \mathrm{Hebb})\, x + b`, whose trace the caller updates with
  :meth:`PlasticLinear.plasticity_step` (e.g. with the true label as post-synaptic
  activity, for one-shot learning).
* :class:`RecurrentCell` (non-plastic, same size) and :class:`LSTMNetwork`: baselines.
* :class:`RecurrentNetwork`: an input projection, a recurrent cell and a linear readout.

Weights are ``(N_post, N_pre)`` as everywhere in the library, so the paper's
:math:`w_{ij}` (from :math:`i` to :math:`j`) is ``weight[j, i]``. Every module takes a
``torch.Generator`` for its initial weights and never touches the global seed. Step
methods take an explicit state (``None`` starts new episodes with zero traces) and
return the new one; ``run`` processes a whole ``(T, B, ...)`` sequence.

Fast paths: with the ``DECAYING`` rule and new episodes, :meth:`PlasticRecurrentCell.run`
keeps the trace in factored form and backpropagates through time with a hand-written
backward pass (:mod:`hebbian.plastic.factored`): memory :math:`O(T B N)` instead of
:math:`O(T B N^2)`, the same function as the step-by-step form. With one alpha per
connection, long episodes and large networks it keeps :math:`\alpha \odot \mathrm{Hebb}`
dense instead, refreshed every few steps (:mod:`hebbian.plastic.blocked`), which does
:math:`O(T B N^2)` work instead of :math:`O(T^2 B N^2)`; :class:`RunMethod` ``AUTO``
chooses by :func:`~hebbian.plastic.blocked.prefers_blocked`.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, NamedTuple, Protocol, TypeVar

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_bool,
    check_dtype,
    check_enum,
    check_floating_tensor,
    check_generator,
    check_memory,
    check_positive,
    check_positive_int,
    check_state_tensor,
)
from hebbian.plastic.blocked import blocked_decaying_run, prefers_blocked
from hebbian.plastic.factored import factored_decaying_run
from hebbian.plastic.traces import (
    TraceRule,
    TraceState,
    check_modulation,
    hebb_from_history,
    initial_trace_state,
    plastic_drive_unchecked,
    update_trace_unchecked,
)

__all__ = [
    "AlphaMode",
    "LSTMNetwork",
    "LSTMState",
    "PlasticLinear",
    "PlasticRecurrentCell",
    "PlasticState",
    "RecurrentCell",
    "RecurrentModel",
    "RecurrentNetwork",
    "RecurrentState",
    "RunMethod",
]


class AlphaMode(Enum):
    """Plasticity coefficients: one per connection (the paper's) or one for the network."""

    PER_CONNECTION = "per_connection"
    SHARED = "shared"


class RunMethod(Enum):
    r"""How :meth:`PlasticRecurrentCell.run` computes a sequence.

    ``DENSE`` steps the ``(B, N, N)`` traces with autograd; ``FACTORED`` keeps a decaying
    trace as the episode's activities (``DECAYING`` rule and new episodes only);
    ``BLOCKED`` keeps :math:`\alpha \odot \mathrm{Hebb}` dense, refreshed every
    :data:`~hebbian.plastic.blocked.BLOCK` steps (``DECAYING`` rule, new episodes and a
    per-connection alpha only). ``AUTO`` picks ``BLOCKED`` where it applies and
    :func:`~hebbian.plastic.blocked.prefers_blocked` holds (long episodes, large
    networks, bounded memory), else ``FACTORED`` where it applies, else ``DENSE``. All
    compute the same function; they differ in rounding.
    """

    AUTO = "auto"
    DENSE = "dense"
    FACTORED = "factored"
    BLOCKED = "blocked"


class PlasticState(NamedTuple):
    """State of a batch of episodes of a :class:`PlasticRecurrentCell`.

    Attributes
    ----------
    x : Tensor, shape (B, N)
        The activity :math:`x(t)`.
    trace : TraceState
        The Hebbian (and eligibility) traces, ``(B, N, N)``.
    """

    x: torch.Tensor
    trace: TraceState


class RecurrentState(NamedTuple):
    """State of a :class:`RecurrentCell`: the activity ``x`` (B, N)."""

    x: torch.Tensor


class LSTMState(NamedTuple):
    """State of an :class:`LSTMNetwork`: hidden ``h`` and cell ``c``, each (B, H)."""

    h: torch.Tensor
    c: torch.Tensor


State = TypeVar("State")


class RecurrentModel(Protocol[State]):
    """The interface of every recurrent model here: cells, networks and baselines alike.

    :meth:`run` processes a whole sequence from ``state`` (None: new episodes) and
    returns the outputs and the final state, from which a later :meth:`run` continues;
    :meth:`initial_state` is the state of ``batch`` new episodes. Calling the model
    (``forward``) is one step of the same recurrence.
    """

    def initial_state(self, batch: int) -> State:
        """The state of ``batch`` new episodes."""
        ...

    def run(self, drives: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Outputs (T, B, ...) for ``drives`` (T, B, ...) from ``state``, and the final state."""
        ...


# --------------------------------------------------------------------------------- helpers
def _dtype_or_default(dtype: object) -> torch.dtype:
    """``dtype`` checked to be floating point; None gives PyTorch's default dtype."""
    return torch.get_default_dtype() if dtype is None else check_dtype("dtype", dtype)


class _InputChecks:
    """Checks shared by the modules: inputs match the parameters' dtype and device."""

    def _reference(self) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def _check_input(self, name: str, value: object, shape: tuple[int | None, ...]) -> torch.Tensor:
        tensor = check_floating_tensor(name, value, shape=shape)
        ref = self._reference()
        if tensor.dtype != ref.dtype:
            raise TypeError(f"{name} must have the module's dtype {ref.dtype}, got {tensor.dtype}")
        if tensor.device != ref.device:
            raise ValueError(
                f"{name} must be on the module's device {ref.device}, got {tensor.device}"
            )
        return tensor


# ---------------------------------------------------------------------- recurrent plastic
class PlasticRecurrentCell(_InputChecks, nn.Module):
    r"""A fully recurrent network of ``size`` tanh neurons with plastic connections.

    One step (Miconi et al. 2018, eq. 1; Miconi et al. 2019 for the modulated rules):

    .. math::

        x(t) &= \tanh\big(u(t) + (W + \alpha \odot \mathrm{Hebb}(t-1))\, x(t-1)\big)\\
        M(t) &= \tanh(w_M \cdot x(t) + b_M) \quad \text{(modulated rules only)}\\
        \mathrm{Hebb}(t) &= \mathrm{rule}(\mathrm{Hebb}(t-1), x(t-1), x(t), \eta, M(t))

    Parameters
    ----------
    size : int
        Number of neurons :math:`N`.
    rule : TraceRule, default DECAYING
        The trace update (:mod:`hebbian.plastic.traces`).
    alpha_mode : AlphaMode, default PER_CONNECTION
        One :math:`\alpha_{ji}` per connection, or one shared :math:`\alpha`.
    eta : float, default 0.01
        Initial plasticity rate :math:`\eta` (learned; unused by ``MODULATED``).
    weight_std : float, default 0.01
        Standard deviation of the Gaussian initial :math:`W`.
    alpha_init : float, default 0.01
        Initial :math:`\alpha`: per connection, uniform in ``[0, alpha_init)``; shared,
        exactly ``alpha_init``.
    bound : float, default 1.0
        Clipping bound of the clipped and modulated rules.
    modulator_std : float, optional
        Standard deviation of the Gaussian initial :math:`w_M` (modulated rules only);
        default :math:`1/\sqrt{N}`. A small value starts :math:`M(t)` near 0, so that
        the traces do not reach the clipping bound, where they pass no gradient.
    generator : torch.Generator, optional
        Source of the initial weights.
    device, dtype :
        Where the parameters live.

    Attributes
    ----------
    weight : Parameter, shape (N, N)
    alpha : Parameter, shape (N, N) or ()
    eta : Parameter, shape ()
    modulator_weight : Parameter, shape (1, N), and modulator_bias, shape (1,)
        The neuromodulator head :math:`(w_M, b_M)`, only for the modulated rules.

    Examples
    --------
    >>> cell = PlasticRecurrentCell(4, generator=torch.Generator().manual_seed(0))
    >>> x, state = cell(torch.randn(2, 4, generator=torch.Generator().manual_seed(1)))
    >>> tuple(x.shape), tuple(state.trace.hebb.shape)
    ((2, 4), (2, 4, 4))
    >>> xs, final = cell.run(torch.zeros(5, 2, 4))
    >>> tuple(xs.shape)
    (5, 2, 4)
    """

    def __init__(
        self,
        size: int,
        *,
        rule: TraceRule = TraceRule.DECAYING,
        alpha_mode: AlphaMode = AlphaMode.PER_CONNECTION,
        eta: float = 0.01,
        weight_std: float = 0.01,
        alpha_init: float = 0.01,
        bound: float = 1.0,
        modulator_std: float | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.size = check_positive_int("size", size)
        self.rule: TraceRule = check_enum("rule", rule, TraceRule)
        self.alpha_mode: AlphaMode = check_enum("alpha_mode", alpha_mode, AlphaMode)
        eta = check_positive("eta", eta, allow_zero=True)
        weight_std = check_positive("weight_std", weight_std, allow_zero=True)
        alpha_init = check_positive("alpha_init", alpha_init, allow_zero=True)
        self.bound = check_positive("bound", bound)
        scale = 1.0 / math.sqrt(size) if modulator_std is None else modulator_std
        scale = check_positive("modulator_std", scale, allow_zero=True)
        generator = check_generator("generator", generator)
        dtype = _dtype_or_default(dtype)
        check_memory(  # float64 draws of weight and alpha, before allocating either
            f"size={size} (the {size}x{size} weight and alpha matrices)", 16 * size * size
        )
        self.weight = nn.Parameter(
            _random.normal((size, size), generator, dtype=dtype, device=device) * weight_std
        )
        if alpha_mode is AlphaMode.PER_CONNECTION:
            alpha = (
                _random.uniform((size, size), generator, dtype=dtype, device=device) * alpha_init
            )
        else:
            alpha = torch.tensor(alpha_init, device=device, dtype=dtype)
        self.alpha = nn.Parameter(alpha)
        self.eta = nn.Parameter(torch.tensor(eta, device=device, dtype=dtype))
        if self.rule.modulated:
            self.modulator_weight = nn.Parameter(
                _random.normal((1, size), generator, dtype=dtype, device=device) * scale
            )
            self.modulator_bias = nn.Parameter(torch.zeros(1, device=device, dtype=dtype))

    def _reference(self) -> torch.Tensor:
        return self.weight

    def extra_repr(self) -> str:
        """The sizes, rule and kind of plasticity coefficients, for ``repr``."""
        return f"size={self.size}, rule={self.rule.name}, alpha_mode={self.alpha_mode.name}"

    def initial_state(self, batch: int) -> PlasticState:
        """Zero activity and zero traces for ``batch`` new episodes."""
        check_positive_int("batch", batch)
        w = self.weight
        x = torch.zeros(batch, self.size, device=w.device, dtype=w.dtype)
        trace = initial_trace_state(
            self.rule, batch, self.size, self.size, device=w.device, dtype=w.dtype
        )
        return PlasticState(x, trace)

    def _check_state(self, state: object, batch: int) -> PlasticState:
        if not isinstance(state, PlasticState):
            raise TypeError(f"state must be a PlasticState or None, got {type(state).__name__}")
        n = self.size
        check_state_tensor("state.x", state.x, self.weight, shape=(batch, n))
        check_state_tensor("state.trace.hebb", state.trace.hebb, self.weight, shape=(batch, n, n))
        if self.rule is TraceRule.RETROACTIVE:
            check_state_tensor(
                "state.trace.eligibility", state.trace.eligibility, self.weight, shape=(batch, n, n)
            )
        return state

    def modulation(self, x: torch.Tensor) -> torch.Tensor:
        r"""The neuromodulator :math:`M(t) = \tanh(w_M \cdot x(t) + b_M)`, shape (B, 1)."""
        if not self.rule.modulated:
            raise ValueError(f"rule {self.rule.name} has no neuromodulator")
        x = self._check_input("x", x, (None, self.size))
        return torch.tanh(x @ self.modulator_weight.T + self.modulator_bias)

    def _step(self, drive: torch.Tensor, state: PlasticState) -> tuple[torch.Tensor, PlasticState]:
        pre = state.x
        recurrent = plastic_drive_unchecked(self.weight, self.alpha, state.trace.hebb, pre)
        x = torch.tanh(drive + recurrent)
        m = None
        if self.rule.modulated:
            m = torch.tanh(x @ self.modulator_weight.T + self.modulator_bias)  # (B, 1)
        trace = update_trace_unchecked(self.rule, state.trace, pre, x, self.eta, m, self.bound)
        return x, PlasticState(x, trace)

    def forward(
        self, drive: torch.Tensor, state: PlasticState | None = None
    ) -> tuple[torch.Tensor, PlasticState]:
        """One step: the new activity (B, N) and the new state.

        ``drive`` (B, N) is the external input :math:`u(t)`; ``state=None`` starts new
        episodes (zero activity, zero traces).
        """
        drive = self._check_input("drive", drive, (None, self.size))
        batch = drive.shape[0]
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        return self._step(drive, state)

    def _choose_method(self, drives: object, state: object, method: object) -> RunMethod:
        """The method that :meth:`run` uses: ``DENSE``, ``FACTORED`` or ``BLOCKED``."""
        drives = self._check_input("drives", drives, (None, None, self.size))
        method = check_enum("method", method, RunMethod)
        if drives.shape[0] == 0:
            raise ValueError("drives must hold at least one step, got T = 0")
        factored_ok = self.rule is TraceRule.DECAYING and state is None
        blocked_ok = factored_ok and self.alpha_mode is AlphaMode.PER_CONNECTION
        given = "given" if state is not None else "new"
        if method is RunMethod.FACTORED and not factored_ok:
            raise ValueError(
                "method FACTORED needs rule DECAYING and state=None (new episodes), got "
                f"rule {self.rule.name} and a {given} state"
            )
        if method is RunMethod.BLOCKED and not blocked_ok:
            raise ValueError(
                "method BLOCKED needs rule DECAYING, alpha_mode PER_CONNECTION and state=None "
                f"(new episodes), got rule {self.rule.name}, alpha_mode "
                f"{self.alpha_mode.name} and a {given} state"
            )
        if method is not RunMethod.AUTO:
            return method
        steps, batch, _ = drives.shape
        if blocked_ok and prefers_blocked(steps, batch, self.size, drives.element_size()):
            return RunMethod.BLOCKED
        return RunMethod.FACTORED if factored_ok else RunMethod.DENSE

    def _run_fast(self, drives: torch.Tensor, method: RunMethod) -> torch.Tensor:
        if method is RunMethod.BLOCKED:
            return blocked_decaying_run(drives, self.weight, self.alpha, self.eta)
        return factored_decaying_run(drives, self.weight, self.alpha, self.eta)

    def _run_dense(
        self, drives: torch.Tensor, state: PlasticState | None
    ) -> tuple[torch.Tensor, PlasticState]:
        steps, batch, _ = drives.shape
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        outputs = []
        for t in range(steps):
            x, state = self._step(drives[t], state)
            outputs.append(x)
        return torch.stack(outputs), state

    def run(
        self,
        drives: torch.Tensor,
        state: PlasticState | None = None,
        *,
        method: RunMethod = RunMethod.AUTO,
    ) -> tuple[torch.Tensor, PlasticState]:
        """Run ``T`` steps: activities (T, B, N) and the final state.

        ``drives`` is ``(T, B, N)``. ``method`` chooses the algorithm (:class:`RunMethod`);
        all give the same numbers up to rounding. The ``FACTORED`` and ``BLOCKED``
        methods need the ``DECAYING`` rule and ``state=None`` (``BLOCKED`` also a
        per-connection alpha); their final trace is then rebuilt from the activities (a
        ``(B, N, N)`` product): use :meth:`run_activity` when only the activities are
        needed.
        """
        chosen = self._choose_method(drives, state, method)
        if chosen is RunMethod.DENSE:
            return self._run_dense(drives, state)
        activity = self._run_fast(drives, chosen)
        post = activity.transpose(0, 1)  # x_1 .. x_T, (B, T, N)
        pre = torch.cat([torch.zeros_like(post[:, :1]), post[:, :-1]], dim=1)  # x_0 .. x_{T-1}
        hebb = hebb_from_history(self.eta, pre, post)  # (B, N, N)
        return activity, PlasticState(activity[-1], TraceState(hebb))

    def run_activity(
        self,
        drives: torch.Tensor,
        state: PlasticState | None = None,
        *,
        method: RunMethod = RunMethod.AUTO,
    ) -> torch.Tensor:
        """The activities of :meth:`run`, without building the final state: the fast path.

        :meth:`run` is the interface every recurrent model shares; this is for callers
        that need only the activities (e.g. :func:`~hebbian.plastic.completion`). With
        the ``FACTORED`` method no ``(B, N, N)`` tensor is ever made, so memory stays
        :math:`O(T B N)`; the ``BLOCKED`` method keeps
        :math:`O(T B N^2 / k)` (:func:`~hebbian.plastic.blocked.blocked_memory`).

        Parameters
        ----------
        drives : Tensor, shape (T, B, N)
            The external drives.
        state : PlasticState, optional
            As in :meth:`run` (None: new episodes).
        method : RunMethod, default AUTO
            As in :meth:`run`.

        Returns
        -------
        Tensor, shape (T, B, N)
            The activities, equal to ``run(drives, state, method=method)[0]``.
        """
        chosen = self._choose_method(drives, state, method)
        if chosen is RunMethod.DENSE:
            return self._run_dense(drives, state)[0]
        return self._run_fast(drives, chosen)


# ------------------------------------------------------------------------------ baselines
class RecurrentCell(_InputChecks, nn.Module):
    r"""The non-plastic baseline: :math:`x(t) = \tanh(u(t) + W x(t-1))`, same neurons.

    Parameters
    ----------
    size : int
        Number of neurons :math:`N`.
    weight_std : float, optional
        Standard deviation of the Gaussian initial :math:`W`; default
        :math:`1/\sqrt{N}`.
    generator, device, dtype :
        As in :class:`PlasticRecurrentCell`.

    Examples
    --------
    >>> cell = RecurrentCell(3, generator=torch.Generator().manual_seed(0))
    >>> xs, state = cell.run(torch.ones(4, 2, 3))
    >>> tuple(xs.shape), tuple(state.x.shape)
    ((4, 2, 3), (2, 3))
    """

    def __init__(
        self,
        size: int,
        *,
        weight_std: float | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.size = check_positive_int("size", size)
        std = 1.0 / math.sqrt(size) if weight_std is None else weight_std
        std = check_positive("weight_std", std, allow_zero=True)
        dtype = _dtype_or_default(dtype)
        generator = check_generator("generator", generator)
        self.weight = nn.Parameter(
            _random.normal((size, size), generator, dtype=dtype, device=device) * std
        )

    def _reference(self) -> torch.Tensor:
        return self.weight

    def initial_state(self, batch: int) -> RecurrentState:
        """Zero activity for ``batch`` new episodes."""
        check_positive_int("batch", batch)
        w = self.weight
        return RecurrentState(torch.zeros(batch, self.size, device=w.device, dtype=w.dtype))

    def _check_state(self, state: object, batch: int) -> RecurrentState:
        if not isinstance(state, RecurrentState):
            raise TypeError(f"state must be a RecurrentState or None, got {type(state).__name__}")
        check_state_tensor("state.x", state.x, self.weight, shape=(batch, self.size))
        return state

    def forward(
        self, drive: torch.Tensor, state: RecurrentState | None = None
    ) -> tuple[torch.Tensor, RecurrentState]:
        """One step: the new activity (B, N) and the new state."""
        drive = self._check_input("drive", drive, (None, self.size))
        batch = drive.shape[0]
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        x = torch.tanh(drive + state.x @ self.weight.T)
        return x, RecurrentState(x)

    def run(
        self, drives: torch.Tensor, state: RecurrentState | None = None
    ) -> tuple[torch.Tensor, RecurrentState]:
        """Run ``T`` steps of ``drives`` (T, B, N): activities (T, B, N) and the final state."""
        drives = self._check_input("drives", drives, (None, None, self.size))
        steps, batch, _ = drives.shape
        if steps == 0:
            raise ValueError("drives must hold at least one step, got T = 0")
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        x = state.x
        outputs = []
        for t in range(steps):
            x = torch.tanh(drives[t] + x @ self.weight.T)
            outputs.append(x)
        return torch.stack(outputs), RecurrentState(x)


def _linear_parameters(
    in_features: int,
    out_features: int,
    generator: torch.Generator | None,
    device: torch.device | str | None,
    dtype: torch.dtype,
) -> tuple[nn.Parameter, nn.Parameter]:
    """PyTorch's default ``nn.Linear`` initialisation, drawn from ``generator``."""
    bound = 1.0 / math.sqrt(in_features)
    weight = (
        _random.uniform((out_features, in_features), generator, dtype=dtype, device=device) * 2 - 1
    ) * bound
    bias = (_random.uniform((out_features,), generator, dtype=dtype, device=device) * 2 - 1) * bound
    return nn.Parameter(weight), nn.Parameter(bias)


class LSTMNetwork(_InputChecks, nn.Module):
    """The LSTM baseline: one LSTM layer of ``hidden_size`` units and a linear readout.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
    generator, device, dtype :
        As in :class:`PlasticRecurrentCell`; the weights follow PyTorch's default
        uniform initialisation, drawn from ``generator``.

    Examples
    --------
    >>> net = LSTMNetwork(3, 8, 2, generator=torch.Generator().manual_seed(0))
    >>> ys, state = net.run(torch.zeros(5, 4, 3))
    >>> tuple(ys.shape), tuple(state.h.shape)
    ((5, 4, 2), (4, 8))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = check_positive_int("output_size", output_size)
        generator = check_generator("generator", generator)
        dtype = _dtype_or_default(dtype)
        # built on the meta device, so that PyTorch's initialiser never draws from the
        # global generator, then filled from ``generator``
        self.lstm = nn.LSTM(input_size, hidden_size, device="meta", dtype=dtype)
        self.lstm.to_empty(device=torch.device("cpu") if device is None else device)
        bound = 1.0 / math.sqrt(hidden_size)
        with torch.no_grad():
            for param in self.lstm.parameters():
                fresh = _random.uniform(
                    tuple(param.shape), generator, dtype=dtype, device=param.device
                )
                param.copy_((fresh * 2 - 1) * bound)
        self.readout_weight, self.readout_bias = _linear_parameters(
            hidden_size, output_size, generator, device, dtype
        )

    def _reference(self) -> torch.Tensor:
        return self.readout_weight

    def initial_state(self, batch: int) -> LSTMState:
        """Zero hidden and cell states for ``batch`` new episodes."""
        check_positive_int("batch", batch)
        w = self.readout_weight
        zeros = torch.zeros(batch, self.hidden_size, device=w.device, dtype=w.dtype)
        return LSTMState(zeros, zeros.clone())

    def _check_state(self, state: object, batch: int) -> LSTMState:
        if not isinstance(state, LSTMState):
            raise TypeError(f"state must be an LSTMState or None, got {type(state).__name__}")
        for name, value in zip(("h", "c"), state, strict=True):
            check_state_tensor(
                f"state.{name}", value, self.readout_weight, shape=(batch, self.hidden_size)
            )
        return state

    def run(
        self, drives: torch.Tensor, state: LSTMState | None = None
    ) -> tuple[torch.Tensor, LSTMState]:
        """Run a sequence ``drives`` (T, B, input_size): outputs (T, B, output_size), state."""
        drives = self._check_input("drives", drives, (None, None, self.input_size))
        if drives.shape[0] == 0:
            raise ValueError("drives must hold at least one step, got T = 0")
        batch = drives.shape[1]
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        hidden, (h, c) = self.lstm(drives, (state.h[None], state.c[None]))  # (T, B, H)
        outputs = hidden @ self.readout_weight.T + self.readout_bias
        return outputs, LSTMState(h[0], c[0])

    def forward(
        self, drive: torch.Tensor, state: LSTMState | None = None
    ) -> tuple[torch.Tensor, LSTMState]:
        """One step of ``drive`` (B, input_size): outputs (B, output_size) and the state."""
        drive = self._check_input("drive", drive, (None, self.input_size))
        outputs, state = self.run(drive[None], state)
        return outputs[0], state


class RecurrentNetwork(_InputChecks, nn.Module):
    r"""A recurrent cell between a linear input projection and a linear readout.

    .. math:: u(t) = W_{in} i(t) + b_{in}, \qquad o(t) = W_{out} x(t) + b_{out}

    with :math:`x(t)` the activity of ``cell`` (a :class:`PlasticRecurrentCell` or a
    :class:`RecurrentCell`) driven by :math:`u(t)`.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> net = RecurrentNetwork(PlasticRecurrentCell(6, generator=g), 3, 2, generator=g)
    >>> out, state = net(torch.zeros(4, 3))
    >>> tuple(out.shape), tuple(state.trace.hebb.shape)
    ((4, 2), (4, 6, 6))
    """

    def __init__(
        self,
        cell: PlasticRecurrentCell | RecurrentCell,
        input_size: int,
        output_size: int,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(cell, (PlasticRecurrentCell, RecurrentCell)):
            raise TypeError(
                f"cell must be a PlasticRecurrentCell or a RecurrentCell, got {type(cell).__name__}"
            )
        self.cell = cell
        self.input_size = check_positive_int("input_size", input_size)
        self.output_size = check_positive_int("output_size", output_size)
        generator = check_generator("generator", generator)
        device, dtype = cell.weight.device, cell.weight.dtype
        self.input_weight, self.input_bias = _linear_parameters(
            input_size, cell.size, generator, device, dtype
        )
        self.readout_weight, self.readout_bias = _linear_parameters(
            cell.size, output_size, generator, device, dtype
        )

    def _reference(self) -> torch.Tensor:
        return self.readout_weight

    def initial_state(self, batch: int) -> Any:
        """The cell's initial state for ``batch`` new episodes."""
        return self.cell.initial_state(batch)

    def forward(self, drive: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One step of ``drive`` (B, input_size): outputs (B, output_size) and the state.

        ``state`` is the cell's (:class:`PlasticState` or :class:`RecurrentState`; None
        starts new episodes).
        """
        drive = self._check_input("drive", drive, (None, self.input_size))
        x, state = self.cell(drive @ self.input_weight.T + self.input_bias, state)
        return x @ self.readout_weight.T + self.readout_bias, state

    def run(self, drives: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Run ``drives`` (T, B, input_size): outputs (T, B, output_size) and the final state."""
        drives = self._check_input("drives", drives, (None, None, self.input_size))
        activity, state = self.cell.run(drives @ self.input_weight.T + self.input_bias, state)
        return activity @ self.readout_weight.T + self.readout_bias, state


# ---------------------------------------------------------------------------- feed-forward
class PlasticLinear(_InputChecks, nn.Module):
    r"""A feed-forward layer with plastic connections (Miconi et al. 2018, section 4.2).

    .. math:: y = (W + \alpha \odot \mathrm{Hebb})\, x + b

    Reading (:meth:`forward`) leaves the trace alone; :meth:`plasticity_step` applies the
    layer's rule to the coincidences of a given pre- and post-synaptic activity, e.g.
    the features of a labelled example and its one-hot label.

    Parameters
    ----------
    in_features, out_features : int
    rule : TraceRule, default DECAYING
    alpha_mode : AlphaMode, default PER_CONNECTION
    eta : float, default 0.01
        Initial (learned) plasticity rate.
    bias : bool, default True
    weight_std : float, optional
        Standard deviation of the Gaussian initial :math:`W`; default
        :math:`1/\sqrt{\text{in\_features}}`.
    alpha_init, bound, generator, device, dtype :
        As in :class:`PlasticRecurrentCell`.

    Examples
    --------
    >>> layer = PlasticLinear(3, 2, weight_std=0.0, alpha_init=1.0, bias=False, eta=0.5,
    ...                       alpha_mode=AlphaMode.SHARED)
    >>> x = torch.tensor([[1.0, 0.0, 0.0]])
    >>> state = layer.plasticity_step(x, torch.tensor([[0.0, 1.0]]))  # Hebb = 0.5 y x^T
    >>> layer(x, state)
    tensor([[0.0000, 0.5000]], grad_fn=<AddBackward0>)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rule: TraceRule = TraceRule.DECAYING,
        alpha_mode: AlphaMode = AlphaMode.PER_CONNECTION,
        eta: float = 0.01,
        bias: bool = True,
        weight_std: float | None = None,
        alpha_init: float = 0.01,
        bound: float = 1.0,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.rule: TraceRule = check_enum("rule", rule, TraceRule)
        self.alpha_mode: AlphaMode = check_enum("alpha_mode", alpha_mode, AlphaMode)
        check_bool("bias", bias)
        eta = check_positive("eta", eta, allow_zero=True)
        std = 1.0 / math.sqrt(in_features) if weight_std is None else weight_std
        std = check_positive("weight_std", std, allow_zero=True)
        alpha_init = check_positive("alpha_init", alpha_init, allow_zero=True)
        self.bound = check_positive("bound", bound)
        generator = check_generator("generator", generator)
        dtype = _dtype_or_default(dtype)
        shape = (out_features, in_features)
        check_memory(  # float64 draws of weight and alpha, before allocating either
            f"in_features={in_features}, out_features={out_features} (the weight and alpha "
            "matrices)",
            16 * in_features * out_features,
        )
        self.weight = nn.Parameter(
            _random.normal(shape, generator, dtype=dtype, device=device) * std
        )
        if alpha_mode is AlphaMode.PER_CONNECTION:
            alpha = _random.uniform(shape, generator, dtype=dtype, device=device) * alpha_init
        else:
            alpha = torch.tensor(alpha_init, device=device, dtype=dtype)
        self.alpha = nn.Parameter(alpha)
        self.eta = nn.Parameter(torch.tensor(eta, device=device, dtype=dtype))
        self.bias = (
            nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype)) if bias else None
        )

    def _reference(self) -> torch.Tensor:
        return self.weight

    def extra_repr(self) -> str:
        """The sizes, rule and kind of plasticity coefficients, for ``repr``."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rule={self.rule.name}, alpha_mode={self.alpha_mode.name}"
        )

    def initial_state(self, batch: int) -> TraceState:
        """Zero traces for ``batch`` new episodes."""
        check_positive_int("batch", batch)
        w = self.weight
        return initial_trace_state(
            self.rule, batch, self.out_features, self.in_features, device=w.device, dtype=w.dtype
        )

    def _check_state(self, state: object, batch: int) -> TraceState:
        if not isinstance(state, TraceState):
            raise TypeError(f"state must be a TraceState or None, got {type(state).__name__}")
        shape = (batch, self.out_features, self.in_features)
        check_state_tensor("state.hebb", state.hebb, self.weight, shape=shape)
        if self.rule is TraceRule.RETROACTIVE:
            check_state_tensor("state.eligibility", state.eligibility, self.weight, shape=shape)
        return state

    def forward(self, x: torch.Tensor, state: TraceState | None = None) -> torch.Tensor:
        """The outputs (B, out_features) for inputs ``x`` (B, in_features) and traces ``state``."""
        x = self._check_input("x", x, (None, self.in_features))
        if state is None:
            y = x @ self.weight.T
        else:
            y = plastic_drive_unchecked(
                self.weight, self.alpha, self._check_state(state, x.shape[0]).hebb, x
            )
        return y if self.bias is None else y + self.bias

    def plasticity_step(
        self,
        pre: torch.Tensor,
        post: torch.Tensor,
        state: TraceState | None = None,
        modulation: torch.Tensor | None = None,
    ) -> TraceState:
        """Update the traces with the coincidences of ``pre`` (B, in) and ``post`` (B, out).

        ``modulation`` (B,), (B, 1) or (B, out) is required by the modulated rules.
        """
        pre = self._check_input("pre", pre, (None, self.in_features))
        batch = pre.shape[0]
        post = self._check_input("post", post, (batch, self.out_features))
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        if self.rule.modulated:
            if modulation is None:
                raise ValueError(f"rule {self.rule.name} needs a modulation tensor, got None")
            modulation = check_modulation(modulation, post)
        elif modulation is not None:
            raise ValueError(f"rule {self.rule.name} takes no modulation; pass modulation=None")
        return update_trace_unchecked(self.rule, state, pre, post, self.eta, modulation, self.bound)
