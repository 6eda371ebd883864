"""The datasets the registry knows: how each is stored, and its files' known digests.

Three kinds of spec: :class:`IdxDatasetSpec` (MNIST-style IDX files, one pair a split),
:class:`EmbeddedDatasetSpec` (a file installed with a Python package) and
:class:`ArchiveDatasetSpec` (an archive a split, or one for both, read by a reader
function). Every spec says its ``image_shape`` ``(H, W)`` and its ``channels`` (1 for
grey levels, 3 for CIFAR-10's red, green and blue). Each file
carries the digests that identify a genuine copy; the comment above each dataset says
how they were established. :mod:`hebbian.data.registry` names, finds, downloads, reads
and checks them.
"""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hebbian.data.cifar10 import ARCHIVE as CIFAR10_ARCHIVE
from hebbian.data.cifar10 import read_cifar10_archive
from hebbian.data.omniglot import read_omniglot_archive

__all__ = [
    "CIFAR10",
    "DIGITS",
    "FASHION_MNIST",
    "MNIST",
    "OMNIGLOT",
    "ArchiveDatasetSpec",
    "ArchiveFile",
    "DatasetSpec",
    "EmbeddedDatasetSpec",
    "IdxDatasetSpec",
    "IdxFile",
    "IdxSplit",
    "KnownFile",
    "PackageFile",
    "check_split",
]


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
    content_sha256 : str or None
        SHA-256 of the decompressed IDX bytes, the same for every recompression of the
        data. ``None`` where unknown: then only a file whose bytes match ``sha256`` is
        verified, and other copies are not judged.
    """

    name: str
    sha256: str | None
    content_sha256: str | None = None


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
    def channels(self) -> int:
        """Channels of each image: 1 (grey levels)."""
        return 1

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits, ``("train", "test")``."""
        return ("train", "test")

    def split_files(self, split: str) -> IdxSplit:
        """Return the files of ``split``; raise ``ValueError`` for an unknown split."""
        check_split(self.name, split, self.splits)
        return self.train if split == "train" else self.test

    def files(self) -> tuple[IdxFile, ...]:
        """Every file of every split."""
        return (self.train.images, self.train.labels, self.test.images, self.test.labels)


@dataclass(frozen=True)
class PackageFile:
    """A data file installed inside a Python package, with its known digests.

    Attributes
    ----------
    package : str
        The package holding the file, e.g. ``"sklearn.datasets.data"``.
    name : str
        The file's name in the package.
    sha256, content_sha256 : str or None
        SHA-256 of the file's bytes and of its decompressed bytes (``None``: unknown).
    """

    package: str
    name: str
    sha256: str | None
    content_sha256: str | None

    def path(self) -> Path:
        """Where the file is installed (its package is imported to find it)."""
        return Path(str(importlib.resources.files(self.package).joinpath(self.name)))


def _parse_digits_csv(content: bytes) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``digits.csv``: 65 comma-separated numbers a row, the last the label.

    Returns images (1797, 8, 8) in 0..16 and labels (1797,), in the file's order (the
    order of :func:`sklearn.datasets.load_digits`, which reads the same file).
    """
    table = np.loadtxt(io.StringIO(content.decode("utf-8")), delimiter=",", ndmin=2)
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


@dataclass(frozen=True)
class EmbeddedDatasetSpec:
    """A dataset that ships with an installed package, so it needs no download.

    Attributes
    ----------
    name, title, classes, image_shape :
        As for :class:`IdxDatasetSpec`.
    file : PackageFile
        The installed file read (gzipped or not).
    parse : callable
        Takes the file's decompressed bytes, returns ``(images (N, H, W), labels (N,))``
        as numpy arrays, in a fixed order.
    max_value : float
        Largest pixel value; images are divided by it to lie in [0, 1].
    n_train : int
        The first ``n_train`` samples form ``train``, the rest ``test``.
    """

    name: str
    title: str
    classes: tuple[str, ...]
    image_shape: tuple[int, int]
    file: PackageFile
    parse: Callable[[bytes], tuple[np.ndarray, np.ndarray]]
    max_value: float
    n_train: int

    @property
    def channels(self) -> int:
        """Channels of each image: 1 (grey levels)."""
        return 1

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits, ``("train", "test")``."""
        return ("train", "test")

    def files(self) -> tuple[PackageFile, ...]:
        """The one file both splits come from."""
        return (self.file,)


@dataclass(frozen=True)
class ArchiveFile:
    """One archive of a dataset stored as archives (one a split), with its checksums.

    Attributes
    ----------
    name : str
        File name as the mirrors serve it, e.g. ``"images_background.zip"``.
    sha256, md5 : str or None
        Known SHA-256 and MD5 of the file, checked on download and on every load
        (``None``: unknown).
    """

    name: str
    sha256: str | None
    md5: str | None


@dataclass(frozen=True)
class ArchiveDatasetSpec:
    """A dataset stored as archives (one a split, or one for both), read by ``reader``.

    Attributes
    ----------
    name, title, image_shape, mirrors :
        As for :class:`IdxDatasetSpec` (``image_shape`` is the shape after ``reader``).
    train, test : ArchiveFile
        The archive of each split (the same one when an archive holds both).
    reader : callable
        ``reader(path, split)`` returns ``(images, labels (N,) int64, class names)``,
        images float32 in [0, 1], ``(N, H, W)`` for one channel and ``(N, C, H, W)``
        for more.
    channels : int, default 1
        Channels of each image (3 for red, green and blue).
    """

    name: str
    title: str
    image_shape: tuple[int, int]
    train: ArchiveFile
    test: ArchiveFile
    mirrors: tuple[str, ...]
    reader: Callable[[Path, str], tuple[np.ndarray, np.ndarray, tuple[str, ...]]] = field(
        repr=False
    )
    channels: int = 1

    @property
    def splits(self) -> tuple[str, ...]:
        """Names of the splits, ``("train", "test")``."""
        return ("train", "test")

    def split_file(self, split: str) -> ArchiveFile:
        """Return the archive of ``split``; raise ``ValueError`` for an unknown split."""
        check_split(self.name, split, self.splits)
        return self.train if split == "train" else self.test

    def files(self) -> tuple[ArchiveFile, ...]:
        """The archives of both splits (once each, so one archive of both is listed once)."""
        return (self.train,) if self.test == self.train else (self.train, self.test)


