r"""Training the competing hidden units: initial weights, one epoch, the fitting loop.

One epoch shuffles the samples and applies, batch after batch, the rule of
:mod:`hebbian.competing.rule` normalised and annealed,

.. math:: W \leftarrow W + \varepsilon_e \frac{\Delta W}{\max(\max_{\mu i}|\Delta W_{\mu i}|,
          \text{precision})}, \qquad \varepsilon_e = \varepsilon_0 (1 - e / E).

Two implementations of the step serve :func:`competing_epoch`: a row-sparse one that
computes and changes only the rows of the winners and k-th units (one process), and
a dense one whose summed change is reduced over processes before normalising (data
parallel, :mod:`hebbian.competing.distributed`). Both rank exactly as
:func:`~hebbian.competing.rule.competition`; :func:`fit_competing` is the one loop
over epochs for both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from hebbian import _random
from hebbian._checks import (
    NonFiniteWeightsError,
    check_floating_tensor,
    check_memory,
    check_positive_int,
    check_same_device,
)
from hebbian.competing.params import (
    AntiHebbian,
    CompetingParams,
    Homeostasis,
    Init,
    check_ranking,
)
from hebbian.competing.rule import (
    annealed_rate,
    check_inputs_weight,
    power_weights,
    rank_first_and_kth,
)

__all__ = [
    "EpochOutcome",
    "Reduce",
    "competing_epoch",
    "competing_epoch_outcome",
    "fit_competing",
    "initial_weights",
]

Reduce = Callable[[torch.Tensor], torch.Tensor]
"""A function that sums a tensor over the processes of a data-parallel group."""


def _check_params(params: object) -> CompetingParams:
    if not isinstance(params, CompetingParams):
        raise TypeError(f"params must be a CompetingParams, got {type(params).__name__}")
    return params


def _check_cpu_generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise TypeError(f"generator must be a CPU torch.Generator, got {generator!r}")
    return generator


def initial_weights(
    hidden_units: int,
    features: int,
    params: CompetingParams,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Draw the initial weights ``(hidden_units, features)`` in float64 on the CPU, then cast.

    Drawing on the CPU from a CPU ``generator`` gives the same numbers on every device.

    Parameters
    ----------
    hidden_units, features : int
        The shape ``(H, N)``.
    params : CompetingParams
        ``init`` and ``init_scale`` choose the distribution.
    generator : torch.Generator
        A CPU generator.
    dtype : torch.dtype
        Dtype of the result.
    device : torch.device or str
        Device of the result.

    Returns
    -------
    Tensor, shape (hidden_units, features)

    Examples
    --------
    >>> w = initial_weights(3, 4, CompetingParams(hidden_units=3, k=2),
    ...                     torch.Generator().manual_seed(0))
    >>> tuple(w.shape), w.dtype
    ((3, 4), torch.float32)
    """
    check_positive_int("hidden_units", hidden_units)
    check_positive_int("features", features)
    params = _check_params(params)
    generator = _check_cpu_generator(generator)
    shape = (hidden_units, features)
    check_memory(  # the float64 draw, before allocating it
        f"hidden_units={hidden_units}, features={features} (the initial weights)",
        8 * hidden_units * features,
    )
    if params.init is Init.NORMAL:
        weight = _random.normal(shape, generator) * params.init_scale
    else:
        weight = _random.symmetric_uniform(shape, params.init_scale, generator)
    return weight.to(dtype=dtype, device=device)


