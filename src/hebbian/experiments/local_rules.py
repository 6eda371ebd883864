"""Recipes for the local rules on the 8x8 digits: Oja, Sanger, BCM, Hebb's runaway.

Each recipe reads its images through ``run.load_dataset`` (``dataset`` setting: the
embedded 8x8 digits by default, or any data set of :func:`hebbian.data.dataset_names`)
and holds its weights in a :class:`hebbian.layers.HebbianLinear` with a rule object of
:mod:`hebbian.rules`; the layer applies ``w <- w + learning_rate * dw`` and stops on
non-finite weights. The recipe compares what was learned with the theory (PCA from an
SVD, BCM's fixed point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from hebbian import _random, rules
from hebbian._checks import (
    NonFiniteWeightsError,
    check_memory,
    check_positive,
    check_positive_int,
)
from hebbian.data import dataset_names, dataset_spec
from hebbian.experiments.base import Expectation, Recipe
from hebbian.layers import HebbianLinear, shuffled_batches
from hebbian.report.figures import image_rows, subplots
from hebbian.runs import EpochResult, Run

__all__ = ["BCM_SELECTIVITY", "HEBB_RUNAWAY", "OJA_DIGITS", "SANGER_DIGITS"]

TOPIC = "Hebbian learning"


def _check_dataset(name: str) -> int:
    """Check a ``dataset`` setting against the registry; return its pixels per image."""
    names = dataset_names(channels=1)  # grey-level images: (N, H, W)
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"dataset must be one of {', '.join(names)}, got {name!r}")
    height, width = dataset_spec(name).image_shape
    return height * width


def _images(run: Run, dataset: str) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int]]:
    """Flattened training images ``(N, D)`` on the run's device, labels ``(N,)``, (H, W)."""
    data = run.load_dataset(dataset, "train")
    return data.flat.to(run.device), data.labels.to(run.device), data.image_shape


def _data_text(dataset: str) -> str:
    """The data set in descriptions: the digits as before, others by their title."""
    if dataset == "digits":
        return "8x8 digits"
    return f"{dataset_spec(dataset).title} images (the `dataset` setting)"


