"""Synthetic data for the topics: binary memories, Gaussian clouds, clusters, spike trains.

Every generator takes ``generator``, ``device`` and ``dtype`` keyword arguments. Random
numbers are drawn in float64 on the generator's device (the CPU when ``generator`` is
``None``) and the result is then moved to ``device`` and cast to ``dtype``, so one seed
gives the same numbers whatever ``device`` is asked for. No global seed is ever set.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from hebbian._checks import check_dtype, check_in_range, check_positive, check_positive_int
from hebbian._random import draw_device, normal, uniform
from hebbian.spiking.inputs import poisson_spikes

__all__ = [
    "correlated_gaussian",
    "default_spectrum",
    "gaussian_clusters",
    "poisson_spike_trains",
    "random_binary_patterns",
]


def _as_vector(
    name: str, value: torch.Tensor | Sequence[float], device: torch.device
) -> torch.Tensor:
    """Return ``value`` as a finite float64 1-D tensor on ``device``."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        vector = value.detach().to(device=device, dtype=torch.float64)
    else:
        try:
            vector = torch.as_tensor(value, dtype=torch.float64, device=device)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"{name} must be a 1-D tensor or a sequence of numbers, got {value!r}"
            ) from error
    if vector.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {tuple(vector.shape)}")
    if not bool(torch.isfinite(vector).all()):
        raise ValueError(f"{name} must be finite, got {vector.tolist()}")
    return vector