def _ranked(
    batch: torch.Tensor,
    powered: torch.Tensor,
    params: CompetingParams,
    thresholds: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    r"""Winners ``(b,)``, k-th units ``(b,)``, :math:`g I` terms ``(2b,)`` and the k-th's ``g``.

    The last is None for the published rule (every k-th unit has :math:`g = -\Delta`)
    and a ``(b,)`` tensor of :math:`g` (:math:`-\Delta` or 0) for
    :attr:`AntiHebbian.POSITIVE`. With ``thresholds`` ``(H,)`` the units are ranked by
    :math:`I - \theta` and the :math:`g I` terms use the currents :math:`I` themselves.
    """
    currents = batch @ powered.T  # (b, N) @ (N, H) -> (b, H)
    if thresholds is None:
        first, kth, first_value, kth_value = rank_first_and_kth(currents, params.k)  # ties: lower
    else:
        first, kth, _, _ = rank_first_and_kth(currents - thresholds, params.k)
        first_value = currents.gather(1, first[:, None])[:, 0]  # (b,)
        kth_value = currents.gather(1, kth[:, None])[:, 0]  # (b,)
    if params.anti_hebbian is AntiHebbian.ALWAYS:
        return first, kth, torch.cat([first_value, kth_value * -params.delta]), None
    g_kth = torch.where(kth_value > 0, batch.new_tensor(-params.delta), batch.new_tensor(0.0))
    return first, kth, torch.cat([first_value, kth_value * g_kth]), g_kth


def _sparse_step(
    weight: torch.Tensor,
    powered: torch.Tensor,
    batch: torch.Tensor,
    params: CompetingParams,
    rate: float,
    thresholds: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Apply one normalised update in place, touching only the rows that learn.

    Only the winner and the k-th unit of each sample have non-zero rows in ``dW``, so
    at most ``2 B`` of the ``H`` rows change; their ``powered`` weights are refreshed
    in place. Returns the winners ``(b,)`` and :math:`\max|\Delta W|`, a 0-d tensor.
    """
    b = batch.shape[0]
    first, kth, g_currents, g_kth = _ranked(batch, powered, params, thresholds)
    rows, slot = torch.unique(torch.cat([first, kth]), return_inverse=True)  # (R,), (2b,)
    drows = batch.new_zeros(rows.shape[0], batch.shape[1])  # (R, N): non-zero rows of dW
    drows.index_add_(0, slot[:b], batch)  # + v_b for the winners
    if g_kth is None:
        drows.index_add_(0, slot[b:], batch, alpha=-params.delta)  # - delta v_b for the k-th
    else:
        drows.index_add_(0, slot[b:], batch * g_kth[:, None])  # g v_b for the k-th
    decay = batch.new_zeros(rows.shape[0]).index_add_(0, slot, g_currents)  # (R,)
    old_rows = weight.index_select(0, rows)  # (R, N)
    drows.addcmul_(old_rows, decay[:, None], value=-1.0)  # sum_b g (v - I W)
    low, high = torch.aminmax(drows)
    peak = torch.maximum(high, -low)  # max |dW|
    new_rows = old_rows.addcmul_(drows, rate / peak.clamp_min(params.precision))
    weight.index_copy_(0, rows, new_rows)
    powered.index_copy_(0, rows, power_weights(new_rows, params.p))
    return first, peak


def _dense_step(
    weight: torch.Tensor,
    batch: torch.Tensor,
    params: CompetingParams,
    rate: float,
    reduce: Reduce,
    thresholds: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Apply one update whose summed ``dW`` is reduced over processes before normalising.

    Returns this process's winners ``(b,)`` and :math:`\max|\Delta W|` of the reduced
    change, a 0-d tensor.
    """
    powered = power_weights(weight, params.p)
    first, kth, g_currents, g_kth = _ranked(batch, powered, params, thresholds)
    dw = torch.zeros_like(weight)  # (H, N)
    dw.index_add_(0, first, batch)
    if g_kth is None:
        dw.index_add_(0, kth, batch, alpha=-params.delta)
    else:
        dw.index_add_(0, kth, batch * g_kth[:, None])
    decay = weight.new_zeros(weight.shape[0]).index_add_(0, torch.cat([first, kth]), g_currents)
    dw.addcmul_(weight, decay[:, None], value=-1.0)  # this process's share of sum_b g (v - I W)
    dw = reduce(dw)  # the sum over every process's samples
    peak = dw.abs().amax()
    weight.addcmul_(dw, rate / peak.clamp_min(params.precision))
    return first, peak


def _check_thresholds(
    thresholds: object, params: CompetingParams, weight: torch.Tensor
) -> torch.Tensor | None:
    """A fresh copy of the thresholds (zeros if None) with THRESHOLD; None without it."""
    if params.homeostasis is Homeostasis.NONE:
        if thresholds is not None:
            raise ValueError("thresholds must be None when params.homeostasis is NONE")
        return None
    if thresholds is None:
        return weight.new_zeros(weight.shape[0])
    checked = check_floating_tensor("thresholds", thresholds, shape=(weight.shape[0],))
    check_same_device(thresholds=checked, weight=weight)
    return checked.detach().to(weight.dtype).clone()


def _alone(tensor: torch.Tensor) -> torch.Tensor:
    """The sum over the processes of a single process: the tensor itself."""
    return tensor


def _raise_non_finite(step: int) -> None:
    raise NonFiniteWeightsError(
        f"rule 'krotov-hopfield' produced non-finite weights at step {step} (the summed "
        "update dW holds NaN or inf); check the inputs are finite and not huge"
    )


class EpochOutcome(NamedTuple):
    """What one epoch of :func:`competing_epoch_outcome` returns.

    Attributes
    ----------
    weight : Tensor, shape (H, N)
        The weights after the epoch.
    wins : Tensor, shape (H,), int64
        How many of the epoch's samples ranked each unit first (summed over the
        processes in data-parallel training), counted on the weights' device while
        the epoch ran; ``(wins > 0).sum()`` is the number of distinct winners.
    thresholds : Tensor, shape (H,), or None
        The units' thresholds after the epoch with
        :attr:`~hebbian.competing.params.Homeostasis.THRESHOLD`; None without.
    """

    weight: torch.Tensor
    wins: torch.Tensor
    thresholds: torch.Tensor | None = None


def competing_epoch_outcome(
    weight: torch.Tensor,
    data: torch.Tensor,
    params: CompetingParams,
    epochs_done: int,
    generator: torch.Generator,
    *,
    rank: int = 0,
    world_size: int = 1,
    reduce: Reduce | None = None,
    thresholds: torch.Tensor | None = None,
) -> EpochOutcome:
    r"""One shuffled pass of the unsupervised rule over ``data``: new weights and wins.

    The samples are shuffled with a permutation drawn on the CPU from ``generator``
    and cut into batches of ``params.batch_size * world_size``; as in the authors'
    notebook an incomplete last batch is dropped. Each batch applies

    .. math:: W \leftarrow W + \varepsilon_e\, \Delta W / \max|\Delta W|,
              \quad \varepsilon_e = \varepsilon_0 (1 - e / E)

    with ``e`` = ``epochs_done`` (see :func:`~hebbian.competing.rule.competing_update`,
    :func:`~hebbian.competing.rule.normalised_increment`,
    :func:`~hebbian.competing.rule.annealed_rate`). Without ``reduce`` only the
    rows of the winners and k-th units are computed and changed on the CPU, which
    leaves the product ``v @ W_p^T`` as the only full-size work; on other devices
    (and with ``reduce``) the whole ``dW`` is formed, so that no step waits on the
    host for a data-dependent size.

    The loop never reads a tensor back to the host: each batch's winners are counted
    into ``wins`` on the device, and each batch's :math:`\max|\Delta W|` is stored
    there too; the check that they are all finite (and the first step that was not)
    is made once, after the last batch.

    **Data-parallel training.** With ``world_size`` processes, every process draws
    the same permutation (same ``generator`` seed), takes the ``rank``-th slice of
    ``params.batch_size`` samples of each global batch, computes its share of
    :math:`\Delta W`, and ``reduce`` sums the shares over the processes *before*
    the normalisation; so ``N`` processes with batch ``b`` follow the same weights as
    one process with batch ``N b`` (see :mod:`hebbian.competing.distributed`).

    Parameters
    ----------
    weight : Tensor, shape (H, N)
        Not modified; the result is a new tensor.
    data : Tensor, shape (n_samples, N)
        Same device and dtype as ``weight``.
    params : CompetingParams
        ``hidden_units`` is not used (it is ``H``); the others are.
    epochs_done : int
        Epochs already made, 0 for the first; sets the learning rate.
    generator : torch.Generator
        A CPU generator for the shuffling.
    rank, world_size : int
        This process's index and the number of processes (1 without data parallelism).
    reduce : callable, optional
        Sums a tensor over the processes; required when ``world_size > 1``. It sums
        each batch's ``dW`` (and, with thresholds, its ``(H,)`` win counts) and, once
        per epoch, the ``(H,)`` int64 win counts.
    thresholds : Tensor, shape (H,), optional
        The units' thresholds :math:`\theta` at the start of the epoch with
        ``params.homeostasis`` THRESHOLD (default zeros); must be None without.
        Not modified.

    Returns
    -------
    EpochOutcome
        ``weight`` ``(H, N)`` and ``wins`` ``(H,)``.

    Raises
    ------
    NonFiniteWeightsError
        If an update produced NaN or infinite weights (names the step).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> params = CompetingParams(hidden_units=8, p=2.0, k=2, batch_size=10, epochs=5)
    >>> data = torch.rand(100, 4, generator=g)
    >>> w = initial_weights(8, 4, params, g)
    >>> for e in range(5):
    ...     w, wins, _ = competing_epoch_outcome(w, data, params, e, g)
    >>> tuple(w.shape), int(wins.sum())  # 10 batches of 10: 100 samples won
    ((8, 4), 100)
    """
    data, weight = check_inputs_weight(data, weight)
    params = _check_params(params)
    check_ranking(params.k, params.delta, weight.shape[0])
    check_positive_int("epochs_done", epochs_done, minimum=0)
    generator = _check_cpu_generator(generator)
    check_positive_int("world_size", world_size)
    check_positive_int("rank", rank, minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be < world_size = {world_size}, got {rank}")
    if world_size > 1 and reduce is None:
        raise ValueError("reduce must be given when world_size > 1 (it sums dW over processes)")
    thresholds = _check_thresholds(thresholds, params, weight)
    global_batch = params.batch_size * world_size
    n_batches = data.shape[0] // global_batch
    if n_batches == 0:
        raise ValueError(
            f"data has {data.shape[0]} samples, fewer than one batch of "
            f"batch_size * world_size = {global_batch}"
        )
    rate = annealed_rate(params.learning_rate, epochs_done, params.epochs)
    order = _random.permutation(data.shape[0], generator, device=data.device)
    weight = weight.detach().clone()
    # the row-sparse step needs torch.unique, whose output size a GPU must report to the
    # host: it serves one CPU process; other devices take the dense step, which does not
    sparse = reduce is None and weight.device.type == "cpu"
    # the powered weights of the sparse path are kept in step with ``weight`` row by row
    powered = power_weights(weight, params.p).clone() if sparse else weight
    wins = torch.zeros(weight.shape[0], dtype=torch.int64, device=weight.device)  # (H,)
    ones = torch.ones(params.batch_size, dtype=torch.int64, device=weight.device)  # (b,)
    peaks = weight.new_empty(n_batches)  # max |dW| of each batch, read once at the end
    ones_float, eta = ones.to(weight.dtype), params.threshold_rate
    for i in range(n_batches):
        start = i * global_batch + rank * params.batch_size
        batch = data[order[start : start + params.batch_size]]  # (b, N)
        if sparse:
            first, peak = _sparse_step(weight, powered, batch, params, rate, thresholds)
        else:
            first, peak = _dense_step(weight, batch, params, rate, reduce or _alone, thresholds)
        wins.index_add_(0, first, ones)
        peaks[i] = peak
        if thresholds is not None:  # theta += eta (H n / B - 1), n: wins in the global batch
            counts = thresholds.new_zeros(thresholds.shape).index_add_(0, first, ones_float)
            if reduce is not None:
                counts = reduce(counts)
            thresholds.add_(counts * (weight.shape[0] / global_batch) - 1.0, alpha=eta)
    # |increment| <= rate, so finite weights stay finite unless a dW was not finite
    finite = torch.isfinite(peaks)
    if not bool(finite.all()):
        _raise_non_finite(epochs_done * n_batches + int((~finite).to(torch.uint8).argmax()) + 1)
    if reduce is not None:
        wins = reduce(wins)
    return EpochOutcome(weight, wins, thresholds)


def competing_epoch(
    weight: torch.Tensor,
    data: torch.Tensor,
    params: CompetingParams,
    epochs_done: int,
    generator: torch.Generator,
    *,
    rank: int = 0,
    world_size: int = 1,
    reduce: Reduce | None = None,
) -> torch.Tensor:
    r"""One shuffled pass of the unsupervised rule over ``data``; returns the new weights.

    :func:`competing_epoch_outcome` without the win counts; the same arguments. With
    :attr:`~hebbian.competing.params.Homeostasis.THRESHOLD` each call starts from zero
    thresholds: to carry them over epochs use :func:`competing_epoch_outcome` (as
    :func:`fit_competing` does).

    Returns
    -------
    Tensor, shape (H, N)

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> params = CompetingParams(hidden_units=8, p=2.0, k=2, batch_size=10, epochs=5)
    >>> w = competing_epoch(initial_weights(8, 4, params, g), torch.rand(100, 4), params, 0, g)
    >>> tuple(w.shape)
    (8, 4)
    """
    return competing_epoch_outcome(
        weight, data, params, epochs_done, generator,
        rank=rank, world_size=world_size, reduce=reduce,
    ).weight  # fmt: skip


def fit_competing(
    data: torch.Tensor,
    params: CompetingParams,
    generator: torch.Generator,
    *,
    weight: torch.Tensor | None = None,
    callback: Callable[[int, torch.Tensor], None] | None = None,
    rank: int = 0,
    world_size: int = 1,
    reduce: Reduce | None = None,
) -> torch.Tensor:
    """Train for ``params.epochs`` epochs of :func:`competing_epoch` from fresh (or given) weights.

    The one training loop, in one process or data-parallel: ``rank``, ``world_size``
    and ``reduce`` pass to every :func:`competing_epoch` (see
    :func:`hebbian.competing.distributed.fit_competing_distributed`).

    Parameters
    ----------
    data : Tensor, shape (n_samples, N)
    params : CompetingParams
    generator : torch.Generator
        A CPU generator: initial weights (if ``weight`` is None) and shuffling.
    weight : Tensor, shape (hidden_units, N), optional
        Start here instead of drawing initial weights.
    callback : callable, optional
        Called as ``callback(epoch, weight)`` after each epoch (1-based).
    rank, world_size : int
        This process's index and the number of processes (1 without data parallelism).
    reduce : callable, optional
        Sums a tensor over the processes (the dense step); required when
        ``world_size > 1``.

    Returns
    -------
    Tensor, shape (hidden_units, N)

    Examples
    --------
    >>> from hebbian.competing.rule import p_norms
    >>> g = torch.Generator().manual_seed(0)
    >>> params = CompetingParams(hidden_units=8, p=3.0, k=2, batch_size=20, epochs=40)
    >>> data = torch.randn(400, 10, generator=g)  # every unit wins some samples
    >>> w = fit_competing(data, params, g)
    >>> bool(((p_norms(w, 3.0) - 1).abs() < 0.01).all())  # the unit sphere of the 3-norm
    True
    """
    data = check_floating_tensor("data", data, ndim=2)
    params = _check_params(params)
    if weight is None:
        weight = initial_weights(
            params.hidden_units, data.shape[1], params, generator,
            dtype=data.dtype, device=data.device,
        )  # fmt: skip
    thresholds = None
    for epoch in range(params.epochs):
        weight, _, thresholds = competing_epoch_outcome(
            weight, data, params, epoch, generator,
            rank=rank, world_size=world_size, reduce=reduce, thresholds=thresholds,
        )  # fmt: skip
        if callback is not None:
            callback(epoch + 1, weight)
    return weight
