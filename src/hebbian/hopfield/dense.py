r"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017).

Binary states :math:`\sigma \in \{-1, +1\}^N`, patterns :math:`\xi_\mu` (rows of a
(P, N) tensor) and an interaction function :math:`F`:

.. math::

    E(\sigma) = -\sum_{\mu=1}^{P} F(\xi_\mu \cdot \sigma) .

A neuron is set to whichever value gives the lower energy with all other neurons fixed:

.. math::

    \sigma_i \leftarrow \operatorname{sign}\Big(\sum_\mu
        F(\xi_\mu \cdot \sigma^{(i+)}) - F(\xi_\mu \cdot \sigma^{(i-)})\Big),

where :math:`\sigma^{(i\pm)}` is :math:`\sigma` with bit ``i`` set to :math:`\pm 1`. The
argument of ``sign`` is the *gain* :math:`E(\sigma^{(i-)}) - E(\sigma^{(i+)})`; a zero gain
(tie) keeps the current bit. Hence asynchronous updates never raise the energy, for any
``F``.

**The same states on every machine.** The overlaps :math:`\xi_\mu \cdot \sigma` are
integers, so the polynomial gains are integers: they are computed exactly in int64
whenever :math:`2 P (\max_\mu |r_\mu| + 1)^n < 2^{63}` (a tie is then found exactly,
and no summation order can change a sign). Beyond that (high orders n, e.g.
``Polynomial(30)`` at N = 200, where :math:`200^{30}` overflows float32 and float64
loses the integers) the gain is computed in float64 divided by :math:`M^n`, with
:math:`M = \max_\mu |r_\mu| + 1` the largest base, so the largest term is 1 and
nothing overflows or underflows; a gain with :math:`|g| \le 10^{-9} S`, where
:math:`S = \sum_\mu |u_\mu|^n + |d_\mu|^n` is the size of its terms, is a tie. The
rounding error of g is at most about :math:`(P + n + 2) \epsilon S`, far inside the band
for P + n < 10^6, so an exact tie is always found; a gain that is not a tie is at least
:math:`\sim n / N` of S for the pattern being retrieved, and lands within rounding of
the band's edge with negligible probability. The exponential's gain is computed in
float64 with a band of :math:`10^{-9} (1 + |\operatorname{lse}|)`, for the same reason.

Interaction functions (frozen dataclasses, picklable):

* :class:`Polynomial` ``F(x) = x**n`` (n = 2 is the classical Hopfield network up to a
  constant); capacity grows like :math:`N^{n-1}`;
* :class:`RectifiedPolynomial` ``F(x) = max(x, 0)**n``;
* :class:`Exponential` ``F(x) = exp(x)`` (Demircigil et al. 2017), exponential capacity.
  Everything is computed in log space: the gain is compared as
  :math:`\operatorname{lse}_\mu(\xi_\mu\cdot\sigma^{(i+)}) -
  \operatorname{lse}_\mu(\xi_\mu\cdot\sigma^{(i-)})` (same sign as the difference of the
  sums of exponentials), and the reported energy is the *log-form energy*
  :math:`-\operatorname{lse}_\mu(\xi_\mu\cdot\sigma) = -\log(-E)`, an increasing function
  of :math:`E` (so it has the same minima and also never increases), which stays finite
  at N = 1000 where :math:`e^{1000}` overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

from hebbian._checks import check_bool, check_generator, check_positive_int, check_same_device
from hebbian.hopfield._common import (
    TIE_TOLERANCE,
    RecallResult,
    UpdateRule,
    check_binary,
    check_cue_orders,
    check_sweep_orders,
    check_update_rule,
    random_cue_orders,
    sign_keep,
)
from hebbian.hopfield.recall import recall_loop

__all__ = [
    "DenseAssociativeMemory",
    "Exponential",
    "Interaction",
    "Polynomial",
    "RectifiedPolynomial",
    "asynchronous_sweep",
    "dense_energy",
    "energy",
    "flip_gain",
    "synchronous_step",
]

