"""Fixtures of the recipes' tests: a run killed and resumed, tiny MNIST-shaped files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hebbian.experiments.base import Recipe, execute
from hebbian.runs import Run


class SimulatedKillError(RuntimeError):
    """Stands for the process being killed, after a run's first epoch is checkpointed."""


Resumed = Callable[[Recipe, Any, Path], dict[str, Any]]


@pytest.fixture
def killed_and_resumed(monkeypatch: pytest.MonkeyPatch) -> Resumed:
    """``killed_and_resumed(recipe, config, folder)``: the summary of a run killed and resumed.

    The run in ``folder`` is stopped when it logs its second epoch, after the checkpoint
    of the first, then resumed (``resume=True``) to the end; a test compares its summary
    with an uninterrupted run's.
    """

    def run(recipe: Recipe, config: Any, folder: Path) -> dict[str, Any]:
        original_log = Run.log

        def log_then_stop(self: Run, step: int, **metrics: Any) -> None:
            if step == 2:
                raise SimulatedKillError("killed after the checkpoint of epoch 1")
            original_log(self, step, **metrics)

        with monkeypatch.context() as patch:
            patch.setattr(Run, "log", log_then_stop)
            with pytest.raises(SimulatedKillError):
                execute(recipe, config, folder)
        return execute(recipe, config, folder, resume=True)

    return run


@pytest.fixture
def tiny_mnist(tmp_path: Path) -> Path:
    """A folder of tiny MNIST-shaped IDX files: four blurred strokes as classes, 28x28 uint8.

    120 training and 40 test images, for recipes that read ``mnist`` (not available here).
    """
    folder, n_train, n_test = tmp_path / "mnist-data", 120, 40
    import numpy as np

    from hebbian.data import write_idx

    rng = np.random.default_rng(0)
    strokes = np.zeros((4, 28, 28))
    strokes[0, 4:24, 13:15] = 1  # |
    strokes[1, 13:15, 4:24] = 1  # -
    strokes[2, np.arange(4, 24), np.arange(4, 24)] = 1  # \
    strokes[3, np.arange(4, 24), np.arange(23, 3, -1)] = 1  # /
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 4
        images = np.clip(strokes[labels] * 230 + rng.random((n, 28, 28)) * 25, 0, 255)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images.astype(np.uint8), gzip=True)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8), gzip=True)
    return folder
