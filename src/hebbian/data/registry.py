"""Datasets by name: the embedded 8x8 digits, Fashion-MNIST and MNIST.

:func:`load_dataset` returns an :class:`ImageDataset` of float32 images in [0, 1] and
int64 labels. The IDX datasets are looked up in these folders, first match wins:

1. the ``data_dir`` argument (the folder itself, or its ``<name>/`` subfolder);
2. the ``HEBBIAN_DATA`` environment variable (likewise);
3. the user cache, ``$XDG_CACHE_HOME/hebbian/<name>`` or ``~/.cache/hebbian/<name>``;
4. the system folder ``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist``
   package fills it for Fashion-MNIST).

Each file is accepted gzipped or raw, under its ``.gz`` name or without the suffix.
If a split's files are found nowhere and ``download=True``, they are downloaded from the
official mirrors into the first writable folder among ``data_dir``, ``$HEBBIAN_DATA/<name>``
and the user cache; if that fails (for example offline), :class:`DatasetNotFoundError`
names the files expected, every folder searched and how to get the files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hebbian._checks import check_positive, check_positive_int
from hebbian.data.download import DownloadError, download_file
from hebbian.data.idx import IdxFormatError, read_idx

__all__ = [
    "DATASETS",
    "DIGITS",
    "FASHION_MNIST",
    "MNIST",
    "DatasetNotFoundError",
    "EmbeddedDatasetSpec",
    "IdxDatasetSpec",
    "IdxFile",
    "IdxSplit",
    "ImageDataset",
    "cache_root",
    "dataset_names",
    "load_dataset",
    "search_folders",
]

#: Environment variable naming a data folder (searched after ``data_dir``).
DATA_ENV_VAR = "HEBBIAN_DATA"

#: System-wide dataset folder; ``<name>`` subfolders are searched last. Tests may patch it.
SYSTEM_DATA_ROOT = Path("/usr/share/datasets")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the folders searched and could not be downloaded."""


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a dataset.

    Attributes
    ----------
    name : str
        File name as the mirrors serve it, e.g. ``"train-images-idx3-ubyte.gz"``.
    sha256 : str or None
        SHA-256 of the file as the mirrors serve it, checked on download. ``None`` where
        no verified value is known; the download is then checked by the IDX header and
        size checks (and the gzip CRC) only.
    """

    name: str
    sha256: str | None


@dataclass(frozen=True)
class IdxSplit:
    """The two files of one split: images ``(N, H, W)`` uint8 and labels ``(N,)`` uint8."""

    images: IdxFile
    labels: IdxFile


@dataclass(frozen=True)
class IdxDatasetSpec:
    """A dataset stored as MNIST-style IDX files.

    Attributes
    ----------
    name : str
        Registry name, also the subfolder name in the cache and system folders.
    title : str
        Human-readable name for messages.
    classes : tuple of str
        Class names, indexed by label.
    image_shape : tuple of int
        ``(H, W)`` of each image.
    train, test : IdxSplit
        Files of each split.
    mirrors : tuple of str
        Base URLs tried in order; a file's URL is ``mirror + file name``.
    install_hint : str or None
        A system package that provides the files, for error messages.
    """

    name: str
    title: str
    classes: tuple[str, ...]
    image_shape: tuple[int, int]
    train: IdxSplit
    test: IdxSplit
    mirrors: tuple[str, ...]
    install_hint: str | None = None

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits, ``("train", "test")``."""
        return ("train", "test")

    def split_files(self, split: str) -> IdxSplit:
        """Return the files of ``split``; raise ``ValueError`` for an unknown split."""
        _check_split(self.name, split, self.splits)
        return self.train if split == "train" else self.test


def _load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return scikit-learn's bundled digits: images (1797, 8, 8) in 0..16, labels (1797,)."""
    from sklearn.datasets import load_digits  # imported here: sklearn is slow to import

    bunch = load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target)


