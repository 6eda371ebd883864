r"""Patches of images, their preprocessing, and measures of learned filters.

What a study of first-layer filters needs, as pure functions: random square crops
(:func:`random_patches`), per-patch brightness and contrast normalisation and ZCA
whitening (:func:`normalise_contrast`, :func:`zca_whitening`; Coates & Ng, "Learning
feature representations with K-means", LNCS 7700, 2012, section 3), and two measures
of a filter: how strongly it prefers one orientation, from its 2-D power spectrum
(:func:`orientation_selectivity`), and how much of its energy one small window holds
(:func:`localisation`). The recipe ``hebbian-filters``
(:mod:`hebbian.experiments.deep.filters`) uses them on SoftHebb's filters.
"""

from __future__ import annotations

import math

import torch

from hebbian import _random
from hebbian._checks import check_floating_tensor, check_positive, check_positive_int

__all__ = [
    "SPECTRUM_PADDING",
    "localisation",
    "normalise_contrast",
    "orientation_selectivity",
    "random_patches",
    "zca_whitening",
]

#: The power spectrum is sampled on a grid this many times the filter's side.
SPECTRUM_PADDING = 4


def random_patches(
    images: torch.Tensor, size: int, count: int, generator: torch.Generator | None
) -> torch.Tensor:
    """``count`` square crops of side ``size`` at random places, ``(count, C, size, size)``.

    Each crop's image, top row and left column are drawn (in this order, as three
    vectors of ``count`` integers) from ``generator`` on its device, then used on the
    images' device.

    Examples
    --------
    >>> images = torch.arange(2 * 16.0).reshape(2, 1, 4, 4)
    >>> random_patches(images, 2, 3, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 1, 2, 2])
    """
    images = check_floating_tensor("images", images, ndim=4)
    check_positive_int("size", size)
    check_positive_int("count", count)
    n, _, height, width = images.shape
    if size > min(height, width):
        raise ValueError(f"size must be at most the images' side {min(height, width)}, got {size}")
    which = _random.integers(n, (count,), generator).to(images.device)
    top = _random.integers(height - size + 1, (count,), generator).to(images.device)
    left = _random.integers(width - size + 1, (count,), generator).to(images.device)
    offsets = torch.arange(size, device=images.device)
    rows = (top[:, None] + offsets)[:, :, None]  # (count, size, 1)
    columns = (left[:, None] + offsets)[:, None, :]  # (count, 1, size)
    crops = images[which[:, None, None], :, rows, columns]  # (count, size, size, C)
    return crops.permute(0, 3, 1, 2).contiguous()


def normalise_contrast(patches: torch.Tensor, epsilon: float) -> torch.Tensor:
    r"""Each row minus its mean, over :math:`\sqrt{\operatorname{var} + \epsilon}`: ``(M, N)``.

    The variance is the row's biased one (over its ``N`` entries).

    Examples
    --------
    >>> normalise_contrast(torch.tensor([[1.0, 3.0]]), 0.0)
    tensor([[-1.,  1.]])
    """
    patches = check_floating_tensor("patches", patches, ndim=2)
    epsilon = check_positive("epsilon", epsilon, allow_zero=True)
    centred = patches - patches.mean(dim=1, keepdim=True)
    return centred / torch.sqrt(centred.square().mean(dim=1, keepdim=True) + epsilon)