# Largest number of (B, P, chunk) elements a synchronous step materialises at once.
_SYNC_CHUNK_ELEMENTS = 1 << 22


def _bases(rest: torch.Tensor, xi: torch.Tensor, rectified: bool, dtype: torch.dtype):
    """The bases ``r + xi`` and ``r - xi`` in ``dtype``, clamped at 0 if ``rectified``."""
    r, a = rest.to(dtype), xi.to(dtype)
    up, down = r + a, r - a
    if rectified:
        up, down = up.clamp(min=0), down.clamp(min=0)
    return up, down


def _polynomial_gain(
    rest: torch.Tensor, xi: torch.Tensor, dim: int, degree: int, rectified: bool
) -> torch.Tensor:
    r"""Gain :math:`\sum_\mu F(r_\mu + \xi_\mu) - F(r_\mu - \xi_\mu)`, sign exact.

    ``rest`` holds integers (overlaps of ±1 vectors) and ``xi`` ±1. Exact in int64 when
    :math:`2 P M^n < 2^{63}`, with :math:`M = \max |r| + 1 \ge |r \pm \xi|`; otherwise
    in float64 divided by :math:`M^n` (M per sum), with gains within
    ``TIE_TOLERANCE`` of the size of their terms set to 0 (see the module docstring).
    Returned in the dtype of ``rest``; the sign is that of the exact gain.
    """
    count = rest.shape[dim]
    top = int(rest.abs().amax()) + 1 if rest.numel() else 1
    if 2 * count * top**degree < 2**63:
        up, down = _bases(rest, xi, rectified, torch.int64)
        return (up**degree - down**degree).sum(dim=dim).to(rest.dtype)
    scale = rest.to(torch.float64).abs().amax(dim=dim, keepdim=True) + 1.0  # M >= 1
    up, down = _bases(rest, xi, rectified, torch.float64)
    up, down = (up / scale) ** degree, (down / scale) ** degree  # |.| <= 1
    total = (up - down).sum(dim=dim)
    size = (up.abs() + down.abs()).sum(dim=dim)
    return torch.where(total.abs() <= TIE_TOLERANCE * size, 0.0, total).to(rest.dtype)


def _power_energy(overlaps: torch.Tensor, degree: int, rectified: bool) -> torch.Tensor:
    """``-sum_mu F(m_mu)`` (...,): exact in int64 while it fits, else in float64."""
    base = overlaps.clamp(min=0) if rectified else overlaps
    top = int(base.abs().amax()) if base.numel() else 0
    if overlaps.shape[-1] * top**degree < 2**63:
        return -(base.to(torch.int64) ** degree).sum(dim=-1).to(overlaps.dtype)
    return -(base.to(torch.float64) ** degree).sum(dim=-1).to(overlaps.dtype)


@runtime_checkable
class Interaction(Protocol):
    r"""What an interaction function ``F`` provides.

    ``energy(overlaps)`` maps overlaps (..., P) with the patterns to the energy (...,)
    (log form for the exponential); ``gain(rest, xi, dim)`` returns
    :math:`\\sum_\\mu F(r_\\mu + \\xi_\\mu) - F(r_\\mu - \\xi_\\mu)` (or a quantity with the
    same sign) reduced over ``dim``, where ``rest`` are the overlaps without neuron ``i``
    (integers) and ``xi`` the patterns' bits at neuron ``i``. The recall keeps a bit
    where the gain is 0, so a gain should be exactly 0 at a tie whatever the order of
    its sums (as the built-in interactions are).
    """

    def energy(self, overlaps: torch.Tensor) -> torch.Tensor:
        """Energy (...,) of states whose overlaps with the patterns are ``overlaps`` (..., P)."""
        ...

    def gain(self, rest: torch.Tensor, xi: torch.Tensor, dim: int) -> torch.Tensor:
        """Gain of the value +1 over -1 of one neuron, reduced over ``dim`` (the patterns)."""
        ...


