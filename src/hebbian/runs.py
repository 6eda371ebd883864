"""Run folders: resolved config, metrics, checkpoints, figures, summary, resume.

A run folder holds everything one recipe run produced::

    config.json                  recipe, resolved config, library version, seed, device
    metrics.jsonl                one JSON object a line, each with a ``step``
    checkpoints/last.safetensors the newest checkpoint (tensors + random state + step)
    *.png                        figures
    summary.json                 final numbers and the figures with their captions
    index.html                   the report (rebuilt by ``hebbian report RUN_DIR``)

Every file is written atomically (temporary file in the same folder, then
:func:`os.replace`), with the permissions the user's umask gives a new file, so a
run killed at any instant leaves either the old file or the new one, never half of
one. A run folder is never reused silently: an unfinished run is continued with
``--resume`` or started again with ``--overwrite``, and the error that refuses it
prints both commands (:func:`rerun_command`). Each checkpoint records the recipe
and a digest of the config it belongs to, so a resumed run never continues from a
checkpoint of other settings. A recipe draws all of its randomness from
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

import hashlib
import json
import math
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from hebbian import __version__
from hebbian._checks import check_finite_weights
from hebbian._files import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    atomic_path,
    atomic_write_text,
)
from hebbian.progress import progress

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from hebbian.data import ImageDataset

__all__ = [
    "MAX_SEED",
    "Run",
    "RunFolderError",
    "Trainer",
    "atomic_write_text",
    "check_seed",
    "read_json",
    "read_metrics",
    "read_record",
    "record_digest",
    "rerun_command",
    "run_files",
    "setting_text",
    "summary_figures",
]

_GENERATOR_KEY = "__generator_state__"
MAX_SEED = 2**63 - 1
"""The largest seed :class:`torch.Generator` accepts (seeds lie in ``0 .. 2**63-1``)."""
_RECORD_KEYS = ("recipe", "config", "seed")

EpochResult = tuple[dict[str, torch.Tensor], dict[str, Any]]
"""What one training epoch returns: the new state tensors and the metrics to log."""


class RunFolderError(RuntimeError):
    """A run folder cannot be used as asked (exists, differs, or is damaged)."""


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


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` if it is an int in ``0 .. 2**63-1``, the range torch accepts.

    >>> check_seed(7)
    7
    >>> check_seed(-1, "--seed")
    Traceback (most recent call last):
    ...
    ValueError: --seed must be an int in 0 .. 2**63-1 (9223372036854775807), got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{name} must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{name} must be an int in 0 .. 2**63-1 ({MAX_SEED}), got {seed}")
    return seed


def read_record(folder: Path | str) -> dict[str, Any]:
    """Read ``folder/config.json`` and check it is a run record.

    A run record is a JSON object with at least ``recipe`` (str), ``config`` (object)
    and ``seed`` (int); anything else is refused with an error naming the file.
    """
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(f"{folder} is not a run folder: it has no {CONFIG_FILE}")
    record = read_json(path)
    expected = (
        "expected a JSON object with recipe (text), config (an object) and seed (an int); "
        "rerun the run into another --out"
    )
    if not isinstance(record, dict):
        raise RunFolderError(f"{path} holds {type(record).__name__} {_short(record)}: {expected}")
    kinds = {"recipe": str, "config": dict, "seed": int}
    for key, kind in kinds.items():
        if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
            raise RunFolderError(f"{path} has {key}={_short(record.get(key))}: {expected}")
    return record


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def record_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 of a run record's recipe, config and seed: what a checkpoint belongs to."""
    core = {key: record.get(key) for key in _RECORD_KEYS}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode("utf-8")).hexdigest()