def _principal_components(centred: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top ``k`` principal axes ``(k, D)`` and their variances ``(k,)``, by SVD in float64."""
    _, singular, vt = torch.linalg.svd(centred.double(), full_matrices=False)
    variances = singular**2 / centred.shape[0]
    return vt[:k].to(centred.dtype), variances[:k].to(centred.dtype)


def _abs_cosines(learned: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``|cos|`` between matching rows of two ``(k, D)`` matrices."""
    a = torch.nn.functional.normalize(learned, dim=1)
    b = torch.nn.functional.normalize(reference, dim=1)
    return (a * b).sum(dim=1).abs()


def _annealed(initial: float, final: float, epoch: int, epochs: int) -> float:
    """Geometric schedule from ``initial`` (epoch 1) to ``final`` (last epoch)."""
    fraction = (epoch - 1) / max(epochs - 1, 1)
    return initial * (final / initial) ** fraction


def _layer_state(layer: HebbianLinear, prefix: str = "") -> dict[str, torch.Tensor]:
    """A copy of ``layer``'s weights, step count and rule state, named for the checkpoint."""
    return {prefix + name: value.detach().clone() for name, value in layer.state_dict().items()}


def _load_layer(layer: HebbianLinear, state: dict[str, torch.Tensor], prefix: str = "") -> None:
    """Put back into ``layer`` what :func:`_layer_state` saved under ``prefix``."""
    own = {name[len(prefix) :]: t for name, t in state.items() if name.startswith(prefix)}
    layer.load_state_dict(own)


# --------------------------------------------------------------------------- Oja / Sanger
@dataclass(frozen=True)
class OjaConfig:
    """Settings of Oja's recipe on the digits (one linear neuron).

    Attributes
    ----------
    dataset : str
        The training images: ``digits`` (default, the 1437 training digits) or any data
        set of :func:`hebbian.data.dataset_names` (``fashion-mnist``, ``mnist``,
        ``omniglot``), read through ``run.load_dataset``.
    epochs : int
        Passes over the training images.
    batch_size : int
        Samples averaged in one update.
    learning_rate, final_learning_rate : float
        The rate is annealed geometrically from the first to the second.
    init_scale : float
        Standard deviation of the initial Gaussian weights.
    """

    dataset: str = "digits"
    epochs: int = 40
    batch_size: int = 10
    learning_rate: float = 0.05
    final_learning_rate: float = 0.001
    init_scale: float = 0.1

    components = 1  # a class constant, not a setting

    def __post_init__(self) -> None:
        _check_dataset(self.dataset)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive("learning_rate", self.learning_rate)
        check_positive("final_learning_rate", self.final_learning_rate)
        check_positive("init_scale", self.init_scale)


@dataclass(frozen=True)
class SangerConfig(OjaConfig):
    """Settings of Sanger's recipe: those of :class:`OjaConfig` and ``components``.

    Attributes
    ----------
    components : int
        Output neurons, i.e. principal components sought (at most the pixels per image,
        64 for the digits).
    """

    epochs: int = 100
    components: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_int("components", self.components)
        pixels = _check_dataset(self.dataset)
        if self.components > pixels:
            raise ValueError(
                f"components must be at most {pixels} (pixels of {self.dataset}), "
                f"got {self.components}"
            )


def _run_components(config: OjaConfig, run: Run, *, sanger: bool) -> dict[str, Any]:
    rule: rules.LocalRule = rules.Sanger() if sanger else rules.Oja()
    name = rule.name
    images, _, shape = _images(run, config.dataset)
    centred = images - images.mean(dim=0)
    k = config.components
    pcs, variances = _principal_components(centred, k)
    initial = _random.normal((k, centred.shape[1]), run.generator, draw_dtype=torch.float32)
    layer = HebbianLinear(
        centred.shape[1], k, rule, config.learning_rate,
        initial_weight=(initial * config.init_scale).to(run.device),
    )  # fmt: skip

    def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> EpochResult:
        _load_layer(layer, state)
        rate = _annealed(config.learning_rate, config.final_learning_rate, epoch, config.epochs)
        layer.fit_epoch(
            centred, batch_size=config.batch_size, generator=run.generator, learning_rate=rate
        )
        weight = layer.weight.detach()
        cosines = _abs_cosines(weight, pcs)
        metrics = {"learning_rate": rate, "abs_cos": cosines, "norm": weight.norm(dim=1)}
        return _layer_state(layer), metrics

    state = run.run_epochs(config.epochs, _layer_state(layer), train_epoch, desc=run.recipe)
    weight = state["weight"]
    cosines = _abs_cosines(weight, pcs)
    _component_figures(run, weight, pcs, name, shape, _data_text(config.dataset))
    results: dict[str, Any] = {
        "abs_cos_with_pca": cosines.tolist(),
        "min_abs_cos_with_pca": cosines.min().item(),
        "weight_norms": weight.norm(dim=1).tolist(),
        "pca_variances": variances.tolist(),
    }
    if sanger:  # variance captured along each learned axis, in the learned order
        projected = centred @ torch.nn.functional.normalize(weight, dim=1).T  # (N, k)
        results["learned_variances"] = projected.var(dim=0, unbiased=False).tolist()
    return results


def _component_figures(
    run: Run,
    weight: torch.Tensor,
    pcs: torch.Tensor,
    name: str,
    shape: tuple[int, int],
    data: str,
) -> None:
    signs = torch.sign((weight * pcs).sum(dim=1, keepdim=True))  # align signs for display
    signs[signs == 0] = 1
    k = weight.shape[0]
    fig = image_rows(
        [(weight * signs).reshape(k, *shape), pcs.reshape(k, *shape)],
        [f"{name.capitalize()}", "PCA (SVD)"],
        titles=[f"PC {i + 1}" for i in range(k)],
        scale=max(1.1, 2.2 / k),  # one component alone is drawn larger
    )
    run.save_figure(
        fig,
        "components",
        f"Weights learned by {name.capitalize()}'s rule (top) beside the principal "
        f"components from an SVD of the same centred {data} (bottom), as "
        f"{shape[0]}x{shape[1]} images; each "
        "image's colours run from blue (most negative) through white (0) to red (most "
        "positive), and the learned signs are flipped where needed to match (a component's "
        "sign is arbitrary).",
    )
    records = run.metrics()
    fig, (left, right) = subplots(1, 2, figsize=(9, 3.2))
    epochs = [r["step"] for r in records]
    cos = torch.tensor([r["abs_cos"] for r in records])
    norms = torch.tensor([r["norm"] for r in records])
    for i in range(k):
        label = f"unit {i + 1} / PC {i + 1}"
        left.plot(epochs, cos[:, i], label=label)
        right.plot(epochs, norms[:, i], label=label)
    right.axhline(1.0, color="k", linestyle=":", linewidth=1, label="theory: 1")
    left.set(xlabel="epoch", ylabel="|cos(w_i, PC i)|", ylim=(0, 1.02), title="alignment with PCA")
    right.set(xlabel="epoch", ylabel="||w_i||", title="weight norm")
    left.legend(fontsize=8, ncol=2)
    right.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    run.save_figure(
        fig,
        "convergence",
        "Per epoch: |cosine| between each unit's weights and the principal component of the "
        "same rank (left; theory: 1), and each unit's weight norm (right; theory: 1).",
    )


def run_oja_digits(config: OjaConfig, run: Run) -> dict[str, Any]:
    """Oja's rule on one linear neuron; it should find the first principal component."""
    return _run_components(config, run, sanger=False)


def run_sanger_digits(config: SangerConfig, run: Run) -> dict[str, Any]:
    """Sanger's rule on ``components`` neurons; they should find the ordered PCs."""
    return _run_components(config, run, sanger=True)


def _schedule_text(config: OjaConfig) -> str:
    images = "1437 training digits" if config.dataset == "digits" else "training images"
    return (
        f"{config.epochs} epochs over the {images} in batches of "
        f"{config.batch_size}, the learning rate annealed geometrically from "
        f"{config.learning_rate:g} to {config.final_learning_rate:g}"
    )


def _describe_oja(config: OjaConfig) -> str:
    close = (
        " The digits' first two variances are close (0.69 and 0.63), which slows convergence."
        if config.dataset == "digits"
        else ""
    )
    return (
        "One linear neuron y = w.x trained with Oja's rule dw = y (x - y w) (Oja 1982) on the "
        f"centred {_data_text(config.dataset)}: {_schedule_text(config)}. Theory: w "
        "converges to the unit-norm first principal component (computed here by an SVD of "
        f"the same data).{close}"
    )


def _oja_expectations(config: OjaConfig) -> list[Expectation]:
    return [
        Expectation(
            "min_abs_cos_with_pca", 1.0, "theory: Oja 1982, w converges to PC 1 (SVD)",
            tolerance=0.01, relation="at_least",
        ),
        Expectation(
            "weight_norms", 1.0, "theory: Oja 1982, ||w|| converges to 1",
            tolerance=0.01, index=0,
        ),
    ]  # fmt: skip


OJA_DIGITS = Recipe(
    name="oja-digits",
    summary="Oja's rule finds the first principal component of the 8x8 digits",
    topic=TOPIC,
    description=_describe_oja,
    config_type=OjaConfig,
    run=run_oja_digits,
    tour={"epochs": 40},
    expectations=_oja_expectations,
)


def _describe_sanger(config: SangerConfig) -> str:
    return (
        f"{config.components} linear neurons trained with Sanger's rule dW = y x^T - "
        f"LT(y y^T) W (Sanger 1989) on the centred {_data_text(config.dataset)}: "
        f"{_schedule_text(config)}. Theory: row i converges to the unit-norm i-th principal "
        "component, in order of decreasing variance, so the variance along row i is the "
        "i-th eigenvalue of the covariance (computed here by an SVD). A component whose "
        "variance is close to the next one's converges slowest."
    )


def _sanger_expectations(config: SangerConfig) -> list[Expectation]:
    rules_: list[Expectation] = [
        Expectation(
            "min_abs_cos_with_pca", 1.0, "theory: Sanger 1989, row i converges to PC i (SVD)",
            tolerance=0.02, relation="at_least",
        )
    ]  # fmt: skip
    for i in range(config.components):
        rules_.append(
            Expectation(
                "learned_variances", "pca_variances",
                "theory: Sanger 1989, variance along row i = i-th eigenvalue (SVD)",
                tolerance=0.01, index=i,
            )
        )  # fmt: skip
    for i in range(config.components):
        rules_.append(
            Expectation(
                "weight_norms", 1.0, "theory: Sanger 1989, ||w_i|| converges to 1",
                tolerance=0.01, index=i,
            )
        )  # fmt: skip
    return rules_


SANGER_DIGITS = Recipe(
    name="sanger-digits",
    summary="Sanger's generalized Hebbian algorithm finds the ordered principal components",
    topic=TOPIC,
    description=_describe_sanger,
    config_type=SangerConfig,
    run=run_sanger_digits,
    tour={"components": 8, "epochs": 100},
    expectations=_sanger_expectations,
)


# --------------------------------------------------------------------------- BCM
@dataclass(frozen=True)
class BCMConfig:
    """Settings of the BCM selectivity recipe.

    Attributes
    ----------
    dataset : str
        Where the patterns come from: ``digits`` (default) or any data set of
        :func:`hebbian.data.dataset_names`, read through ``run.load_dataset``.
    neurons : int
        Independent BCM neurons, each seeing the same input stream.
    patterns : int
        Input patterns: the mean training images of the classes ``0 .. patterns-1``
        (digit classes by default), scaled to unit norm, one shown per step with equal
        probability.
    epochs, steps_per_epoch : int
        Training length; one step is one input (the rule is stochastic by design).
    learning_rate : float
        Weight learning rate.
    rule : hebbian.rules.BCM
        The rule, with the rate ``d`` of its sliding threshold
        ``theta <- (1 - d) theta + d y^2`` (``rule.threshold_decay``), which must be
        faster than the weights for the selective fixed points to be stable. The
        threshold slides before each weight change, which moves the preferred response
        from ``K`` to ``K / (1 + d (K - 1))``; a small ``d`` keeps it near ``K``.
    init_scale : float
        Scale of the initial weights, uniform in ``[0, init_scale)``.
    """

    dataset: str = "digits"
    neurons: int = 8
    patterns: int = 4
    epochs: int = 20
    steps_per_epoch: int = 1000
    learning_rate: float = 0.01
    rule: rules.BCM = field(default_factory=lambda: rules.BCM(threshold_decay=0.03))
    init_scale: float = 0.1

    def __post_init__(self) -> None:
        pixels = _check_dataset(self.dataset)
        check_positive_int("neurons", self.neurons)
        check_positive_int("patterns", self.patterns, minimum=2)
        known = getattr(dataset_spec(self.dataset), "classes", None)  # archives: read later
        if known is not None and self.patterns > len(known):
            raise ValueError(
                f"patterns must be at most {len(known)} (classes of {self.dataset}), "
                f"got {self.patterns}"
            )
        check_positive_int("epochs", self.epochs)
        check_positive_int("steps_per_epoch", self.steps_per_epoch)
        check_positive("learning_rate", self.learning_rate)
        check_positive("init_scale", self.init_scale)
        if not isinstance(self.rule, rules.BCM):
            raise TypeError(f"rule must be a hebbian.rules.BCM, got {type(self.rule).__name__}")
        check_memory(
            f"neurons={self.neurons}, steps_per_epoch={self.steps_per_epoch} (weights and "
            f"the patterns drawn in an epoch, at least 16 * {pixels} * neurons + 8 * steps "
            "bytes)",
            16 * pixels * self.neurons + 8 * self.steps_per_epoch,
        )


def _preferred_response(config: BCMConfig) -> float:
    r"""The preferred response at a selective fixed point, :math:`K / (1 + d (K - 1))`.

    A selective neuron responds :math:`y` to its pattern and 0 to the other
    :math:`K - 1`, so the threshold averages :math:`\bar\theta = y^2 / K`. It slides
    before the change, :math:`\theta' = (1 - d) \bar\theta + d y^2`, and the change
    :math:`y (y - \theta') x` vanishes at :math:`y = \theta'`.
    """
    k, d = config.patterns, config.rule.threshold_decay
    return k / (1 + d * (k - 1))


def _selectivity(responses: torch.Tensor) -> torch.Tensor:
    """``1 - mean/max`` of each row of ``(neurons, patterns)``: 0 = flat, 1 - 1/K = one only."""
    peak = responses.max(dim=1).values.clamp_min(1e-12)
    return 1 - responses.mean(dim=1) / peak


def run_bcm_selectivity(config: BCMConfig, run: Run) -> dict[str, Any]:
    """BCM neurons exposed to a few patterns become selective to one of them.

    Each step shows one pattern to a :class:`~hebbian.layers.HebbianLinear` of
    rectified neurons learning with :class:`hebbian.rules.BCM`, whose order it follows:
    the threshold slides with the step's responses, then the weights change against
    the new threshold.
    """
    images, labels, _ = _images(run, config.dataset)
    if config.patterns > int(labels.max()) + 1:
        raise ValueError(
            f"patterns = {config.patterns} exceeds the {int(labels.max()) + 1} classes of "
            f"{config.dataset}"
        )
    patterns = torch.stack([images[labels == c].mean(dim=0) for c in range(config.patterns)])
    patterns = torch.nn.functional.normalize(patterns, dim=1)  # (K, D)
    initial = _random.uniform(
        (config.neurons, patterns.shape[1]), run.generator, draw_dtype=torch.float32
    )
    layer = HebbianLinear(
        patterns.shape[1], config.neurons,
        config.rule,
        config.learning_rate,
        activation=torch.relu,  # rectified rates y = max(0, w.x)
        initial_weight=(initial * config.init_scale).to(run.device),
    )  # fmt: skip

    def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> EpochResult:
        _load_layer(layer, state)
        shown = _random.integers(config.patterns, (config.steps_per_epoch,), run.generator)
        for k in shown.tolist():
            layer.plasticity_step(patterns[k : k + 1])  # one (1, D) input a step
        responses = layer.responses(patterns).T  # (neurons, K)
        theta = rules.BCMState(*layer.rule_state).theta
        metrics = {"selectivity": _selectivity(responses), "theta": theta}
        return _layer_state(layer), metrics

    state = run.run_epochs(config.epochs, _layer_state(layer), train_epoch, desc=run.recipe)
    _load_layer(layer, state)
    responses = layer.responses(patterns).T  # (neurons, K)
    selectivity = _selectivity(responses)
    # Discrete outcomes, and why rounding cannot flip them. The responses are rectified:
    # a selective neuron's response to the other patterns is exactly 0, so its
    # selectivity is 1 - 1/K up to one rounding, far above the threshold 0.9 (1 - 1/K);
    # a neuron that is not selective sits well below it (the tour: all at 0.75 = 1 - 1/4,
    # and the test checks the margin). The preferred pattern is an argmax over responses
    # that are either 0 or near K: a tie needs a neuron responding equally to two
    # patterns, i.e. not selective; exact ties (a silent neuron) go to the lower pattern
    # (argmax returns the first maximum on every device).
    preferred = responses.argmax(dim=1)
    peak = responses.max(dim=1).values
    _bcm_figures(run, responses, config.patterns, _preferred_response(config))
    return {
        "mean_selectivity": selectivity.mean().item(),
        "max_possible_selectivity": 1 - 1 / config.patterns,
        "selective_neurons": int((selectivity > 0.9 * (1 - 1 / config.patterns)).sum()),
        "preferred_pattern": preferred.tolist(),
        "mean_preferred_response": peak.mean().item(),
        "theory_preferred_response": _preferred_response(config),
        "mean_other_response": ((responses.sum(1) - peak) / (config.patterns - 1)).mean().item(),
    }


def _bcm_figures(run: Run, responses: torch.Tensor, patterns: int, preferred: float) -> None:
    records = run.metrics()
    neurons = responses.shape[0]
    fig, (left, right) = subplots(1, 2, figsize=(9, 3.6))
    image = left.imshow(responses.cpu().numpy(), cmap="viridis", aspect="auto")
    left.set(xlabel="pattern (digit class)", ylabel="neuron", title="response after training")
    left.set_xticks(range(patterns))
    left.set_yticks(range(neurons) if neurons <= 16 else [])
    fig.colorbar(image, ax=left, label="response y = max(0, w.x)")
    epochs = [r["step"] for r in records]
    selectivity = torch.tensor([r["selectivity"] for r in records])  # (epochs, neurons)
    for i in range(neurons):
        right.plot(epochs, selectivity[:, i], label=f"neuron {i}" if neurons <= 12 else None)
    right.axhline(1 - 1 / patterns, color="k", linestyle=":", label=f"theory: 1 - 1/{patterns}")
    right.set(xlabel="epoch", ylabel="1 - mean/max of responses", title="selectivity")
    right.legend(fontsize=8, ncol=2, loc="lower right")
    fig.tight_layout()
    run.save_figure(
        fig,
        "selectivity",
        f"Left: each neuron's response to each of the {patterns} patterns after training; "
        "each responds to one pattern only. Right: selectivity 1 - mean/max of each neuron's "
        f"responses per epoch, which reaches 1 - 1/{patterns} when it responds to one "
        f"pattern. With {patterns} equiprobable patterns the preferred response tends to "
        f"{preferred:.3g}, the fixed point y = theta' of the threshold theta' slid with y "
        f"(K = {patterns} when the threshold is slow).",
    )


def _describe_bcm(config: BCMConfig) -> str:
    k = config.patterns
    return (
        f"{config.neurons} rectified neurons y = max(0, w.x) learn with the BCM rule "
        "dw = y (y - theta) x, theta a running mean of y^2 (Bienenstock, Cooper & Munro "
        f"1982; Intrator & Cooper 1992), from the unit-norm mean images of the "
        f"{'digit' if config.dataset == 'digits' else dataset_spec(config.dataset).title} "
        f"classes 0-{k - 1} shown one at a time, {config.epochs} x {config.steps_per_epoch} steps. "
        f"Theory: the stable fixed points respond to exactly one pattern (selectivity "
        f"1 - 1/{k} = {1 - 1 / k:.3g}), with response 0 to the others and to the preferred "
        f"one y = theta' = (1 - d) E[y^2] + d y^2 (the threshold slides before the weights "
        f"change), i.e. y = K / (1 + d (K - 1)) = {_preferred_response(config):.3g} for "
        f"K = {k}, d = {config.rule.threshold_decay:g} (K in the slow-threshold limit)."
    )


def _bcm_expectations(config: BCMConfig) -> list[Expectation]:
    source = "theory: BCM fixed points (Intrator & Cooper 1992)"
    return [
        Expectation("mean_selectivity", "max_possible_selectivity", source, tolerance=0.01),
        Expectation(
            "selective_neurons", float(config.neurons), source + ", every neuron selective",
            relation="at_least",
        ),
        Expectation(
            "mean_preferred_response", "theory_preferred_response",
            source + ", y = theta' = K / (1 + d (K - 1))", tolerance=0.25,
        ),
        Expectation("mean_other_response", 0.0, source, tolerance=0.01),
    ]  # fmt: skip


BCM_SELECTIVITY = Recipe(
    name="bcm-selectivity",
    summary="BCM neurons with a sliding threshold become selective to one input pattern",
    topic=TOPIC,
    description=_describe_bcm,
    config_type=BCMConfig,
    run=run_bcm_selectivity,
    tour={"epochs": 20},
    expectations=_bcm_expectations,
)


# --------------------------------------------------------------------------- Hebb vs Oja
@dataclass(frozen=True)
class RunawayConfig:
    """Settings of the Hebb-against-Oja recipe (one linear neuron on centred digits).

    Attributes
    ----------
    dataset : str
        The training images: ``digits`` (default) or any data set of
        :func:`hebbian.data.dataset_names`, read through ``run.load_dataset``.
    epochs : int
        Passes over the training images; plain Hebb's run stops earlier, at the step
        where its weights stop being finite.
    batch_size : int
        Samples averaged in one update.
    learning_rate : float
        The same constant rate for both rules.
    init_scale : float
        Standard deviation of the initial Gaussian weights (shared by both neurons).
    """

    dataset: str = "digits"
    epochs: int = 30
    batch_size: int = 10
    learning_rate: float = 0.05
    init_scale: float = 0.1

    def __post_init__(self) -> None:
        _check_dataset(self.dataset)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive("learning_rate", self.learning_rate)
        check_positive("init_scale", self.init_scale)


def run_hebb_runaway(config: RunawayConfig, run: Run) -> dict[str, Any]:
    """Plain Hebb's norm grows until the finite-weights guard stops it; Oja's stays 1.

    Both neurons start from the same weights and see the same batches. Averaged over
    the data, Hebb is ``w <- (I + a C) w`` with ``C`` the input covariance, so its norm
    grows by ``1 + a lambda_1`` per step once aligned with the first component.
    """
    images, _, _ = _images(run, config.dataset)
    centred = images - images.mean(dim=0)
    _, variances = _principal_components(centred, 1)
    start = _random.normal((1, centred.shape[1]), run.generator, draw_dtype=torch.float32)
    start = (start * config.init_scale).to(run.device)
    rate = config.learning_rate
    hebb = HebbianLinear(centred.shape[1], 1, rules.Hebb(), rate, initial_weight=start)
    oja = HebbianLinear(centred.shape[1], 1, rules.Oja(), rate, initial_weight=start)
    initial = {
        **_layer_state(hebb, "hebb."),
        **_layer_state(oja, "oja."),
        "hebb_stopped_at": torch.tensor(0),
    }
    steps_per_epoch = math.ceil(centred.shape[0] / config.batch_size)

    def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> EpochResult:
        _load_layer(hebb, state, "hebb.")
        _load_layer(oja, state, "oja.")
        stopped_at = int(state["hebb_stopped_at"])
        for batch in shuffled_batches(centred, config.batch_size, run.generator):
            oja.plasticity_step(batch)
            if stopped_at:
                continue
            try:
                hebb.plasticity_step(batch)
            except NonFiniteWeightsError:  # the guard fired; the layer kept its last weights
                stopped_at = int(hebb.steps) + 1
        metrics = {
            "hebb_norm": hebb.weight.double().norm(),  # float64: the float32 norm overflows first
            "oja_norm": oja.weight.detach().norm(),
            "hebb_stopped_at": stopped_at,
        }
        return {
            **_layer_state(hebb, "hebb."),
            **_layer_state(oja, "oja."),
            "hebb_stopped_at": torch.tensor(stopped_at),
        }, metrics

    state = run.run_epochs(config.epochs, initial, train_epoch, desc=run.recipe)
    # hebb_stopped_at_step is the first step at which a float32 quantity of the update
    # (y = x.w, the products y x or their sum) exceeds 3.4e38. They all grow by about
    # 1 + a lambda_1 (3.5% at the defaults) per step, so rounding moves the step only
    # if that quantity lands within rounding of the bound; float32 noise accumulated
    # over the ~2700 steps is below 1e-4 relative, and the test checks that scaling
    # the initial weights by 1 +- 1e-4 (which scales every later quantity alike, the
    # rule being linear) leaves the step unchanged.
    records = run.metrics()
    running = [r for r in records if not r["hebb_stopped_at"]]
    # growth per step from the log-norm slope over the epochs before the guard fired
    if len(running) >= 3:
        first, last = running[len(running) // 3], running[-1]
        slope = math.log(last["hebb_norm"] / first["hebb_norm"]) / (
            (last["step"] - first["step"]) * steps_per_epoch
        )
        measured_growth = math.exp(slope)
    else:
        measured_growth = float("nan")
    _runaway_figure(run, records, int(state["hebb_stopped_at"]), steps_per_epoch)
    return {
        "hebb_stopped_at_step": int(state["hebb_stopped_at"]),
        "hebb_last_finite_norm": state["hebb.weight"].double().norm().item(),
        "hebb_growth_per_step": measured_growth,
        "theory_growth_per_step": 1 + rate * variances[0].item(),
        "oja_final_norm": state["oja.weight"].norm().item(),
    }


def _runaway_figure(
    run: Run, records: list[dict[str, Any]], stopped_at: int, steps_per_epoch: int
) -> None:
    fig, ax = subplots(figsize=(6, 3.4))
    steps = [r["step"] * steps_per_epoch for r in records]
    running = [r for r in records if not r["hebb_stopped_at"]]  # Hebb is frozen once stopped
    hebb_steps = [r["step"] * steps_per_epoch for r in running]
    ax.semilogy(hebb_steps, [r["hebb_norm"] for r in running], label="plain Hebb")
    ax.semilogy(steps, [r["oja_norm"] for r in records], label="Oja")
    if stopped_at:
        ax.axvline(
            stopped_at, color="k", linestyle=":", label=f"guard stops Hebb (step {stopped_at})"
        )
    ax.set(
        xlabel="update step",
        ylabel="||w||",
        title="Hebb's runaway growth against Oja's normalisation",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    run.save_figure(
        fig,
        "runaway",
        "Weight norm of one linear neuron under plain Hebb and under Oja's rule, same start "
        "and same batches. Hebb grows exponentially until float32 overflows and the "
        "finite-weights guard stops it; Oja's norm settles at 1.",
    )


def _describe_runaway(config: RunawayConfig) -> str:
    if config.dataset != "digits":
        return (
            f"One linear neuron on the centred {_data_text(config.dataset)}, trained side by "
            "side with plain Hebb dw = y x and with Oja's rule dw = y (x - y w), from the "
            f"same initial weights on the same batches of {config.batch_size} for "
            f"{config.epochs} epochs at the learning rate a = {config.learning_rate:g}. "
            "Theory: Hebb's norm grows by 1 + a lambda_1 per step (lambda_1 the largest "
            "input variance) until the weights overflow, which the library's guard turns "
            "into an error naming the rule and the step; Oja's norm converges to 1."
        )
    return (
        "One linear neuron on the centred 8x8 digits, trained side by side with plain Hebb "
        "dw = y x and with Oja's rule dw = y (x - y w), from the same initial weights on "
        f"the same batches of {config.batch_size} for {config.epochs} epochs at the "
        f"learning rate a = {config.learning_rate:g}. Theory: Hebb's norm grows by "
        "1 + a lambda_1 per step (lambda_1 the largest input variance, 0.691 for the "
        f"digits: {1 + config.learning_rate * 0.691:.4g}) until the weights overflow, which "
        "the library's guard turns into an error naming the rule and the step; Oja's norm "
        "converges to 1."
    )


def _runaway_expectations(config: RunawayConfig) -> list[Expectation]:
    return [
        Expectation(
            "hebb_growth_per_step", "theory_growth_per_step",
            "theory: averaged Hebb, w <- (I + a C) w", tolerance=0.001,
        ),
        Expectation(
            "hebb_stopped_at_step", 1.0, "theory: plain Hebb diverges, so the guard stops it",
            relation="at_least",
        ),
        Expectation(
            "oja_final_norm", 1.0, "theory: Oja 1982, ||w|| converges to 1", tolerance=0.01
        ),
    ]  # fmt: skip


HEBB_RUNAWAY = Recipe(
    name="hebb-runaway",
    summary="plain Hebb's weights grow without bound; Oja's rule keeps them at unit norm",
    topic=TOPIC,
    description=_describe_runaway,
    config_type=RunawayConfig,
    run=run_hebb_runaway,
    tour={"epochs": 30},
    expectations=_runaway_expectations,
)
