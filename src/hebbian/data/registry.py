"""Datasets by name: the embedded 8x8 digits, Fashion-MNIST, MNIST, Omniglot and CIFAR-10.

:func:`load_dataset` returns an :class:`ImageDataset` of float32 images in [0, 1]
(``(N, H, W)`` grey levels, or ``(N, C, H, W)`` channel first for CIFAR-10's colours) and
int64 labels, with the path and SHA-256 of every file it read (:class:`DataFile`). The
file datasets (IDX files, Omniglot's zip archives, CIFAR-10's tar archive) are looked up
in these folders, first match wins:

1. the ``data_dir`` argument (the folder itself, or its ``<name>/`` subfolder);
2. the ``HEBBIAN_DATA`` environment variable (likewise);
3. the user cache, ``$XDG_CACHE_HOME/hebbian/<name>`` or ``~/.cache/hebbian/<name>``;
4. the system folder ``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist``
   package fills it for Fashion-MNIST).

Each IDX file is accepted gzipped or raw, under its ``.gz`` name or without the suffix.
If a split's files are found nowhere and ``download=True``, they are downloaded from the
official mirrors into the first writable folder among ``data_dir``, ``$HEBBIAN_DATA/<name>``
and the user cache; if that fails (for example offline), :class:`DatasetNotFoundError`
names the files expected, every folder searched and how to get the files.

Every file read is checked against the named dataset's known digests (SHA-256 of the
file as served, SHA-256 of its decompressed IDX content, or a published MD5); a file
that matches none of them, or that matches another registered file, gives a
:class:`DatasetDigestWarning` naming the file and the dataset (and the file it matches).
Files whose digests are unknown are not judged: see each spec's comment.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hebbian._checks import check_positive, check_positive_int
from hebbian.data.download import DownloadError, download_file
from hebbian.data.idx import IdxFormatError, read_idx, read_idx_with_digests
from hebbian.data.specs import (
    CIFAR10,
    DIGITS,
    FASHION_MNIST,
    MNIST,
    OMNIGLOT,
    ArchiveDatasetSpec,
    ArchiveFile,
    DatasetSpec,
    EmbeddedDatasetSpec,
    IdxDatasetSpec,
    IdxFile,
    IdxSplit,
    KnownFile,
    PackageFile,
    check_split,
)

__all__ = [
    "CIFAR10",
    "DATASETS",
    "DIGITS",
    "FASHION_MNIST",
    "MNIST",
    "OMNIGLOT",
    "ArchiveDatasetSpec",
    "ArchiveFile",
    "DataFile",
    "DatasetDigestWarning",
    "DatasetNotFoundError",
    "EmbeddedDatasetSpec",
    "IdxDatasetSpec",
    "IdxFile",
    "IdxSplit",
    "ImageDataset",
    "PackageFile",
    "cache_root",
    "dataset_names",
    "dataset_spec",
    "load_dataset",
    "search_folders",
]

#: Environment variable naming a data folder (searched after ``data_dir``).
DATA_ENV_VAR = "HEBBIAN_DATA"

#: System-wide dataset folder; ``<name>`` subfolders are searched last. Tests may patch it.
SYSTEM_DATA_ROOT = Path("/usr/share/datasets")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the folders searched and could not be downloaded."""


class DatasetDigestWarning(UserWarning):
    """A file read for a dataset does not match that dataset's known digests."""


#: Every dataset by name. Tests replace entries with ``monkeypatch.setitem``.
DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (CIFAR10, DIGITS, FASHION_MNIST, MNIST, OMNIGLOT)
}


def dataset_names(*, channels: int | None = None) -> list[str]:
    """Return the names :func:`load_dataset` accepts, sorted.

    Parameters
    ----------
    channels : int, optional
        Only the datasets whose images have this many channels (1: grey levels, the
        ``(N, H, W)`` ones; 3: red, green, blue); all of them when ``None``.

    Examples
    --------
    >>> dataset_names()
    ['cifar10', 'digits', 'fashion-mnist', 'mnist', 'omniglot']
    >>> dataset_names(channels=1)
    ['digits', 'fashion-mnist', 'mnist', 'omniglot']
    """
    if channels is not None:
        check_positive_int("channels", channels)
    return sorted(name for name, spec in DATASETS.items() if channels in (None, spec.channels))


