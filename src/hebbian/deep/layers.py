r"""Layers whose weights learn by a competitive Hebbian rule: convolutional and dense.

:class:`HebbianConv2d` is a bias-free convolution and :class:`HebbianDense` its fully
connected counterpart. ``forward`` is the ordinary map (:func:`torch.nn.functional.conv2d`
or :math:`x W^\top`); learning happens only in :meth:`HebbianConv2d.plasticity_step`:

1. the layer's input is cut into the samples the rule sees, ``(M, N)`` rows (every
   patch of every image for the convolution, :func:`~hebbian.deep.rules.unfold_patches`;
   every image for the dense layer);
2. the rule returns the change summed over the rows (:mod:`hebbian.deep.rules`), and an
   optional ``reduce`` (an all-reduce across processes) sums it and the row count over
   processes, before anything else is done with it;
3. the mean change is turned into the increment by the rule's own step (SoftHebb's
   norm-dependent rates, a plain rate, or Krotov's normalised increment) and added,
   :math:`W \leftarrow W + \Delta`, after a check that the result is finite.

So ``N`` processes that each see ``B`` images make the step one process makes with
``N B`` images. The weights are a :class:`torch.nn.Parameter` created without
gradient; ``layer.weight.requires_grad_(True)`` makes the same layer trainable by
backprop (the end-to-end baseline).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_dtype,
    check_finite_weights,
    check_floating_tensor,
    check_generator,
    check_positive,
    check_positive_int,
)
from hebbian.competing.training import Reduce
from hebbian.deep.rules import (
    DeepRule,
    HardWTA,
    KrotovHopfield,
    SoftHebb,
    unfold_patches,
    weight_norms,
)

__all__ = ["HebbianConv2d", "HebbianDense"]

_RULES = (SoftHebb, HardWTA, KrotovHopfield)


def _pair(name: str, value: int | tuple[int, int], *, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (
        check_positive_int(name, pair[0], minimum=minimum),
        check_positive_int(name, pair[1], minimum=minimum),
    )


class _HebbianWeights(nn.Module):
    """What both layers share: weights ``(H, *kernel)``, the rule, the plasticity step."""

    weight: nn.Parameter
    steps: torch.Tensor

    def __init__(
        self,
        shape: tuple[int, ...],
        rule: DeepRule,
        learning_rate: float,
        init_norm: float,
        generator: torch.Generator | None,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        if not isinstance(rule, _RULES):
            raise TypeError(
                "rule must be a hebbian.deep rule (SoftHebb, HardWTA or KrotovHopfield), got "
                f"{type(rule).__name__} {rule!r}"
            )
        self.rule = rule
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.init_norm = check_positive("init_norm", init_norm)
        generator = check_generator("generator", generator)
        dtype = check_dtype("dtype", torch.get_default_dtype() if dtype is None else dtype)
        fan_in = math.prod(shape[1:])
        # drawn in float64 on the generator's device, so every dtype starts alike
        draw = _random.normal(shape, generator) * (init_norm / math.sqrt(fan_in))
        self.weight = nn.Parameter(draw.to(device=device, dtype=dtype), requires_grad=False)
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64, device=self.weight.device))

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """The samples the rule sees, ``(M, N)``, for a layer input ``x``."""
        raise NotImplementedError

    def _check_input(self, x: object, ndim: int) -> torch.Tensor:
        tensor = check_floating_tensor("x", x, ndim=ndim)
        if tensor.dtype != self.weight.dtype or tensor.device != self.weight.device:
            raise ValueError(
                f"x must have the layer's dtype {self.weight.dtype} and device "
                f"{self.weight.device}, got {tensor.dtype} on {tensor.device}"
            )
        return tensor

    def weight_norms(self) -> torch.Tensor:
        """Each unit's Euclidean weight norm, shape (H,)."""
        return weight_norms(self.weight.detach())

    def weight_change(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The rule's change summed over the samples of ``x``, shape (H, N), and their number."""
        rows = self.rows(x)
        flat = self.weight.detach().reshape(self.weight.shape[0], -1)
        return self.rule.change(rows, flat), rows.shape[0]

    def plasticity_step(
        self,
        x: torch.Tensor,
        *,
        learning_rate: float | None = None,
        reduce: Reduce | None = None,
    ) -> torch.Tensor:
        r"""One learning step on the layer input ``x``; returns the applied increment.

        Parameters
        ----------
        x : Tensor
            The layer's input (what ``forward`` takes), in its dtype and on its device.
        learning_rate : float, optional
            The base rate :math:`\eta` of this step; by default the layer's.
        reduce : callable, optional
            Sums a tensor over processes (:func:`hebbian.competing.distributed.all_reduce_sum`);
            applied to the summed change and to the number of samples before the mean.

        Returns
        -------
        Tensor, shape of ``weight``
            The increment added to the weights.

        Raises
        ------
        NonFiniteWeightsError
            If the new weights would hold NaN or infinity (weights and ``steps`` then
            stay as they were).
        """
        rate = (
            self.learning_rate
            if learning_rate is None
            else check_positive("learning_rate", learning_rate)
        )
        with torch.no_grad():
            change, count = self.weight_change(x)
            samples = change.new_tensor(float(count))
            if reduce is not None:
                change, samples = reduce(change), reduce(samples)
            flat = self.weight.detach().reshape(change.shape)
            increment = self.rule.step(flat, change / samples, rate).reshape(self.weight.shape)
            new_weight = self.weight.detach() + increment
            check_finite_weights(new_weight, rule=self.rule.name, step=int(self.steps) + 1)
            self.weight.copy_(new_weight)
            self.steps += 1
        return increment


class HebbianConv2d(_HebbianWeights):
    r"""A bias-free 2-D convolution whose kernels learn by a competitive Hebbian rule.

    ``forward`` is :func:`torch.nn.functional.conv2d` with zero padding; the rule sees
    every patch of every image as one sample, so one step's change is the linear rule
    applied to the unfolded patches (:func:`~hebbian.deep.rules.unfold_patches`).

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``H``.
    kernel_size : int or (int, int)
    rule : SoftHebb, HardWTA or KrotovHopfield
    learning_rate : float
        Base rate :math:`\eta` > 0.
    stride, padding, dilation : int or (int, int)
        As for :class:`torch.nn.Conv2d`.
    init_norm : float
        Initial weights are Gaussian with standard deviation
        ``init_norm / sqrt(C kh kw)``, so each kernel's norm is close to ``init_norm``
        (default 2.5: far from SoftHebb's fixed point, the unit sphere, so its
        norm-dependent rates start large).
    generator : torch.Generator, optional
        Source of the initial weights.
    device, dtype
        Where and in which floating dtype the weights live.

    Attributes
    ----------
    weight : torch.nn.Parameter, shape (H, C, kh, kw)
        ``requires_grad=False`` (it learns by plasticity).
    steps : Tensor
        Scalar int64 buffer, the plasticity steps applied.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> conv = HebbianConv2d(1, 4, 3, SoftHebb(), 0.05, padding=1, generator=g)
    >>> x = torch.rand(8, 1, 6, 6, generator=g)
    >>> conv(x).shape
    torch.Size([8, 4, 6, 6])
    >>> conv.plasticity_step(x).shape, int(conv.steps)
    (torch.Size([4, 1, 3, 3]), 1)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        rule: DeepRule,
        learning_rate: float,
        *,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        init_norm: float = 2.5,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.kernel_size = _pair("kernel_size", kernel_size, minimum=1)
        self.stride = _pair("stride", stride, minimum=1)
        self.padding = _pair("padding", padding, minimum=0)
        self.dilation = _pair("dilation", dilation, minimum=1)
        shape = (out_channels, in_channels, *self.kernel_size)
        super().__init__(shape, rule, learning_rate, init_norm, generator, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution of ``x`` (B, C, H_in, W_in): shape (B, H, H_out, W_out)."""
        x = self._check_input(x, 4)
        return nn.functional.conv2d(
            x, self.weight, stride=self.stride, padding=self.padding, dilation=self.dilation
        )

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """Every patch of ``x`` (B, C, H_in, W_in), one a row: (B L, C kh kw)."""
        x = self._check_input(x, 4)
        return unfold_patches(
            x, self.kernel_size, stride=self.stride, padding=self.padding, dilation=self.dilation
        )

    def extra_repr(self) -> str:
        """Sizes, geometry and rule, for ``repr``."""
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, rule={self.rule!r}, "
            f"learning_rate={self.learning_rate}"
        )