@dataclass(frozen=True)
class EmbeddedDatasetSpec:
    """A dataset that ships with an installed package, so it needs no file or download.

    Attributes
    ----------
    name, title, classes :
        As for :class:`IdxDatasetSpec`.
    loader : callable
        Returns ``(images (N, H, W), labels (N,))`` as numpy arrays, in a fixed order.
    max_value : float
        Largest pixel value; images are divided by it to lie in [0, 1].
    n_train : int
        The first ``n_train`` samples form ``train``, the rest ``test``.
    """

    name: str
    title: str
    classes: tuple[str, ...]
    loader: Callable[[], tuple[np.ndarray, np.ndarray]]
    max_value: float
    n_train: int

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits, ``("train", "test")``."""
        return ("train", "test")


DatasetSpec = IdxDatasetSpec | EmbeddedDatasetSpec

_DIGIT_CLASSES = tuple(str(d) for d in range(10))

DIGITS = EmbeddedDatasetSpec(
    name="digits",
    title="scikit-learn 8x8 digits",
    classes=_DIGIT_CLASSES,
    loader=_load_sklearn_digits,
    max_value=16.0,
    n_train=1437,
)

# SHA-256 of the gzipped files exactly as the Zalando mirror serves them. Established
# here as follows: the train and test label files of the upstream repository match the
# MD5 sums published in its README, and their SHA-256 were computed. Debian's
# dataset-fashion-mnist package ships all four files recompressed: same deflate data,
# but a gzip header without the original file name and time stamp, so their bytes (and
# checksums) differ from the mirror's. Putting the original name and the time stamp of
# the label files back into those headers gave files whose MD5 sums match the README's
# for all four files; the SHA-256 below are those of the rebuilt files. Because
# repackaged copies differ in bytes, files found on disk are checked by the IDX header,
# size and gzip CRC checks, and these checksums are used for downloads only.
FASHION_MNIST = IdxDatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    classes=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    image_shape=(28, 28),
    train=IdxSplit(
        images=IdxFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        labels=IdxFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
    ),
    test=IdxSplit(
        images=IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        labels=IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    install_hint="apt-get install dataset-fashion-mnist",
)

# SHA-256 of the original gzipped files, computed from copies whose MD5 sums match the
# published MD5 sums of the original files (f68b3c2d..., d53e105e..., 9fb629c4...,
# ec29112d...). No copy of train-images-idx3-ubyte.gz could be obtained here to compute
# its SHA-256, and a value is not guessed: it is None, and that download is checked by
# the IDX header and size checks and the gzip CRC instead.
MNIST = IdxDatasetSpec(
    name="mnist",
    title="MNIST",
    classes=_DIGIT_CLASSES,
    image_shape=(28, 28),
    train=IdxSplit(
        images=IdxFile("train-images-idx3-ubyte.gz", None),
        labels=IdxFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
    ),
    test=IdxSplit(
        images=IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        labels=IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
)

#: Every dataset by name. Tests replace entries with ``monkeypatch.setitem``.
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (DIGITS, FASHION_MNIST, MNIST)}


def dataset_names() -> list[str]:
    """Return the names :func:`load_dataset` accepts.

    >>> dataset_names()
    ['digits', 'fashion-mnist', 'mnist']
    """
    return sorted(DATASETS)


def _get_spec(name: str) -> DatasetSpec:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    spec = DATASETS.get(name)
    if spec is None:
        valid = ", ".join(dataset_names())
        raise ValueError(f"unknown dataset {name!r}; valid names: {valid}")
    return spec


def _check_split(name: str, split: str, splits: Sequence[str]) -> None:
    if split not in splits:
        raise ValueError(
            f"unknown split {split!r} for dataset {name!r}; valid splits: {', '.join(splits)}"
        )


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images and labels of one split of a dataset.

    Attributes
    ----------
    images : torch.Tensor
        ``(N, H, W)`` float32 in [0, 1].
    labels : torch.Tensor
        ``(N,)`` int64 in ``[0, len(classes))``.
    name : str
        Dataset name, e.g. ``"digits"``.
    split : str
        ``"train"`` or ``"test"``.
    classes : tuple of str
        Class names, indexed by label.

    Examples
    --------
    >>> data = load_dataset("digits", "test")
    >>> len(data), tuple(data.images.shape), tuple(data.flat.shape)
    (360, (360, 8, 8), (360, 64))
    """

    images: torch.Tensor
    labels: torch.Tensor
    name: str
    split: str
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor) or self.images.ndim != 3:
            raise ValueError(f"images must be a (N, H, W) tensor, got {_describe(self.images)}")
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
        """``(H, W)`` of one image."""
        return (int(self.images.shape[1]), int(self.images.shape[2]))

    @property
    def flat(self) -> torch.Tensor:
        """Images as rows, ``(N, H*W)`` (a view of :attr:`images`)."""
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
    _get_spec(name)
    return [folder for folder, _ in _search_plan(name, data_dir)]


def _find_file(folder: Path, file_name: str) -> Path | None:
    """Return ``folder/file_name`` with or without ``.gz`` if it exists (gzipped or raw)."""
    stem = file_name.removesuffix(".gz")
    for candidate in (folder / file_name, folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _find_split(folders: Sequence[Path], files: IdxSplit) -> tuple[Path, Path] | None:
    """First folder that holds both files of a split: ``(images path, labels path)``."""
    for folder in folders:
        images = _find_file(folder, files.images.name)
        labels = _find_file(folder, files.labels.name)
        if images is not None and labels is not None:
            return images, labels
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
    files: IdxSplit,
    targets: Sequence[Path],
    mirrors: Sequence[str],
    retries: int,
    timeout: float,
) -> tuple[Path, Path]:
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
    for file in (files.images, files.labels):
        path = _find_file(folder, file.name)
        if path is None:
            urls = [m.rstrip("/") + "/" + file.name for m in mirrors]
            validate = None if file.sha256 else _check_idx_file
            path = download_file(
                urls,
                folder / file.name,
                file.sha256,
                retries=retries,
                timeout=timeout,
                validate=validate,
            )
        paths.append(path)
    return paths[0], paths[1]


