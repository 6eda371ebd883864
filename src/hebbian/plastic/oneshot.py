r"""One-shot classification with a plastic output layer (Miconi et al. 2018, section 4.2).

* :class:`ConvEncoder`: four 3x3 convolutions with stride 2 and ReLU, flattened;
* :class:`OneShotLearner`: the encoder and a :class:`~hebbian.plastic.PlasticLinear`
  output layer whose trace takes, for each labelled support example, the one-hot
  label as post-synaptic activity, then classifies the query:

  .. math::

      \mathrm{Hebb} \leftarrow (1-\eta)\,\mathrm{Hebb} + \eta\, y_k f(s_k)^\top,
      \qquad \mathrm{logits} = (W + \alpha \odot \mathrm{Hebb})\, f(q) + b;

* :func:`rotated_classes`: the rotations of every class as new classes (the usual
  Omniglot augmentation), and :func:`pixel_nearest_neighbour`, a baseline classifier;
* :func:`one_shot_step` (one training step) and :func:`one_shot_accuracy`.
"""

from __future__ import annotations

import torch
from torch import nn

from hebbian._checks import check_floating_tensor, check_generator, check_positive_int
from hebbian._random import reset_like_pytorch
from hebbian.plastic.networks import PlasticLinear
from hebbian.plastic.tasks import OneShotEpisode, OneShotTask

__all__ = [
    "ConvEncoder",
    "OneShotLearner",
    "one_shot_accuracy",
    "one_shot_step",
    "pixel_nearest_neighbour",
    "rotated_classes",
]