def setting_text(value: Any) -> str:
    """A config value as ``--set`` accepts it (lists as comma-separated items)."""
    if isinstance(value, (list, tuple)):
        return ",".join(setting_text(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def rerun_command(
    record: Mapping[str, Any],
    out: Path | str | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
) -> str:
    """The ``hebbian run`` command that reproduces a run record (``config.json``).

    Every setting is spelled out with ``--set``, with the seed and device, so the
    command gives the same config whatever the defaults are now. With ``out`` it
    names the run folder, and ``resume`` or ``overwrite`` adds that flag. A record that
    names a ``data_dir`` (``--data-dir``) keeps it; a group record (``seeds.json``, with
    ``seeds`` instead of ``seed``) gives the ``--seeds`` command.

    >>> record = {"recipe": "oja-digits", "config": {"epochs": 3, "sizes": [1, 2]},
    ...           "seed": 0, "device": "cpu"}
    >>> rerun_command(record, "runs/my run", resume=True)
    "hebbian run oja-digits --seed 0 --device cpu --set epochs=3 --set sizes=1,2 \
--out 'runs/my run' --resume"
    """
    parts = ["hebbian", "run", str(record["recipe"])]
    if "seeds" in record:  # a multi-seed group (hebbian.experiments.seeds)
        from hebbian.experiments.seeds import seeds_text

        parts += ["--seeds", seeds_text(record["seeds"])]
    else:
        parts += ["--seed", str(record.get("seed", 0))]
    parts += ["--device", str(record.get("device", "cpu"))]
    for key, value in dict(record.get("config", {})).items():
        parts += ["--set", f"{key}={setting_text(value)}"]
    if record.get("data_dir"):
        parts += ["--data-dir", str(record["data_dir"])]
    if out is not None:
        parts += ["--out", str(out)]
    if resume:
        parts.append("--resume")
    if overwrite:
        parts.append("--overwrite")
    return shlex.join(parts)


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """``"epochs=5 there, 3 here; seed=..."``: the record keys and settings that differ."""
    pairs = []
    if old.get("recipe") != new["recipe"]:
        pairs.append(("recipe", old.get("recipe"), new["recipe"]))
    if old.get("seed") != new["seed"]:
        pairs.append(("seed", old.get("seed"), new["seed"]))
    before, after = dict(old.get("config") or {}), new["config"]
    for key in [*before, *(k for k in after if k not in before)]:
        if before.get(key, "(unset)") != after.get(key, "(unset)"):
            pairs.append((key, before.get(key, "(unset)"), after.get(key, "(unset)")))
    return ", ".join(
        f"{key} is {_short(a, 30)} in its {CONFIG_FILE} but {_short(b, 30)} in this run"
        for key, a, b in pairs
    )


def summary_figures(folder: Path | str) -> list[str]:
    """The figure files ``folder/summary.json`` lists, as plain names inside the folder.

    An empty list where there is no readable summary.
    """
    try:
        summary = json.loads((Path(folder) / SUMMARY_FILE).read_text(encoding="utf-8"))
        figures = [str(f["file"]) for f in summary.get("figures", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []
    return [n for n in figures if Path(n).name == n and n not in ("", ".", "..")]


def run_files(folder: Path | str) -> list[Path]:
    """The files of ``folder`` that a run wrote (and only those), as they exist now.

    They are ``config.json``, ``metrics.jsonl``, ``summary.json``, ``index.html``, the
    checkpoint, the figures ``summary.json`` lists, and temporary files of the atomic
    writer. Anything else in the folder is someone else's.
    """
    folder = Path(folder)
    names = [CONFIG_FILE, METRICS_FILE, SUMMARY_FILE, "index.html", str(CHECKPOINT_FILE)]
    names += summary_figures(folder)
    found = [folder / name for name in names if (folder / name).is_file()]
    for sub in (folder, folder / CHECKPOINT_FILE.parent):
        if sub.is_dir():
            found += [p for p in sub.glob(".*.tmp") if p.is_file()]
    return found


def foreign_files(folder: Path | str) -> list[Path]:
    """The files and folders inside ``folder`` that are not :func:`run_files`."""
    folder = Path(folder)
    ours = set(run_files(folder))
    checkpoints = folder / CHECKPOINT_FILE.parent
    foreign = []
    for path in sorted(folder.rglob("*")):
        if path in ours or path == checkpoints:
            continue
        foreign.append(path)
    return foreign


def _remove_run_files(folder: Path) -> None:
    for path in run_files(folder):
        path.unlink(missing_ok=True)
    checkpoints = folder / CHECKPOINT_FILE.parent
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()


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
    data : list of dict
        The data files read so far through :meth:`load_dataset`, as recorded under
        ``data`` in ``config.json``: ``{"dataset", "split", "path", "sha256"}`` each.
    """

    directory: Path
    recipe: str
    config: dict[str, Any]
    seed: int
    device: torch.device
    generator: torch.Generator = field(repr=False)
    data_dir: Path | None = None
    figures: list[dict[str, str]] = field(default_factory=list)
    data: list[dict[str, str]] = field(default_factory=list)
    previous_data: list[dict[str, str]] = field(default_factory=list, repr=False)

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
        overwrite: bool = False,
        data_dir: Path | str | None = None,
    ) -> Run:
        """Create a run folder, or reopen one to resume.

        Without ``resume`` the folder must be new or empty, so that nothing is
        overwritten; ``overwrite`` starts an existing run folder (one holding
        ``config.json``) again, deleting only the files the run wrote
        (:func:`run_files`). With ``resume`` an existing folder must hold the same
        recipe, config and seed; a missing folder is started afresh. A folder holding
        files but no ``config.json`` is never used. Each refusal names the command that
        continues or restarts the run.
        """
        if resume and overwrite:
            raise ValueError("resume and overwrite exclude each other; pass one of them")
        check_seed(seed)
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
        if data_dir is not None:  # where the data was found: part of the rerun command only
            record["data_dir"] = str(data_dir)
        config_path = directory / CONFIG_FILE
        old: dict[str, Any] | None = None
        if directory.exists() and not directory.is_dir():
            raise RunFolderError(
                f"--out {directory} is a file; expected a folder for the run (new or empty)"
            )
        if directory.is_dir() and any(directory.iterdir()):
            if not config_path.exists():
                raise RunFolderError(
                    f"--out {directory} holds files but no {CONFIG_FILE}, so it is not a run "
                    "folder; nothing there is changed: choose a new or empty folder"
                )
            old = read_record(directory)
            if overwrite:
                _remove_run_files(directory)
            elif not resume:
                if (directory / SUMMARY_FILE).exists():
                    raise RunFolderError(
                        f"run folder {directory} already exists and holds a finished run; start "
                        f"it again with `{rerun_command(record, directory, overwrite=True)}`, "
                        "compute its results again from its last checkpoint with "
                        f"`{rerun_command(old, directory, resume=True)}`, or choose another --out"
                    )
                raise RunFolderError(
                    f"run folder {directory} already exists and holds an unfinished run "
                    f"({len(read_metrics(directory))} metric records); continue it with "
                    f"`{rerun_command(old, directory, resume=True)}`, or start it again with "
                    f"`{rerun_command(record, directory, overwrite=True)}`"
                )
            elif any(old.get(key) != record[key] for key in _RECORD_KEYS):
                raise RunFolderError(
                    f"cannot resume {directory}: {_differences(old, record)}; resume it with "
                    f"`{rerun_command(old, directory, resume=True)}`, or start it again with "
                    f"`{rerun_command(record, directory, overwrite=True)}`"
                )
        try:
            directory.mkdir(parents=True, exist_ok=True)
            atomic_write_text(config_path, json.dumps(record, indent=2) + "\n")
        except OSError as error:
            raise RunFolderError(
                f"--out {directory}: cannot write the run folder there "
                f"({error.strerror or error}); expected a folder you can write to"
            ) from None
        generator = torch.Generator().manual_seed(seed)
        data_dir = None if data_dir is None else Path(data_dir)
        run = cls(directory, recipe, record["config"], seed, device, generator, data_dir)
        if resume and old is not None:
            run.previous_data = list(old.get("data") or [])
        return run

    @property
    def record(self) -> dict[str, Any]:
        """The run record: ``recipe``, ``config``, ``seed``, ``device`` (and ``data_dir``)."""
        record: dict[str, Any] = {
            "recipe": self.recipe,
            "config": self.config,
            "seed": self.seed,
            "device": str(self.device),
        }
        if self.data_dir is not None:
            record["data_dir"] = str(self.data_dir)
        return record

    # -------------------------------------------------------------------- data
    def load_dataset(self, name: str, split: str = "train") -> ImageDataset:
        """Load a data set's split and record its files in ``config.json``.

        Loads through :func:`hebbian.data.load_dataset` with :attr:`data_dir`, and
        appends the data set's name, the split, and each file's path and SHA-256
        (:attr:`hebbian.data.ImageDataset.files`) to the ``data`` list of the run
        record, so a run says what it read and ``hebbian report`` shows it. A resumed
        run must read files of the same content as the run it continues: a file whose
        SHA-256 differs from the one recorded before is refused, naming both.

        Parameters
        ----------
        name : str
            A data set name (:func:`hebbian.data.dataset_names`).
        split : str, default "train"
            ``"train"`` or ``"test"``.

        Returns
        -------
        ImageDataset
            As :func:`hebbian.data.load_dataset` returns it.
        """
        from hebbian.data import load_dataset  # the data layer imports numpy and IDX code

        dataset = load_dataset(name, split, data_dir=self.data_dir)
        entries = [
            {"dataset": name, "split": split, "path": f.path, "sha256": f.sha256}
            for f in dataset.files
        ]
        self._check_same_data(entries)
        self.data = [e for e in self.data if (e["dataset"], e["split"]) != (name, split)]
        self.data += entries
        path = self.directory / CONFIG_FILE
        record = read_json(path)
        record["data"] = self.data
        atomic_write_text(path, json.dumps(record, indent=2) + "\n")
        return dataset

    def _check_same_data(self, entries: Sequence[Mapping[str, str]]) -> None:
        """Refuse data whose content differs from what the resumed run recorded."""
        before = {
            (e.get("dataset"), e.get("split"), Path(str(e.get("path"))).name): e
            for e in self.previous_data
        }
        for entry in entries:
            old = before.get((entry["dataset"], entry["split"], Path(entry["path"]).name))
            if old is not None and old.get("sha256") != entry["sha256"]:
                restart = rerun_command(self.record, self.directory, overwrite=True)
                raise RunFolderError(
                    f"cannot resume {self.directory}: {entry['dataset']} {entry['split']} file "
                    f"{entry['path']} has SHA-256 {entry['sha256'][:12]}..., but the run read "
                    f"{old.get('path')} with SHA-256 {str(old.get('sha256'))[:12]}...; point "
                    f"--data-dir at the files it read, or start it again with `{restart}`"
                )

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
        metadata = {
            "step": str(int(step)),
            "hebbian_version": __version__,
            "recipe": self.recipe,
            "config_sha256": record_digest(self.record),
        }
        with atomic_path(self.directory / CHECKPOINT_FILE) as tmp:
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

        restart = rerun_command(self.record, self.directory, overwrite=True)
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
                step = int(metadata["step"])
            tensors = load_file(str(path))
        except Exception as error:  # damaged file: say which and how to recover
            raise RunFolderError(
                f"checkpoint {path} cannot be read ({error}); delete it to restart the run, "
                f"or start it again with `{restart}`"
            ) from None
        if metadata.get("recipe") != self.recipe:
            raise RunFolderError(
                f"checkpoint {path} belongs to recipe {metadata.get('recipe')!r}, not "
                f"{self.recipe!r}; it cannot be resumed here: start the run again with "
                f"`{restart}`"
            )
        if metadata.get("config_sha256") != record_digest(self.record):
            raise RunFolderError(
                f"checkpoint {path} was written with other settings than {CONFIG_FILE} holds "
                f"now (was {CONFIG_FILE} edited?); put the settings back, or start the run "
                f"again with `{restart}`"
            )
        if _GENERATOR_KEY not in tensors:
            raise RunFolderError(
                f"checkpoint {path} holds no random state; start again: `{restart}`"
            )
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
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:  # a figure made through pyplot stays in its list until closed
            pyplot.close(figure)
        self.figures = [f for f in self.figures if f["file"] != path.name]
        self.figures.append({"file": path.name, "caption": caption})
        return path

    def finish(
        self,
        results: Mapping[str, Any],
        description: str = "",
        verdicts: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Write ``summary.json``: final numbers, description, figures and verdicts.

        The verdicts compare each result with its expectation
        (:func:`hebbian.experiments.base.judge`).
        """
        summary = {
            "recipe": self.recipe,
            "description": description,
            "results": _jsonable(dict(results)),
            "verdicts": _jsonable(list(verdicts)),
            "figures": self.figures,
        }
        atomic_write_text(self.directory / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
        return summary


def _pack(models: Mapping[str, nn.Module], optimisers: Mapping[str, torch.optim.Optimizer]) -> dict:
    """Weights and optimiser state of every model, as a flat dict of tensors.

    Keys are ``{name}.model.{state_dict key}`` and ``{name}.optim.{param index}.{slot}``.
    """
    tensors: dict[str, torch.Tensor] = {}
    for name, model in models.items():
        for key, value in model.state_dict().items():
            tensors[f"{name}.model.{key}"] = value
        for index, slots in optimisers[name].state_dict()["state"].items():
            for slot, value in slots.items():
                tensors[f"{name}.optim.{index}.{slot}"] = torch.as_tensor(value)
    return tensors


def _unpack(
    tensors: Mapping[str, torch.Tensor],
    models: Mapping[str, nn.Module],
    optimisers: Mapping[str, torch.optim.Optimizer],
) -> None:
    """Load what :func:`_pack` saved back into the models and optimisers."""
    for name, model in models.items():
        prefix = f"{name}.model."
        model.load_state_dict(
            {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        )
        saved = optimisers[name].state_dict()
        state: dict[int, dict[str, torch.Tensor]] = {}
        prefix = f"{name}.optim."
        for key, value in tensors.items():
            if key.startswith(prefix):
                index, slot = key[len(prefix) :].split(".", 1)
                state.setdefault(int(index), {})[slot] = value.cpu() if slot == "step" else value
        saved["state"] = state
        optimisers[name].load_state_dict(saved)


class Trainer:
    """Train models with optimisers through :meth:`Run.run_epochs`, checkpointing both.

    Every epoch's checkpoint holds each model's ``state_dict`` and its optimiser's
    state, so a resumed run continues exactly where it stopped. After each epoch every
    weight is checked to be finite (:class:`~hebbian._checks.NonFiniteWeightsError`).

    Parameters
    ----------
    run : Run
        The open run folder.
    models : mapping of str to nn.Module
        The models, by name (the name prefixes their checkpoint keys).
    optimisers : mapping of str to torch.optim.Optimizer
        One optimiser per model name.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> run = Run.start(folder, recipe="demo", config={})
    >>> model = nn.Linear(2, 1)
    >>> trainer = Trainer(run, {"net": model}, {"net": torch.optim.SGD(model.parameters(), 0.1)})
    >>> trainer.train(2, lambda epoch: {"loss": 0.0})
    >>> [r["step"] for r in run.metrics()]
    [1, 2]
    """

    def __init__(
        self,
        run: Run,
        models: Mapping[str, nn.Module],
        optimisers: Mapping[str, torch.optim.Optimizer],
    ) -> None:
        missing = sorted(set(models) - set(optimisers))
        if missing:
            raise ValueError(f"optimisers must hold one optimiser per model, missing {missing}")
        self.run, self.models, self.optimisers = run, models, optimisers
        self._current: dict[str, torch.Tensor] | None = None

    def train(self, epochs: int, epoch_fn: Callable[[int], Mapping[str, Any]]) -> None:
        """Run ``epoch_fn(epoch)`` (which returns the epoch's metrics) for each epoch left."""

        def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> EpochResult:
            if state is not self._current:  # resumed from a checkpoint
                _unpack(state, self.models, self.optimisers)
            metrics = dict(epoch_fn(epoch))
            for name, model in self.models.items():
                for key, value in model.state_dict().items():
                    check_finite_weights(value, rule=f"{name} ({key})", step=epoch)
            self._current = _pack(self.models, self.optimisers)
            return self._current, metrics

        self._current = _pack(self.models, self.optimisers)
        final = self.run.run_epochs(epochs, self._current, train_epoch, desc=self.run.recipe)
        if final is not self._current:  # a finished run, resumed: no epoch was left to run
            _unpack(final, self.models, self.optimisers)
