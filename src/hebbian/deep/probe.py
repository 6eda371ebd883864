r"""The linear probe: a classifier trained by backprop on frozen features.

Unsupervised features are judged by how well a linear map reads the labels from them
(:class:`ProbedNetwork`: one probe per block, on its pooled output; :class:`EndToEnd`:
the same network and head trained by backprop, the comparison):
scores :math:`s = \operatorname{dropout}((f - \mu)/\sigma)\, A^\top + b`, each feature
standardised by its mean and standard deviation over the training images
(:meth:`LinearProbe.standardise`; without it a probe's Adam steps see features of
arbitrary scale and its test accuracy swings from epoch to epoch), trained with
cross-entropy by Adam on precomputed features (:meth:`HebbianNetwork.features
<hebbian.deep.network.HebbianNetwork.features>`), the network itself untouched.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_bool,
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_positive_int,
)
from hebbian.competing.top_layer import accuracy, supervised_epoch
from hebbian.deep.network import HebbianNetwork

__all__ = [
    "EndToEnd",
    "LinearProbe",
    "ProbedNetwork",
    "fit_probe",
    "pooled_features",
    "probe_accuracy",
]


class LinearProbe(nn.Module):
    r"""Dropout and a linear map from features ``(B, F)`` to class scores ``(B, classes)``.

    The weights and bias start as PyTorch's default for a linear layer, uniform in
    :math:`\pm 1/\sqrt{F}`, drawn from ``generator`` (weights first). In training mode
    each feature is zeroed with probability ``dropout`` and the others scaled by
    :math:`1/(1 - p)`; the masks are drawn from ``generator`` too (so a run that saves
    its generator's state resumes with the same masks), or from PyTorch's global
    generator when none is given. Before that the features are standardised,
    :math:`(f - \mu)/\sqrt{\sigma^2 + \epsilon}` with fixed buffers, identity until
    :meth:`standardise` sets them from training features.

    Parameters
    ----------
    features, classes : int
    dropout : float
        Probability in [0, 1) of zeroing a feature in training (0 by default).
    generator : torch.Generator, optional
    device, dtype

    Examples
    --------
    >>> probe = LinearProbe(6, 3, generator=torch.Generator().manual_seed(0))
    >>> probe(torch.ones(2, 6)).shape
    torch.Size([2, 3])
    """

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(
        self,
        features: int,
        classes: int,
        *,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.features = check_positive_int("features", features)
        self.classes = check_positive_int("classes", classes)
        self.dropout = check_in_range("dropout", dropout, 0.0, 1.0, inclusive=True)
        if dropout == 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        self.generator = generator
        bound = 1.0 / math.sqrt(features)
        self.weight = nn.Parameter(
            _random.symmetric_uniform(
                (classes, features), bound, generator, dtype=dtype, device=device
            )
        )
        self.bias = nn.Parameter(
            _random.symmetric_uniform((classes,), bound, generator, dtype=dtype, device=device)
        )
        self.register_buffer("mean", torch.zeros(features, device=device, dtype=dtype))
        self.register_buffer("scale", torch.ones(features, device=device, dtype=dtype))

    @torch.no_grad()
    def standardise(self, features: torch.Tensor, eps: float = 1e-5) -> None:
        r"""Standardise inputs from now on by the mean and variance of ``features`` ``(n, F)``.

        Sets :math:`\mu_j` and :math:`1/\sqrt{\sigma_j^2 + \epsilon}` (biased variance,
        ``eps`` as batch normalisation's), so a feature constant over the training
        images reads as 0.

        Examples
        --------
        >>> probe = LinearProbe(2, 2)
        >>> probe.standardise(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))
        >>> probe.mean.tolist(), [round(s, 3) for s in probe.scale.tolist()]
        ([1.0, 1.0], [1.0, 316.228])
        """
        features = check_floating_tensor("features", features, shape=(None, self.features))
        self.mean.copy_(features.mean(dim=0))
        variance = features.var(dim=0, unbiased=False)
        self.scale.copy_(variance.add(check_positive("eps", eps)).rsqrt())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` of ``features`` ``(B, F)``."""
        features = check_floating_tensor("features", features, shape=(None, self.features))
        features = (features - self.mean) * self.scale
        if self.training and self.dropout > 0:
            if self.generator is None:
                features = nn.functional.dropout(features, self.dropout, training=True)
            else:
                keep = 1.0 - self.dropout
                draws = _random.uniform(
                    features.shape, self.generator, device=features.device, dtype=features.dtype
                )
                features = features * (draws < keep) / keep
        return features @ self.weight.T + self.bias


def fit_probe(
    probe: LinearProbe,
    features: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    *,
    epochs: int,
    learning_rate: float = 1e-3,
    batch_size: int = 64,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    standardise: bool = True,
) -> list[dict[str, float]]:
    """Train ``probe`` with Adam and cross-entropy; one record per epoch.

    Parameters
    ----------
    probe : LinearProbe
    features : Tensor, shape (n, F)
        Frozen features of the training images.
    labels : Tensor, shape (n,)
    generator : torch.Generator
        A CPU generator for the shuffles (the same order on every device).
    epochs : int
    learning_rate : float
        Adam's step size.
    batch_size : int
    test : (Tensor, Tensor), optional
        Test features and labels, scored after every epoch (dropout off).
    standardise : bool
        First :meth:`LinearProbe.standardise` by ``features`` (the default).

    Returns
    -------
    list of dict
        Per epoch: ``loss`` (mean batch loss) and, with ``test``, ``test_accuracy``.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, y = torch.randn(40, 3, generator=g), torch.arange(40) % 2
    >>> probe = LinearProbe(3, 2, generator=g)
    >>> [sorted(r) for r in fit_probe(probe, x, y, g, epochs=2, test=(x, y))]
    [['loss', 'test_accuracy'], ['loss', 'test_accuracy']]
    """
    if not isinstance(probe, LinearProbe):
        raise TypeError(f"probe must be a LinearProbe, got {type(probe).__name__}")
    features = check_floating_tensor("features", features, shape=(None, probe.features))
    check_positive_int("epochs", epochs)
    if check_bool("standardise", standardise):
        probe.standardise(features)
    optimizer = torch.optim.Adam(
        probe.parameters(), lr=check_positive("learning_rate", learning_rate)
    )
    records = []
    for _ in range(epochs):
        probe.train()
        loss = supervised_epoch(
            probe, optimizer, features, labels, generator,
            batch_size=batch_size, loss=nn.functional.cross_entropy,
        )  # fmt: skip
        record = {"loss": loss}
        if test is not None:
            record["test_accuracy"] = probe_accuracy(probe, *test)
        records.append(record)
    probe.eval()
    return records


@torch.no_grad()
def probe_accuracy(probe: LinearProbe, features: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy of ``probe`` on ``features`` ``(n, F)``: dropout off, ties to the lower class."""
    was_training = probe.training
    probe.eval()
    try:
        return accuracy(probe(features), labels)
    finally:
        probe.train(was_training)


def pooled_features(x: torch.Tensor, grid: int) -> torch.Tensor:
    """``x`` (B, C, H, W) average-pooled to at most ``grid`` positions per side, flattened.

    Examples
    --------
    >>> pooled_features(torch.ones(2, 3, 8, 8), 2).shape
    torch.Size([2, 12])
    """
    check_positive_int("grid", grid)
    size = (min(x.shape[2], grid), min(x.shape[3], grid))
    return nn.functional.adaptive_avg_pool2d(x, size).flatten(1)


class ProbedNetwork(nn.Module):
    """A frozen network and a linear probe on each block's pooled output.

    Parameters
    ----------
    net : HebbianNetwork
    probes : list of LinearProbe
        One per block, reading :func:`pooled_features` of its output.
    grid : int
        Positions per side the probes read, at most.
    """

    def __init__(self, net: HebbianNetwork, probes: list[LinearProbe], grid: int) -> None:
        super().__init__()
        if len(probes) != len(net.block_list):
            raise ValueError(
                f"probes must hold one probe per block ({len(net.block_list)}), got {len(probes)}"
            )
        self.net = net
        self.probes = nn.ModuleList(probes)
        self.grid = check_positive_int("grid", grid)

    @torch.no_grad()
    def block_features(self, images: torch.Tensor, batch_size: int = 500) -> list[torch.Tensor]:
        """Every block's pooled output ``(n, F_d)`` for ``images``, in evaluation mode.

        Computed ``batch_size`` images at a time (each image's features do not depend
        on its batch: the standardisations use their running statistics).
        """
        self.net.eval()
        parts: list[list[torch.Tensor]] = [[] for _ in self.net.block_list]
        for start in range(0, images.shape[0], batch_size):
            x = images[start : start + batch_size]
            for depth, block in enumerate(self.net.block_list):
                x = block(x)
                parts[depth].append(pooled_features(x, self.grid))
        return [torch.cat(p) for p in parts]


class EndToEnd(nn.Module):
    """A network and a linear head on its last block's pooled output, trained by backprop.

    The network's kernels are made trainable (``requires_grad``); in training mode its
    standardisations use the batch's statistics, as batch normalisation does. The
    pooled features pass through batch normalisation without affine parameters before
    the head: the end-to-end counterpart of a probe's :meth:`LinearProbe.standardise`
    (its features change while it trains, so their statistics are the batch's, with
    running estimates for evaluation).

    Parameters
    ----------
    net : HebbianNetwork
    head : LinearProbe
    grid : int
        Positions per side the head reads, at most.
    """

    def __init__(self, net: HebbianNetwork, head: LinearProbe, grid: int) -> None:
        super().__init__()
        self.net = net
        for block in net.block_list:
            block.conv.weight.requires_grad_(True)
        self.head = head
        self.grid = check_positive_int("grid", grid)
        self.standardise = nn.BatchNorm1d(
            head.features, affine=False, device=head.weight.device, dtype=head.weight.dtype
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class scores ``(B, classes)`` of ``images`` ``(B, C, H, W)``."""
        return self.head(self.standardise(pooled_features(self.net(images), self.grid)))
