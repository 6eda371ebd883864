r"""The supervised top layer on the frozen competing hidden units, and a backprop baseline.

On the frozen weights ``W`` (``H x N``) the hidden activity and the class scores are

.. math:: h_\mu = \operatorname{ReLU}\!\left(W_\mu \cdot \hat v\right)^n,\qquad
          c_\alpha = \tanh\!\left(\beta \sum_\mu S_{\alpha\mu} h_\mu\right),\qquad
          L = \sum_{\alpha} |c_\alpha - t_\alpha|^m,

with targets :math:`t_\alpha = +1` for the true class and :math:`-1` otherwise, and
:math:`\hat v = v / \lVert v \rVert_2` (each input normalised to unit length before
the top layer, as the first author advises). A cross-entropy loss on the scores
:math:`\beta S h` is the alternative (:class:`TopLoss`). Krotov & Hopfield, PNAS
2019, arXiv:1806.10181.

Pieces: :func:`hidden_features`, :class:`TopLayer` and :class:`CompetingClassifier`
(the frozen hidden layer with its top layer), the losses :func:`power_loss` and
:func:`top_layer_loss`, the one shuffled mini-batch loop :func:`supervised_epoch`
(and :func:`top_layer_epoch` on it), :func:`accuracy`, and
:class:`BackpropBaseline`, the ReLU network of the same width that the recipes train
end to end for comparison.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable

import torch
from torch import nn

from hebbian import _random
from hebbian._checks import (
    check_enum,
    check_floating_tensor,
    check_in_range,
    check_positive,
    check_positive_int,
)
from hebbian.competing.rule import check_inputs_weight

__all__ = [
    "BackpropBaseline",
    "CompetingClassifier",
    "TopLayer",
    "TopLoss",
    "accuracy",
    "cosine_rate",
    "hidden_features",
    "power_loss",
    "set_learning_rate",
    "supervised_epoch",
    "top_layer_epoch",
    "top_layer_loss",
]


class TopLoss(enum.Enum):
    r"""The loss of the supervised top layer (see :func:`top_layer_loss`).

    POWER
        :math:`\sum_\alpha |\tanh(s_\alpha) - t_\alpha|^m`, targets in {-1, +1}
        (Krotov & Hopfield 2019, eq. 12).
    CROSS_ENTROPY
        Softmax cross-entropy on the scores :math:`s = \beta S h`; the first author
        reports results similar to the power loss.
    """

    POWER = "power"
    CROSS_ENTROPY = "cross-entropy"


def hidden_features(
    inputs: torch.Tensor, weight: torch.Tensor, power: float = 4.5, *, normalize: bool = True
) -> torch.Tensor:
    r"""Hidden activity :math:`h = \operatorname{ReLU}(\hat v W^\top)^n` fed to the top layer.

    Each input is first scaled to unit Euclidean length, :math:`\hat v = v/\lVert v
    \rVert_2` (the first author's advice; zero rows stay zero), unless ``normalize``
    is False. Differentiable in ``inputs`` and ``weight``.

    Parameters
    ----------
    inputs : Tensor, shape (B, N)
    weight : Tensor, shape (H, N)
    power : float
        :math:`n` >= 1 (the paper: 4.5).
    normalize : bool
        Scale each input to unit length first.

    Returns
    -------
    Tensor, shape (B, H)

    Examples
    --------
    >>> hidden_features(torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0], [-1.0, 0.0]]), 2.0)
    tensor([[0.3600, 0.0000]])
    """
    inputs, weight = check_inputs_weight(inputs, weight)
    check_in_range("power", power, 1.0, math.inf)
    if normalize:
        inputs = nn.functional.normalize(inputs, dim=1)
    return torch.relu(inputs @ weight.T).pow(power)  # (B, N) @ (N, H) -> (B, H)


class TopLayer(nn.Module):
    r"""The supervised readout: class scores :math:`s = \beta\, S h`.

    Predictions are :math:`\arg\max_\alpha s_\alpha`; the power loss reads
    :math:`c = \tanh(s)` (see :func:`top_layer_loss`).

    Parameters
    ----------
    hidden_units : int
        Size of ``h``.
    classes : int
        Number of classes.
    beta : float
        :math:`\beta` > 0, the inverse temperature of the scores (0.01 in the paper's
        settings as quoted by a reimplementation; unverified against the paper).
    generator : torch.Generator, optional
        For the initial ``S`` ~ N(0, 1/hidden_units) (a float32 draw); a fresh unseeded
        one if None.
    readout : Tensor, shape (classes, hidden_units), optional
        The initial ``S`` (copied, keeping its dtype and device) instead of a draw.

    Examples
    --------
    >>> layer = TopLayer(4, 3, beta=0.5, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.ones(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        hidden_units: int,
        classes: int,
        *,
        beta: float = 0.01,
        generator: torch.Generator | None = None,
        readout: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        check_positive_int("hidden_units", hidden_units)
        check_positive_int("classes", classes, minimum=2)
        self.beta = check_positive("beta", beta)
        if readout is None:
            if generator is None:
                generator = torch.Generator()
                generator.seed()
            draw = _random.normal((classes, hidden_units), generator, draw_dtype=torch.float32)
            initial = draw / math.sqrt(hidden_units)
        else:
            initial = check_floating_tensor("readout", readout, shape=(classes, hidden_units))
            initial = initial.detach().clone()
        self.readout = nn.Parameter(initial)  # S, (classes, H)

    @classmethod
    def from_readout(cls, readout: torch.Tensor, *, beta: float = 0.01) -> TopLayer:
        r"""A layer holding a copy of ``readout`` ``(classes, H)`` (no random draw).

        Parameters
        ----------
        readout : Tensor, shape (classes, H)
            The weights ``S``.
        beta : float
            :math:`\beta` > 0.

        Returns
        -------
        TopLayer

        Examples
        --------
        >>> TopLayer.from_readout(torch.eye(2), beta=0.5)(torch.tensor([[2.0, 0.0]]))
        tensor([[1., 0.]], grad_fn=<MulBackward0>)
        """
        readout = check_floating_tensor("readout", readout, ndim=2)
        classes, hidden_units = readout.shape
        return cls(hidden_units, classes, beta=beta, readout=readout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` from features ``(B, H)``.

        Parameters
        ----------
        features : Tensor, shape (B, H)

        Returns
        -------
        Tensor, shape (B, classes)
        """
        features = check_floating_tensor("features", features, shape=(None, self.readout.shape[1]))
        return self.beta * (features @ self.readout.T)  # (B, H) @ (H, classes)


class CompetingClassifier(nn.Module):
    r"""A frozen competing hidden layer ``W`` with a :class:`TopLayer` on it.

    Scores :math:`s = \beta S \operatorname{ReLU}(\hat v W^\top)^n`. ``weight`` is a
    buffer, not a parameter: it is learned by the unsupervised rule
    (:func:`~hebbian.competing.training.competing_epoch`), not by the optimiser of
    the top layer, and it is saved with the module's ``state_dict``.

    Parameters
    ----------
    weight : Tensor, shape (H, N)
        The hidden weights (kept, not copied).
    top : TopLayer
        The readout, with ``H`` inputs.
    power : float
        :math:`n` >= 1 of :func:`hidden_features`.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> model = CompetingClassifier(torch.ones(5, 3), TopLayer(5, 2, generator=g), power=2.0)
    >>> model(torch.ones(4, 3)).shape
    torch.Size([4, 2])
    """

    weight: torch.Tensor

    def __init__(self, weight: torch.Tensor, top: TopLayer, *, power: float = 4.5) -> None:
        super().__init__()
        weight = check_floating_tensor("weight", weight, ndim=2)
        if not isinstance(top, TopLayer) or top.readout.shape[1] != weight.shape[0]:
            raise ValueError(f"top must be a TopLayer with {weight.shape[0]} inputs")
        self.power = check_in_range("power", power, 1.0, math.inf)
        self.register_buffer("weight", weight)
        self.top = top

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """The hidden activity :func:`hidden_features` ``(B, H)`` of ``inputs`` ``(B, N)``.

        Parameters
        ----------
        inputs : Tensor, shape (B, N)

        Returns
        -------
        Tensor, shape (B, H)
        """
        return hidden_features(inputs, self.weight, self.power)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` of ``inputs`` ``(B, N)``.

        Parameters
        ----------
        inputs : Tensor, shape (B, N)

        Returns
        -------
        Tensor, shape (B, classes)
        """
        return self.top(self.features(inputs))


def power_loss(scores: torch.Tensor, labels: torch.Tensor, m: float = 6.0) -> torch.Tensor:
    r"""The paper's loss :math:`\frac1B \sum_b \sum_\alpha |\tanh(s_{b\alpha}) - t_{b\alpha}|^m`.

    Targets :math:`t_{b\alpha} = +1` if :math:`\alpha` is the label of sample ``b``,
    :math:`-1` otherwise.

    Parameters
    ----------
    scores : Tensor, shape (B, classes)
    labels : Tensor, shape (B,), integer
    m : float
        Exponent >= 1 (the paper: 6).

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> power_loss(torch.tensor([[0.0, 0.0]]), torch.tensor([1]), m=2.0)
    tensor(2.)
    """
    check_in_range("m", m, 1.0, math.inf)
    targets = 2.0 * nn.functional.one_hot(labels, scores.shape[1]).to(scores.dtype) - 1.0
    return (torch.tanh(scores) - targets).abs().pow(m).sum(dim=1).mean()


def top_layer_loss(
    scores: torch.Tensor, labels: torch.Tensor, loss: TopLoss = TopLoss.POWER, m: float = 6.0
) -> torch.Tensor:
    """The batch-averaged loss of the top layer: :func:`power_loss` or cross-entropy.

    Parameters
    ----------
    scores : Tensor, shape (B, classes)
    labels : Tensor, shape (B,), integer in ``[0, classes)``
    loss : TopLoss
    m : float
        Exponent of the power loss (ignored by cross-entropy).

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> s = torch.tensor([[0.0, 0.0]])
    >>> round(top_layer_loss(s, torch.tensor([0]), TopLoss.CROSS_ENTROPY).item(), 4)
    0.6931
    """
    scores = check_floating_tensor("scores", scores, ndim=2)
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.int64, torch.int32):
        raise TypeError("labels must be an int64 or int32 tensor")
    if labels.shape != scores.shape[:1]:
        raise ValueError(f"labels must have shape ({scores.shape[0]},), got {tuple(labels.shape)}")
    check_enum("loss", loss, TopLoss)
    labels = labels.long()
    if loss is TopLoss.POWER:
        return power_loss(scores, labels, m)
    return nn.functional.cross_entropy(scores, labels)


def supervised_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    *,
    batch_size: int,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """One shuffled pass of mini-batch gradient steps; returns the mean batch loss.

    The samples are shuffled by a permutation drawn from ``generator`` and cut into
    batches of ``batch_size`` (the last may be smaller); each batch takes one step
    of ``optimizer`` on ``loss(model(inputs[batch]), labels[batch])``.

    Parameters
    ----------
    model : nn.Module
        Maps inputs ``(B, ...)`` to scores ``(B, classes)``.
    optimizer : torch.optim.Optimizer
        Over ``model``'s parameters (the learning rate is set by the caller).
    inputs : Tensor, shape (n_samples, ...)
        Batch first (rows of features, or images for a convolutional model).
    labels : Tensor, shape (n_samples,)
    generator : torch.Generator
        For the shuffling (a CPU generator gives the same order on every device).
    batch_size : int
    loss : callable
        ``loss(scores, labels)``, a scalar tensor averaged over the batch.

    Returns
    -------
    float

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> model = torch.nn.Linear(2, 2)
    >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = torch.randn(8, 2, generator=g), torch.tensor([0, 1] * 4)
    >>> loss = supervised_epoch(model, optimizer, x, y, g, batch_size=4,
    ...                         loss=torch.nn.functional.cross_entropy)
    >>> loss > 0
    True
    """
    inputs = check_floating_tensor("inputs", inputs)
    if inputs.ndim < 2:
        raise ValueError(f"inputs must be (n_samples, ...), got shape {tuple(inputs.shape)}")
    check_positive_int("batch_size", batch_size)
    order = _random.permutation(inputs.shape[0], generator, device=inputs.device)
    total, batches = 0.0, 0
    for start in range(0, inputs.shape[0], batch_size):
        index = order[start : start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        value = loss(model(inputs[index]), labels[index])
        value.backward()
        optimizer.step()
        total += float(value.detach())
        batches += 1
    return total / batches


def top_layer_epoch(
    layer: TopLayer,
    optimizer: torch.optim.Optimizer,
    features: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    *,
    batch_size: int = 100,
    loss: TopLoss = TopLoss.POWER,
    m: float = 6.0,
) -> float:
    """One :func:`supervised_epoch` of the top layer with :func:`top_layer_loss`.

    Parameters
    ----------
    layer : TopLayer
    optimizer : torch.optim.Optimizer
        Over ``layer``'s parameters (the learning rate is set by the caller).
    features : Tensor, shape (n_samples, H)
        Precomputed :func:`hidden_features` of the frozen hidden layer.
    labels : Tensor, shape (n_samples,)
    generator : torch.Generator
        A CPU generator for the shuffling.
    batch_size : int
    loss : TopLoss
    m : float

    Returns
    -------
    float
    """
    check_enum("loss", loss, TopLoss)

    def objective(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return top_layer_loss(scores, targets, loss, m)

    return supervised_epoch(
        layer, optimizer, features, labels, generator, batch_size=batch_size, loss=objective
    )


def accuracy(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows of ``scores`` ``(B, classes)`` whose largest score is the label.

    Exact ties go to the lower class (``argmax`` returns the first maximum, on every
    device), so equal scores give the same accuracy everywhere. Scores within rounding
    of each other are another matter: a different summation order (thread count, CPU
    kernel, GPU) can swap them. That needs a top-two margin below ~1e-6 of the scores,
    which does not occur in the tour's trained models: its accuracies agree to every
    digit with 1 and 2 threads and across CPU capabilities (the recipe tests compare 1
    and 2 threads).

    Parameters
    ----------
    scores : Tensor, shape (B, classes)
    labels : Tensor, shape (B,), integer

    Returns
    -------
    float

    Examples
    --------
    >>> accuracy(torch.tensor([[0.0, 1.0], [2.0, 2.0]]), torch.tensor([1, 1]))
    0.5
    """
    return (scores.argmax(dim=1) == labels).double().mean().item()


class BackpropBaseline(nn.Module):
    r"""A ReLU network ``N -> H -> classes`` trained end to end: the comparison for the rule.

    Scores :math:`s = \operatorname{ReLU}(v W_1^\top + b_1) W_2^\top + b_2`. The
    initial weights and biases are PyTorch's default for linear layers, uniform in
    :math:`\pm 1/\sqrt{\text{fan\_in}}`, drawn from ``generator`` in the order
    :math:`W_1, b_1, W_2, b_2` (float64 draws, then cast).

    Parameters
    ----------
    inputs, hidden, classes : int
        ``N``, ``H`` and the number of classes.
    generator : torch.Generator, optional
        Source of the initial values.
    dtype : torch.dtype
        Dtype of the parameters.
    device : torch.device or str, optional
        Device of the parameters.

    Examples
    --------
    >>> net = BackpropBaseline(4, 3, 2, torch.Generator().manual_seed(0))
    >>> net(torch.ones(5, 4)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        inputs: int,
        hidden: int,
        classes: int,
        generator: torch.Generator | None = None,
        *,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("inputs", inputs), ("hidden", hidden), ("classes", classes)):
            check_positive_int(name, value)
        first, second = 1 / math.sqrt(inputs), 1 / math.sqrt(hidden)

        def draw(shape: tuple[int, ...], bound: float) -> nn.Parameter:
            value = _random.symmetric_uniform(shape, bound, generator, dtype=dtype, device=device)
            return nn.Parameter(value)

        # drawn and registered in this order (it is the optimiser's parameter order)
        self.w1 = draw((hidden, inputs), first)
        self.b1 = draw((hidden,), first)
        self.w2 = draw((classes, hidden), second)
        self.b2 = draw((classes,), second)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, classes)`` of ``inputs`` ``(B, N)``.

        Parameters
        ----------
        inputs : Tensor, shape (B, N)

        Returns
        -------
        Tensor, shape (B, classes)
        """
        hidden = torch.relu(inputs @ self.w1.T + self.b1)  # (B, N) @ (N, H) -> (B, H)
        return hidden @ self.w2.T + self.b2  # (B, classes)


def cosine_rate(initial: float, epoch: int, epochs: int) -> float:
    r"""The rate of supervised epoch ``epoch`` (1-based) of ``epochs``: a cosine decay.

    :math:`\eta_e = \eta_0 \, (1 + \cos(\pi (e - 1)/E))/2`, from :math:`\eta_0` at the
    first epoch towards 0 after the last. A function of the epoch alone, so a resumed
    run takes the same steps.

    Examples
    --------
    >>> [round(cosine_rate(1.0, e, 4), 3) for e in range(1, 5)]
    [1.0, 0.854, 0.5, 0.146]
    """
    return initial * (1.0 + math.cos(math.pi * (epoch - 1) / epochs)) / 2.0


def set_learning_rate(optimiser: torch.optim.Optimizer, rate: float) -> None:
    """Set every parameter group of ``optimiser`` to step size ``rate``."""
    for group in optimiser.param_groups:
        group["lr"] = rate