@dataclass(frozen=True)
class Polynomial:
    r"""Polynomial interaction :math:`F(x) = x^n`.

    The gain is exact in int64 while it fits, else computed in float64 scaled by the
    largest power with a tie band (see the module docstring), so any degree works in
    float32. The energy is exact in int64 while it fits, else computed in float64; it
    is returned in the overlaps' dtype, so :math:`N^n` beyond float32's 3.4e38 (e.g.
    :math:`200^{17}`) reads as -inf there: pass float64 states for such energies.

    >>> Polynomial(3).energy(torch.tensor([[2.0, -1.0]]))
    tensor([-7.])
    >>> Polynomial(3).gain(torch.tensor([[2.0, -1.0]]), torch.tensor([[1.0, 1.0]]), dim=1)
    tensor([34.])
    """

    degree: int

    def __post_init__(self) -> None:
        check_positive_int("degree", self.degree)

    def energy(self, overlaps: torch.Tensor) -> torch.Tensor:
        """``-sum_mu m_mu**n`` (...,) from overlaps (..., P)."""
        return _power_energy(overlaps, self.degree, rectified=False)

    def gain(self, rest: torch.Tensor, xi: torch.Tensor, dim: int) -> torch.Tensor:
        """``sum_mu (r + xi)**n - (r - xi)**n`` over ``dim``, with an exact sign."""
        return _polynomial_gain(rest, xi, dim, self.degree, rectified=False)


@dataclass(frozen=True)
class RectifiedPolynomial:
    r"""Rectified polynomial interaction :math:`F(x) = \max(x, 0)^n`.

    >>> RectifiedPolynomial(2).energy(torch.tensor([[2.0, -1.0]]))
    tensor([-4.])
    """

    degree: int

    def __post_init__(self) -> None:
        check_positive_int("degree", self.degree)

    def energy(self, overlaps: torch.Tensor) -> torch.Tensor:
        """``-sum_mu max(m_mu, 0)**n`` (...,) from overlaps (..., P)."""
        return _power_energy(overlaps, self.degree, rectified=True)

    def gain(self, rest: torch.Tensor, xi: torch.Tensor, dim: int) -> torch.Tensor:
        """``sum_mu F(r + xi) - F(r - xi)`` over ``dim``, with an exact sign."""
        return _polynomial_gain(rest, xi, dim, self.degree, rectified=True)


def _logsumexp(values: torch.Tensor, dim: int) -> torch.Tensor:
    """``log(sum(exp(values)))`` over ``dim``, stably and without subnormal slow paths.

    Shifted exponents are clamped at ``log(finfo.tiny) / 2`` (about -44 in float32, -354
    in float64) before ``exp``: such terms are at most ``sqrt(tiny)`` relative to the
    largest one (a relative error below ``P * sqrt(tiny)``, far under rounding), and the
    clamp keeps ``exp`` off the subnormal/underflow path, which is about a hundred times
    slower on common CPUs.
    """
    top = values.amax(dim=dim, keepdim=True)  # finite: inputs are finite overlaps
    floor = 0.5 * math.log(torch.finfo(values.dtype).tiny)
    shifted = (values - top).clamp(min=floor)
    return top.squeeze(dim) + shifted.exp().sum(dim=dim).log()