def zca_whitening(patches: torch.Tensor, epsilon: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The mean :math:`\mu` ``(N,)`` and ZCA matrix :math:`Z` ``(N, N)`` of ``patches`` ``(M, N)``.

    :math:`C = \frac1M \sum_m (x_m - \mu)(x_m - \mu)^\top = V \Lambda V^\top` and
    :math:`Z = V (\Lambda + \epsilon I)^{-1/2} V^\top` (eigenvalues clamped at 0), so
    :math:`Z C Z = \Lambda (\Lambda + \epsilon I)^{-1}` in the eigenbasis: close to the
    identity where :math:`\lambda \gg \epsilon`, attenuated where
    :math:`\lambda \lesssim \epsilon`. :math:`Z` is symmetric, so it does not depend on
    the signs or the basis :func:`torch.linalg.eigh` picks for equal eigenvalues.

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    >>> mean, z = zca_whitening(x, 1e-12)
    >>> torch.allclose(z, torch.diag(torch.tensor([2.0**0.5, 0.5**0.5])))
    True
    """
    patches = check_floating_tensor("patches", patches, ndim=2)
    epsilon = check_positive("epsilon", epsilon)
    mean = patches.mean(dim=0)
    centred = patches - mean
    covariance = centred.T @ centred / patches.shape[0]  # (N, M) @ (M, N)
    values, vectors = torch.linalg.eigh(covariance)
    scale = (values.clamp_min(0.0) + epsilon).rsqrt()
    return mean, (vectors * scale) @ vectors.T  # V diag(scale) V^T


def _as_filters(filters: torch.Tensor) -> torch.Tensor:
    filters = check_floating_tensor("filters", filters)
    if filters.ndim == 3:
        filters = filters[:, None]
    if filters.ndim != 4:
        raise ValueError(
            f"filters must be (H, k, k) or (H, C, k, k), got shape {tuple(filters.shape)}"
        )
    return filters


def orientation_selectivity(filters: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Each filter's orientation selectivity and preferred orientation, from its power spectrum.

    The channel means are removed, each channel is zero-padded to
    :data:`SPECTRUM_PADDING` times its size plus one (an odd size, so that the grid of
    frequencies holds :math:`-\mathbf q` with every :math:`\mathbf q` and no unpaired
    Nyquist frequency) and Fourier transformed, and the powers are
    summed over channels: :math:`P(\mathbf q) = \sum_c |\hat f_c(\mathbf q)|^2`. With
    :math:`\theta(\mathbf q)` the angle of the frequency (counter-clockwise from the
    columns' axis, rows pointing down as an image is drawn),

    .. math:: S = \frac{\left|\sum_{\mathbf q} P(\mathbf q)\, e^{2 i \theta}\right|}
                       {\sum_{\mathbf q} P(\mathbf q)}, \qquad
              \phi = \tfrac12 \arg \sum_{\mathbf q} P(\mathbf q)\, e^{2 i \theta}.

    :math:`S` is 1 for power on one line through the origin and 0 for power spread
    evenly over orientations; the doubled angle makes :math:`\mathbf q` and
    :math:`-\mathbf q` (which have the same power for a real filter) count alike.
    :math:`\phi \in [0, \pi)` is the direction of the preferred wave vector (a filter's
    stripes run perpendicular to it). For a square filter the grid of frequencies is
    symmetric under a quarter turn, so turning the filter by 90 degrees keeps :math:`S`
    and adds :math:`\pi/2` to :math:`\phi`, and a filter symmetric under a quarter turn
    has :math:`S = 0` (up to rounding).
    A filter with no power (a constant) has :math:`S = 0`, :math:`\phi = 0`.

    Parameters
    ----------
    filters : Tensor, shape (H, C, kh, kw) or (H, kh, kw)

    Returns
    -------
    selectivity, orientation : Tensor, shape (H,)

    Examples
    --------
    Horizontal stripes filling the window (a vertical wave vector, :math:`\phi = \pi/2`);
    the window's edges spread some power to other orientations, so :math:`S < 1`:

    >>> rows = torch.tensor([1.0, 1.0, -1.0, -1.0]).repeat(2)
    >>> s, phi = orientation_selectivity(rows[:, None].expand(8, 8)[None])
    >>> round(float(s), 3), round(float(phi), 4)
    (0.815, 1.5708)
    """
    filters = _as_filters(filters)
    _, _, kh, kw = filters.shape
    centred = filters - filters.mean(dim=(2, 3), keepdim=True)
    size = (SPECTRUM_PADDING * kh + 1, SPECTRUM_PADDING * kw + 1)  # odd: q and -q both on it
    spectrum = torch.fft.fft2(centred, s=size)  # (H, C, Sh, Sw)
    power = (spectrum.real.square() + spectrum.imag.square()).sum(dim=1)  # (H, Sh, Sw)
    rows = torch.fft.fftfreq(size[0], dtype=filters.dtype, device=filters.device)
    columns = torch.fft.fftfreq(size[1], dtype=filters.dtype, device=filters.device)
    angle = torch.atan2(-rows[:, None], columns[None, :])  # (Sh, Sw), y up
    power = power.clone()
    power[:, 0, 0] = 0.0  # the mean, removed: only rounding is left there
    cosine = (power * torch.cos(2 * angle)).sum(dim=(1, 2))
    sine = (power * torch.sin(2 * angle)).sum(dim=(1, 2))
    total = power.sum(dim=(1, 2))
    selectivity = torch.where(
        total > 0, torch.hypot(cosine, sine) / total.clamp_min(torch.finfo(total.dtype).tiny), 0.0
    )
    orientation = torch.remainder(torch.atan2(sine, cosine) / 2, math.pi)
    return selectivity, orientation


def localisation(filters: torch.Tensor, window: int) -> torch.Tensor:
    r"""The largest share of each filter's energy that one ``window`` x ``window`` window holds.

    With the energy :math:`E(i, j) = \sum_c f_c(i, j)^2`,

    .. math:: L = \max_{\text{windows } \Omega} \frac{\sum_{(i,j)\in\Omega} E(i,j)}
                                                  {\sum_{i,j} E(i,j)},

    over the windows that lie inside the filter. Energy spread evenly gives
    :math:`w^2/(k_h k_w)`, energy in one window 1; a zero filter gives 0.

    Parameters
    ----------
    filters : Tensor, shape (H, C, kh, kw) or (H, kh, kw)
    window : int
        At most ``min(kh, kw)``.

    Returns
    -------
    Tensor, shape (H,)

    Examples
    --------
    >>> localisation(torch.ones(1, 4, 4), 2)
    tensor([0.2500])
    >>> localisation(torch.eye(4)[None], 2)
    tensor([0.5000])
    """
    filters = _as_filters(filters)
    check_positive_int("window", window)
    if window > min(filters.shape[2:]):
        raise ValueError(
            f"window must be at most the filters' side {min(filters.shape[2:])}, got {window}"
        )
    energy = filters.square().sum(dim=1, keepdim=True)  # (H, 1, kh, kw)
    windows = torch.nn.functional.avg_pool2d(energy, window, stride=1) * window**2
    best = windows.flatten(1).amax(dim=1)
    total = energy.flatten(1).sum(dim=1)
    return torch.where(total > 0, best / total.clamp_min(torch.finfo(total.dtype).tiny), 0.0)