def _not_found_message(
    spec: IdxDatasetSpec,
    split: str,
    files: IdxSplit,
    plan: Sequence[tuple[Path, str]],
    mirrors: Sequence[str],
    download_error: DownloadError | None,
    download: bool,
) -> str:
    names = f"{files.images.name} and {files.labels.name}"
    lines = [
        f"{spec.title} split {split!r} needs {names} (gzipped or raw, with or without the "
        ".gz suffix), found in none of these folders:"
    ]
    lines += [f"  {folder}  ({origin})" for folder, origin in plan]
    if download_error is not None:
        lines.append("Downloading them failed:")
        lines += [f"  {url}: {reason}" for url, reason in download_error.failures]
    elif not download:
        lines.append("Downloading was not tried (download=False).")
    lines.append("To get them:")
    if spec.install_hint:
        system = Path(SYSTEM_DATA_ROOT) / spec.name
        lines.append(f"  - install the system package: `{spec.install_hint}` (fills {system}), or")
    mirror = mirrors[0].rstrip("/") + "/" if mirrors else "<mirror>/"
    lines.append(
        f"  - download {mirror}{files.images.name} and {mirror}{files.labels.name} and put "
        f"them in a folder that you pass as --data-dir (data_dir=) or set in the "
        f"{DATA_ENV_VAR} environment variable"
        + ("." if download else ", or pass download=True to fetch them.")
    )
    return "\n".join(lines)


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
    plan = _search_plan(spec.name, data_dir)
    found = _find_split([folder for folder, _ in plan], files)
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
            message = _not_found_message(spec, split, files, plan, mirrors, error, download)
            raise DatasetNotFoundError(message) from error
    images_path, labels_path = found
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    _check_content(spec, images_path, images, labels_path, labels)
    return ImageDataset(
        images=torch.from_numpy(images).to(torch.float32).div_(255.0),
        labels=torch.from_numpy(labels.astype(np.int64)),
        name=spec.name,
        split=split,
        classes=spec.classes,
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


def _load_embedded(spec: EmbeddedDatasetSpec, split: str) -> ImageDataset:
    images, labels = spec.loader()
    part = slice(0, spec.n_train) if split == "train" else slice(spec.n_train, None)
    scaled = torch.from_numpy(np.ascontiguousarray(images[part], dtype=np.float32))
    return ImageDataset(
        images=scaled.div_(spec.max_value),
        labels=torch.from_numpy(np.asarray(labels[part], dtype=np.int64)),
        name=spec.name,
        split=split,
        classes=spec.classes,
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
        ``"digits"`` (scikit-learn's bundled 8x8 digits, no file needed),
        ``"fashion-mnist"`` or ``"mnist"``; see :func:`dataset_names`.
    split : str, default "train"
        ``"train"`` or ``"test"``. For ``digits``, ``train`` is the first 1437 samples in
        scikit-learn's order and ``test`` the remaining 360.
    data_dir : str or os.PathLike, optional
        Folder searched first for IDX files (the folder itself, then ``<name>/`` in it),
        and where downloads go when given. Ignored for ``digits``.
    download : bool, default True
        Download missing IDX files from the mirrors. Ignored for ``digits``.
    mirrors : sequence of str, optional
        Base URLs to download from instead of the dataset's official mirrors.
    retries, timeout :
        Passed to :func:`hebbian.data.download.download_file`.

    Returns
    -------
    ImageDataset
        ``images`` ``(N, H, W)`` float32 in [0, 1] (pixels / 16 for ``digits``, / 255 for
        the IDX datasets) and ``labels`` ``(N,)`` int64.

    Raises
    ------
    ValueError
        For an unknown name or split (the message lists the valid ones).
    DatasetNotFoundError
        If the files are missing everywhere and could not be downloaded; the message
        names the files, every folder searched and how to get the files.
    IdxFormatError
        If a file found is damaged or is not the dataset's images or labels.

    Examples
    --------
    >>> train = load_dataset("digits")
    >>> tuple(train.images.shape), train.labels.dtype, float(train.images.max())
    ((1437, 8, 8), torch.int64, 1.0)
    """
    spec = _get_spec(name)
    if not isinstance(split, str):
        raise TypeError(f"split must be a str, got {type(split).__name__} {split!r}")
    _check_split(name, split, spec.splits)
    if isinstance(spec, EmbeddedDatasetSpec):
        return _load_embedded(spec, split)
    if isinstance(mirrors, str):
        raise TypeError("mirrors must be a sequence of base URLs, not a single string")
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__} {download!r}")
    check_positive_int("retries", retries, minimum=0)
    check_positive("timeout", timeout)
    return _load_idx(spec, split, data_dir, download, mirrors, retries, timeout)
