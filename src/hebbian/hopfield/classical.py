r"""Classical binary Hopfield network (Hopfield 1982) with states in {-1, +1}.

The maths as pure functions plus one estimator:

* storage rules returning a weight matrix ``W`` (N, N): :func:`hebb_weights`,
  :func:`storkey_weights`, :func:`pseudo_inverse_weights` (their home is
  :mod:`hebbian.hopfield.storage`; re-exported here);
* :func:`energy` and :func:`local_field`;
* update dynamics: :func:`synchronous_step`, :func:`update_neuron` (one neuron per cue,
  with the local fields kept up to date by a rank-1 correction) and
  :func:`asynchronous_sweep` (N single-neuron updates, deterministic or Glauber, done a
  block at a time by :mod:`hebbian.hopfield.sweeps`);
* :class:`HopfieldNetwork`, with scikit-learn manners (``fit`` / ``partial_fit`` /
  ``store`` / ``recall``), recalling through the loop of :mod:`hebbian.hopfield.recall`.

Conventions used throughout (the same as the reference card):

.. math::

    h_i = \sum_j W_{ij} s_j - b_i, \qquad
    s_i \leftarrow \operatorname{sign}(h_i), \qquad
    E(s) = -\tfrac12 s^\top W s + b^\top s .

``sign(0)`` keeps the current state of the neuron (a tie never flips it), so a state is
a fixed point exactly when no neuron has a field of the opposite sign.

States are batched: ``(B, N)`` tensors of floats equal to -1.0 or +1.0, B cues at once.
Everything is allocated with the device and dtype of the inputs; random draws come from
a ``torch.Generator`` passed in (never from a global seed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from hebbian._checks import (
    check_bool,
    check_floating_tensor,
    check_generator,
    check_positive_int,
    check_same_device,
)
from hebbian._random import uniform
from hebbian.hopfield._common import (
    TIE_TOLERANCE,
    RecallResult,
    UpdateRule,
    check_bias,
    check_binary,
    check_cue_orders,
    check_sweep_orders,
    check_temperature,
    check_update_rule,
    check_weights,
    integer_dtype,
    random_cue_orders,
    sign_keep,
)
from hebbian.hopfield.recall import Sweep, recall_loop
from hebbian.hopfield.storage import (
    StorageRule,
    hebb_counts,
    hebb_weights,
    pseudo_inverse_weights,
    storkey_weights,
)
from hebbian.hopfield.sweeps import DenseFields, FieldKeeper, HebbFields, minus_thresholds, sweep_

__all__ = [
    "FieldState",
    "HopfieldNetwork",
    "RecallResult",
    "StorageRule",
    "UpdateRule",
    "asynchronous_sweep",
    "energy",
    "field_state",
    "hebb_weights",
    "local_field",
    "pseudo_inverse_weights",
    "storkey_weights",
    "synchronous_step",
    "update_neuron",
]


# --------------------------------------------------------------------------------------
# energy and fields
# --------------------------------------------------------------------------------------


def energy(
    states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Hopfield energy :math:`E(s) = -\tfrac12 s^\top W s + b^\top s` for a batch of states.

    Parameters
    ----------
    states : Tensor, shape (B, N)
    weights : Tensor, shape (N, N)
    bias : Tensor, shape (N,), optional
        Thresholds :math:`b`; default zero.

    Returns
    -------
    Tensor, shape (B,)

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> energy(torch.tensor([[1.0, 1.0], [1.0, -1.0]]), w)
    tensor([-1.,  1.])
    """
    states = check_floating_tensor("states", states, ndim=2)
    weights = check_weights(weights, states.shape[1], states)
    bias = check_bias(bias, states.shape[1], states)
    quadratic = ((states @ weights.T) * states).sum(dim=1)  # (B,)
    result = -0.5 * quadratic
    if bias is not None:
        result = result + states @ bias
    return result


