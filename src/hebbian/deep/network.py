r"""Deep Hebbian networks: blocks of normalisation, Hebbian convolution, activation, pooling.

A :class:`HebbianBlock` computes

.. math:: h = \operatorname{pool}(f(\operatorname{conv}_W(\operatorname{norm}(x))))

with ``norm`` a per-channel standardisation without learned parameters
(:class:`ChannelStandardisation`: batch statistics while learning, running ones
after), ``f`` the triangle activation with the block's power
(:func:`~hebbian.deep.rules.triangle`) or a ReLU, and ``pool`` a max or average
pooling. A :class:`HebbianNetwork` stacks blocks and learns without labels
(:meth:`HebbianNetwork.fit_epoch`), each block's rule seeing the block's normalised
input: greedily (block by block, each trained on the outputs of the frozen blocks
below it) or all blocks at once on every batch. The features it hands to a linear
probe are the last block's output, flattened.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from hebbian._checks import (
    check_enum,
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_positive_int,
)
from hebbian.competing.training import Reduce
from hebbian.deep.layers import HebbianConv2d
from hebbian.deep.rules import triangle
from hebbian.layers import shuffled_batches

__all__ = [
    "Activation",
    "ChannelStandardisation",
    "HebbianBlock",
    "HebbianNetwork",
    "PoolSpec",
    "Pooling",
    "TrainingMode",
]


#: Called as ``callback(depth, step)`` after each step of a block.
StepCallback = Callable[[int, int], None]


class Activation(enum.Enum):
    """The activation a block hands to the next layer."""

    TRIANGLE = "triangle"
    """:func:`~hebbian.deep.rules.triangle` with the block's power (SoftHebb's)."""
    RELU = "relu"
    """:math:`\\max(0, u)`."""


class Pooling(enum.Enum):
    """The pooling after a block's activation."""

    MAX = "max"
    AVERAGE = "average"
    NONE = "none"


class TrainingMode(enum.Enum):
    """How :meth:`HebbianNetwork.fit_epoch` trains the blocks."""

    GREEDY = "greedy"
    """Block by block: block ``i`` learns over whole epochs on the outputs of blocks
    ``0 .. i-1``, frozen after their own epochs (the paper's layer-wise training)."""
    SIMULTANEOUS = "simultaneous"
    """Every block learns on every batch, each on the output of the blocks below it
    computed in the same forward pass (before their update by that batch)."""


@dataclass(frozen=True)
class PoolSpec:
    """A pooling window: ``kind``, ``size``, ``stride`` and ``padding``."""

    kind: Pooling = Pooling.MAX
    size: int = 2
    stride: int = 2
    padding: int = 0

    def __post_init__(self) -> None:
        check_enum("kind", self.kind, Pooling)
        check_positive_int("size", self.size)
        check_positive_int("stride", self.stride)
        check_positive_int("padding", self.padding, minimum=0)

    def module(self) -> nn.Module:
        """The :mod:`torch.nn` pooling module (an identity for ``Pooling.NONE``)."""
        if self.kind is Pooling.MAX:
            return nn.MaxPool2d(self.size, self.stride, self.padding)
        if self.kind is Pooling.AVERAGE:
            return nn.AvgPool2d(self.size, self.stride, self.padding)
        return nn.Identity()


