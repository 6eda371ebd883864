"""Every seeded draw of the library, in one place.

Randomness comes from a ``torch.Generator`` passed in, never from a global seed set
inside library code. A draw happens on the generator's device (without a generator,
on the device of the result) in ``draw_dtype``, then moves to the result's device and
dtype. Drawing in float64 on a CPU generator and then casting gives the same numbers
on every device, so one seed gives one experiment everywhere.

The draws keep each caller's stream exactly: ``draw_dtype`` defaults to float64, and
callers that have always drawn float32 numbers say so.

Where a compiled kernel draws inside its loop, the numbers come instead from a
counter-based hash (:func:`counter_bits`): exact 32-bit integer arithmetic of a key, a
position in the stream and an index, with no generator state, so every device, chunking
and order gives the same bits (``hebbian.spiking._numba`` holds its compiled twin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from hebbian._checks import check_generator

__all__ = [
    "INPUT_OFFSET",
    "LOWBIAS32",
    "counter_bits",
    "counter_words",
    "draw_device",
    "integers",
    "mix32",
    "normal",
    "permutation",
    "reset_like_pytorch",
    "seeds",
    "symmetric_uniform",
    "uniform",
]

Shape = Sequence[int]
Device = torch.device | str | None

LOWBIAS32 = (0x7FEB352D, 0x846CA68B)  # the multipliers of Wellons' lowbias32 hash
INPUT_OFFSET = 0x9E3779B9  # added to an index before hashing it
_MASK = 0xFFFFFFFF


def draw_device(generator: torch.Generator | None, device: Device = None) -> torch.device:
    """The device a draw happens on: the generator's, else ``device``, else the CPU.

    >>> draw_device(None)
    device(type='cpu')
    >>> draw_device("seed 0")
    Traceback (most recent call last):
    ...
    TypeError: generator must be a torch.Generator or None, got str
    """
    generator = check_generator("generator", generator)
    if generator is not None:
        return generator.device
    return torch.device("cpu") if device is None else torch.device(device)


def uniform(
    shape: Shape,
    generator: torch.Generator | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: Device = None,
    draw_dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Uniform draws in ``[0, 1)`` of shape ``shape``.

    Parameters
    ----------
    shape : sequence of int
        Shape of the result.
    generator : torch.Generator, optional
        Source of randomness; the draw happens on its device.
    dtype, device : optional
        Dtype and device of the result (default: ``draw_dtype`` on the draw device).
    draw_dtype : torch.dtype, default torch.float64
        Dtype of the draw itself (it decides which numbers a seed gives).

    Examples
    --------
    >>> uniform((2,), torch.Generator().manual_seed(0), dtype=torch.float32).dtype
    torch.float32
    """
    draws = torch.rand(
        tuple(shape), generator=generator, device=draw_device(generator, device), dtype=draw_dtype
    )
    return draws.to(device=device, dtype=dtype)


