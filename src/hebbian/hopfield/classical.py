r"""Classical binary Hopfield network (Hopfield 1982) with states in {-1, +1}.

The maths as pure functions plus one estimator:

* storage rules returning a weight matrix ``W`` (N, N): :func:`hebb_weights`,
  :func:`storkey_weights`, :func:`pseudo_inverse_weights`;
* :func:`energy` and :func:`local_field`;
* update dynamics: :func:`synchronous_step`, :func:`update_neuron` (one neuron per cue,
  with the local fields kept up to date by a rank-1 correction) and
  :func:`asynchronous_sweep` (N single-neuron updates, deterministic or Glauber);
* :class:`HopfieldNetwork`, with scikit-learn manners (``fit`` / ``partial_fit`` /
  ``store`` / ``recall``).

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

import enum
from collections.abc import Callable
from typing import NamedTuple

import torch

from hebbian._checks import (
    check_floating_tensor,
    check_positive,
    check_positive_int,
    check_same_device,
)
from hebbian.hopfield._common import (
    TIE_TOLERANCE,
    RecallResult,
    UpdateRule,
    check_binary,
    check_bool,
    check_generator,
    check_orders,
    check_update_rule,
    integer_dtype,
    random_orders,
    sign_keep,
    uniform,
)

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
# argument checks
# --------------------------------------------------------------------------------------


def _check_patterns(name: str, patterns: object) -> torch.Tensor:
    patterns = check_floating_tensor(name, patterns, ndim=2)
    if patterns.shape[0] < 1 or patterns.shape[1] < 1:
        raise ValueError(
            f"{name} must hold at least one pattern of at least one neuron, "
            f"got shape {tuple(patterns.shape)}"
        )
    if not bool(torch.isfinite(patterns).all()):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return patterns


def _check_weights(weights: object, n: int | None = None, like: torch.Tensor | None = None):
    weights = check_floating_tensor("weights", weights, ndim=2)
    if weights.shape[0] != weights.shape[1]:
        raise ValueError(f"weights must be square (N, N), got shape {tuple(weights.shape)}")
    if n is not None and weights.shape[0] != n:
        raise ValueError(
            f"weights must have shape ({n}, {n}) to match states with N = {n}, "
            f"got {tuple(weights.shape)}"
        )
    if like is not None:
        check_same_device(states=like, weights=weights)
    return weights


def _check_bias(bias: object, n: int, like: torch.Tensor) -> torch.Tensor | None:
    if bias is None:
        return None
    bias = check_floating_tensor("bias", bias, shape=(n,))
    check_same_device(states=like, bias=bias)
    return bias


def _check_states(name: str, states: object) -> torch.Tensor:
    return check_binary(name, states, ndim=2)


def _check_temperature(temperature: object) -> float:
    return check_positive("temperature", temperature, allow_zero=True)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# storage rules
# --------------------------------------------------------------------------------------


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
    patterns = _check_patterns("patterns", patterns)
    n = patterns.shape[1]
    weights = patterns.T @ patterns / n  # (N, N)
    weights.fill_diagonal_(0.0)
    return weights


def _hebb_counts(patterns: torch.Tensor) -> torch.Tensor:
    """``N W = Xi^T Xi`` with a zero diagonal (N, N): integers for ±1 patterns."""
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
    patterns = _check_patterns("patterns", patterns)
    n = patterns.shape[1]
    if initial is None:
        weights = torch.zeros(n, n, dtype=patterns.dtype, device=patterns.device)
    else:
        weights = _check_weights(initial, n).clone()
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
    patterns = _check_patterns("patterns", patterns)
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
    weights = _check_weights(weights, states.shape[1], states)
    bias = _check_bias(bias, states.shape[1], states)
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
    weights = _check_weights(weights, states.shape[1], states)
    bias = _check_bias(bias, states.shape[1], states)
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
    states = _check_states("states", states)
    weights = _check_weights(weights, states.shape[1], states)
    bias = _check_bias(bias, states.shape[1], states)
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
    states = _check_states("states", states)
    weights = _check_weights(weights, states.shape[1], states)
    bias = _check_bias(bias, states.shape[1], states)
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
    states = _check_states("state.states", state.states)
    fields = check_floating_tensor("state.fields", state.fields, shape=tuple(states.shape))
    batch, n = states.shape
    weights = _check_weights(weights, n, states)
    temperature = _check_temperature(temperature)
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
    draws = uniform((batch,), generator, states) if temperature > 0 else None
    new_states, new_fields = states.clone(), fields.clone()
    _update_neuron_(new_states, new_fields, index, weights.T, temperature, draws)
    return FieldState(new_states, new_fields)


# Neurons per block of an asynchronous sweep (see _sweep_), with one visiting order for the
# whole batch and with one order per cue (whose per-cue couplings cost B k^2 to gather).
_BLOCK = 64
_BLOCK_PER_CUE = 16


def _thresholds_at(bias: torch.Tensor | None, neurons: torch.Tensor) -> torch.Tensor | None:
    """Thresholds of a block's neurons: (k,) for ``neurons`` (k,), (B, k) for (B, k)."""
    if bias is None:
        return None
    return bias.index_select(0, neurons) if neurons.ndim == 1 else bias[neurons]