class ChannelStandardisation(nn.Module):
    r"""Standardise each channel, without learned parameters (batch norm without affine).

    While learning (:meth:`learn`, or ``forward`` in training mode) the channel means
    and variances are the batch's, over images and positions, and running estimates
    are updated,
    :math:`\hat\mu \leftarrow (1 - m)\hat\mu + m\,\mu`,
    :math:`\hat\sigma^2 \leftarrow (1 - m)\hat\sigma^2 + m\,\sigma^2 n/(n-1)`;
    in evaluation mode the running estimates are used, so a sample's output does not
    depend on its batch. Both compute :math:`(x - \mu)/\sqrt{\sigma^2 + \epsilon}`, as
    :class:`torch.nn.BatchNorm2d` with ``affine=False`` does; unlike it, the batch's
    sums can be reduced over processes first, so data-parallel training normalises
    with the statistics of the whole global batch.

    Parameters
    ----------
    channels : int
    momentum : float
        :math:`m` in (0, 1]; default 0.1.
    eps : float
        :math:`\epsilon` > 0; default 1e-5.
    device, dtype
        Of the running estimates.

    Examples
    --------
    >>> norm = ChannelStandardisation(2)
    >>> x = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(0))
    >>> y = norm.learn(x)
    >>> torch.allclose(y, torch.nn.BatchNorm2d(2, affine=False)(x), atol=1e-6)
    True
    """

    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(
        self,
        channels: int,
        *,
        momentum: float = 0.1,
        eps: float = 1e-5,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.channels = check_positive_int("channels", channels)
        self.momentum = check_in_range("momentum", momentum, 0.0, 1.0, inclusive=True)
        if self.momentum == 0.0:
            raise ValueError(f"momentum must lie in (0, 1], got {momentum!r}")
        self.eps = check_positive("eps", eps)
        self.register_buffer("running_mean", torch.zeros(channels, device=device, dtype=dtype))
        self.register_buffer("running_var", torch.ones(channels, device=device, dtype=dtype))

    def _scaled(self, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        return (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, C, H, W) standardised by its own statistics (training) or the running ones.

        In training mode the result is differentiable through the batch statistics and
        the running estimates are updated, as batch normalisation trains.
        """
        if self.training:
            return self._by_batch(x, None)
        return self._scaled(x, self.running_mean, self.running_var)

    @torch.no_grad()
    def learn(self, x: torch.Tensor, *, reduce: Reduce | None = None) -> torch.Tensor:
        """``x`` standardised with its own (reduced) statistics; updates the running ones."""
        return self._by_batch(x, reduce)

    def _by_batch(self, x: torch.Tensor, reduce: Reduce | None) -> torch.Tensor:
        sums = torch.stack([x.sum(dim=(0, 2, 3)), (x * x).sum(dim=(0, 2, 3))])  # (2, C)
        count = x.new_tensor(float(x.numel() // self.channels))
        if reduce is not None:
            sums, count = reduce(sums), reduce(count)
        mean = sums[0] / count
        var = (sums[1] / count - mean * mean).clamp_min(0.0)  # biased, as batch norm uses
        with torch.no_grad():
            unbiased = var * count / (count - 1.0).clamp_min(1.0)
            self.running_mean.mul_(1.0 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1.0 - self.momentum).add_(self.momentum * unbiased)
        return self._scaled(x, mean, var)


class HebbianBlock(nn.Module):
    r"""Normalisation, a :class:`~hebbian.deep.layers.HebbianConv2d`, activation, pooling.

    Parameters
    ----------
    conv : HebbianConv2d
        The learning layer.
    activation : Activation
    power : float
        The triangle's power :math:`p` > 0 (unused for ``RELU``).
    pool : PoolSpec
    normalise : bool
        Standardise each input channel first (:class:`ChannelStandardisation`);
        default True.

    Examples
    --------
    >>> from hebbian.deep.rules import SoftHebb
    >>> conv = HebbianConv2d(1, 4, 3, SoftHebb(), 0.05, padding=1,
    ...                      generator=torch.Generator().manual_seed(0))
    >>> HebbianBlock(conv)(torch.rand(2, 1, 8, 8)).shape
    torch.Size([2, 4, 4, 4])
    """

    def __init__(
        self,
        conv: HebbianConv2d,
        activation: Activation = Activation.TRIANGLE,
        power: float = 1.0,
        pool: PoolSpec | None = None,
        *,
        normalise: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(conv, HebbianConv2d):
            raise TypeError(f"conv must be a HebbianConv2d, got {type(conv).__name__}")
        self.conv = conv
        self.activation = check_enum("activation", activation, Activation)
        self.power = check_positive("power", power)
        self.pool_spec = PoolSpec() if pool is None else pool
        self.pool = self.pool_spec.module()
        self.norm: ChannelStandardisation | None = (
            ChannelStandardisation(
                conv.in_channels, device=conv.weight.device, dtype=conv.weight.dtype
            )
            if normalise
            else None
        )

    def normalised(self, x: torch.Tensor) -> torch.Tensor:
        """The block's input as its convolution sees it (batch or running statistics, by mode)."""
        return x if self.norm is None else self.norm(x)

    def activate(self, currents: torch.Tensor) -> torch.Tensor:
        """The activation and pooling of the convolution's output."""
        if self.activation is Activation.TRIANGLE:
            hidden = triangle(currents, self.power)
        else:
            hidden = torch.relu(currents)
        return self.pool(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output for ``x`` (B, C, H_in, W_in)."""
        return self.activate(self.conv(self.normalised(x)))

    def learn(
        self,
        x: torch.Tensor,
        *,
        learning_rate: float | None = None,
        reduce: Reduce | None = None,
        plastic: bool = True,
    ) -> None:
        """One plasticity step of the convolution on ``x``.

        The input is standardised with the batch's statistics (reduced like the
        change, running estimates updated). With ``plastic=False`` only the
        standardisation's running statistics learn (the random-features baseline
        needs them too).
        """
        self._learn(x, learning_rate, reduce, plastic)

    def learn_and_forward(
        self,
        x: torch.Tensor,
        *,
        learning_rate: float | None = None,
        reduce: Reduce | None = None,
        plastic: bool = True,
    ) -> torch.Tensor:
        """:meth:`learn`, returning the block's output computed with the weights before the step."""
        output = self._learn(x, learning_rate, reduce, plastic, before_step=True)
        assert output is not None
        return output

    def _learn(
        self,
        x: torch.Tensor,
        learning_rate: float | None,
        reduce: Reduce | None,
        plastic: bool,
        *,
        before_step: bool = False,
    ) -> torch.Tensor | None:
        normalised = x if self.norm is None else self.norm.learn(x, reduce=reduce)
        output = self.activate(self.conv(normalised)) if before_step else None
        if plastic:
            self.conv.plasticity_step(normalised, learning_rate=learning_rate, reduce=reduce)
        return output


class HebbianNetwork(nn.Module):
    r"""A stack of :class:`HebbianBlock`\ s that learns without labels.

    Parameters
    ----------
    blocks : sequence of HebbianBlock

    Examples
    --------
    >>> from hebbian.deep.rules import SoftHebb
    >>> g = torch.Generator().manual_seed(0)
    >>> net = HebbianNetwork([
    ...     HebbianBlock(HebbianConv2d(1, 4, 3, SoftHebb(), 0.05, padding=1, generator=g)),
    ...     HebbianBlock(HebbianConv2d(4, 8, 3, SoftHebb(), 0.05, padding=1, generator=g)),
    ... ])
    >>> images = torch.rand(20, 1, 8, 8, generator=g)
    >>> net.fit_epoch(images, batch_size=5, generator=g)
    8
    >>> net.features(images).shape
    torch.Size([20, 32])
    """

    def __init__(self, blocks: Sequence[HebbianBlock]) -> None:
        super().__init__()
        blocks = list(blocks)
        if not blocks or not all(isinstance(b, HebbianBlock) for b in blocks):
            raise TypeError(f"blocks must be a non-empty sequence of HebbianBlock, got {blocks!r}")
        self.blocks = nn.ModuleList(blocks)

    @property
    def block_list(self) -> list[HebbianBlock]:
        """The blocks, first to last (typed view of :attr:`blocks`)."""
        return [cast(HebbianBlock, block) for block in self.blocks]

    def forward(self, x: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """The output of the first ``depth`` blocks (all by default) for ``x``."""
        x = check_floating_tensor("x", x, ndim=4)
        for block in list(self.blocks)[: len(self.blocks) if depth is None else depth]:
            x = block(x)
        return x

    @torch.no_grad()
    def features(
        self, images: torch.Tensor, *, depth: int | None = None, batch_size: int = 1000
    ) -> torch.Tensor:
        """The flattened output ``(n, F)`` of the first ``depth`` blocks, in evaluation mode.

        Computed ``batch_size`` images at a time, with the normalisations' running
        statistics (so a sample's features do not depend on its batch).
        """
        images = check_floating_tensor("images", images, ndim=4)
        check_positive_int("batch_size", batch_size)
        was_training = self.training
        self.eval()
        try:
            parts = [
                self(images[start : start + batch_size], depth).flatten(1)
                for start in range(0, images.shape[0], batch_size)
            ]
        finally:
            self.train(was_training)
        return torch.cat(parts)

    def fit_epoch(
        self,
        images: torch.Tensor,
        *,
        batch_size: int,
        generator: torch.Generator | None = None,
        mode: TrainingMode = TrainingMode.GREEDY,
        rank: int = 0,
        world_size: int = 1,
        reduce: Reduce | None = None,
        plastic: bool = True,
        callback: StepCallback | None = None,
    ) -> int:
        """One unsupervised epoch: every block learns once from every image.

        In ``GREEDY`` mode the blocks learn one after the other, each over its own
        shuffled pass (block ``i`` sees the outputs of blocks ``0 .. i-1`` in evaluation
        mode); in ``SIMULTANEOUS`` mode one shuffled pass updates all blocks on every
        batch. Shuffles are :func:`hebbian.layers.shuffled_batches` drawn from ``generator``.

        Parameters
        ----------
        images : Tensor, shape (n, C, H, W)
        batch_size : int
        generator : torch.Generator, optional
        mode : TrainingMode
        rank, world_size : int
            Data-parallel training: every process passes the same ``images`` and a
            generator in the same state, so all draw the same shuffle; batches of
            ``batch_size * world_size`` images are cut from it and process ``rank``
            learns from its ``batch_size`` slice of each. With ``reduce`` an
            all-reduce, the steps equal those of one process with the global batch
            (to rounding).
        reduce : callable, optional
            Sums a tensor over processes; required when ``world_size > 1``.
        plastic : bool
            False: only the standardisations' running statistics learn (one pass that
            estimates them for untrained weights).
        callback : callable, optional
            ``callback(depth, step)`` after each step of block ``depth`` (``step``
            counts that block's steps in this epoch, from 1), e.g. to trace the norms.

        Returns
        -------
        int
            The plasticity steps made, over all blocks.
        """
        images = check_floating_tensor("images", images, ndim=4)
        check_positive_int("batch_size", batch_size)
        check_enum("mode", mode, TrainingMode)
        steps = 0
        if mode is TrainingMode.SIMULTANEOUS:
            batches = _local_batches(images, batch_size, generator, rank, world_size, reduce)
            for step, batch in enumerate(batches, start=1):
                x = batch
                for depth, block in enumerate(self.block_list):
                    x = block.learn_and_forward(x, reduce=reduce, plastic=plastic)
                    steps += 1
                    if callback is not None:
                        callback(depth, step)
            return steps
        for depth in range(len(self.blocks)):
            steps += self.fit_block(
                depth,
                images,
                batch_size=batch_size,
                generator=generator,
                rank=rank,
                world_size=world_size,
                reduce=reduce,
                plastic=plastic,
                callback=callback,
            )
        return steps

    def fit_block(
        self,
        depth: int,
        images: torch.Tensor,
        *,
        batch_size: int,
        generator: torch.Generator | None = None,
        rank: int = 0,
        world_size: int = 1,
        reduce: Reduce | None = None,
        plastic: bool = True,
        callback: StepCallback | None = None,
    ) -> int:
        """One shuffled pass of block ``depth`` over ``images``, the blocks below it frozen.

        Arguments as for :meth:`fit_epoch`. Returns the plasticity steps made,
        ``ceil(n / (batch_size * world_size))``.
        """
        check_positive_int("depth", depth, minimum=0)
        if depth >= len(self.blocks):
            raise ValueError(f"depth must be below the {len(self.blocks)} blocks, got {depth}")
        images = check_floating_tensor("images", images, ndim=4)
        block = self.block_list[depth]
        batches = _local_batches(images, batch_size, generator, rank, world_size, reduce)
        for step, batch in enumerate(batches, start=1):
            with torch.no_grad():
                below = self._frozen(batch, depth)
            block.learn(below, reduce=reduce, plastic=plastic)
            if callback is not None:
                callback(depth, step)
        return len(batches)

    def _frozen(self, x: torch.Tensor, depth: int) -> torch.Tensor:
        """The output of the first ``depth`` blocks in evaluation mode."""
        for block in list(self.blocks)[:depth]:
            block.eval()
            x = block(x)
        return x


def _local_batches(
    images: torch.Tensor,
    batch_size: int,
    generator: torch.Generator | None,
    rank: int,
    world_size: int,
    reduce: Reduce | None,
) -> list[torch.Tensor]:
    """The slice of each global batch of one shuffled pass that process ``rank`` learns from."""
    check_positive_int("world_size", world_size)
    check_positive_int("rank", rank, minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be below world_size {world_size}, got {rank}")
    if world_size > 1 and reduce is None:
        raise ValueError("reduce must sum over the processes when world_size > 1, got None")
    batches = shuffled_batches(images, batch_size * world_size, generator)
    start = rank * batch_size
    return [batch[start : start + batch_size] for batch in batches]
