"""Run folders: resolved config, metrics, checkpoints, figures, summary, resume.

A run folder holds everything one recipe run produced::

    config.json                  recipe, resolved config, library version, seed, device
    metrics.jsonl                one JSON object a line, each with a ``step``
    checkpoints/last.safetensors the newest checkpoint (tensors + random state + step)
    *.png                        figures
    summary.json                 final numbers and the figures with their captions
    index.html                   the report (rebuilt by ``hebbian report RUN_DIR``)

Every file is written atomically (temporary file in the same folder, then
:func:`os.replace`), so a run killed at any instant leaves either the old file or
the new one, never half of one. A recipe draws all of its randomness from
:attr:`Run.generator`, whose state is saved in every checkpoint; resuming therefore
continues the exact random stream and ends with the same weights and metrics as an
uninterrupted run with the same seed.

Examples
--------
>>> import tempfile, torch
>>> folder = Path(tempfile.mkdtemp()) / "run"
>>> run = Run.start(folder, recipe="demo", config={"steps": 2}, seed=0)
>>> run.log(1, loss=0.5)
>>> run.checkpoint(1, {"w": torch.ones(2)})
>>> again = Run.start(folder, recipe="demo", config={"steps": 2}, seed=0, resume=True)
>>> step, tensors = again.restore()
>>> step, tensors["w"].tolist()
(1, [1.0, 1.0])
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from hebbian import __version__
from hebbian.progress import progress

__all__ = ["Run", "RunFolderError", "atomic_write_text", "read_json", "read_metrics"]

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
CHECKPOINT_FILE = Path("checkpoints") / "last.safetensors"
_GENERATOR_KEY = "__generator_state__"

EpochResult = tuple[dict[str, torch.Tensor], dict[str, Any]]
"""What one training epoch returns: the new state tensors and the metrics to log."""


class RunFolderError(RuntimeError):
    """A run folder cannot be used as asked (exists, differs, or is damaged)."""


@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (all of it or nothing)."""
    with _atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_json(path: Path) -> Any:
    """Read a JSON file, with an error naming the file when it is damaged."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RunFolderError(f"{path} is not valid JSON ({error}); delete it or rerun") from error


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """Return the records of ``folder/metrics.jsonl`` (a partly written last line is ignored)."""
    path = Path(folder) / METRICS_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut by a kill: everything after it is untrustworthy
    return records


def _jsonable(value: Any) -> Any:
    """Convert tensors and numpy scalars to plain JSON values (NaN/inf become strings)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class Run:
    """One run folder, opened for writing.

    Use :meth:`start` to create (or, with ``resume=True``, reopen) a folder.

    Attributes
    ----------
    directory : Path
        The run folder.
    recipe : str
        Name of the recipe that runs here.
    config : dict
        The resolved recipe configuration (JSON-serialisable).
    seed : int
        Seed of :attr:`generator`.
    device : torch.device
        Where the recipe's tensors live.
    generator : torch.Generator
        A CPU generator: the only source of randomness a recipe may use. Draw on the
        CPU and move to :attr:`device`, so a seed gives the same numbers everywhere.
    data_dir : Path or None
        Where to look for data sets first (``--data-dir``); not part of the config.
    """

    directory: Path
    recipe: str
    config: dict[str, Any]
    seed: int
    device: torch.device
    generator: torch.Generator = field(repr=False)
    data_dir: Path | None = None
    figures: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        directory: Path | str,
        *,
        recipe: str,
        config: Mapping[str, Any],
        seed: int = 0,
        device: torch.device | str = "cpu",
        resume: bool = False,
        data_dir: Path | str | None = None,
    ) -> Run:
        """Create a run folder, or reopen one to resume.

        Without ``resume`` the folder must not exist or be empty, so that nothing is
        overwritten. With ``resume`` an existing folder must hold the same recipe,
        config and seed; a missing folder is started afresh.
        """
        directory = Path(directory)
        device = torch.device(device)
        record = {
            "recipe": recipe,
            "config": _jsonable(dict(config)),
            "seed": seed,
            "device": str(device),
            "hebbian_version": __version__,
            "torch_version": torch.__version__,
        }
        config_path = directory / CONFIG_FILE
        if directory.exists() and any(directory.iterdir()):
            if not resume:
                raise RunFolderError(
                    f"run folder {directory} already exists and is not empty; pass --resume "
                    "to continue it or choose another --out"
                )
            if not config_path.exists():
                raise RunFolderError(f"{directory} has no {CONFIG_FILE}; it is not a run folder")
            old = read_json(config_path)
            for key in ("recipe", "config", "seed"):
                if old.get(key) != record[key]:
                    raise RunFolderError(
                        f"cannot resume {directory}: its {key} is {old.get(key)!r} but this run "
                        f"asks for {record[key]!r}; use the same settings or another --out"
                    )
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write_text(config_path, json.dumps(record, indent=2) + "\n")
        generator = torch.Generator().manual_seed(seed)
        data_dir = None if data_dir is None else Path(data_dir)
        return cls(directory, recipe, record["config"], seed, device, generator, data_dir)

    # ----------------------------------------------------------------- metrics
    def log(self, step: int, **metrics: Any) -> None:
        """Append one record ``{"step": step, **metrics}`` to ``metrics.jsonl``."""
        line = json.dumps({"step": int(step), **_jsonable(metrics)})
        with open(self.directory / METRICS_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def metrics(self) -> list[dict[str, Any]]:
        """The records logged so far."""
        return read_metrics(self.directory)

    # ------------------------------------------------------------- checkpoints
    def checkpoint(self, step: int, tensors: Mapping[str, torch.Tensor]) -> None:
        """Save ``tensors``, the generator state and ``step`` atomically.

        Call it right after logging the metrics of ``step``: a resumed run starts
        at ``step`` and drops any metrics logged after it.
        """
        if _GENERATOR_KEY in tensors:
            raise ValueError(f"tensors must not use the reserved name {_GENERATOR_KEY!r}")
        payload = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
        payload[_GENERATOR_KEY] = self.generator.get_state()
        metadata = {"step": str(int(step)), "hebbian_version": __version__}
        with _atomic_path(self.directory / CHECKPOINT_FILE) as tmp:
            save_file(payload, str(tmp), metadata=metadata)

    def restore(self) -> tuple[int, dict[str, torch.Tensor]] | None:
        """Load the last checkpoint, if any, and rewind the run to it.

        Restores :attr:`generator`, moves the tensors to :attr:`device`, and
        truncates ``metrics.jsonl`` to the records with ``step <= checkpoint step``
        (those logged after it are recomputed). Returns ``(step, tensors)`` or
        ``None`` when there is no checkpoint.
        """
        path = self.directory / CHECKPOINT_FILE
        if not path.exists():
            self._keep_metrics_up_to(0)
            return None
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as handle:
                step = int(handle.metadata()["step"])
            tensors = load_file(str(path))
        except Exception as error:  # damaged file: say which and how to recover
            raise RunFolderError(
                f"checkpoint {path} cannot be read ({error}); delete it to restart the run"
            ) from error
        self.generator.set_state(tensors.pop(_GENERATOR_KEY))
        self._keep_metrics_up_to(step)
        return step, {name: t.to(self.device) for name, t in tensors.items()}

    def _keep_metrics_up_to(self, step: int) -> None:
        path = self.directory / METRICS_FILE
        if not path.exists():
            return
        kept = [r for r in read_metrics(self.directory) if r.get("step", 0) <= step]
        atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))

    def run_epochs(
        self,
        epochs: int,
        state: dict[str, torch.Tensor],
        train_epoch: Callable[[int, dict[str, torch.Tensor]], EpochResult],
        *,
        desc: str = "",
    ) -> dict[str, torch.Tensor]:
        """Run ``train_epoch`` for epochs ``1..epochs``, resuming where the run stopped.

        ``train_epoch(epoch, state) -> (new_state, metrics)`` must draw its randomness
        from :attr:`generator`. After each epoch its metrics are logged and the state
        is checkpointed; a resumed run restarts after the last checkpoint, so it ends
        with the same state and metrics as an uninterrupted one. ``state`` is the
        initial state, used only when there is no checkpoint.
        """
        restored = self.restore()
        start = 0
        if restored is not None:
            start, state = restored
        for epoch in progress(range(start + 1, epochs + 1), total=epochs - start, desc=desc):
            state, metrics = train_epoch(epoch, state)
            self.log(epoch, **metrics)
            self.checkpoint(epoch, state)
        return state

    # ----------------------------------------------------------------- outputs
    def save_figure(self, figure: Any, name: str, caption: str) -> Path:
        """Save a matplotlib figure as ``name.png`` and remember its caption."""
        path = self.directory / f"{name}.png"
        with _atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
        self.figures = [f for f in self.figures if f["file"] != path.name]
        self.figures.append({"file": path.name, "caption": caption})
        return path

    def finish(
        self,
        results: Mapping[str, Any],
        description: str = "",
        verdicts: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Write ``summary.json``: the final numbers, a description, the figures and the
        verdicts (each result against its expectation, see
        :func:`hebbian.experiments.base.judge`)."""
        summary = {
            "recipe": self.recipe,
            "description": description,
            "results": _jsonable(dict(results)),
            "verdicts": _jsonable(list(verdicts)),
            "figures": self.figures,
        }
        atomic_write_text(self.directory / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
        return summary
