"""Known digests: every load names its files and warns when one is not the named dataset's."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from hebbian.data import DataFile, DatasetDigestWarning, load_dataset, registry, write_idx
from hebbian.data.registry import DIGITS, FASHION_MNIST, MNIST, IdxFile, IdxSplit

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_train(folder: Path, seed: int, *, gzip_files: bool = True) -> tuple[Path, Path]:
    """Tiny 28x28 train files whose pixels depend on ``seed``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=4, dtype=np.uint8)
    return (
        write_idx(folder / NAMES[0], images, gzip=gzip_files),
        write_idx(folder / NAMES[1], labels, gzip=gzip_files),
    )


def train_split(images: Path, labels: Path, *, served: bool, content: bool) -> IdxSplit:
    """A split whose known digests are those of these files (served gzip and/or content)."""

    def known(path: Path) -> IdxFile:
        raw = path.read_bytes()
        return IdxFile(
            path.name,
            sha256(raw) if served else None,
            sha256(gzip.decompress(raw)) if content else None,
        )

    return IdxSplit(known(images), known(labels))


def register(monkeypatch: pytest.MonkeyPatch, spec: registry.IdxDatasetSpec) -> None:
    monkeypatch.setitem(registry.DATASETS, spec.name, spec)


def load_quietly(name: str, folder: Path) -> registry.ImageDataset:
    """Load, failing on any digest warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        return load_dataset(name, data_dir=folder, download=False)


def test_every_load_lists_the_files_read_with_the_sha256_of_their_bytes(tmp_path: Path) -> None:
    images, labels = write_train(tmp_path / "d", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatasetDigestWarning)
        data = load_dataset("fashion-mnist", data_dir=tmp_path / "d", download=False)
    assert data.files == (
        DataFile(str(images.resolve()), sha256(images.read_bytes())),
        DataFile(str(labels.resolve()), sha256(labels.read_bytes())),
    )
    assert all(Path(f.path).is_absolute() for f in data.files)


def test_files_with_the_served_bytes_are_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_train(tmp_path / "d", 0)
    split = train_split(*files, served=True, content=False)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=split))
    assert len(load_quietly("fashion-mnist", tmp_path / "d")) == 4


def test_a_recompressed_or_raw_copy_is_verified_by_its_content_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = write_train(tmp_path / "served", 0)
    split = train_split(*served, served=True, content=True)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=split))
    write_train(tmp_path / "raw", 0, gzip_files=False)  # same data, other bytes
    raw = load_quietly("fashion-mnist", tmp_path / "raw")
    assert raw.files[0].sha256 != sha256(served[0].read_bytes())


def test_other_content_warns_naming_the_file_and_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = train_split(*write_train(tmp_path / "genuine", 0), served=True, content=True)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=split))
    images, labels = write_train(tmp_path / "other", 1)
    with pytest.warns(DatasetDigestWarning) as caught:
        load_dataset("fashion-mnist", data_dir=tmp_path / "other", download=False)
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        f"{images} does not match Fashion-MNIST's known digests of {NAMES[0]}",
        f"{labels} does not match Fashion-MNIST's known digests of {NAMES[1]}",
    ]
    assert all("\n" not in m for m in messages)


def test_the_warning_names_the_dataset_the_file_belongs_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fashion = train_split(*write_train(tmp_path / "fashion", 0), served=True, content=True)
    mnist = train_split(*write_train(tmp_path / "mnist", 1), served=True, content=True)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=fashion))
    register(monkeypatch, dataclasses.replace(MNIST, train=mnist))
    with pytest.warns(DatasetDigestWarning) as caught:
        load_dataset("fashion-mnist", data_dir=tmp_path / "mnist", download=False)
    images = tmp_path / "mnist" / NAMES[0]
    assert str(caught[0].message) == (
        f"{images} does not match Fashion-MNIST's known digests of {NAMES[0]} "
        f"(it matches MNIST's {NAMES[0]})"
    )


def test_files_with_unknown_digests_are_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = train_split(*write_train(tmp_path / "a", 0), served=False, content=False)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=split))
    write_train(tmp_path / "b", 1)
    load_quietly("fashion-mnist", tmp_path / "b")


def test_without_a_content_digest_only_a_known_other_file_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MNIST's case: only the served gzip's SHA-256 is known. A raw copy cannot be told
    # from a genuine one, so it is not judged; Fashion-MNIST's file read as MNIST's is.
    served = write_train(tmp_path / "served", 0)
    register(
        monkeypatch,
        dataclasses.replace(MNIST, train=train_split(*served, served=True, content=False)),
    )
    write_train(tmp_path / "raw", 0, gzip_files=False)
    load_quietly("mnist", tmp_path / "raw")
    fashion = train_split(*write_train(tmp_path / "fashion", 2), served=True, content=True)
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=fashion))
    with pytest.warns(DatasetDigestWarning) as caught:
        load_dataset("mnist", data_dir=tmp_path / "fashion", download=False)
    messages = [str(w.message) for w in caught]
    for kind in ("images", "labels"):  # one warning for each file
        assert any(f"(it matches Fashion-MNIST's train-{kind}" in m for m in messages)


def test_a_test_file_under_a_train_name_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = train_split(*write_train(tmp_path / "train", 0), served=True, content=True)
    test = train_split(*write_train(tmp_path / "test", 1), served=True, content=True)
    test = IdxSplit(
        dataclasses.replace(test.images, name="t10k-images-idx3-ubyte.gz"),
        dataclasses.replace(test.labels, name="t10k-labels-idx1-ubyte.gz"),
    )
    register(monkeypatch, dataclasses.replace(FASHION_MNIST, train=train, test=test))
    with pytest.warns(DatasetDigestWarning) as caught:
        load_dataset("fashion-mnist", data_dir=tmp_path / "test", download=False)
    messages = [str(w.message) for w in caught]
    for kind in ("images", "labels"):  # one warning for each file
        assert any(f"it matches Fashion-MNIST's t10k-{kind}" in m for m in messages)


def test_the_installed_digits_file_is_verified() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        data = load_dataset("digits", "test")
    (file,) = data.files
    assert Path(file.path).parts[-4:] == ("sklearn", "datasets", "data", "digits.csv.gz")
    assert file.sha256 == sha256(Path(file.path).read_bytes()) == DIGITS.file.sha256


def test_a_digits_file_of_other_content_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    other = dataclasses.replace(DIGITS.file, sha256="0" * 64, content_sha256="1" * 64)
    register(monkeypatch, dataclasses.replace(DIGITS, file=other))  # type: ignore[arg-type]
    with pytest.warns(DatasetDigestWarning, match="digits.csv.gz does not match scikit-learn"):
        load_dataset("digits")


SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not SYSTEM_FASHION.is_dir(), reason="dataset-fashion-mnist not installed")
@pytest.mark.parametrize("split", ["train", "test"])
def test_the_real_fashion_mnist_files_here_are_verified(split: str) -> None:
    # Debian's files are recompressed (their bytes differ from the mirror's): their
    # content digests verify them.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        data = load_dataset("fashion-mnist", split, data_dir=SYSTEM_FASHION, download=False)
    assert [Path(f.path).parent for f in data.files] == [SYSTEM_FASHION] * 2
    files = FASHION_MNIST.split_files(split)
    for read, known in zip(data.files, (files.images, files.labels), strict=True):
        content = gzip.decompress(Path(read.path).read_bytes())
        assert sha256(content) == known.content_sha256