DatasetSpec = IdxDatasetSpec | EmbeddedDatasetSpec | ArchiveDatasetSpec
KnownFile = IdxFile | PackageFile | ArchiveFile

_DIGIT_CLASSES = tuple(str(d) for d in range(10))

# sklearn.datasets.load_digits reads sklearn/datasets/data/digits.csv.gz; it is read here
# directly, so the digest is that of the bytes parsed. Both digests were computed from
# the file scikit-learn 1.9.1 installs (57,523 bytes; the gzip holds the 1797 x 65 csv).
DIGITS = EmbeddedDatasetSpec(
    name="digits",
    title="scikit-learn 8x8 digits",
    classes=_DIGIT_CLASSES,
    image_shape=(8, 8),
    file=PackageFile(
        "sklearn.datasets.data",
        "digits.csv.gz",
        sha256="09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
        content_sha256="6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8",
    ),
    parse=_parse_digits_csv,
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
# size and gzip CRC checks, and these checksums are used for downloads only. The content
# digests (SHA-256 of the decompressed IDX bytes, the same for every recompression) were
# computed from Debian's files in /usr/share/datasets/fashion-mnist (package
# dataset-fashion-mnist) as hashlib.sha256(gzip.decompress(path.read_bytes())); that
# Debian's deflate data is the mirror's (above) makes them the original files' content.
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
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        labels=IdxFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
    ),
    test=IdxSplit(
        images=IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        labels=IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    install_hint="apt-get install dataset-fashion-mnist",
)

# SHA-256 of the original gzipped files, computed from copies whose MD5 sums match the
# published MD5 sums of the original files (f68b3c2d..., d53e105e..., 9fb629c4...,
# ec29112d...). No copy of train-images-idx3-ubyte.gz could be obtained here to compute
# its SHA-256, and a value is not guessed: it is None, and that download is checked by
# the IDX header and size checks and the gzip CRC instead. No copy of MNIST exists here,
# so no content digest (of the decompressed IDX bytes) is known: a file whose bytes match
# the SHA-256 below is verified; any other copy (raw, or gzipped anew) is not judged, and
# warns only if it matches another dataset's known digests (Fashion-MNIST's files, say).
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

# The Python release of Omniglot (github.com/brendenlake/omniglot, folder python/): the
# background set (964 characters of 30 alphabets) as train, the evaluation set (659 of
# 20) as test, Lake et al.'s own division. The MD5 sums are those torchvision's Omniglot
# dataset checks; no SHA-256 could be established here (no copy of the archives), so
# none is given. The drawings (105 x 105) are downscaled to 31 x 31 by area averaging,
# the size Miconi et al. (2018)'s Omniglot code resizes them to.
_OMNIGLOT_SIDE = 31


def _read_omniglot(path: Path, split: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Either Omniglot archive, its drawings averaged down to 31 x 31."""
    return read_omniglot_archive(path, _OMNIGLOT_SIDE)


OMNIGLOT = ArchiveDatasetSpec(
    name="omniglot",
    title="Omniglot",
    image_shape=(_OMNIGLOT_SIDE, _OMNIGLOT_SIDE),
    train=ArchiveFile("images_background.zip", None, "68d2efa1b9178cc56df9314c21c6e718"),
    test=ArchiveFile("images_evaluation.zip", None, "6b91aef0f799c5bb55b94e3f2daec811"),
    mirrors=(
        "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/",
        "https://github.com/brendenlake/omniglot/raw/master/python/",
    ),
    reader=_read_omniglot,
)

# The python version of CIFAR-10 (Krizhevsky 2009, www.cs.toronto.edu/~kriz/cifar.html):
# one archive holds both splits (five training batches, one test batch of 10,000 32 x 32
# colour images each). Its digests are published, not computed here (no copy of the
# 170,498,071-byte archive could be obtained): the MD5 is the one torchvision's CIFAR10
# dataset checks (tgz_md5 in torchvision/datasets/cifar.py), the SHA-256 the one Keras's
# cifar10.load_data checks (file_hash in keras/src/datasets/cifar10.py). A download is
# checked against both; an archive found on disk that matches neither warns.
_CIFAR10_PYTHON = ArchiveFile(
    CIFAR10_ARCHIVE,
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    md5="c58f30108f718f92721af3b95e74349a",
)
CIFAR10 = ArchiveDatasetSpec(
    name="cifar10",
    title="CIFAR-10",
    image_shape=(32, 32),
    train=_CIFAR10_PYTHON,
    test=_CIFAR10_PYTHON,
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    reader=read_cifar10_archive,
    channels=3,
)


def check_split(name: str, split: str, splits: Sequence[str]) -> None:
    """Refuse a split that dataset ``name`` does not have, listing ``splits``.

    Raises
    ------
    ValueError
        If ``split`` is not in ``splits``.
    """
    if split not in splits:
        raise ValueError(
            f"unknown split {split!r} for dataset {name!r}; valid splits: {', '.join(splits)}"
        )