def random_binary_patterns(
    count: int,
    size: int,
    *,
    bias: float = 0.5,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Draw independent random patterns of +1 and -1, e.g. memories for a Hopfield network.

    Each entry is +1 with probability ``bias`` and -1 otherwise, independently.

    Parameters
    ----------
    count : int
        Number of patterns P (>= 1).
    size : int
        Number of units N in each pattern (>= 1).
    bias : float, default 0.5
        Probability of +1, in [0, 1]; 0.5 gives unbiased patterns of mean 0.
    generator : torch.Generator, optional
        Source of randomness; draws happen on its device.
    device : torch.device or str, optional
        Device of the result (default: the draw device).
    dtype : torch.dtype, default torch.float32
        A floating-point or signed integer dtype.

    Returns
    -------
    torch.Tensor
        ``(count, size)`` of values in {-1, +1}.

    Examples
    --------
    >>> patterns = random_binary_patterns(3, 5, generator=torch.Generator().manual_seed(0))
    >>> tuple(patterns.shape), sorted(patterns.unique().tolist())
    ((3, 5), [-1.0, 1.0])
    """
    check_positive_int("count", count)
    check_positive_int("size", size)
    bias = check_in_range("bias", bias, 0.0, 1.0)
    dtype = check_dtype("dtype", dtype, allow_signed_int=True)
    draw = draw_device(generator)
    draws = uniform((count, size), generator, device=draw)  # float64
    patterns = torch.where(draws < bias, 1.0, -1.0)  # (P, N)
    return patterns.to(device=device, dtype=dtype)


def default_spectrum(dim: int) -> torch.Tensor:
    """Return the default eigenvalues of :func:`correlated_gaussian`: ``5 * 0.6**k``.

    The spectrum decays geometrically (5, 3, 1.8, 1.08, 0.648, ...), so consecutive
    principal components are separated by the same ratio and are well defined.

    >>> default_spectrum(4).tolist()
    [5.0, 3.0, 1.8, 1.08]
    """
    check_positive_int("dim", dim)
    return torch.tensor([round(5.0 * 0.6**k, 12) for k in range(dim)], dtype=torch.float64)


def correlated_gaussian(
    n_samples: int,
    dim: int,
    *,
    eigenvalues: torch.Tensor | Sequence[float] | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Draw a zero-mean Gaussian cloud with a known, randomly rotated covariance.

    The covariance is :math:`C = Q \Lambda Q^T` with :math:`\Lambda` the diagonal of
    ``eigenvalues`` and :math:`Q` a uniformly random rotation (QR of a Gaussian matrix
    with the signs fixed). Samples are :math:`x = Q \Lambda^{1/2} z`, :math:`z \sim
    N(0, I)`. The principal components of the cloud are the columns of :math:`Q`, which
    ``torch.linalg.eigh(covariance)`` recovers; Oja and Sanger tests compare with them.

    Parameters
    ----------
    n_samples : int
        Number of samples (>= 1).
    dim : int
        Dimension of each sample (>= 1).
    eigenvalues : tensor or sequence of float, optional
        ``(dim,)`` non-negative variances along the principal axes, in any order.
        Default :func:`default_spectrum`, ``5 * 0.6**k``.
    generator : torch.Generator, optional
        Source of randomness (the rotation and the samples); draws happen on its device.
    device : torch.device or str, optional
        Device of the results (default: the draw device).
    dtype : torch.dtype, default torch.float32
        Floating-point dtype of the results (computed in float64 first).

    Returns
    -------
    samples : torch.Tensor
        ``(n_samples, dim)``.
    covariance : torch.Tensor
        ``(dim, dim)``, the true covariance of the distribution the samples come from.

    Examples
    --------
    >>> x, cov = correlated_gaussian(20000, 3, generator=torch.Generator().manual_seed(0))
    >>> tuple(x.shape), tuple(cov.shape)
    ((20000, 3), (3, 3))
    >>> [round(v, 1) for v in torch.linalg.eigvalsh(cov).flip(0).tolist()]
    [5.0, 3.0, 1.8]
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("dim", dim)
    dtype = check_dtype("dtype", dtype)
    draw = draw_device(generator)
    if eigenvalues is None:
        spectrum = default_spectrum(dim).to(draw)
    else:
        spectrum = _as_vector("eigenvalues", eigenvalues, draw)
        if spectrum.shape[0] != dim:
            raise ValueError(f"eigenvalues must hold dim={dim} values, got {spectrum.shape[0]}")
        if bool((spectrum < 0).any()):
            raise ValueError(f"eigenvalues must be >= 0, got {spectrum.tolist()}")
    gaussian = normal((dim, dim), generator, device=draw)  # float64
    q, r = torch.linalg.qr(gaussian)  # (dim, dim) each
    q = q * torch.where(torch.diagonal(r) < 0, -1.0, 1.0)  # Haar-distributed rotation
    covariance = (q * spectrum) @ q.T  # (dim, dim)
    z = normal((n_samples, dim), generator, device=draw)
    samples = (z * spectrum.sqrt()) @ q.T  # (n_samples, dim)
    return samples.to(device=device, dtype=dtype), covariance.to(device=device, dtype=dtype)


def gaussian_clusters(
    n_per_cluster: int,
    centers: torch.Tensor | Sequence[Sequence[float]],
    std: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Draw isotropic Gaussian clusters around given centres.

    Sample :math:`i` of cluster :math:`k` is :math:`c_k + \sigma \epsilon_i` with
    :math:`\epsilon_i \sim N(0, I)`. Samples come ordered by cluster (all of cluster 0,
    then cluster 1, ...); permute them if the order matters.

    Parameters
    ----------
    n_per_cluster : int
        Samples per cluster (>= 1).
    centers : tensor or nested sequence
        ``(K, dim)`` cluster centres.
    std : float
        Standard deviation of each coordinate around its centre (>= 0).
    generator : torch.Generator, optional
        Source of randomness; draws happen on its device.
    device : torch.device or str, optional
        Device of the results (default: that of ``centers`` if a tensor, else the draw
        device).
    dtype : torch.dtype, optional
        Floating-point dtype of ``samples`` (default: that of ``centers`` if a
        floating-point tensor, else float32).

    Returns
    -------
    samples : torch.Tensor
        ``(K * n_per_cluster, dim)``.
    labels : torch.Tensor
        ``(K * n_per_cluster,)`` int64, the cluster index of each sample.

    Examples
    --------
    >>> x, y = gaussian_clusters(2, [[0.0, 0.0], [10.0, 10.0]], 0.1,
    ...                          generator=torch.Generator().manual_seed(0))
    >>> tuple(x.shape), y.tolist()
    ((4, 2), [0, 0, 1, 1])
    """
    check_positive_int("n_per_cluster", n_per_cluster)
    std = check_positive("std", std, allow_zero=True)
    draw = draw_device(generator)
    if isinstance(centers, torch.Tensor):
        if not centers.is_floating_point():
            raise TypeError(f"centers must have a floating-point dtype, got {centers.dtype}")
        device = centers.device if device is None else device
        dtype = centers.dtype if dtype is None else dtype
        points = centers.detach().to(device=draw, dtype=torch.float64)
    else:
        try:
            points = torch.as_tensor(centers, dtype=torch.float64, device=draw)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"centers must be a (K, dim) tensor or nested sequence, got {centers!r}"
            ) from error
    dtype = check_dtype("dtype", torch.float32 if dtype is None else dtype)
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] == 0:
        raise ValueError(
            f"centers must have shape (K, dim) with K, dim >= 1, got {tuple(points.shape)}"
        )
    if not bool(torch.isfinite(points).all()):
        raise ValueError("centers must be finite")
    n_clusters, dim = points.shape
    noise = normal((n_clusters * n_per_cluster, dim), generator, device=draw)
    samples = points.repeat_interleave(n_per_cluster, dim=0) + std * noise  # (K*n, dim)
    labels = torch.arange(n_clusters, device=draw).repeat_interleave(n_per_cluster)  # (K*n,)
    return samples.to(device=device, dtype=dtype), labels.to(device=device)