def local_field(
    states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Local fields :math:`h_i = \sum_j W_{ij} s_j - b_i`.

    Parameters
    ----------
    states : Tensor, shape (B, N)
    weights : Tensor, shape (N, N)
    bias : Tensor, shape (N,), optional

    Returns
    -------
    Tensor, shape (B, N)

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> local_field(torch.tensor([[1.0, -1.0]]), w, bias=torch.tensor([0.5, 0.0]))
    tensor([[-1.5000,  1.0000]])
    """
    states = check_floating_tensor("states", states, ndim=2)
    weights = check_weights(weights, states.shape[1], states)
    bias = check_bias(bias, states.shape[1], states)
    return _fields(states, weights, bias)


def _fields(states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None):
    fields = states @ weights.T  # (B, N)
    if bias is not None:
        fields = fields - bias
    return fields


# --------------------------------------------------------------------------------------
# dynamics
# --------------------------------------------------------------------------------------


def synchronous_step(
    states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    r"""One synchronous (Little) update of all neurons.

    .. math:: s \leftarrow \operatorname{sign}(W s - b)

    Ties (:math:`h_i = 0`) keep the current state.

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    weights : Tensor, shape (N, N)
    bias : Tensor, shape (N,), optional

    Returns
    -------
    Tensor, shape (B, N)

    Examples
    --------
    Two neurons with a positive coupling started at (+1, -1) swap forever (a 2-cycle):

    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> synchronous_step(torch.tensor([[1.0, -1.0]]), w)
    tensor([[-1.,  1.]])
    """
    states = check_binary("states", states, ndim=2)
    weights = check_weights(weights, states.shape[1], states)
    bias = check_bias(bias, states.shape[1], states)
    return sign_keep(_fields(states, weights, bias), states)


class FieldState(NamedTuple):
    """States together with their local fields, for asynchronous dynamics.

    Attributes
    ----------
    states : Tensor, shape (B, N)
        Entries in {-1, +1}.
    fields : Tensor, shape (B, N)
        ``h = s W^T - b``, kept consistent with ``states`` by :func:`update_neuron`.
    """

    states: torch.Tensor
    fields: torch.Tensor


def field_state(
    states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None = None
) -> FieldState:
    """Build the :class:`FieldState` of ``states`` (computes the fields once, O(B N²)).

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> field_state(torch.tensor([[1.0, -1.0]]), w).fields
    tensor([[-1.,  1.]])
    """
    states = check_binary("states", states, ndim=2)
    weights = check_weights(weights, states.shape[1], states)
    bias = check_bias(bias, states.shape[1], states)
    return FieldState(states.clone(), _fields(states, weights, bias))


def _new_values(
    current: torch.Tensor, field: torch.Tensor, temperature: float, draws: torch.Tensor | None
) -> torch.Tensor:
    """New values of the updated neurons (B,): deterministic sign or Glauber draw."""
    if temperature == 0.0:
        return sign_keep(field, current)
    probability_up = torch.sigmoid(2.0 * field / temperature)  # (B,)
    assert draws is not None  # internal invariant: callers draw when temperature > 0
    return torch.where(draws < probability_up, 1.0, -1.0).to(current.dtype)


def _update_neuron_(
    states: torch.Tensor,
    fields: torch.Tensor,
    index: torch.Tensor,
    weights_t: torch.Tensor,
    temperature: float,
    draws: torch.Tensor | None,
) -> torch.Tensor:
    """In place: update neuron ``index[b]`` of every cue b; return the flip mask (B,)."""
    column = index[:, None]  # (B, 1)
    current = states.gather(1, column).squeeze(1)  # (B,)
    field = fields.gather(1, column).squeeze(1)  # (B,)
    new = _new_values(current, field, temperature, draws)  # (B,)
    change = new - current  # (B,) in {-2, 0, 2}
    states.scatter_(1, column, new[:, None])
    # rank-1 correction: h_j += W_ji * (s_i' - s_i); row index of W^T is column of W
    fields.add_(change[:, None] * weights_t.index_select(0, index))  # (B, N)
    return change != 0


def update_neuron(
    state: FieldState,
    index: int | torch.Tensor,
    weights: torch.Tensor,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> FieldState:
    r"""Update one neuron of every cue and correct the local fields (rank-1, O(B N)).

    Cue ``b`` updates neuron ``i = index[b]``:

    * ``temperature == 0``: :math:`s_i \leftarrow \operatorname{sign}(h_i)`, a tie keeps
      :math:`s_i`;
    * ``temperature = T > 0`` (Glauber): :math:`s_i = +1` with probability
      :math:`\sigma(2 h_i / T) = 1 / (1 + e^{-2 h_i / T})`, else -1.

    Then :math:`h_j \leftarrow h_j + W_{ji} (s_i' - s_i)` for all ``j``, so the fields stay
    exact without recomputing :math:`W s`. With symmetric weights and
    :math:`W_{ii} \ge 0`, a deterministic update never raises the energy.

    Parameters
    ----------
    state : FieldState
        Current states and fields (see :func:`field_state`); not modified.
    index : int or Tensor of shape (B,), int64
        Neuron to update, shared by all cues (int) or one per cue.
    weights : Tensor, shape (N, N)
        The weights the fields were computed with.
    temperature : float, default 0
    generator : torch.Generator, optional
        Source of the uniform draws when ``temperature > 0``.

    Returns
    -------
    FieldState
        New states and fields.

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> s = field_state(torch.tensor([[1.0, -1.0]]), w)
    >>> update_neuron(s, 0, w).states
    tensor([[-1., -1.]])
    """
    if not isinstance(state, FieldState):
        raise TypeError(f"state must be a FieldState, got {type(state).__name__}")
    states = check_binary("state.states", state.states, ndim=2)
    fields = check_floating_tensor("state.fields", state.fields, shape=tuple(states.shape))
    batch, n = states.shape
    weights = check_weights(weights, n, states)
    temperature = check_temperature(temperature)
    generator = check_generator("generator", generator)
    if isinstance(index, bool) or not isinstance(index, (int, torch.Tensor)):
        raise TypeError(f"index must be an int or an int64 tensor, got {type(index).__name__}")
    if isinstance(index, int):
        index = torch.full((batch,), index, dtype=torch.int64, device=states.device)
    elif index.dtype not in (torch.int64, torch.int32) or index.shape != (batch,):
        raise ValueError(
            f"index must be an integer tensor of shape ({batch},), got dtype {index.dtype} "
            f"and shape {tuple(index.shape)}"
        )
    index = index.to(device=states.device, dtype=torch.int64)
    if bool(((index < 0) | (index >= n)).any()):
        raise ValueError(f"index must lie in [0, {n - 1}], got {index.tolist()}")
    draws = None
    if temperature > 0:
        draws = uniform((batch,), generator, device=states.device, draw_dtype=states.dtype)
    new_states, new_fields = states.clone(), fields.clone()
    _update_neuron_(new_states, new_fields, index, weights.T, temperature, draws)
    return FieldState(new_states, new_fields)


def asynchronous_sweep(
    states: torch.Tensor,
    weights: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    cue_orders: torch.Tensor | None = None,
    shared_order: bool = False,
) -> torch.Tensor:
    r"""One asynchronous sweep: N single-neuron updates, in a random order.

    Every cue ``b`` updates its neurons one at a time in the order ``cue_orders[b]`` (see
    :func:`update_neuron` for the rule and ``temperature``), each update seeing the
    changes made before it. By default each cue draws its own random permutation;
    ``shared_order=True`` (or a 1-D ``cue_orders``) makes all cues use one permutation, which
    is faster (the work becomes matrix products instead of per-cue gathers). The result
    is that of N sequential updates; internally they are done a block of steps at a time
    (64 with a shared order, 16 with per-cue orders; see
    :func:`hebbian.hopfield.sweeps.sweep_`), and a sweep costs
    O(B N²) at most.

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    weights : Tensor, shape (N, N)
    bias : Tensor, shape (N,), optional
    temperature : float, default 0
        0 for deterministic updates, > 0 for Glauber dynamics.
    generator : torch.Generator, optional
        Source of the visiting orders and of the Glauber draws.
    cue_orders : Tensor, shape (N,) or (B, N), int64, optional
        Explicit visiting orders, row ``b`` (a permutation) for cue ``b``, or one (N,)
        order for every cue; overrides the random orders.
    shared_order : bool, default False
        Draw one permutation for the whole batch instead of one per cue.

    Returns
    -------
    Tensor, shape (B, N)
        The states after the sweep (the input is not modified).

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> asynchronous_sweep(torch.tensor([[1.0, -1.0]]), w, cue_orders=torch.tensor([1, 0]))
    tensor([[1., 1.]])
    """
    states = check_binary("states", states, ndim=2)
    batch, n = states.shape
    weights = check_weights(weights, n, states)
    bias = check_bias(bias, n, states)
    temperature = check_temperature(temperature)
    generator = check_generator("generator", generator)
    shared_order = check_bool("shared_order", shared_order)
    if cue_orders is None:
        orders = random_cue_orders(1 if shared_order else batch, n, generator, device=states.device)
    else:
        shared = isinstance(cue_orders, torch.Tensor) and cue_orders.ndim == 1
        orders = check_cue_orders("cue_orders", cue_orders, batch, n, states)
        orders = orders[:1] if shared else orders  # (1, N) or (B, N)
    draws = None
    if temperature > 0:
        draws = uniform((batch, n), generator, device=states.device, draw_dtype=states.dtype)
    new_states = states.clone()
    sweep_(new_states, DenseFields(new_states, weights, bias), orders, temperature, draws)
    return new_states


# --------------------------------------------------------------------------------------
# estimator
# --------------------------------------------------------------------------------------

StorageFunction = Callable[[torch.Tensor], torch.Tensor]


class HopfieldNetwork:
    r"""Classical binary Hopfield network with scikit-learn manners.

    ``fit`` forgets everything and stores the given patterns; ``partial_fit`` (alias
    ``store``) adds patterns: Hebb adds the new outer products, Storkey continues its
    incremental rule from the current weights, and the pseudo-inverse rule (or a custom
    storage function) is recomputed from all stored patterns. ``recall`` runs the chosen
    dynamics until a sweep changes nothing or ``max_sweeps`` is reached.

    Parameters
    ----------
    storage : StorageRule or callable, default StorageRule.HEBB
        A :class:`StorageRule`, or a function ``patterns (P, N) -> W (N, N)`` (for example
        ``functools.partial(pseudo_inverse_weights, zero_diagonal=True)``), which is
        re-applied to all stored patterns whenever patterns are added.
    update : UpdateRule, default UpdateRule.ASYNCHRONOUS
        Recall dynamics; one synchronous step counts as one sweep.
    temperature : float, default 0
        Glauber temperature; must be > 0 for ``UpdateRule.STOCHASTIC`` and 0 otherwise.
    bias : Tensor, shape (N,), optional
        Thresholds :math:`b` (fields are :math:`W s - b`).
    shared_order : bool, default False
        Asynchronous updates: one random visiting order for all cues of a batch.

    The constructor only records the parameters; they are checked where patterns are
    stored (``fit``, ``partial_fit``) and at ``recall``, as in scikit-learn.

    Attributes
    ----------
    patterns_ : Tensor, shape (P, N)
        All stored patterns.
    weights_ : Tensor, shape (N, N)
        Current weights, in the patterns' dtype. The dynamics use exact versions of them
        (the integers :math:`N W` for Hebb, float64 otherwise; see :meth:`recall`).
    n_neurons_ : int

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = torch.randint(0, 2, (3, 64), generator=g).float() * 2 - 1
    >>> net = HopfieldNetwork().fit(xi)
    >>> cue = xi[:1].clone()
    >>> cue[0, :8] *= -1  # flip 8 of 64 bits
    >>> result = net.recall(cue, generator=g)
    >>> bool(torch.equal(result.states, xi[:1])), result.converged.tolist()
    (True, [True])
    """

    def __init__(
        self,
        storage: StorageRule | StorageFunction = StorageRule.HEBB,
        update: UpdateRule = UpdateRule.ASYNCHRONOUS,
        temperature: float = 0.0,
        bias: torch.Tensor | None = None,
        shared_order: bool = False,
    ) -> None:
        self.storage = storage
        self.update = update
        self.temperature = temperature
        self.bias = bias
        self.shared_order = shared_order

    def _check_params(self) -> None:
        if not isinstance(self.storage, StorageRule) and not callable(self.storage):
            raise TypeError(
                "storage must be a StorageRule member or a function patterns -> weights, "
                f"got {type(self.storage).__name__} {self.storage!r}"
            )
        check_update_rule("update", self.update)
        temperature = check_temperature(self.temperature)
        if self.update is UpdateRule.STOCHASTIC and temperature == 0.0:
            raise ValueError("temperature must be > 0 for UpdateRule.STOCHASTIC, got 0.0")
        if self.update is not UpdateRule.STOCHASTIC and temperature != 0.0:
            raise ValueError(
                f"temperature must be 0 for {self.update}, got {self.temperature!r} "
                "(use UpdateRule.STOCHASTIC for Glauber dynamics)"
            )
        if self.bias is not None:
            check_floating_tensor("bias", self.bias, ndim=1)
        check_bool("shared_order", self.shared_order)

    # -- storage ----------------------------------------------------------------------

    def _couplings_from_scratch(self, patterns: torch.Tensor) -> torch.Tensor:
        """The weights the dynamics use: ``N W`` for Hebb, else ``W`` in float64."""
        if self.storage is StorageRule.HEBB:
            dtype = integer_dtype(patterns.shape[0] * patterns.shape[1], patterns)
            return hebb_counts(patterns.to(dtype))
        wide = patterns.to(torch.float64)
        if self.storage is StorageRule.STORKEY:
            return storkey_weights(wide)
        if self.storage is StorageRule.PSEUDO_INVERSE:
            return pseudo_inverse_weights(wide)
        weights = self.storage(patterns)
        return check_weights(weights, patterns.shape[1], patterns).to(torch.float64)

    def _current_couplings(self) -> torch.Tensor:
        """The stored couplings, rebuilt for a network unpickled from a version without."""
        if not hasattr(self, "_couplings"):
            self._set_couplings(self._couplings_from_scratch(self.patterns_))
        return self._couplings

    def _set_couplings(self, couplings: torch.Tensor) -> None:
        self._couplings = couplings
        scale = self.n_neurons_ if self.storage is StorageRule.HEBB else 1
        self.weights_ = (couplings / scale).to(self.patterns_.dtype)

    def fit(self, patterns: torch.Tensor) -> HopfieldNetwork:
        """Forget any stored patterns and store ``patterns`` (P, N), entries in {-1, +1}.

        Returns ``self``.
        """
        self._check_params()
        patterns = check_binary("patterns", patterns, ndim=2)
        if self.bias is not None:
            check_floating_tensor("bias", self.bias, shape=(patterns.shape[1],))
            check_same_device(patterns=patterns, bias=self.bias)
        self.patterns_ = patterns.clone()
        self.n_neurons_ = patterns.shape[1]
        self._set_couplings(self._couplings_from_scratch(self.patterns_))
        return self

    def partial_fit(self, patterns: torch.Tensor) -> HopfieldNetwork:
        """Add ``patterns`` (P, N) to the memory (``fit`` if nothing is stored yet).

        Returns ``self``.
        """
        if not hasattr(self, "weights_"):
            return self.fit(patterns)
        self._check_params()
        patterns = check_binary("patterns", patterns, ndim=2)
        if patterns.shape[1] != self.n_neurons_:
            raise ValueError(
                f"patterns must have N = {self.n_neurons_} columns like the stored ones, "
                f"got shape {tuple(patterns.shape)}"
            )
        check_same_device(patterns=patterns, patterns_=self.patterns_)
        all_patterns = torch.cat([self.patterns_, patterns])  # (P_old + P_new, N)
        if self.storage is StorageRule.HEBB:
            dtype = integer_dtype(all_patterns.shape[0] * self.n_neurons_, patterns)
            couplings = self._current_couplings().to(dtype) + hebb_counts(patterns.to(dtype))
        elif self.storage is StorageRule.STORKEY:
            initial = self._current_couplings()
            couplings = storkey_weights(patterns.to(torch.float64), initial=initial)
        else:
            couplings = self._couplings_from_scratch(all_patterns)
        self.patterns_ = all_patterns
        self._set_couplings(couplings)
        return self

    def store(self, patterns: torch.Tensor) -> HopfieldNetwork:
        """Alias of :meth:`partial_fit`."""
        return self.partial_fit(patterns)

    # -- recall -----------------------------------------------------------------------

    def energy(self, states: torch.Tensor) -> torch.Tensor:
        """Energy (B,) of ``states`` (B, N) under the current weights and bias."""
        self._check_fitted()
        return energy(states, self.weights_, self.bias)

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("this HopfieldNetwork stores no patterns yet; call fit first")

    def recall(
        self,
        cues: torch.Tensor,
        max_sweeps: int = 100,
        generator: torch.Generator | None = None,
        return_energy: bool = False,
        sweep_orders: torch.Tensor | None = None,
    ) -> RecallResult:
        r"""Run the dynamics from ``cues`` (B, N) until a sweep changes nothing.

        With deterministic asynchronous updates, a cue whose sweep changed nothing is at
        a fixed point and is set aside; the others keep sweeping (each sweep with new
        random orders). The local fields are computed once and then corrected after
        every change. With Hebbian storage, shared orders and P <= N / 4 they are
        computed from the overlaps with the stored patterns (O(P) per cue and flip rather
        than O(N); see :class:`~hebbian.hopfield.sweeps.HebbFields`), which gives the
        same fields as :attr:`weights_`.

        **The same states on every machine.** Which way a neuron goes is decided so that
        the summation order of the matrix products (BLAS, thread count, CPU, a
        permutation of the neurons) cannot change it:

        * Hebb: the fields are integers over N, so the dynamics use the integer
          couplings :math:`N W = \Xi^\top \Xi` and integer sums :math:`N W s`, exact in
          any order (float32 while :math:`N P < 2^{24}`, else float64; more than
          :math:`2^{53}` is refused), compared with the thresholds :math:`N b`; a field
          that is zero is found exactly and keeps the state.
        * Storkey, pseudo-inverse and custom weights: the weights and fields are computed
          in float64 and a field with :math:`|h_i| \le \tau` counts as a tie (keeps the
          state), with :math:`\tau = 10^{-9} \max_i (\sum_j |W_{ij}| + |b_i|)`. In exact
          arithmetic such fields are zero (an orthogonal cue of the pseudo-inverse
          rule, balanced sums); in float64 they come out as :math:`\pm 10^{-16}`-ish
          rounding, whose sign depends on the order. Any summation order of the
          :math:`\le 2N` terms of a field (initial sum plus corrections) is off by at
          most about :math:`2N \epsilon \sum_j |W_{ij}| \approx 10^{-13}` at N = 1000,
          far inside the band; a field that is not a tie is O(1/sqrt(N)) or more, and
          lands within rounding of the band's edge with negligible probability
          (:math:`\sim 10^{-13}` per update).

        Glauber updates compare a sigmoid with uniform draws, which rounding can only
        change when a draw falls within ~1e-7 of the probability.

        Parameters
        ----------
        cues : Tensor, shape (B, N), entries in {-1, +1}
        max_sweeps : int, default 100
            Upper bound on the number of sweeps (synchronous steps).
        generator : torch.Generator, optional
            Source of the asynchronous visiting orders and the Glauber draws.
        return_energy : bool, default False
            Also return the energy trajectory, shape (sweeps + 1, B).
        sweep_orders : Tensor, shape (S, N), int64, optional
            Asynchronous updates only: explicit visiting orders, row ``k`` (a permutation)
            for sweep ``k`` of every cue, e.g. to replay another implementation's orders;
            at most ``min(S, max_sweeps)`` sweeps are done.

        Returns
        -------
        RecallResult
        """
        self._check_fitted()
        self._check_params()
        cues = check_binary("cues", cues, ndim=2)
        if cues.shape[1] != self.n_neurons_:
            raise ValueError(
                f"cues must have N = {self.n_neurons_} columns, got shape {tuple(cues.shape)}"
            )
        check_same_device(cues=cues, weights_=self.weights_)
        max_sweeps = check_positive_int("max_sweeps", max_sweeps)
        generator = check_generator("generator", generator)
        return_energy = check_bool("return_energy", return_energy)
        if sweep_orders is not None:
            if self.update is UpdateRule.SYNCHRONOUS:
                raise ValueError(
                    "sweep_orders are for asynchronous updates; this network is synchronous"
                )
            sweep_orders = check_sweep_orders(sweep_orders, self.n_neurons_, cues)
            max_sweeps = min(max_sweeps, sweep_orders.shape[0])
        couplings, thresholds, tolerance = self._decision_terms()
        sweep: Sweep
        if self.update is UpdateRule.SYNCHRONOUS:

            def synchronous(states: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
                fields = minus_thresholds(states @ couplings.T, thresholds)
                new_states = sign_keep(fields, states, tolerance)
                return new_states, (new_states != states).any(dim=1)

            sweep = synchronous
        else:
            sweep = self._asynchronous_sweeps(generator, sweep_orders, thresholds, tolerance)
        weights, bias = self.weights_, self.bias
        return recall_loop(
            cues,
            self.patterns_,
            sweep,
            max_sweeps=max_sweeps,
            dtype=couplings.dtype,
            energy=(lambda states: energy(states, weights, bias)) if return_energy else None,
        )

    def _decision_terms(self) -> tuple[torch.Tensor, torch.Tensor | None, float]:
        """Couplings, thresholds and tie tolerance the dynamics use (see :meth:`recall`).

        Hebb: ``N W`` (integers), ``N b`` and 0; otherwise ``W`` and ``b`` in float64 and
        ``TIE_TOLERANCE * max_i (sum_j |W_ij| + |b_i|)``.
        """
        couplings = self._current_couplings()
        if self.bias is None:
            thresholds = None
        else:
            check_same_device(weights_=self.weights_, bias=self.bias)
            thresholds = self.bias.to(couplings.dtype)
        if self.storage is StorageRule.HEBB:
            if thresholds is not None:
                thresholds = thresholds * self.n_neurons_
            return couplings, thresholds, 0.0
        row_sums = couplings.abs().sum(dim=1)  # (N,)
        if thresholds is not None:
            row_sums = row_sums + thresholds.abs()
        return couplings, thresholds, TIE_TOLERANCE * float(row_sums.max())

    def _field_keeper(
        self, states: torch.Tensor, shared: bool, thresholds: torch.Tensor | None = None
    ) -> FieldKeeper:
        """How the fields of ``states`` (B, N) are kept during asynchronous recall."""
        count = self.patterns_.shape[0]
        if self.storage is StorageRule.HEBB and shared and 4 * count <= self.n_neurons_:
            patterns = self.patterns_.to(self._couplings.dtype)
            return HebbFields(states, patterns, thresholds)
        return DenseFields(states, self._couplings.to(states.dtype), thresholds)

    def _asynchronous_sweeps(
        self,
        generator: torch.Generator | None,
        sweep_orders: torch.Tensor | None,
        thresholds: torch.Tensor | None,
        tolerance: float,
    ) -> Sweep:
        """The asynchronous (or Glauber) sweep of :meth:`recall`, for :func:`recall_loop`.

        It sweeps the working states (B, N) in place, in the couplings' dtype, with
        fields kept between sweeps. Deterministic updates set aside the cues whose sweep
        changed nothing (fixed points); the others keep sweeping, each sweep with new
        random orders unless ``sweep_orders`` gives them.
        """
        scale = self.n_neurons_ if self.storage is StorageRule.HEBB else 1
        temperature = float(self.temperature) * scale  # the fields are N h for Hebb
        shared = self.shared_order or sweep_orders is not None
        keeper: FieldKeeper | None = None
        active = current = torch.empty(0)  # set at the first sweep

        def sweep(states: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
            nonlocal keeper, active, current
            batch, n = states.shape
            if keeper is None:  # current: states itself until some cues are set aside
                active, current = torch.arange(batch, device=states.device), states
                keeper = self._field_keeper(current, shared, thresholds)
            count = active.numel()
            if sweep_orders is not None:
                orders = sweep_orders[k : k + 1]  # (1, N)
            else:
                rows = 1 if shared else count
                orders = random_cue_orders(rows, n, generator, device=states.device)
            draws = None
            if temperature > 0:
                draws = uniform(
                    (count, n), generator, device=states.device, draw_dtype=states.dtype
                )
            moved = sweep_(current, keeper, orders, temperature, draws, tolerance)  # (B_active,)
            changed = torch.zeros(batch, dtype=torch.bool, device=states.device)
            changed.index_fill_(0, active[moved], True)
            if current is not states:
                states.index_copy_(0, active, current)
            if temperature == 0.0 and bool(moved.any()) and not bool(moved.all()):
                # deterministic: a sweep that changed nothing found a fixed point; set aside
                active, current = active[moved], current[moved]
                keeper.keep(moved)
            return states, changed

        return sweep
