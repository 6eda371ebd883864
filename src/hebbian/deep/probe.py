r"""The linear probe: a classifier trained by backprop on frozen features.

Unsupervised features are judged by how well a linear map reads the labels from them:
scores :math:`s = \operatorname{dropout}(f)\, A^\top + b`, trained with cross-entropy by
Adam on precomputed features (:meth:`HebbianNetwork.features
<hebbian.deep.network.HebbianNetwork.features>`), the network itself untouched.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_positive_int,
)
from hebbian.competing.top_layer import accuracy, supervised_epoch

__all__ = ["LinearProbe", "fit_probe", "probe_accuracy"]


class LinearProbe(nn.Module):
    r"""Dropout and a linear map from features ``(B, F)`` to class scores ``(B, classes)``.

    The weights and bias start as PyTorch's default for a linear layer, uniform in
    :math:`\pm 1/\sqrt{F}`, drawn from ``generator`` (weights first).

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
        self.dropout = nn.Dropout(check_in_range("dropout", dropout, 0.0, 1.0, inclusive=True))
        if dropout == 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        bound = 1.0 / math.sqrt(features)
        self.weight = nn.Parameter(
            _random.symmetric_uniform(
                (classes, features), bound, generator, dtype=dtype, device=device
            )
        )
        self.bias = nn.Parameter(
            _random.symmetric_uniform((classes,), bound, generator, dtype=dtype, device=device)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` of ``features`` ``(B, F)``."""
        features = check_floating_tensor("features", features, shape=(None, self.features))
        return self.dropout(features) @ self.weight.T + self.bias


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
