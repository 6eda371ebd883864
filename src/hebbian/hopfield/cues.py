r"""Cues for Hopfield memories: corrupted patterns, and the angle code of grey levels.

* :func:`flip_bits`: ±1 patterns with an exact number of bits flipped per row;
* :func:`mask_bottom_half`, :func:`invert_pixels`, :func:`binarise_cue`: grey-level image
  cues (half masked, or a fraction of the pixels inverted) and their ±1 version for a
  classical network;
* :func:`angle_encode` / :func:`angle_decode`: grey levels in [0, 1] as unit vectors, so
  that every image has the same norm in a modern Hopfield network (Ramsauer et al. 2020).

Random draws come from a ``torch.Generator`` passed in (:mod:`hebbian._random`).
"""

from __future__ import annotations

import math

import torch

from hebbian._checks import check_in_range
from hebbian._random import uniform
from hebbian.data import random_binary_patterns

__all__ = [
    "angle_decode",
    "angle_encode",
    "binarise_cue",
    "flip_bits",
    "invert_pixels",
    "mask_bottom_half",
]


def flip_bits(
    patterns: torch.Tensor, fraction: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Copies of ``patterns`` (B, N) with exactly ``round(fraction * N)`` bits flipped per row.

    The flipped positions of a row are the ranks below the count of float32 uniform keys
    (a uniformly random subset), drawn and ranked on the generator's device (the CPU for a
    run) and moved to the patterns' device.

    Parameters
    ----------
    patterns : Tensor, shape (B, N)
        Patterns, usually with entries in {-1, +1} (a flip negates an entry).
    fraction : float
        Fraction of the bits of each row to flip, in [0, 1].
    generator : torch.Generator, optional
        Source of the flipped positions.

    Returns
    -------
    Tensor, shape (B, N)
        The corrupted copies (``patterns`` itself is not modified).

    Examples
    --------
    >>> xi = torch.ones(3, 10)
    >>> cues = flip_bits(xi, 0.2, torch.Generator().manual_seed(0))
    >>> (cues == -1).sum(dim=1).tolist()
    [2, 2, 2]
    """
    check_in_range("fraction", fraction, 0.0, 1.0)
    count = round(fraction * patterns.shape[1])
    if count == 0:
        return patterns.clone()
    keys = uniform(patterns.shape, generator, draw_dtype=torch.float32)  # (B, N)
    ranks = keys.argsort(dim=1).argsort(dim=1).to(patterns.device)  # (B, N) rank of each key
    return torch.where(ranks < count, -patterns, patterns)


def mask_bottom_half(
    images: torch.Tensor, shape: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Grey-level cues with the bottom half of every image unknown (shown as grey 0.5).

    Parameters
    ----------
    images : Tensor, shape (B, D)
        Flattened images of ``shape`` (height, width), grey levels in [0, 1].
    shape : tuple of int
        (height, width), with ``height * width = D``.

    Returns
    -------
    cues : Tensor, shape (B, D)
        The images with the rows from ``height // 2`` on set to 0.5.
    unknown : Tensor, shape (B, D), bool
        True at the masked pixels.

    Examples
    --------
    >>> cues, unknown = mask_bottom_half(torch.zeros(1, 4), (2, 2))
    >>> cues.tolist(), unknown.tolist()
    ([[0.0, 0.0, 0.5, 0.5]], [[False, False, True, True]])
    """
    batch, dim = images.shape
    height, width = shape
    unknown = torch.zeros(height, width, dtype=torch.bool, device=images.device)
    unknown[height // 2 :] = True
    unknown = unknown.reshape(1, dim).expand(batch, dim)
    return torch.where(unknown, 0.5, images), unknown


def invert_pixels(
    images: torch.Tensor, fraction: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Grey-level cues with ``round(fraction * D)`` random pixels inverted, ``v -> 1 - v``.

    The pixels are chosen as the flipped bits of :func:`flip_bits` (one draw of keys).

    Parameters
    ----------
    images : Tensor, shape (B, D)
        Grey levels in [0, 1].
    fraction : float
        Fraction of the pixels of each image to invert, in [0, 1].
    generator : torch.Generator, optional
        Source of the inverted positions.

    Returns
    -------
    Tensor, shape (B, D)

    Examples
    --------
    >>> invert_pixels(torch.zeros(2, 4), 0.5, torch.Generator().manual_seed(0)).sum(dim=1)
    tensor([2., 2.])
    """
    ones = torch.ones(images.shape, device=images.device)
    inverted = flip_bits(ones, fraction, generator) < 0  # (B, D)
    return torch.where(inverted, 1.0 - images, images)


def binarise_cue(
    cues: torch.Tensor, unknown: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """±1 cues for a classical network: ``+1`` above grey 0.5, random bits where unknown.

    Parameters
    ----------
    cues : Tensor, shape (B, D)
        Grey levels in [0, 1].
    unknown : Tensor, shape (B, D), bool
        Pixels whose value is unknown; they get independent random ±1 bits
        (:func:`hebbian.data.random_binary_patterns`).
    generator : torch.Generator, optional
        Source of the random bits.

    Returns
    -------
    Tensor, shape (B, D)
        Entries in {-1, +1}.

    Examples
    --------
    >>> grey = torch.tensor([[0.9, 0.1, 0.5]])
    >>> binarise_cue(grey, torch.zeros(1, 3, dtype=torch.bool), None).tolist()
    [[1.0, -1.0, -1.0]]
    """
    bits = torch.where(cues > 0.5, 1.0, -1.0)
    random_bits = random_binary_patterns(*cues.shape, generator=generator).to(cues.device)
    return torch.where(unknown, random_bits, bits)


def angle_encode(images: torch.Tensor) -> torch.Tensor:
    r"""Encode grey levels ``v`` in [0, 1] (B, D) as unit vectors, (B, 2D).

    Pixel ``v`` becomes :math:`(\cos \pi v, \sin \pi v)`, so every image has the same
    norm :math:`\sqrt{D}`, two pixels contribute :math:`\cos \pi (v - v')` to a dot
    product (1 when equal, -1 for black against white), a masked pixel is (0, 0) and
    contributes nothing, and an inverted pixel :math:`1 - v` has :math:`\cos` negated.
    For black and white images this is the ±1 code of the classical network (plus a zero
    half).

    Parameters
    ----------
    images : Tensor, shape (B, D)
        Grey levels in [0, 1].

    Returns
    -------
    Tensor, shape (B, 2D)
        The cosines then the sines.

    Examples
    --------
    >>> (angle_encode(torch.tensor([[0.0, 1.0, 0.5]])).round(decimals=4) + 0.0).tolist()
    [[1.0, -1.0, 0.0, 0.0, 0.0, 1.0]]
    """
    angles = math.pi * images
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


def angle_decode(codes: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`angle_encode`: grey levels in [0, 1] (B, D) from (B, 2D).

    A mixture of codes decodes to the grey level of its mean direction.

    Parameters
    ----------
    codes : Tensor, shape (B, 2D)
        Cosines then sines, as made by :func:`angle_encode` (or mixtures of them).

    Returns
    -------
    Tensor, shape (B, D)

    Examples
    --------
    >>> angle_decode(angle_encode(torch.tensor([[0.0, 0.25, 1.0]])))
    tensor([[0.0000, 0.2500, 1.0000]])
    """
    half = codes.shape[1] // 2
    # the code's sine is >= 0; clamping keeps sin(pi) = -1e-8 from wrapping to angle -pi
    return torch.atan2(codes[:, half:].clamp(min=0), codes[:, :half]) / math.pi