def dataset_spec(name: str) -> DatasetSpec:
    """Return the spec of dataset ``name``: title, ``image_shape``, ``channels``, files, splits.

    Recipes check a ``dataset`` setting with it and size their memory by
    ``image_shape`` and ``channels`` before loading anything.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones).

    Examples
    --------
    >>> dataset_spec("digits").image_shape, dataset_spec("omniglot").title
    ((8, 8), 'Omniglot')
    >>> dataset_spec("cifar10").image_shape, dataset_spec("cifar10").channels
    ((32, 32), 3)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    spec = DATASETS.get(name)
    if spec is None:
        valid = ", ".join(dataset_names())
        raise ValueError(f"unknown dataset {name!r}; valid names: {valid}")
    return spec


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class DataFile:
    """A file a dataset was read from.

    Attributes
    ----------
    path : str
        Absolute path of the file read.
    sha256 : str
        SHA-256 of the file's bytes as read from disk.
    """

    path: str
    sha256: str


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images and labels of one split of a dataset.

    Attributes
    ----------
    images : torch.Tensor
        ``(N, H, W)`` float32 in [0, 1] for grey levels, or ``(N, C, H, W)``, channel
        first, for ``C`` channels (CIFAR-10: red, green, blue).
    labels : torch.Tensor
        ``(N,)`` int64 in ``[0, len(classes))``.
    name : str
        Dataset name, e.g. ``"digits"``.
    split : str
        ``"train"`` or ``"test"``.
    classes : tuple of str
        Class names, indexed by label.
    files : tuple of DataFile
        The files the split was read from, each with its path and the SHA-256 of its
        bytes as read (empty for data made in memory).

    Examples
    --------
    >>> data = load_dataset("digits", "test")
    >>> len(data), tuple(data.images.shape), tuple(data.flat.shape)
    (360, (360, 8, 8), (360, 64))
    >>> data.image_shape, data.channels
    ((8, 8), 1)
    >>> [Path(f.path).name for f in data.files]
    ['digits.csv.gz']
    """

    images: torch.Tensor
    labels: torch.Tensor
    name: str
    split: str
    classes: tuple[str, ...]
    files: tuple[DataFile, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.files, tuple) or not all(
            isinstance(f, DataFile) for f in self.files
        ):
            raise TypeError(f"files must be a tuple of DataFile, got {self.files!r}")
        if not isinstance(self.images, torch.Tensor) or self.images.ndim not in (3, 4):
            raise ValueError(
                f"images must be a (N, H, W) or (N, C, H, W) tensor, got {_describe(self.images)}"
            )
        if not isinstance(self.labels, torch.Tensor) or self.labels.ndim != 1:
            raise ValueError(f"labels must be a (N,) tensor, got {_describe(self.labels)}")
        if self.labels.shape[0] != self.images.shape[0]:
            raise ValueError(
                f"images and labels must hold the same number of samples, got "
                f"{self.images.shape[0]} images and {self.labels.shape[0]} labels"
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(H, W)`` of one image (of each of its channels)."""
        return (int(self.images.shape[-2]), int(self.images.shape[-1]))

    @property
    def channels(self) -> int:
        """Channels ``C`` of each image: 1 for ``(N, H, W)`` images."""
        return 1 if self.images.ndim == 3 else int(self.images.shape[1])

    @property
    def flat(self) -> torch.Tensor:
        """Images as rows, ``(N, C*H*W)`` (a view of :attr:`images`; ``C = 1`` for grey).

        A row holds the channels one after another, each row-major: for CIFAR-10 the
        1024 red values, then the green, then the blue, the order of the archive's rows.
        """
        return self.images.reshape(self.images.shape[0], -1)


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"shape {tuple(value.shape)}"
    return type(value).__name__


# --------------------------------------------------------------------------- folders


def cache_root() -> Path:
    """Return the user cache folder: ``$XDG_CACHE_HOME/hebbian`` or ``~/.cache/hebbian``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "hebbian"


def _search_plan(name: str, data_dir: str | os.PathLike[str] | None) -> list[tuple[Path, str]]:
    """Folders to search for dataset ``name``, in order, each with where it came from."""
    plan: list[tuple[Path, str]] = []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        plan += [(root, "data_dir argument"), (root / name, "data_dir argument")]
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        root = Path(env).expanduser()
        plan += [(root, f"${DATA_ENV_VAR}"), (root / name, f"${DATA_ENV_VAR}")]
    plan.append((cache_root() / name, "user cache"))
    plan.append((Path(SYSTEM_DATA_ROOT) / name, "system folder"))
    seen: set[Path] = set()
    unique = []
    for folder, origin in plan:
        if folder not in seen:
            seen.add(folder)
            unique.append((folder, origin))
    return unique


def search_folders(name: str, data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the folders searched for dataset ``name``, first match wins.

    Parameters
    ----------
    name : str
        Dataset name (see :func:`dataset_names`).
    data_dir : str or os.PathLike, optional
        Folder given explicitly (e.g. by ``--data-dir``); searched first, itself and its
        ``<name>/`` subfolder.

    Returns
    -------
    list of pathlib.Path
        ``data_dir``, ``data_dir/<name>``, ``$HEBBIAN_DATA``, ``$HEBBIAN_DATA/<name>``,
        the user cache ``<cache_root()>/<name>``, then ``/usr/share/datasets/<name>``,
        leaving out those that do not apply.
    """
    dataset_spec(name)
    return [folder for folder, _ in _search_plan(name, data_dir)]


def _find_file(folder: Path, file_name: str) -> Path | None:
    """Return ``folder/file_name`` with or without ``.gz`` if it exists (gzipped or raw)."""
    stem = file_name.removesuffix(".gz")
    for candidate in (folder / file_name, folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _find_split(folders: Sequence[Path], names: Sequence[str]) -> list[Path] | None:
    """Paths of the first folder that holds every file of a split, in ``names`` order."""
    for folder in folders:
        paths = [_find_file(folder, name) for name in names]
        if all(path is not None for path in paths):
            return [path for path in paths if path is not None]
    return None


def _is_writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def _download_targets(name: str, data_dir: str | os.PathLike[str] | None) -> list[Path]:
    targets = []
    if data_dir is not None:
        targets.append(Path(data_dir).expanduser())
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        targets.append(Path(env).expanduser() / name)
    targets.append(cache_root() / name)
    return targets


def _check_idx_file(path: Path) -> None:
    read_idx(path)


def _download_split(
    files: Sequence[IdxFile | ArchiveFile],
    targets: Sequence[Path],
    mirrors: Sequence[str],
    retries: int,
    timeout: float,
) -> list[Path]:
    """Download the split's missing files into the first writable target folder."""
    folder = next((t for t in targets if _is_writable(t)), None)
    if folder is None:
        shown = ", ".join(str(t) for t in targets)
        raise DownloadError(
            targets[-1],
            [("(no download)", f"none of these folders is writable: {shown}")],
            None,
        )
    paths = []
    for file in files:
        path = _find_file(folder, file.name)
        if path is None:
            urls = [m.rstrip("/") + "/" + file.name for m in mirrors]
            md5 = file.md5 if isinstance(file, ArchiveFile) else None
            validate = _check_idx_file if isinstance(file, IdxFile) and not file.sha256 else None
            path = download_file(
                urls,
                folder / file.name,
                file.sha256,
                retries=retries,
                timeout=timeout,
                validate=validate,
                md5=md5,
            )
        paths.append(path)
    return paths


def _not_found_message(
    spec: IdxDatasetSpec | ArchiveDatasetSpec,
    split: str,
    names: Sequence[str],
    plan: Sequence[tuple[Path, str]],
    mirrors: Sequence[str],
    download_error: DownloadError | None,
    download: bool,
) -> str:
    shown = " and ".join(names)
    form = (
        " (gzipped or raw, with or without the .gz suffix)"
        if isinstance(spec, IdxDatasetSpec)
        else ""
    )
    lines = [f"{spec.title} split {split!r} needs {shown}{form}, found in none of these folders:"]
    lines += [f"  {folder}  ({origin})" for folder, origin in plan]
    if download_error is not None:
        lines.append("Downloading them failed:")
        lines += [f"  {url}: {reason}" for url, reason in download_error.failures]
    elif not download:
        lines.append("Downloading was not tried (download=False).")
    lines.append("To get them:")
    hint = spec.install_hint if isinstance(spec, IdxDatasetSpec) else None
    if hint:
        system = Path(SYSTEM_DATA_ROOT) / spec.name
        lines.append(f"  - install the system package: `{hint}` (fills {system}), or")
    mirror = mirrors[0].rstrip("/") + "/" if mirrors else "<mirror>/"
    urls = " and ".join(f"{mirror}{name}" for name in names)
    lines.append(
        f"  - download {urls} and put "
        f"{'them' if len(names) > 1 else 'it'} in a folder that you pass as --data-dir "
        f"(data_dir=) or set in the {DATA_ENV_VAR} environment variable"
        + ("." if download else ", or pass download=True to fetch them.")
    )
    return "\n".join(lines)


def _locate(
    spec: IdxDatasetSpec | ArchiveDatasetSpec,
    split: str,
    files: Sequence[IdxFile | ArchiveFile],
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    mirrors: Sequence[str] | None,
    retries: int,
    timeout: float,
) -> list[Path]:
    """Find the split's files (first folder of the lookup order), else download them."""
    plan = _search_plan(spec.name, data_dir)
    names = [file.name for file in files]
    found = _find_split([folder for folder, _ in plan], names)
    mirrors = tuple(spec.mirrors if mirrors is None else mirrors)
    if found is None:
        error: DownloadError | None = None
        if download and mirrors:
            try:
                targets = _download_targets(spec.name, data_dir)
                found = _download_split(files, targets, mirrors, retries, timeout)
            except DownloadError as failure:
                error = failure
        if found is None:
            message = _not_found_message(spec, split, names, plan, mirrors, error, download)
            raise DatasetNotFoundError(message) from error
    return found


# --------------------------------------------------------------------------- digests


def _known_digests(file: KnownFile) -> frozenset[str]:
    """The hexadecimal digests a genuine copy of ``file`` may show (SHA-256 and MD5)."""
    digests = [file.sha256]
    if isinstance(file, IdxFile | PackageFile):
        digests.append(file.content_sha256)
    if isinstance(file, ArchiveFile):
        digests.append(file.md5)
    return frozenset(d for d in digests if d is not None)


def _judged(file: KnownFile) -> bool:
    """Whether any genuine copy of ``file`` can be recognised.

    True when a content digest is known (for an archive, which is never recompressed,
    any digest of its bytes): then a file that matches none is not a genuine copy.
    """
    if isinstance(file, ArchiveFile):
        return bool(_known_digests(file))
    return file.content_sha256 is not None


def _registered_files() -> Iterator[tuple[DatasetSpec, KnownFile]]:
    for spec in DATASETS.values():
        for file in spec.files():
            yield spec, file


def _check_digests(
    spec: DatasetSpec, expected: KnownFile, path: Path, digests: frozenset[str]
) -> None:
    """Warn if the file read as ``expected`` matches none of its known digests.

    ``digests`` are those of what was read (file bytes and decompressed content). No
    warning when they match; when they do not, a warning if ``expected`` can be judged
    (:func:`_judged`) or if they match another registered file, which the message names.
    """
    if digests & _known_digests(expected):
        return
    matches = [
        f"{other.title}'s {file.name}"
        for other, file in _registered_files()
        if (other.name, file) != (spec.name, expected) and digests & _known_digests(file)
    ]
    if not matches and not _judged(expected):
        return
    if _known_digests(expected):
        problem = f"does not match {spec.title}'s known digests of {expected.name}"
    else:
        problem = f"is read as {spec.title}'s {expected.name}, whose digests are unknown"
    also = f" (it matches {', '.join(matches)})" if matches else ""
    warnings.warn(f"{path} {problem}{also}", DatasetDigestWarning, stacklevel=4)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- loading


def _load_idx(
    spec: IdxDatasetSpec,
    split: str,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    mirrors: Sequence[str] | None,
    retries: int,
    timeout: float,
) -> ImageDataset:
    files = spec.split_files(split)
    expected = (files.images, files.labels)
    images_path, labels_path = _locate(
        spec, split, expected, data_dir, download, mirrors, retries, timeout
    )
    images = read_idx_with_digests(images_path)
    labels = read_idx_with_digests(labels_path)
    _check_content(spec, images_path, images.array, labels_path, labels.array)
    for file, path, read in zip(
        expected, (images_path, labels_path), (images, labels), strict=True
    ):
        _check_digests(spec, file, path, frozenset((read.file_sha256, read.content_sha256)))
    return ImageDataset(
        images=torch.from_numpy(images.array).to(torch.float32).div_(255.0),
        labels=torch.from_numpy(labels.array.astype(np.int64)),
        name=spec.name,
        split=split,
        classes=spec.classes,
        files=(
            DataFile(str(images_path.resolve()), images.file_sha256),
            DataFile(str(labels_path.resolve()), labels.file_sha256),
        ),
    )


def _check_content(
    spec: IdxDatasetSpec,
    images_path: Path,
    images: np.ndarray,
    labels_path: Path,
    labels: np.ndarray,
) -> None:
    """Refuse IDX files that are valid IDX but not this dataset's images and labels."""
    height, width = spec.image_shape
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (height, width):
        raise IdxFormatError(
            images_path,
            f"expected {spec.title} images, uint8 of shape (N, {height}, {width}), "
            f"got {images.dtype} of shape {images.shape}",
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IdxFormatError(
            labels_path,
            f"expected {spec.title} labels, uint8 of shape (N,), "
            f"got {labels.dtype} of shape {labels.shape}",
        )
    if labels.shape[0] != images.shape[0]:
        raise IdxFormatError(
            labels_path,
            f"holds {labels.shape[0]} labels but {images_path} holds {images.shape[0]} images",
        )
    if labels.size and int(labels.max()) >= len(spec.classes):
        raise IdxFormatError(
            labels_path,
            f"holds label {int(labels.max())}, but {spec.title} has {len(spec.classes)} classes",
        )


def _load_archive(
    spec: ArchiveDatasetSpec,
    split: str,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    mirrors: Sequence[str] | None,
    retries: int,
    timeout: float,
) -> ImageDataset:
    file = spec.split_file(split)
    (path,) = _locate(spec, split, (file,), data_dir, download, mirrors, retries, timeout)
    raw = path.read_bytes()
    sha256, md5 = _hash(raw), hashlib.md5(raw, usedforsecurity=False).hexdigest()
    del raw  # CIFAR-10's is 170 MB; the reader reads the file again, as a stream
    images, labels, classes = spec.reader(path, split)
    _check_digests(spec, file, path, frozenset((sha256, md5)))
    return ImageDataset(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels),
        name=spec.name,
        split=split,
        classes=classes,
        files=(DataFile(str(path.resolve()), sha256),),
    )


def _load_embedded(spec: EmbeddedDatasetSpec, split: str) -> ImageDataset:
    path = spec.file.path()
    raw = path.read_bytes()
    content = gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw
    _check_digests(spec, spec.file, path, frozenset((_hash(raw), _hash(content))))
    images, labels = spec.parse(content)
    part = slice(0, spec.n_train) if split == "train" else slice(spec.n_train, None)
    scaled = torch.from_numpy(np.ascontiguousarray(images[part], dtype=np.float32))
    return ImageDataset(
        images=scaled.div_(spec.max_value),
        labels=torch.from_numpy(np.asarray(labels[part], dtype=np.int64)),
        name=spec.name,
        split=split,
        classes=spec.classes,
        files=(DataFile(str(path.resolve()), _hash(raw)),),
    )


def load_dataset(
    name: str,
    split: str = "train",
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> ImageDataset:
    """Load one split of a dataset by name.

    Parameters
    ----------
    name : str
        ``"digits"`` (scikit-learn's bundled 8x8 digits, no download needed),
        ``"fashion-mnist"``, ``"mnist"``, ``"omniglot"`` or ``"cifar10"``; see
        :func:`dataset_names`.
    split : str, default "train"
        ``"train"`` or ``"test"``. For ``digits``, ``train`` is the first 1437 samples in
        scikit-learn's order and ``test`` the remaining 360. For ``omniglot``, ``train``
        is the background set (``images_background.zip``, 964 characters) and ``test``
        the evaluation set (``images_evaluation.zip``, 659 characters), each character a
        class. For ``cifar10``, both come from ``cifar-10-python.tar.gz``: ``train`` is
        ``data_batch_1`` ... ``data_batch_5`` in order (50,000 images), ``test`` the
        ``test_batch`` (10,000).
    data_dir : str or os.PathLike, optional
        Folder searched first for the files (the folder itself, then ``<name>/`` in it),
        and where downloads go when given. Ignored for ``digits``.
    download : bool, default True
        Download missing files from the mirrors. Ignored for ``digits``.
    mirrors : sequence of str, optional
        Base URLs to download from instead of the dataset's official mirrors.
    retries, timeout :
        Passed to :func:`hebbian.data.download.download_file`.

    Returns
    -------
    ImageDataset
        ``images`` ``(N, H, W)`` float32 in [0, 1] (pixels / 16 for ``digits``, / 255 for
        the IDX datasets; for ``omniglot`` ink 1 and paper 0, the 105 x 105 drawings
        averaged down to 31 x 31), or ``(N, C, H, W)`` for more than one channel
        (``cifar10``: ``(N, 3, 32, 32)``, red, green, blue, / 255); ``labels`` ``(N,)``
        int64 and ``files``, the path and SHA-256 of each file read.

    Raises
    ------
    ValueError
        For an unknown name or split (the message lists the valid ones).
    DatasetNotFoundError
        If the files are missing everywhere and could not be downloaded; the message
        names the files, every folder searched and how to get the files.
    IdxFormatError, OmniglotFormatError, Cifar10FormatError
        If a file found is damaged or is not the dataset's images or labels (for
        ``cifar10`` also if a pickle in it names anything but numpy's arrays).

    Warns
    -----
    DatasetDigestWarning
        If a file read matches none of the dataset's known digests for it (where they
        can tell: MNIST copies other than the served gzip files, whose content digests
        are unknown, are not judged), or matches another registered file; the message
        names the file, the dataset and the file it matches.

    Examples
    --------
    >>> train = load_dataset("digits")
    >>> tuple(train.images.shape), train.labels.dtype, float(train.images.max())
    ((1437, 8, 8), torch.int64, 1.0)
    """
    spec = dataset_spec(name)
    if not isinstance(split, str):
        raise TypeError(f"split must be a str, got {type(split).__name__} {split!r}")
    check_split(name, split, spec.splits)
    if isinstance(spec, EmbeddedDatasetSpec):
        return _load_embedded(spec, split)
    if isinstance(mirrors, str):
        raise TypeError("mirrors must be a sequence of base URLs, not a single string")
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__} {download!r}")
    check_positive_int("retries", retries, minimum=0)
    check_positive("timeout", timeout)
    if isinstance(spec, ArchiveDatasetSpec):
        return _load_archive(spec, split, data_dir, download, mirrors, retries, timeout)
    return _load_idx(spec, split, data_dir, download, mirrors, retries, timeout)
