"""The ``diehl-cook-*`` recipes: STDP learns images without labels (Diehl & Cook 2015).

A network of Poisson inputs, excitatory neurons with adaptive thresholds and lateral
inhibition learns by STDP in one pass over the training images; its neurons are then
labelled by their strongest class and vote (:mod:`hebbian.spiking.diehl_cook`). Beside
it, k-means with as many centroids as excitatory neurons, each centroid labelled by its
majority class (:mod:`hebbian.kmeans`): the non-spiking competitive learner the network
approximates, scored the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import torch

from hebbian._checks import check_positive_int
from hebbian._random import permutation, seeds
from hebbian.data import dataset_names, dataset_spec
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.spiking._shared import TOPIC, exact
from hebbian.kmeans import fit_kmeans, label_centroids, predict
from hebbian.report.figures import subplots
from hebbian.runs import EpochResult, Run
from hebbian.spiking.diehl_cook import (
    DiehlCookParameters,
    DiehlCookState,
    diehl_cook_responses,
    diehl_cook_state,
    diehl_cook_train,
)
from hebbian.spiking.neurons import LIFState
from hebbian.spiking.stdp import TripletTraces
from hebbian.spiking.voting import assign_labels, classify

__all__ = [
    "DIEHL_COOK_DIGITS",
    "DIEHL_COOK_FASHION",
    "DIEHL_COOK_MNIST",
    "DiehlCookConfig",
    "run_diehl_cook",
]

# the paper's test accuracy on MNIST by number of excitatory neurons (Diehl & Cook 2015,
# section 3). The abstract states 95% (6400 neurons); the other three are as the project's
# reference notes quote them: the paper's full text was not reachable here to check them
PAPER_MNIST_ACCURACY = {100: 0.829, 400: 0.870, 1600: 0.919, 6400: 0.950}


@dataclass(frozen=True)
class DiehlCookConfig:
    """Settings of the Diehl & Cook recipes.

    Attributes
    ----------
    network : DiehlCookParameters
        The network (settings ``network.n_excitatory``, ``network.presentation``,
        ``network.stdp.a3_plus`` ...). ``n_inputs`` and, for images other than 28x28,
        the rates and weight sum follow the data set
        (:meth:`~hebbian.spiking.diehl_cook.DiehlCookParameters.scaled`).
    dataset : str
        A one-channel registry data set (``fashion-mnist``, ``mnist``, ``digits``).
    train_images : int or None
        Training images shown, once each, in a seeded random order (None: all).
    parallel_images : int
        Images presented at once on shared weights, their changes averaged (1: the
        paper's protocol; more is a deviation that buys speed).
    label_images : int or None
        Training images whose responses assign the neurons' labels (None: all, as in the
        paper).
    test_images : int or None
        Test images scored (None: all).
    epochs : int
        Checkpoints in the pass; each logs the running accuracy (the epoch's training
        images classified with the labels of the previous epoch's responses).
    batch : int
        Images simulated at once when the network is frozen.
    kmeans_iterations : int
        Lloyd iterations at most for the baseline.
    """

    network: DiehlCookParameters = field(default_factory=DiehlCookParameters)
    dataset: str = "fashion-mnist"
    train_images: int | None = None
    parallel_images: int = 1
    label_images: int | None = None
    test_images: int | None = None
    epochs: int = 20
    batch: int = 500
    kmeans_iterations: int = 100

    def __post_init__(self) -> None:
        if not isinstance(self.network, DiehlCookParameters):
            raise TypeError(
                f"network must be DiehlCookParameters, got {type(self.network).__name__}"
            )
        names = dataset_names(channels=1)
        if self.dataset not in names:
            raise ValueError(f"dataset must be one of {', '.join(names)}, got {self.dataset!r}")
        for name in ("train_images", "label_images", "test_images"):
            value = getattr(self, name)
            if value is not None:
                check_positive_int(name, value)
        check_positive_int("parallel_images", self.parallel_images)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch", self.batch)
        check_positive_int("kmeans_iterations", self.kmeans_iterations, minimum=0)
        if self.train_images is not None and self.train_images < self.epochs * self.parallel_images:
            raise ValueError(
                f"train_images must hold at least epochs * parallel_images = "
                f"{self.epochs * self.parallel_images} images, got {self.train_images}"
            )

    def network_for(self, n_inputs: int) -> DiehlCookParameters:
        """The network on images of ``n_inputs`` pixels (the paper's own at 784)."""
        if n_inputs == self.network.n_inputs:
            return self.network
        return self.network.scaled(n_inputs)


def _images(run: Run, dataset: str, split: str, limit: int | None) -> tuple[torch.Tensor, ...]:
    """Intensities in [0, 1] (float32), labels, and the pixels as integers (for k-means)."""
    data = run.load_dataset(dataset, split)
    count = len(data.images) if limit is None else min(limit, len(data.images))
    intensity = data.images[:count].reshape(count, -1).to(torch.float32)
    top = float(getattr(dataset_spec(dataset), "max_value", 255.0))  # IDX images: 0..255
    pixels = (intensity.to(torch.float64) * top).round().to(torch.int64)
    return intensity.to(run.device), data.labels[:count].to(run.device), pixels.to(run.device)


def _pack(state: DiehlCookState) -> dict[str, torch.Tensor]:
    tensors = {"weight": state.weight, "theta": state.theta, "stream": state.stream}
    for prefix, part in (("exc", state.excitatory), ("inh", state.inhibitory)):
        tensors.update({f"{prefix}_{k}": v for k, v in part._asdict().items()})
    tensors.update({f"trace_{k}": v for k, v in state.traces._asdict().items()})
    return tensors


def _unpack(tensors: dict[str, torch.Tensor]) -> DiehlCookState:
    def part(prefix: str, kind: Any) -> Any:
        return kind(**{k: tensors[f"{prefix}_{k}"] for k in kind._fields})

    return DiehlCookState(
        tensors["weight"],
        tensors["theta"],
        part("exc", LIFState),
        part("inh", LIFState),
        part("trace", TripletTraces),
        tensors["stream"],
    )


def _accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    return int((predicted == labels).sum()) / labels.numel()


def run_diehl_cook(config: DiehlCookConfig, run: Run) -> dict[str, Any]:
    """Train, label and test the network; fit, label and test k-means beside it."""
    train_x, train_y, train_raw = _images(run, config.dataset, "train", None)
    test_x, test_y, test_raw = _images(run, config.dataset, "test", config.test_images)
    classes = len(run.load_dataset(config.dataset, "test").classes)
    params = config.network_for(train_x.shape[1])
    g = run.generator
    order = permutation(len(train_x), g)
    shown = len(train_x) if config.train_images is None else min(config.train_images, len(train_x))
    order = order[:shown]
    parallel = config.parallel_images
    per_epoch = shown // config.epochs // parallel * parallel
    seed = int(seeds(1, g))
    first = diehl_cook_state(params, [seed], parallel_images=parallel, device=run.device)
    initial = dict(_pack(first), order=order.to(run.device))
    initial["assignments"] = torch.full(
        (1, params.n_excitatory), -1, dtype=torch.int64, device=run.device
    )

    def train_epoch(epoch: int, tensors: dict[str, torch.Tensor]) -> EpochResult:
        state = _unpack(tensors)
        chosen = tensors["order"][(epoch - 1) * per_epoch : epoch * per_epoch]
        images = train_x[chosen].view(-1, 1, parallel, train_x.shape[1])  # in turn, P at a time
        state, presented = diehl_cook_train(state, images, params)
        epoch_counts = presented.counts.reshape(per_epoch, -1)  # (per_epoch, N)
        labels = train_y[chosen]
        previous = tensors["assignments"]
        running = _accuracy(classify(epoch_counts.unsqueeze(0), previous, classes)[0], labels)
        assignments = assign_labels(epoch_counts.unsqueeze(0), labels, classes)
        spikes = epoch_counts.sum(1).to(torch.float64)
        metrics = {
            "running_accuracy": running if epoch > 1 else None,
            "images": epoch * per_epoch,
            "spikes_per_image": float(spikes.mean()),
            "presentations_per_image": float(presented.presentations.to(torch.float64).mean()),
            "theta_mean_mv": float(state.theta.to(torch.float64).mean()),
        }
        packed = dict(_pack(state), order=tensors["order"], assignments=assignments)
        return packed, metrics

    final = run.run_epochs(config.epochs, initial, train_epoch, desc=run.recipe)
    state = _unpack(final)
    records = run.metrics()

    label_count = (
        len(train_x) if config.label_images is None else min(config.label_images, len(train_x))
    )
    labelled = diehl_cook_responses(state, train_x[:label_count], params, batch=config.batch)
    assignments = assign_labels(labelled.counts, train_y[:label_count], classes)
    tested = diehl_cook_responses(state, test_x, params, batch=config.batch)
    predicted = classify(tested.counts, assignments, classes)[0]
    accuracy = _accuracy(predicted, test_y)

    kmeans = fit_kmeans(
        train_raw[order],
        params.n_excitatory,
        iterations=config.kmeans_iterations,
        generator=g,
    )
    centroid_labels = label_centroids(
        kmeans.assignment, train_y[order], params.n_excitatory, classes
    )
    kmeans_accuracy = _accuracy(predict(kmeans, centroid_labels, test_raw), test_y)

    per_class = torch.bincount(assignments[0][assignments[0] >= 0], minlength=classes)
    test_spikes = tested.counts[0].to(torch.float64)
    _figures(run, config, params, state, assignments[0], records, test_spikes, classes)
    return {
        "dataset": config.dataset,
        "excitatory_neurons": params.n_excitatory,
        "train_images": per_epoch * config.epochs,
        "parallel_images": parallel,
        "test_accuracy": accuracy,
        "kmeans_test_accuracy": kmeans_accuracy,
        "accuracy_minus_kmeans": exact(accuracy - kmeans_accuracy),
        "kmeans_iterations": kmeans.iterations_run,
        "labelled_neurons_fraction": int((assignments >= 0).sum()) / params.n_excitatory,
        "classes_with_neurons": int((per_class > 0).sum()),
        "test_spikes_per_image": float(test_spikes.sum(1).mean()),
        "test_silent_images": int((test_spikes.sum(1) == 0).sum()),
        "theta_mean_mv": float(state.theta.to(torch.float64).mean()),
    }


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def _figures(
    run: Run,
    config: DiehlCookConfig,
    params: DiehlCookParameters,
    state: DiehlCookState,
    assignments: torch.Tensor,
    records: list[dict[str, Any]],
    test_spikes: torch.Tensor,
    classes: int,
) -> None:
    side = math.isqrt(params.n_inputs)
    n = params.n_excitatory
    rows, columns = _grid(n)
    weight = state.weight[0].T.to(torch.float64).cpu()  # (N, n_inputs)
    step = side + 1  # one blank pixel between tiles
    tiles = torch.full((rows * step - 1, columns * step - 1), float("nan"), dtype=torch.float64)
    for i in range(n):
        r, c = divmod(i, columns)
        tiles[r * step : r * step + side, c * step : c * step + side] = weight[i].reshape(
            side, side
        )
    fig, ax = subplots(figsize=(7, 7))
    cmap = matplotlib.colormaps["hot_r"].with_extremes(bad="0.75")  # the gaps: grey
    image = ax.imshow(tiles.numpy(), cmap=cmap, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, label="weight")
    for i in range(n):
        r, c = divmod(i, columns)
        label = int(assignments[i])
        ax.text(
            c * step - 0.4,
            r * step - 0.4,
            "-" if label < 0 else str(label),
            fontsize=max(4, 9 - columns // 6),
            color="tab:blue",
            va="top",
            ha="left",
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    ax.set(xticks=[], yticks=[], title=f"input weights of the {n} excitatory neurons (blue: class)")
    run.save_figure(
        fig,
        "weights",
        f"Each excitatory neuron's {params.n_inputs} input weights as a {side}x{side} image, "
        "with the class it was assigned (blue; '-': it never fired on the labelling "
        "images). STDP without labels makes most neurons prototypes of one class.",
    )

    fig, (left, right) = subplots(1, 2, figsize=(10, 3.6))
    per_class = torch.bincount(assignments[assignments >= 0].cpu(), minlength=classes)
    left.bar(range(classes), per_class.numpy(), color="tab:blue")
    left.set(xlabel="class", ylabel="neurons", title="neurons assigned to each class")
    points = [
        (r["images"], r["running_accuracy"]) for r in records if r["running_accuracy"] is not None
    ]
    if points:
        right.plot([p[0] for p in points], [p[1] for p in points], "o-")
    right.set(
        xlabel="training images seen",
        ylabel="accuracy",
        title="running accuracy (labels of the previous epoch)",
    )
    fig.tight_layout()
    run.save_figure(
        fig,
        "assignments",
        "Left: how many neurons each class got. Right: accuracy during training, each "
        "epoch's images classified with the labels the previous epoch's responses gave.",
    )

    fig, (left, right) = subplots(1, 2, figsize=(10, 3.6))
    rates = test_spikes.mean(0).cpu() / params.presentation
    left.hist(rates.numpy(), bins=30, color="tab:orange")
    left.set(xlabel="mean rate on the test images (Hz)", ylabel="neurons", title="firing rates")
    right.hist(state.theta[0].to(torch.float64).cpu().numpy(), bins=30, color="tab:green")
    right.set(xlabel="theta (mV)", ylabel="neurons", title="adaptive thresholds after training")
    fig.tight_layout()
    run.save_figure(
        fig,
        "rates",
        "Left: each excitatory neuron's mean rate over the test presentations. Right: "
        "the adaptive thresholds theta after training, which keep any one neuron from "
        "winning every image.",
    )


def _describe(config: DiehlCookConfig) -> str:
    height, width = dataset_spec(config.dataset).image_shape
    net = config.network_for(height * width)
    scaled = (
        ""
        if net.n_inputs == config.network.n_inputs
        else f" (the paper's {config.network.max_rate:g} Hz and weight sum "
        f"{config.network.weight_sum:g} scaled by {config.network.n_inputs}/{net.n_inputs}"
        f" and its inverse, so the total drive is the paper's)"
    )
    data = (
        "the embedded 8x8 digits"
        if config.dataset == "digits"
        else dataset_spec(config.dataset).title
    )
    images = "all" if config.train_images is None else str(config.train_images)
    protocol = (
        "one image at a time (the paper's protocol)"
        if config.parallel_images == 1
        else f"{config.parallel_images} images at a time on shared weights, their weight "
        "and threshold changes averaged (a deviation from the paper, for speed)"
    )
    return (
        f"Diehl & Cook (2015) on {data}: {net.n_inputs} Poisson inputs at up to "
        f"{net.max_rate:.5g} Hz, weight sum {net.weight_sum:.4g}{scaled}, for "
        f"{1e3 * net.presentation:g} ms and "
        f"{1e3 * net.rest:g} ms of rest, {net.n_excitatory} conductance LIF excitatory "
        f"neurons with adaptive thresholds (+{net.theta_plus:g} mV per spike) and as many "
        f"inhibitory neurons (lateral inhibition), nearest-spike STDP on the input weights, "
        f"each neuron's weights normalised before every presentation; one pass over "
        f"{images} training images, {protocol}. Neurons are labelled by their strongest "
        "class on the training images and vote on the test images. Baseline: k-means "
        f"with {net.n_excitatory} centroids labelled by majority. Expectation: the "
        "network does about as well as the competitive learner it approximates."
    )


def _expectations(config: DiehlCookConfig) -> list[Expectation]:
    rules = [
        Expectation(
            "accuracy_minus_kmeans",
            0.0,
            "issue #14: the network approximates k-means with as many centroids (a "
            "soft winner-take-all of prototypes)",
            tolerance=0.02,
            relation="at_least",
        ),
        Expectation(
            "labelled_neurons_fraction",
            0.9,
            "paper: Diehl & Cook 2015 (its learned weights show a prototype in nearly "
            "every neuron)",
            relation="at_least",
        ),
    ]
    paper = PAPER_MNIST_ACCURACY.get(config.network.n_excitatory)
    if config.dataset == "mnist" and paper is not None:
        rules.append(
            Expectation(
                "test_accuracy",
                paper,
                "paper: Diehl & Cook 2015, section 3 (MNIST)",
                tolerance=0.01,
                relation="at_least",
            )
        )
    return rules


def _recipe(name: str, summary: str, config_type: type) -> Recipe:
    return Recipe(
        name=name,
        summary=summary,
        topic=TOPIC,
        description=_describe,
        config_type=config_type,
        run=run_diehl_cook,
        expectations=_expectations,
    )


@dataclass(frozen=True)
class DiehlCookMnistConfig(DiehlCookConfig):
    """The recipe on MNIST (downloaded for users with a network), the paper's data."""

    dataset: str = "mnist"


@dataclass(frozen=True)
class DiehlCookDigitsConfig(DiehlCookConfig):
    """The tour's size: 100 neurons on the embedded 8x8 digits."""

    dataset: str = "digits"
    epochs: int = 8


DIEHL_COOK_FASHION = _recipe(
    "diehl-cook-fashion",
    "Diehl & Cook: STDP with lateral inhibition learns Fashion-MNIST without labels",
    DiehlCookConfig,
)
DIEHL_COOK_MNIST = _recipe(
    "diehl-cook-mnist",
    "Diehl & Cook: STDP learns MNIST digits without labels (the paper's data)",
    DiehlCookMnistConfig,
)
DIEHL_COOK_DIGITS = _recipe(
    "diehl-cook-digits",
    "Diehl & Cook: STDP learns the 8x8 digits without labels, against k-means",
    DiehlCookDigitsConfig,
)
