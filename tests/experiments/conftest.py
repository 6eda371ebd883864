"""Fixtures of the recipes' tests: a run killed after its first checkpoint, then resumed."""

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
