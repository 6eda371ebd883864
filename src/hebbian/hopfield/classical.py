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
    RecallResult,
    UpdateRule,
    check_binary,
    check_bool,
    check_generator,
    check_orders,
    check_update_rule,
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
    :math:`g = W \xi` (N,), :math:`h_{ij} = g_i - w_{ii}\xi_i - w_{ij}\xi_j`, so adding
    one pattern costs :math:`O(N^2)`.

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
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=patterns.device)  # (N, N)
    for xi in patterns:  # xi: (N,)
        g = weights @ xi  # (N,)  g_i = sum_k w_ik xi_k
        # h_ij = g_i - w_ii xi_i - w_ij xi_j  (k = i and k = j excluded)
        h = (g - diagonal * xi)[:, None] - weights * xi[None, :]  # (N, N)
        delta = (xi[:, None] * xi[None, :] - xi[:, None] * h.T - h * xi[None, :]) / n
        weights = weights + delta * off_diagonal
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


def _sweep_(
    states: torch.Tensor,
    weights: torch.Tensor,
    bias: torch.Tensor | None,
    temperature: float,
    orders: torch.Tensor,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """In place asynchronous sweep over ``orders`` (B, N); return the flip mask (B,)."""
    batch, n = states.shape
    fields = _fields(states, weights, bias)  # (B, N), fresh each sweep: no drift
    weights_t = weights.T.contiguous()  # row i = column i of W
    draws = uniform((n, batch), generator, states) if temperature > 0 else None
    flipped = torch.zeros(batch, dtype=torch.bool, device=states.device)
    for t in range(n):
        step_draws = draws[t] if draws is not None else None
        flipped |= _update_neuron_(states, fields, orders[:, t], weights_t, temperature, step_draws)
    return flipped


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

    Vectorised across the batch: at step ``t`` every cue ``b`` updates its neuron
    ``order[b, t]`` (see :func:`update_neuron` for the rule and ``temperature``). By
    default each cue draws its own random permutation; ``shared_order=True`` makes all
    cues use one permutation. The local fields are computed once at the start of the
    sweep (O(B N²)) and then corrected by a rank-1 update after each step (O(B N)), so a
    sweep costs O(B N²).

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
        orders = random_orders(batch, n, generator, states, shared=shared_order)
    else:
        orders = check_orders(order, batch, n, states)
    new_states = states.clone()
    _sweep_(new_states, weights, bias, temperature, orders, generator)
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
        Current weights.
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

    def _weights_from_scratch(self, patterns: torch.Tensor) -> torch.Tensor:
        if self.storage is StorageRule.HEBB:
            return hebb_weights(patterns)
        if self.storage is StorageRule.STORKEY:
            return storkey_weights(patterns)
        if self.storage is StorageRule.PSEUDO_INVERSE:
            return pseudo_inverse_weights(patterns)
        weights = self.storage(patterns)  # type: ignore[operator]
        return _check_weights(weights, patterns.shape[1], patterns)

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
        self.weights_ = self._weights_from_scratch(self.patterns_)
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
            self.weights_ = self.weights_ + hebb_weights(patterns)
        elif self.storage is StorageRule.STORKEY:
            self.weights_ = storkey_weights(patterns, initial=self.weights_)
        else:
            self.weights_ = self._weights_from_scratch(all_patterns)
        self.patterns_ = all_patterns
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
    ) -> RecallResult:
        """Run the dynamics from ``cues`` (B, N) until a sweep changes nothing.

        Parameters
        ----------
        cues : Tensor, shape (B, N), entries in {-1, +1}
        max_sweeps : int, default 100
            Upper bound on the number of sweeps (synchronous steps).
        generator : torch.Generator, optional
            Source of the asynchronous visiting orders and the Glauber draws.
        return_energy : bool, default False
            Also return the energy trajectory, shape (sweeps + 1, B).

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
        weights, bias = self.weights_, self.bias
        temperature = float(self.temperature)
        batch, n = cues.shape

        states = cues.clone()
        energies = [energy(states, weights, bias)] if return_energy else []
        changed = torch.ones(batch, dtype=torch.bool, device=states.device)
        sweeps = 0
        while sweeps < max_sweeps:
            if self.update is UpdateRule.SYNCHRONOUS:
                new_states = sign_keep(_fields(states, weights, bias), states)
                changed = (new_states != states).any(dim=1)
                states = new_states
            else:
                orders = random_orders(batch, n, generator, states, shared=self.shared_order)
                changed = _sweep_(states, weights, bias, temperature, orders, generator)
            sweeps += 1
            if return_energy:
                energies.append(energy(states, weights, bias))
            if not bool(changed.any()):
                break
        overlaps = states @ self.patterns_.T / n  # (B, P)
        trajectory = torch.stack(energies) if return_energy else None
        return RecallResult(states, overlaps, ~changed, sweeps, trajectory)