def normal(
    shape: Shape,
    generator: torch.Generator | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: Device = None,
    draw_dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Standard normal draws of shape ``shape`` (arguments as in :func:`uniform`).

    Examples
    --------
    >>> normal((3, 2), torch.Generator().manual_seed(0)).shape
    torch.Size([3, 2])
    """
    draws = torch.randn(
        tuple(shape), generator=generator, device=draw_device(generator, device), dtype=draw_dtype
    )
    return draws.to(device=device, dtype=dtype)


def symmetric_uniform(
    shape: Shape,
    bound: float,
    generator: torch.Generator | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: Device = None,
) -> torch.Tensor:
    """Uniform draws in ``[-bound, bound)``: ``(2 u - 1) * bound`` with ``u`` from :func:`uniform`.

    Examples
    --------
    >>> values = symmetric_uniform((1000,), 0.5, torch.Generator().manual_seed(0))
    >>> bool(values.abs().max() <= 0.5)
    True
    """
    return ((uniform(shape, generator) * 2 - 1) * bound).to(device=device, dtype=dtype)


def integers(
    high: int, shape: Shape, generator: torch.Generator | None = None, *, device: Device = None
) -> torch.Tensor:
    """Integers drawn uniformly from ``0 .. high - 1`` (int64), of shape ``shape``.

    Examples
    --------
    >>> integers(3, (4,), torch.Generator().manual_seed(0)).tolist()
    [2, 0, 2, 0]
    """
    draws = torch.randint(
        high, tuple(shape), generator=generator, device=draw_device(generator, device)
    )
    return draws.to(device=device)


def permutation(
    n: int, generator: torch.Generator | None = None, *, device: Device = None
) -> torch.Tensor:
    """A uniformly random permutation of ``0 .. n - 1`` (int64).

    Examples
    --------
    >>> sorted(permutation(4, torch.Generator().manual_seed(0)).tolist())
    [0, 1, 2, 3]
    """
    order = torch.randperm(n, generator=generator, device=draw_device(generator, device))
    return order.to(device=device)


def seeds(count: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``(count,)`` int64 seeds in ``[0, 2**62)`` for child generators, drawn on the CPU.

    Examples
    --------
    >>> seeds(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3])
    """
    return integers(2**62, (count,), generator, device="cpu")


def reset_like_pytorch(module: nn.Module, generator: torch.Generator | None) -> nn.Module:
    r"""Redraw every linear and convolution layer's weight and bias from ``generator``.

    Each parameter becomes uniform in :math:`\pm 1/\sqrt{\text{fan\_in}}`, the bounds
    of PyTorch's default initialisation, drawn with :func:`symmetric_uniform`
    (PyTorch's own initialisers use the global generator). Returns ``module``.

    Examples
    --------
    >>> layer = reset_like_pytorch(nn.Linear(4, 2), torch.Generator().manual_seed(0))
    >>> bool(layer.weight.abs().max() <= 0.5)
    True
    """
    with torch.no_grad():
        for layer in module.modules():
            if not isinstance(layer, (nn.Conv2d, nn.Linear)):
                continue
            bound = 1.0 / math.sqrt(layer.weight[0].numel())  # fan_in
            for param in (layer.weight, layer.bias):
                if param is not None:
                    param.copy_(symmetric_uniform(param.shape, bound, generator, dtype=param.dtype))
    return module


def _times32(h: torch.Tensor, c: int) -> torch.Tensor:
    """``h * c mod 2^32`` for ``h`` in ``[0, 2^32)`` (int64) in two products below 2^49."""
    low = h * (c & 0xFFFF)
    high = ((h * (c >> 16)) & 0xFFFF) << 16
    return (low + high) & _MASK


def mix32(h: torch.Tensor) -> torch.Tensor:
    r"""Wellons' ``lowbias32`` integer hash, a bijection of ``[0, 2^32)``, on int64 tensors.

    :math:`h \leftarrow h \oplus (h \gg 16)`, :math:`h \leftarrow h \cdot
    \texttt{0x7feb352d}`, :math:`h \oplus (h \gg 15)`, :math:`h \cdot
    \texttt{0x846ca68b}`, :math:`h \oplus (h \gg 16)`, each product modulo
    :math:`2^{32}` (C. Wellons, "Prospecting for hash functions", 2018). Exact integer
    arithmetic, so every device gives the same bits.

    >>> mix32(torch.tensor([0, 1, 2**32 - 1])).tolist()
    [0, 1753845952, 1734902346]
    """
    if h.dtype != torch.int64:
        raise TypeError(f"h must be an int64 tensor, got {h.dtype}")
    h = h ^ (h >> 16)
    h = _times32(h, LOWBIAS32[0])
    h = h ^ (h >> 15)
    h = _times32(h, LOWBIAS32[1])
    return h ^ (h >> 16)


def counter_words(key: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """The 32-bit word of a stream's position: ``mix32(mix32(mix32(lo) ^ hi) ^ key)``.

    ``position`` (int64, >= 0) is split into its low and high 32 bits; ``key`` is in
    ``[0, 2^32)``; the two broadcast.
    """
    lo, hi = position & _MASK, position >> 32
    return mix32(mix32(mix32(lo) ^ hi) ^ key)


def counter_bits(key: torch.Tensor, position: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Uniform 32-bit integers (int64 in ``[0, 2^32)``) of shape ``(*position, n)``.

    Entry ``(..., i)`` is ``mix32(counter_words(key, position) ^ mix32(index[i] +
    INPUT_OFFSET))``: each stream position gives a word, each index of it another, and
    :func:`mix32` being a bijection, the ``n`` numbers of one position are distinct.
    ``key`` broadcasts against ``position``; ``index`` (n,) holds indices >= 0.

    >>> bits = counter_bits(torch.tensor(7), torch.arange(3), torch.arange(2))
    >>> bits.shape, bool((bits >= 0).all() and (bits < 2**32).all())
    (torch.Size([3, 2]), True)
    """
    per_index = mix32((index + INPUT_OFFSET) & _MASK)
    return mix32(counter_words(key, position).unsqueeze(-1) ^ per_index)