class ConvEncoder(nn.Module):
    """Four 3x3 convolutions with stride 2 (padding 1) and ReLU, flattened.

    Parameters
    ----------
    channels : int
        Channels of every convolution.
    size : int
        Side of the square input images; the output has ``channels * s * s`` features,
        ``s`` being ``size`` halved (rounding up) four times.
    generator : torch.Generator, optional
        Source of the initial weights (PyTorch's default initialisation, drawn with
        :func:`hebbian._random.reset_like_pytorch`), on the CPU.

    Attributes
    ----------
    features : int
        Number of output features.

    Examples
    --------
    >>> encoder = ConvEncoder(4, 8, generator=torch.Generator().manual_seed(0))
    >>> encoder.features, tuple(encoder(torch.zeros(3, 8, 8)).shape)
    (4, (3, 4))
    """

    def __init__(
        self, channels: int, size: int, *, generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        check_positive_int("channels", channels)
        check_positive_int("size", size)
        generator = check_generator("generator", generator)
        layers: list[nn.Module] = []
        inputs = 1
        for _ in range(4):  # on the meta device: no draw from the global generator
            conv = nn.Conv2d(inputs, channels, 3, stride=2, padding=1, device="meta")
            layers += [conv, nn.ReLU()]
            inputs = channels
            size = (size + 1) // 2
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.features = channels * size * size
        self.to_empty(device="cpu")
        reset_like_pytorch(self, generator)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The features (M, features) of ``images`` (M, H, W)."""
        return self.net(images[:, None])


class OneShotLearner(nn.Module):
    """A :class:`ConvEncoder` and a plastic output layer that learns each episode's labels.

    The fixed output weights start at zero (labels are shuffled in every episode), so
    at first only the plastic part, written by the support examples, carries labels.

    Parameters
    ----------
    ways : int
        Classes per episode (the output layer's size).
    channels, image_size : int
        The encoder's channels and the side of the square images.
    eta : float, default 0.1
        Initial plasticity rate of the output layer.
    alpha_init : float, default 20.0
        Scale of the initial plasticity coefficients (uniform in ``[0, alpha_init)``).
    generator : torch.Generator, optional
        Source of the initial weights (the encoder's, then the output layer's), on the
        CPU.

    Examples
    --------
    >>> learner = OneShotLearner(3, 4, 8, generator=torch.Generator().manual_seed(0))
    >>> support, labels = torch.rand(2, 3, 8, 8), torch.tensor([[0, 1, 2], [2, 0, 1]])
    >>> tuple(learner(support, labels, torch.rand(2, 8, 8)).shape)
    (2, 3)
    """

    def __init__(
        self,
        ways: int,
        channels: int,
        image_size: int,
        *,
        eta: float = 0.1,
        alpha_init: float = 20.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.ways = check_positive_int("ways", ways, minimum=2)
        self.encoder = ConvEncoder(channels, image_size, generator=generator)
        self.output = PlasticLinear(
            self.encoder.features,
            ways,
            eta=eta,
            weight_std=0.0,
            alpha_init=alpha_init,
            generator=generator,
        )

    def forward(
        self, support: torch.Tensor, labels: torch.Tensor, query: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, ways) for ``query`` (B, H, W) after the labelled ``support``.

        ``support`` is (B, S, H, W) and ``labels`` (B, S) int64 in ``[0, ways)``; the true
        label of each support example is the output layer's post-synaptic activity.
        """
        batch, shown = labels.shape
        codes = self.encoder(support.flatten(0, 1)).reshape(batch, shown, -1)  # (B, S, D)
        targets = nn.functional.one_hot(labels, self.ways).to(codes.dtype)  # (B, S, ways)
        state = None
        for k in range(shown):
            state = self.output.plasticity_step(codes[:, k], targets[:, k], state)
        return self.output(self.encoder(query), state)


def rotated_classes(
    images: torch.Tensor, labels: torch.Tensor, rotations: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Add each class's rotations by ``k`` quarter turns as the classes ``4 label + k``.

    ``images`` is (M, H, W) and ``labels`` (M,). Returns ``(4 M, H, W)`` images and
    ``(4 M,)`` labels (``k = 0..3``, in that order), or the inputs unchanged when
    ``rotations`` is False.

    >>> images, labels = rotated_classes(torch.zeros(2, 3, 3), torch.tensor([0, 1]))
    >>> tuple(images.shape), labels.tolist()
    ((8, 3, 3), [0, 4, 1, 5, 2, 6, 3, 7])
    """
    images = check_floating_tensor("images", images, ndim=3)
    if not rotations:
        return images, labels
    turned = [torch.rot90(images, k, dims=(1, 2)) for k in range(4)]
    return torch.cat(turned), torch.cat([labels * 4 + k for k in range(4)])


def pixel_nearest_neighbour(episode: OneShotEpisode) -> torch.Tensor:
    """The label of the most cosine-similar support image for each query, (B,) int64.

    A baseline that learns nothing: pixels compared as they are.

    >>> episode = OneShotEpisode(
    ...     torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]]), torch.tensor([[0, 1]]),
    ...     torch.tensor([[[0.1, 0.9]]]), torch.tensor([1]), torch.tensor([[0, 1]]))
    >>> pixel_nearest_neighbour(episode).tolist()
    [1]
    """
    support = nn.functional.normalize(episode.support.flatten(2), dim=2)  # (B, S, P)
    query = nn.functional.normalize(episode.query.flatten(1), dim=1)  # (B, P)
    nearest = torch.einsum("bsp,bp->bs", support, query).argmax(dim=1)
    return episode.support_labels.gather(1, nearest[:, None])[:, 0]


def one_shot_step(
    learner: OneShotLearner, optimiser: torch.optim.Optimizer, episode: OneShotEpisode
) -> tuple[float, float]:
    """One optimiser step on the cross-entropy of the query labels of ``episode``.

    Returns the loss and the fraction of queries classified right (before the step).
    """
    logits = learner(episode.support, episode.support_labels, episode.query)
    loss = nn.functional.cross_entropy(logits, episode.query_label)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    right = (logits.argmax(dim=1) == episode.query_label).float().mean().item()
    return loss.item(), right


def one_shot_accuracy(
    learner: OneShotLearner,
    task: OneShotTask,
    images: torch.Tensor,
    labels: torch.Tensor,
    episodes: int,
    *,
    generator: torch.Generator,
    classes: torch.Tensor | None = None,
    batch: int = 200,
) -> tuple[float, float]:
    """The accuracy of ``learner`` and of :func:`pixel_nearest_neighbour` on new episodes.

    ``episodes`` episodes of ``task`` are drawn from ``images`` and ``labels`` (restricted
    to ``classes``), ``batch`` at a time, with ``generator``. Predictions are argmaxes:
    exact ties go to the lower label on every device.

    Returns
    -------
    learner_accuracy, pixel_accuracy : float
        Fractions of queries classified right.
    """
    check_positive_int("episodes", episodes)
    check_positive_int("batch", batch)
    hits = pixel_hits = 0.0
    done = 0
    with torch.no_grad():
        while done < episodes:
            size = min(batch, episodes - done)
            episode = task.sample(images, labels, size, generator=generator, classes=classes)
            logits = learner(episode.support, episode.support_labels, episode.query)
            hits += (logits.argmax(dim=1) == episode.query_label).sum().item()
            pixel_hits += (pixel_nearest_neighbour(episode) == episode.query_label).sum().item()
            done += size
    return hits / done, pixel_hits / done