class HebbianDense(_HebbianWeights):
    r"""A bias-free fully connected layer learning by a competitive Hebbian rule.

    ``forward`` is :math:`u = x W^\top`; every image is one sample of the rule. Inputs
    of any shape ``(B, ...)`` are flattened.

    Parameters
    ----------
    in_features, out_features : int
        ``N`` and ``H``.
    rule, learning_rate, init_norm, generator, device, dtype
        As for :class:`HebbianConv2d`.

    Examples
    --------
    >>> layer = HebbianDense(4, 3, HardWTA(), 0.1, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.ones(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rule: DeepRule,
        learning_rate: float,
        *,
        init_norm: float = 2.5,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        shape = (out_features, in_features)
        super().__init__(shape, rule, learning_rate, init_norm, generator, device, dtype)

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, ...) flattened to (B, N)."""
        x = check_floating_tensor("x", x)
        flat = self._check_input(x.reshape(x.shape[0], -1), 2)
        if flat.shape[1] != self.in_features:
            raise ValueError(
                f"x must hold {self.in_features} values per sample, got shape {tuple(x.shape)}"
            )
        return flat

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The currents ``(B, H)`` of ``x`` (B, ...)."""
        return self.rows(x) @ self.weight.T

    def extra_repr(self) -> str:
        """Sizes and rule, for ``repr``."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rule={self.rule!r}, learning_rate={self.learning_rate}"
        )