@dataclass(frozen=True)
class Exponential:
    r"""Exponential interaction :math:`F(x) = e^x` (Demircigil et al. 2017), in log space.

    ``energy`` returns the log-form energy :math:`-\operatorname{lse}_\mu(m_\mu)`;
    ``gain`` returns :math:`\operatorname{lse}(r + \xi) - \operatorname{lse}(r - \xi)`,
    which has the sign of :math:`\sum_\mu e^{r_\mu + \xi_\mu} - e^{r_\mu - \xi_\mu}`.

    >>> Exponential().energy(torch.tensor([[1000.0, 998.0]], dtype=torch.float64))
    tensor([-1000.1269], dtype=torch.float64)
    """

    def energy(self, overlaps: torch.Tensor) -> torch.Tensor:
        """The log-form energy ``-lse_mu(m_mu)`` (...,) from overlaps (..., P)."""
        return -_logsumexp(overlaps, dim=-1)

    def gain(self, rest: torch.Tensor, xi: torch.Tensor, dim: int) -> torch.Tensor:
        """``lse(r + xi) - lse(r - xi)`` over ``dim``, ties (within rounding) exactly 0."""
        r, a = rest.to(torch.float64), xi.to(torch.float64)
        up, down = _logsumexp(r + a, dim=dim), _logsumexp(r - a, dim=dim)
        total = up - down  # float64 rounding ~ 1e-16 (1 + |lse|): a band of 1e-9 (1 + |lse|)
        band = TIE_TOLERANCE * (1.0 + torch.maximum(up.abs(), down.abs()))
        return torch.where(total.abs() <= band, 0.0, total).to(rest.dtype)


def _check_interaction(interaction: object) -> Interaction:
    if not isinstance(interaction, Interaction):
        raise TypeError(
            "interaction must be Polynomial(n), RectifiedPolynomial(n), Exponential() or an "
            f"object with energy() and gain() methods, got {type(interaction).__name__}"
        )
    return interaction


def _check_pair(states: object, patterns: object) -> tuple[torch.Tensor, torch.Tensor]:
    states = check_binary("states", states, ndim=2)
    patterns = check_binary("patterns", patterns, ndim=2)
    if patterns.shape[1] != states.shape[1]:
        raise ValueError(
            f"patterns must have N = {states.shape[1]} columns like states, "
            f"got shape {tuple(patterns.shape)}"
        )
    check_same_device(states=states, patterns=patterns)
    return states, patterns


def energy(states: torch.Tensor, patterns: torch.Tensor, interaction: Interaction) -> torch.Tensor:
    r"""Energy :math:`E(\sigma) = -\sum_\mu F(\xi_\mu \cdot \sigma)` of a batch of states.

    For :class:`Exponential` this is the log-form energy
    :math:`-\log \sum_\mu e^{\xi_\mu\cdot\sigma}`.

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    patterns : Tensor, shape (P, N), entries in {-1, +1}
    interaction : Interaction

    Returns
    -------
    Tensor, shape (B,)

    Examples
    --------
    >>> xi = torch.tensor([[1.0, 1.0, -1.0]])
    >>> energy(torch.tensor([[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]]), xi, Polynomial(3))
    tensor([-27.,  -1.])
    """
    states, patterns = _check_pair(states, patterns)
    interaction = _check_interaction(interaction)
    return interaction.energy(states @ patterns.T)  # overlaps (B, P)


#: The former name of :func:`energy` (every memory's energy is now called ``energy``).
dense_energy = energy


def flip_gain(
    states: torch.Tensor, patterns: torch.Tensor, interaction: Interaction
) -> torch.Tensor:
    r"""Gain of every neuron for taking the value +1 rather than -1.

    .. math:: g_i = \sum_\mu F(\xi_\mu\cdot\sigma^{(i+)}) - F(\xi_\mu\cdot\sigma^{(i-)}) .

    For polynomial ``F`` this equals :math:`E(\sigma^{(i-)}) - E(\sigma^{(i+)})` while it
    fits in int64 (exact); beyond, it is that difference divided by the largest power
    :math:`M^n` of each sum (same sign, ties exactly 0); for the exponential it is the
    log-space version (same sign). The synchronous update is ``sign(gain)`` with ties
    keeping the current bit.

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    patterns : Tensor, shape (P, N), entries in {-1, +1}
    interaction : Interaction

    Returns
    -------
    Tensor, shape (B, N)

    Examples
    --------
    >>> xi = torch.tensor([[1.0, 1.0, -1.0]])
    >>> flip_gain(torch.tensor([[1.0, 1.0, 1.0]]), xi, Polynomial(3))
    tensor([[  2.,   2., -26.]])
    """
    states, patterns = _check_pair(states, patterns)
    interaction = _check_interaction(interaction)
    return _gains(states, patterns, interaction)