def poisson_spike_trains(
    rates: torch.Tensor | Sequence[float],
    duration: float,
    dt: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.bool,
) -> torch.Tensor:
    r"""Draw independent Poisson spike trains of ``N`` neurons for ``duration`` seconds.

    A wrapper of :func:`hebbian.spiking.inputs.poisson_spikes`, the library's one dense
    Poisson generator, in this module's conventions (a duration instead of a number of
    steps, a 1-D list of rates, a ``dtype``); it draws the same numbers. Neuron
    :math:`j` spikes in each bin independently with probability :math:`r_j \, dt` (the
    Bernoulli approximation of a Poisson process, exact in the limit
    :math:`r_j dt \ll 1`). The number of bins is ``round(duration / dt)``.

    Parameters
    ----------
    rates : tensor or sequence of float
        ``(N,)`` firing rates in Hz, each >= 0 and <= 1 / dt.
    duration : float
        Length of the trains in seconds (> 0, at least ``dt``).
    dt : float
        Bin width in seconds (> 0).
    generator : torch.Generator, optional
        Source of randomness; draws happen on its device.
    device : torch.device or str, optional
        Device of the result (default: the draw device).
    dtype : torch.dtype, default torch.bool
        ``torch.bool``, or a floating-point or signed integer dtype for 0/1 values.

    Returns
    -------
    torch.Tensor
        ``(steps, N)``, True (or 1) where a neuron spikes in a bin.

    Raises
    ------
    ValueError
        If a rate is negative or ``rate * dt > 1`` (a bin cannot hold more than one
        spike: lower ``dt`` or the rate), or ``duration < dt``.

    Examples
    --------
    >>> spikes = poisson_spike_trains([10.0, 50.0], duration=1.0, dt=1e-3,
    ...                               generator=torch.Generator().manual_seed(0))
    >>> spikes.shape, spikes.dtype
    (torch.Size([1000, 2]), torch.bool)
    """
    duration = check_positive("duration", duration)
    dt = check_positive("dt", dt)
    dtype = check_dtype("dtype", dtype, allow_signed_int=True, allow_bool=True)
    draw = draw_device(generator)
    rate = _as_vector("rates", rates, draw)  # (N,) float64
    if rate.shape[0] == 0:
        raise ValueError("rates must hold at least one rate, got an empty sequence")
    steps = round(duration / dt)
    if steps < 1:
        raise ValueError(f"duration must be at least dt, got duration={duration!r} s, dt={dt!r} s")
    spikes = poisson_spikes(rate, steps, dt, generator=generator, device=draw)  # (steps, N)
    return spikes.to(device=device, dtype=dtype)
