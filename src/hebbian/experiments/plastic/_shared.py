"""What several differentiable-plasticity recipes share: setting checks, epoch means, figures."""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hebbian._checks import check_enum, check_positive, check_positive_int
from hebbian.data import dataset_names, dataset_spec
from hebbian.plastic import ModelKind
from hebbian.report.figures import subplots
from hebbian.runs import Run

__all__ = [
    "TOPIC",
    "check_dataset",
    "check_models",
    "check_multiple",
    "check_schedule",
    "curves",
    "model_means",
    "within_episode",
]

TOPIC = "Differentiable plasticity"


def check_models(models: object, allowed: tuple[ModelKind, ...]) -> None:
    """Check that ``models`` is a non-empty tuple of distinct kinds among ``allowed``.

    Parameters
    ----------
    models : object
        The ``models`` setting of a recipe.
    allowed : tuple of ModelKind
        The kinds the recipe can train.

    Raises
    ------
    ValueError
        If ``models`` is not a non-empty tuple, names a kind outside ``allowed`` or
        repeats one.
    """
    if not isinstance(models, tuple) or not models:
        raise ValueError(f"models must be a non-empty tuple of ModelKind, got {models!r}")
    valid = ", ".join(kind.value for kind in allowed)
    for kind in models:
        if check_enum("models", kind, ModelKind) not in allowed:
            raise ValueError(
                f"models: {kind.value!r} is not used by this recipe; valid models: {valid}"
            )
    if len(set(models)) != len(models):
        raise ValueError(f"models must not repeat a model, got {models!r}")


def check_dataset(value: str) -> tuple[int, int]:
    """Check that ``value`` names a registry data set; return its image shape ``(H, W)``.

    Any grey-level name, ``hebbian.data.dataset_names(channels=1)``, is accepted (the
    plastic recipes read ``(N, H, W)`` images); the shape comes from its spec, so a
    config can size its memory before anything is loaded.

    Raises
    ------
    ValueError
        If it is not a registry name (the message lists them).
    """
    if not isinstance(value, str) or value not in dataset_names(channels=1):
        valid = ", ".join(dataset_names(channels=1))
        raise ValueError(f"dataset must be one of {valid}, got {value!r}")
    return dataset_spec(value).image_shape


def check_multiple(name: str, value: int, of: str, unit: int) -> None:
    """Check that the setting ``name`` is a multiple of the setting ``of``, ``unit``.

    Raises
    ------
    ValueError
        If ``value % unit`` is not 0.
    """
    if value % unit:
        raise ValueError(f"{name} must be a multiple of {of} = {unit}, got {value}")


def check_schedule(config: Any) -> None:
    """Check the training-schedule fields shared by the pattern and image configs.

    ``episodes``, ``batch_size``, ``episodes_per_epoch`` and ``test_episodes`` are
    positive ints, ``learning_rate`` and ``eta`` positive, ``episodes_per_epoch`` a
    multiple of ``batch_size`` and ``episodes`` a multiple of ``episodes_per_epoch``.

    Raises
    ------
    ValueError
        If one of them is not.
    """
    check_positive_int("episodes", config.episodes)
    check_positive_int("batch_size", config.batch_size)
    check_positive_int("episodes_per_epoch", config.episodes_per_epoch)
    check_positive_int("test_episodes", config.test_episodes)
    check_positive("learning_rate", config.learning_rate)
    check_positive("eta", config.eta)
    check_multiple("episodes_per_epoch", config.episodes_per_epoch, "batch_size", config.batch_size)
    check_multiple("episodes", config.episodes, "episodes_per_epoch", config.episodes_per_epoch)


def model_means(sums: dict[str, dict[str, float]], count: int) -> dict[str, float]:
    """The logged means of every model's summed metrics, ``{"<model>_<metric>": sum / count}``.

    Parameters
    ----------
    sums : dict of str to dict of str to float
        For each model, in order, each metric's sum over ``count`` optimiser steps.
    count : int
        The steps summed.

    Returns
    -------
    dict of str to float
        Model by model, metric by metric, in the order of ``sums``.

    Examples
    --------
    >>> model_means({"rnn": {"loss": 3.0, "grad_norm": 1.0}}, 2)
    {'rnn_loss': 1.5, 'rnn_grad_norm': 0.5}
    """
    return {
        f"{name}_{metric}": total / count
        for name, totals in sums.items()
        for metric, total in totals.items()
    }


def within_episode(by_trial: dict[str, torch.Tensor]) -> Figure:
    """The fraction of right answers at each trial of the test episodes, one line a model.

    Parameters
    ----------
    by_trial : dict of str to Tensor, shape (trials,)
        Each model's fraction right at trial 1, 2, ... (on the CPU).

    Returns
    -------
    Figure
        The curves with chance (0.5) marked, laid out and ready to save.
    """
    fig, ax = subplots(figsize=(6.4, 3.6))
    for name, curve in by_trial.items():
        ax.plot(range(1, len(curve) + 1), curve, marker=".", label=name)
    ax.axhline(0.5, color="k", linestyle=":", linewidth=1, label="chance: 0.5")
    ax.set(xlabel="trial in the episode", ylabel="fraction right", title="within-episode learning")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def curves(
    run: Run, keys: list[tuple[str, str]], x_key: str, ylabel: str, title: str
) -> tuple[Figure, Axes]:
    """Plot logged metrics of ``run`` against the metric ``x_key``.

    Parameters
    ----------
    run : Run
        The run whose metrics (one record per logged epoch) are drawn.
    keys : list of (str, str)
        The metric of each curve and its legend label.
    x_key, ylabel, title : str
        The metric on the x axis, the y axis label and the title.

    Returns
    -------
    (Figure, Axes)
        The figure and its axes, for the caller to add lines to.
    """
    records = run.metrics()
    fig, ax = subplots(figsize=(6.4, 3.6))
    xs = [r[x_key] for r in records]
    for key, label in keys:
        ax.plot(xs, [r[key] for r in records], label=label)
    ax.set(xlabel=x_key.replace("_", " "), ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, ax