def _gains(states: torch.Tensor, patterns: torch.Tensor, interaction: Interaction):
    batch, n = states.shape
    overlaps = states @ patterns.T  # (B, P)
    chunk = max(1, _SYNC_CHUNK_ELEMENTS // max(1, batch * patterns.shape[0]))
    pieces = []
    for start in range(0, n, chunk):
        xi = patterns[:, start : start + chunk]  # (P, C)
        bits = states[:, start : start + chunk]  # (B, C)
        rest = overlaps[:, :, None] - xi[None] * bits[:, None, :]  # (B, P, C)
        pieces.append(interaction.gain(rest, xi[None].expand_as(rest), dim=1))  # (B, C)
    return torch.cat(pieces, dim=1)


def synchronous_step(
    states: torch.Tensor, patterns: torch.Tensor, interaction: Interaction
) -> torch.Tensor:
    r"""Update all neurons at once: :math:`\sigma \leftarrow \operatorname{sign}(\text{gain})`.

    Ties keep the current bit. Memory: the step materialises at most
    ``2**24`` elements of the (B, P, N) tensor at a time (chunks of neurons).

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    patterns : Tensor, shape (P, N), entries in {-1, +1}
    interaction : Interaction

    Returns
    -------
    Tensor, shape (B, N)

    Examples
    --------
    >>> xi = torch.tensor([[1.0, 1.0, -1.0, 1.0]])
    >>> synchronous_step(torch.tensor([[1.0, 1.0, 1.0, 1.0]]), xi, Polynomial(3))
    tensor([[ 1.,  1., -1.,  1.]])
    """
    states, patterns = _check_pair(states, patterns)
    interaction = _check_interaction(interaction)
    return sign_keep(_gains(states, patterns, interaction), states)


def _sweep_(
    states: torch.Tensor,
    patterns: torch.Tensor,
    interaction: Interaction,
    orders: torch.Tensor,
) -> torch.Tensor:
    """In place asynchronous sweep; return the flip mask (B,). Costs O(B P N)."""
    batch, n = states.shape
    overlaps = states @ patterns.T  # (B, P), recomputed each sweep: no drift
    patterns_t = patterns.T.contiguous()  # (N, P): row i = bits of all patterns at i
    flipped = torch.zeros(batch, dtype=torch.bool, device=states.device)
    for t in range(n):
        index = orders[:, t]  # (B,)
        column = index[:, None]
        xi = patterns_t.index_select(0, index)  # (B, P)
        current = states.gather(1, column).squeeze(1)  # (B,)
        rest = overlaps - current[:, None] * xi  # (B, P) overlaps without neuron i
        new = sign_keep(interaction.gain(rest, xi, dim=1), current)  # (B,)
        change = new - current
        states.scatter_(1, column, new[:, None])
        overlaps.add_(change[:, None] * xi)
        flipped |= change != 0
    return flipped


def asynchronous_sweep(
    states: torch.Tensor,
    patterns: torch.Tensor,
    interaction: Interaction,
    *,
    generator: torch.Generator | None = None,
    cue_orders: torch.Tensor | None = None,
    shared_order: bool = False,
) -> torch.Tensor:
    r"""One asynchronous sweep: N single-neuron updates in a random order, batched.

    At step ``t`` cue ``b`` sets neuron ``i = cue_orders[b, t]`` to ``sign(gain_i)`` (tie: keep).
    The overlaps :math:`m_\mu = \xi_\mu\cdot\sigma` (B, P) are kept up to date with a
    rank-1 correction after each step, so a sweep costs O(B P N). Each cue draws its own
    permutation unless ``shared_order=True`` or ``cue_orders`` is given.

    Parameters
    ----------
    states : Tensor, shape (B, N), entries in {-1, +1}
    patterns : Tensor, shape (P, N), entries in {-1, +1}
    interaction : Interaction
    generator : torch.Generator, optional
    cue_orders : Tensor, shape (N,) or (B, N), int64, optional
        Explicit visiting orders, row ``b`` (a permutation) for cue ``b``, or one (N,)
        order for every cue.
    shared_order : bool, default False
        Draw one permutation for the whole batch instead of one per cue.

    Returns
    -------
    Tensor, shape (B, N)

    Examples
    --------
    >>> xi = torch.tensor([[1.0, 1.0, -1.0, 1.0], [1.0, -1.0, 1.0, -1.0]])
    >>> asynchronous_sweep(torch.tensor([[1.0, 1.0, 1.0, 1.0]]), xi, Polynomial(3))
    tensor([[ 1.,  1., -1.,  1.]])
    """
    states, patterns = _check_pair(states, patterns)
    interaction = _check_interaction(interaction)
    generator = check_generator("generator", generator)
    shared_order = check_bool("shared_order", shared_order)
    batch, n = states.shape
    if cue_orders is None:
        rows = 1 if shared_order else batch
        orders = random_cue_orders(rows, n, generator, device=states.device).expand(batch, n)
    else:
        orders = check_cue_orders("cue_orders", cue_orders, batch, n, states)
    new_states = states.clone()
    _sweep_(new_states, patterns, interaction, orders)
    return new_states


class DenseAssociativeMemory:
    r"""Dense associative memory with scikit-learn manners.

    The memory *is* the set of stored patterns, so ``partial_fit`` / ``store`` simply append
    to it and ``fit`` replaces it.

    Parameters
    ----------
    interaction : Interaction, default Polynomial(3)
        ``Polynomial(n)``, ``RectifiedPolynomial(n)`` or ``Exponential()``.
    update : UpdateRule, default UpdateRule.ASYNCHRONOUS
        ``ASYNCHRONOUS`` or ``SYNCHRONOUS`` (``STOCHASTIC`` is not implemented here).
    shared_order : bool, default False
        Asynchronous updates: one random visiting order for all cues of a batch.

    The constructor only records the parameters; they are checked where patterns are
    stored (``fit``, ``partial_fit``) and at ``recall``, as in scikit-learn.

    Attributes
    ----------
    patterns_ : Tensor, shape (P, N)
    n_neurons_ : int

    Examples
    --------
    XOR with N = 3 and the cubic interaction (third bit = XOR of the first two, with
    -1 for False): every row of the truth table is a fixed point.

    >>> xor = torch.tensor([[-1., -1., -1.], [-1., 1., 1.], [1., -1., 1.], [1., 1., -1.]])
    >>> memory = DenseAssociativeMemory(Polynomial(3)).fit(xor)
    >>> result = memory.recall(xor)
    >>> bool(torch.equal(result.states, xor)), result.sweeps
    (True, 1)
    """

    def __init__(
        self,
        interaction: Interaction = Polynomial(3),
        update: UpdateRule = UpdateRule.ASYNCHRONOUS,
        shared_order: bool = False,
    ) -> None:
        self.interaction = interaction
        self.update = update
        self.shared_order = shared_order

    def _check_params(self) -> None:
        _check_interaction(self.interaction)
        check_update_rule("update", self.update)
        if self.update is UpdateRule.STOCHASTIC:
            raise ValueError(
                "update must be UpdateRule.ASYNCHRONOUS or UpdateRule.SYNCHRONOUS for a "
                "DenseAssociativeMemory, got UpdateRule.STOCHASTIC"
            )
        check_bool("shared_order", self.shared_order)

    def fit(self, patterns: torch.Tensor) -> DenseAssociativeMemory:
        """Forget everything and store ``patterns`` (P, N), entries in {-1, +1}; returns self."""
        self._check_params()
        patterns = check_binary("patterns", patterns, ndim=2)
        self.patterns_ = patterns.clone()
        self.n_neurons_ = patterns.shape[1]
        return self

    def partial_fit(self, patterns: torch.Tensor) -> DenseAssociativeMemory:
        """Append ``patterns`` (P, N) to the memory (``fit`` if empty); returns self."""
        if not hasattr(self, "patterns_"):
            return self.fit(patterns)
        self._check_params()
        patterns = check_binary("patterns", patterns, ndim=2)
        if patterns.shape[1] != self.n_neurons_:
            raise ValueError(
                f"patterns must have N = {self.n_neurons_} columns like the stored ones, "
                f"got shape {tuple(patterns.shape)}"
            )
        check_same_device(patterns=patterns, patterns_=self.patterns_)
        self.patterns_ = torch.cat([self.patterns_, patterns])
        return self

    def store(self, patterns: torch.Tensor) -> DenseAssociativeMemory:
        """Alias of :meth:`partial_fit`."""
        return self.partial_fit(patterns)

    def _check_fitted(self) -> None:
        if not hasattr(self, "patterns_"):
            raise RuntimeError("this DenseAssociativeMemory stores no patterns yet; call fit first")

    def energy(self, states: torch.Tensor) -> torch.Tensor:
        """Energy (B,) of ``states`` (B, N); log form for :class:`Exponential`."""
        self._check_fitted()
        return energy(states, self.patterns_, self.interaction)

    def recall(
        self,
        cues: torch.Tensor,
        max_sweeps: int = 100,
        generator: torch.Generator | None = None,
        return_energy: bool = False,
        sweep_orders: torch.Tensor | None = None,
    ) -> RecallResult:
        """Run the dynamics from ``cues`` (B, N) until a sweep changes nothing.

        Parameters and result as in :meth:`hebbian.hopfield.HopfieldNetwork.recall`
        (including ``sweep_orders``, row ``k`` the visiting order of sweep ``k`` for every
        cue); the energies are those of :func:`energy` (log form for the exponential).
        """
        self._check_fitted()
        self._check_params()
        cues = check_binary("cues", cues, ndim=2)
        if cues.shape[1] != self.n_neurons_:
            raise ValueError(
                f"cues must have N = {self.n_neurons_} columns, got shape {tuple(cues.shape)}"
            )
        check_same_device(cues=cues, patterns_=self.patterns_)
        max_sweeps = check_positive_int("max_sweeps", max_sweeps)
        generator = check_generator("generator", generator)
        return_energy = check_bool("return_energy", return_energy)
        if sweep_orders is not None:
            if self.update is UpdateRule.SYNCHRONOUS:
                raise ValueError(
                    "sweep_orders are for asynchronous updates; this memory is synchronous"
                )
            sweep_orders = check_sweep_orders(sweep_orders, self.n_neurons_, cues)
            max_sweeps = min(max_sweeps, sweep_orders.shape[0])
        patterns, interaction = self.patterns_, self.interaction
        rows = 1 if self.shared_order or sweep_orders is not None else cues.shape[0]

        def sweep(states: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
            batch, n = states.shape
            if self.update is UpdateRule.SYNCHRONOUS:
                new_states = sign_keep(_gains(states, patterns, interaction), states)
                return new_states, (new_states != states).any(dim=1)
            if sweep_orders is not None:
                orders = sweep_orders[k : k + 1].expand(batch, n)
            else:
                orders = random_cue_orders(rows, n, generator, device=states.device)
                orders = orders.expand(batch, n)
            return states, _sweep_(states, patterns, interaction, orders)

        return recall_loop(
            cues,
            patterns,
            sweep,
            max_sweeps=max_sweeps,
            dtype=cues.dtype,
            energy=(lambda states: interaction.energy(states @ patterns.T))
            if return_energy
            else None,
        )