class _DenseFields:
    """Sums ``s W^T`` (B, N) of a batch, kept up to date while neurons flip.

    The thresholds ``b`` are kept apart and subtracted where a field is read
    (:func:`_sweep_`), so with integer weights the sums stay integers, computed exactly.
    A block of neurons is given as ``neurons`` of shape (k,) (one visiting order shared
    by the batch) or (B, k) (one order per cue).
    """

    def __init__(
        self, states: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor | None
    ) -> None:
        self.weights_t = weights.T.contiguous()  # row j = column j of W: dh when s_j moves
        self.fields = states @ weights.T  # (B, N), without the thresholds
        self.bias = bias

    def at(self, neurons: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        """Sums (B, k) of a block's neurons (``current``, their states, is not needed)."""
        if neurons.ndim == 1:
            return self.fields.index_select(1, neurons)
        return self.fields.gather(1, neurons)

    def thresholds(self, neurons: torch.Tensor) -> torch.Tensor | None:
        """Thresholds of a block's neurons, (k,) or (B, k), or None."""
        return _thresholds_at(self.bias, neurons)

    def coupling(self, neurons: torch.Tensor) -> torch.Tensor:
        """``C[p, q] = W[neuron_q, neuron_p]``: (k, k), or (B, k, k) for per-cue orders."""
        if neurons.ndim == 1:
            return self.weights_t.index_select(0, neurons).index_select(1, neurons)
        n = self.weights_t.shape[0]
        flat = neurons[:, :, None] * n + neurons[:, None, :]  # (B, k, k): index of [p, q]
        return self.weights_t.view(-1).index_select(0, flat.view(-1)).view(flat.shape)

    def add(self, neurons: torch.Tensor, delta: torch.Tensor, flip: torch.Tensor) -> None:
        """Correct the fields for state changes ``delta`` (B, k) at ``neurons``."""
        if neurons.ndim == 1:  # h += delta @ W[:, neurons]^T, over the neurons that moved
            moved = flip.amax(dim=0).nonzero().squeeze(1)  # (m,) block positions
            if moved.numel() < neurons.numel():
                delta, neurons = delta.index_select(1, moved), neurons.index_select(0, moved)
            self.fields.addmm_(delta, self.weights_t.index_select(0, neurons))  # (B,m)@(m,N)
            return
        cue, where = flip.nonzero(as_tuple=True)  # (F,) each: one per flip
        rows = self.weights_t.index_select(0, neurons[cue, where]) * delta[cue, where, None]
        self.fields.index_add_(0, cue, rows)  # (F, N) rows added to their cues

    def keep(self, cues: torch.Tensor) -> None:
        """Drop the cues where ``cues`` (B,) is False."""
        self.fields = self.fields[cues]


class _HebbFields:
    r"""Scaled fields of Hebbian weights from the overlaps with the stored patterns.

    With :math:`N W = \Xi^\top\Xi` and a zero diagonal,
    :math:`N h = \Xi^\top m - P s - N b` where :math:`m = \Xi s` are the
    (unnormalised) overlaps, kept as a (B, P) tensor. That costs O(P) per cue and flip
    instead of O(N). For ±1 patterns ``m``, :math:`\Xi^\top m - P s` and the couplings
    :math:`N W` are integers, computed exactly in any summation order (the dtype is
    chosen by :func:`~hebbian.hopfield._common.integer_dtype`), so a tie ``h = 0`` is
    found exactly. ``bias`` holds the scaled thresholds :math:`N b`. Shared visiting
    orders only.
    """

    def __init__(
        self, states: torch.Tensor, patterns: torch.Tensor, bias: torch.Tensor | None
    ) -> None:
        self.patterns = patterns  # (P, N)
        self.bias = bias
        self.overlaps = states @ patterns.T  # (B, P)

    def at(self, neurons: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        count = self.patterns.shape[0]
        xi = self.patterns.index_select(1, neurons)  # (P, k)
        return self.overlaps @ xi - count * current  # (B, k), integers

    def thresholds(self, neurons: torch.Tensor) -> torch.Tensor | None:
        return _thresholds_at(self.bias, neurons)

    def coupling(self, neurons: torch.Tensor) -> torch.Tensor:
        xi = self.patterns.index_select(1, neurons)  # (P, k)
        return xi.T @ xi  # (k, k) integers N W, symmetric; diagonal unused

    def add(self, neurons: torch.Tensor, delta: torch.Tensor, flip: torch.Tensor) -> None:
        self.overlaps.addmm_(delta, self.patterns.index_select(1, neurons).T)  # (B,k)@(k,P)

    def keep(self, cues: torch.Tensor) -> None:
        self.overlaps = self.overlaps[cues]


_FieldKeeper = _DenseFields | _HebbFields


def _flips(
    fields: torch.Tensor,
    current: torch.Tensor,
    temperature: float,
    draws: torch.Tensor | None,
    tolerance: float = 0.0,
) -> torch.Tensor:
    """1.0 where a neuron takes a new value, else 0.0: ``h s < -tolerance``, or Glauber.

    A field with ``|h| <= tolerance`` is a tie and keeps the state. Float masks rather
    than booleans: on CPUs, comparisons written to a float tensor are several times
    faster than boolean ones.
    """
    if temperature == 0.0:
        return torch.lt(fields * current, -tolerance, out=torch.empty_like(fields))
    assert draws is not None  # internal invariant: callers draw when temperature > 0
    up = torch.lt(draws, torch.sigmoid(2.0 * fields / temperature), out=torch.empty_like(fields))
    return (up - (current + 1.0) / 2.0).abs_()  # up is 1.0 for a new value of +1


def _minus(fields: torch.Tensor, thresholds: torch.Tensor | None) -> torch.Tensor:
    return fields if thresholds is None else fields - thresholds


def _sweep_(
    states: torch.Tensor,
    keeper: _FieldKeeper,
    orders: torch.Tensor,
    temperature: float,
    draws: torch.Tensor | None,
    tolerance: float = 0.0,
) -> torch.Tensor:
    r"""In place: one asynchronous sweep of ``states`` (B, N); return the flip mask (B,).

    ``orders`` (1, N) is one visiting order for the whole batch, (B, N) one per cue;
    ``draws`` (B, N) are the Glauber uniforms of the steps (``temperature > 0``); a field
    with ``|h| <= tolerance`` is a tie. The thresholds are subtracted from the kept sums
    only where a field is compared, so integer sums stay exact.

    The N single-neuron updates are done in blocks of ``k`` consecutive steps, with
    exactly the result of doing them one by one. For a block with fields :math:`h^0`
    (B, k) at its start, states :math:`s^0` and couplings :math:`C_{pq} = W_{i_q i_p}`,
    the field seen at step ``q`` is

    .. math:: h_q = h^0_q + \sum_{p < q} \delta_p C_{pq} ,

    where :math:`\delta_p \in \{0, -2 s^0_p\}` is the change made at step ``p``: a
    triangular system. It is solved by fixed-point iteration from the guess "flip where
    :math:`h^0` says so": iteration ``t`` gets the first ``t + 1`` steps right (step
    ``q`` depends only on the steps before it), so at most ``k`` iterations reach the one
    fixed point, which is the sequential result; as flips are few and the couplings
    small, one or two usually do. Each iteration is one (B, k) @ (k, k) product, so a
    sweep costs O(B N k) plus the upkeep of the fields (O(B N^2) at most, much less once
    few neurons flip) instead of N sequential steps.
    """
    batch, n = states.shape
    shared = orders.shape[0] == 1
    block = _BLOCK if shared else _BLOCK_PER_CUE
    positions = torch.arange(block, device=states.device)
    upper = (positions[:, None] < positions[None, :]).to(states.dtype)  # p < q: p acts on q
    if shared:  # the states in visiting order: every block is a slice, read and written in place
        visited = states.index_select(1, orders[0])  # (B, N)
    flips_per_cue = states.new_zeros(batch)  # (B,)
    for start in range(0, n, block):
        if shared:
            neurons = orders[0, start : start + block]  # (k,)
            current = visited[:, start : start + block]  # (B, k), a view
        else:
            neurons = orders[:, start : start + block]  # (B, k)
            current = states.gather(1, neurons)  # (B, k)
        base = keeper.at(neurons, current)  # (B, k), without the thresholds
        thresholds = keeper.thresholds(neurons)  # (k,), (B, k) or None
        block_draws = draws[:, start : start + block] if draws is not None else None
        flip = _flips(_minus(base, thresholds), current, temperature, block_draws, tolerance)
        if not bool(flip.sum()):
            continue
        k = neurons.shape[-1]
        coupling = keeper.coupling(neurons) * upper[:k, :k]  # C[p, q] for p < q only
        step = -2.0 * current  # the change of a neuron that flips
        delta = step * flip
        for _ in range(k):
            if shared:
                fields = torch.addmm(base, delta, coupling)  # (B, k)
            else:
                fields = torch.baddbmm(base[:, None], delta[:, None], coupling).squeeze(1)
            again = _flips(_minus(fields, thresholds), current, temperature, block_draws, tolerance)
            if not bool((again - flip).abs_().sum()):
                break
            flip = again
            delta = step * flip
        keeper.add(neurons, delta, flip)
        if shared:
            current += delta  # writes into ``visited``
        else:
            states.scatter_add_(1, neurons, delta)
        flips_per_cue += flip.sum(dim=1)
    if shared:  # back to neuron order: a gather with the inverse permutation
        states.copy_(visited.index_select(1, orders[0].argsort()))
    return flips_per_cue > 0


def asynchronous_sweep(
    states: torch.Tensor,
    weights: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    order: torch.Tensor | None = None,
    shared_order: bool = False,
) -> torch.Tensor:
    r"""One asynchronous sweep: N single-neuron updates, in a random order.

    Every cue ``b`` updates its neurons one at a time in the order ``order[b]`` (see
    :func:`update_neuron` for the rule and ``temperature``), each update seeing the
    changes made before it. By default each cue draws its own random permutation;
    ``shared_order=True`` (or a 1-D ``order``) makes all cues use one permutation, which
    is faster (the work becomes matrix products instead of per-cue gathers). The result
    is that of N sequential updates; internally they are done a block of steps at a time
    (64 with a shared order, 16 with per-cue orders; see ``_sweep_``), and a sweep costs
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
    order : Tensor, shape (N,) or (B, N), int64, optional
        Explicit visiting order (a permutation per row); overrides the random order.
    shared_order : bool, default False
        Draw one permutation for the whole batch instead of one per cue.

    Returns
    -------
    Tensor, shape (B, N)
        The states after the sweep (the input is not modified).

    Examples
    --------
    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> asynchronous_sweep(torch.tensor([[1.0, -1.0]]), w, order=torch.tensor([1, 0]))
    tensor([[1., 1.]])
    """
    states = _check_states("states", states)
    batch, n = states.shape
    weights = _check_weights(weights, n, states)
    bias = _check_bias(bias, n, states)
    temperature = _check_temperature(temperature)
    generator = check_generator("generator", generator)
    shared_order = check_bool("shared_order", shared_order)
    if order is None:
        orders = random_orders(1 if shared_order else batch, n, generator, states, shared=False)
    else:
        shared = isinstance(order, torch.Tensor) and order.ndim == 1
        orders = check_orders(order, batch, n, states)
        orders = orders[:1] if shared else orders  # (1, N) or (B, N)
    draws = uniform((batch, n), generator, states) if temperature > 0 else None
    new_states = states.clone()
    _sweep_(new_states, _DenseFields(new_states, weights, bias), orders, temperature, draws)
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
        self._check_params()

    def _check_params(self) -> None:
        if not isinstance(self.storage, StorageRule) and not callable(self.storage):
            raise TypeError(
                "storage must be a StorageRule member or a function patterns -> weights, "
                f"got {type(self.storage).__name__} {self.storage!r}"
            )
        check_update_rule("update", self.update)
        temperature = _check_temperature(self.temperature)
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
            return _hebb_counts(patterns.to(dtype))
        wide = patterns.to(torch.float64)
        if self.storage is StorageRule.STORKEY:
            return storkey_weights(wide)
        if self.storage is StorageRule.PSEUDO_INVERSE:
            return pseudo_inverse_weights(wide)
        weights = self.storage(patterns)  # type: ignore[operator]
        return _check_weights(weights, patterns.shape[1], patterns).to(torch.float64)

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
            couplings = self._current_couplings().to(dtype) + _hebb_counts(patterns.to(dtype))
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
        orders: torch.Tensor | None = None,
    ) -> RecallResult:
        r"""Run the dynamics from ``cues`` (B, N) until a sweep changes nothing.

        With deterministic asynchronous updates, a cue whose sweep changed nothing is at
        a fixed point and is set aside; the others keep sweeping (each sweep with new
        random orders). The local fields are computed once and then corrected after
        every change. With Hebbian storage, shared orders and P <= N / 4 they are
        computed from the overlaps with the stored patterns (O(P) per cue and flip rather
        than O(N); see ``_HebbFields``), which gives the same fields as :attr:`weights_`.

        **The same states on every machine.** Which way a neuron goes is decided so that
        the summation order of the matrix products (BLAS, thread count, CPU, a
        permutation of the neurons) cannot change it:

        * Hebb: the fields are integers over N, so the dynamics use the integer
          couplings :math:`N W = \Xi^	op \Xi` and integer sums :math:`N W s`, exact in
          any order (float32 while :math:`N P < 2^{24}`, else float64; more than
          :math:`2^{53}` is refused), compared with the thresholds :math:`N b`; a field
          that is zero is found exactly and keeps the state.
        * Storkey, pseudo-inverse and custom weights: the weights and fields are computed
          in float64 and a field with :math:`|h_i| \le 	au` counts as a tie (keeps the
          state), with :math:`	au = 10^{-9} \max_i (\sum_j |W_{ij}| + |b_i|)`. In exact
          arithmetic such fields are zero (an orthogonal cue of the pseudo-inverse
          rule, balanced sums); in float64 they come out as :math:`\pm 10^{-16}`-ish
          rounding, whose sign depends on the order. Any summation order of the
          :math:`\le 2N` terms of a field (initial sum plus corrections) is off by at
          most about :math:`2N \epsilon \sum_j |W_{ij}| pprox 10^{-13}` at N = 1000,
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
        orders : Tensor, shape (S, N), int64, optional
            Asynchronous updates only: explicit visiting orders, row ``k`` (a permutation)
            for sweep ``k`` of every cue, e.g. to replay another implementation's orders;
            at most ``min(S, max_sweeps)`` sweeps are done.

        Returns
        -------
        RecallResult
        """
        self._check_fitted()
        self._check_params()
        cues = _check_states("cues", cues)
        if cues.shape[1] != self.n_neurons_:
            raise ValueError(
                f"cues must have N = {self.n_neurons_} columns, got shape {tuple(cues.shape)}"
            )
        check_same_device(cues=cues, weights_=self.weights_)
        max_sweeps = check_positive_int("max_sweeps", max_sweeps)
        generator = check_generator("generator", generator)
        return_energy = check_bool("return_energy", return_energy)
        if orders is not None:
            if self.update is UpdateRule.SYNCHRONOUS:
                raise ValueError("orders are for asynchronous updates; this network is synchronous")
            if not isinstance(orders, torch.Tensor):
                raise TypeError(
                    f"orders must be a torch.Tensor or None, got {type(orders).__name__}"
                )
            if orders.ndim != 2 or orders.shape[0] < 1:
                raise ValueError(
                    f"orders must have shape (S, {self.n_neurons_}) with S >= 1, "
                    f"got {tuple(orders.shape)}"
                )
            orders = check_orders(orders, orders.shape[0], self.n_neurons_, cues)
        weights, bias = self.weights_, self.bias
        batch = cues.shape[0]
        if batch == 0:
            return RecallResult.of_no_cues(cues, self.patterns_.shape[0], return_energy)

        couplings, thresholds, tolerance = self._decision_terms()
        states = cues.to(couplings.dtype)  # a copy unless the dtype is the same
        states = states.clone() if states is cues else states
        energies = [energy(cues, weights, bias)] if return_energy else None
        if self.update is UpdateRule.SYNCHRONOUS:
            changed = torch.ones(batch, dtype=torch.bool, device=states.device)
            sweeps = 0
            while sweeps < max_sweeps:
                new_states = sign_keep(_minus(states @ couplings.T, thresholds), states, tolerance)
                changed = (new_states != states).any(dim=1)
                states = new_states
                sweeps += 1
                if energies is not None:
                    energies.append(energy(states.to(cues.dtype), weights, bias))
                if not bool(changed.any()):
                    break
        else:
            sweeps, changed = self._recall_asynchronously_(
                states, max_sweeps, generator, energies, orders, tolerance, cues.dtype
            )
        states = states.to(cues.dtype)
        overlaps = states @ self.patterns_.T / self.n_neurons_  # (B, P)
        trajectory = torch.stack(energies) if energies is not None else None
        return RecallResult(states, overlaps, ~changed, sweeps, trajectory)

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
    ) -> _FieldKeeper:
        """How the fields of ``states`` (B, N) are kept during asynchronous recall."""
        count = self.patterns_.shape[0]
        if self.storage is StorageRule.HEBB and shared and 4 * count <= self.n_neurons_:
            patterns = self.patterns_.to(self._couplings.dtype)
            return _HebbFields(states, patterns, thresholds)
        return _DenseFields(states, self._couplings.to(states.dtype), thresholds)

    def _recall_asynchronously_(
        self,
        states: torch.Tensor,
        max_sweeps: int,
        generator: torch.Generator | None,
        energies: list[torch.Tensor] | None,
        orders: torch.Tensor | None,
        tolerance: float,
        dtype: torch.dtype,
    ) -> tuple[int, torch.Tensor]:
        """Sweep ``states`` (B, N) in place; return the sweeps done and the changed mask.

        ``states`` have the couplings' dtype; energies are computed in ``dtype``.
        """
        batch, n = states.shape
        scale = self.n_neurons_ if self.storage is StorageRule.HEBB else 1
        temperature = float(self.temperature) * scale  # the fields are N h for Hebb
        shared = self.shared_order or orders is not None
        if orders is not None:
            max_sweeps = min(max_sweeps, orders.shape[0])
        active = torch.arange(batch, device=states.device)  # cues still sweeping
        current = states  # (B_active, N): states itself until some cues are set aside
        _, thresholds, _ = self._decision_terms()
        keeper = self._field_keeper(current, shared, thresholds)
        changed = torch.ones(batch, dtype=torch.bool, device=states.device)
        sweeps = 0
        while sweeps < max_sweeps:
            count = active.numel()
            if orders is not None:
                order = orders[sweeps : sweeps + 1]  # (1, N)
            else:
                rows = 1 if shared else count
                order = random_orders(rows, n, generator, states, shared=False)  # (rows, N)
            draws = uniform((count, n), generator, states) if temperature > 0 else None
            moved = _sweep_(current, keeper, order, temperature, draws, tolerance)  # (B_active,)
            sweeps += 1
            changed = torch.zeros_like(changed).index_fill_(0, active[moved], True)
            if current is not states:
                states.index_copy_(0, active, current)
            if energies is not None:
                energies.append(energy(states.to(dtype), self.weights_, self.bias))
            if not bool(moved.any()):
                break
            if temperature == 0.0 and not bool(moved.all()):
                # deterministic: a sweep that changed nothing found a fixed point; set aside
                active, current = active[moved], current[moved]
                keeper.keep(moved)
        return sweeps, changed
