"""The dataset registry: lookup order, downloads, error messages, and the digits default."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from hebbian.data import registry
from hebbian.data.idx import IdxFormatError, write_idx
from hebbian.data.registry import (
    FASHION_MNIST,
    MNIST,
    DatasetNotFoundError,
    IdxFile,
    IdxSplit,
    ImageDataset,
    dataset_names,
    dataset_spec,
    load_dataset,
    search_folders,
)

# The tiny files written here stand in for Fashion-MNIST's: their digests differ from
# the real files', which the digest tests (test_data_digests.py) check.
pytestmark = pytest.mark.filterwarnings("ignore::hebbian.data.DatasetDigestWarning")

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"


def write_split(
    folder: Path,
    label: int,
    *,
    n: int = 3,
    prefix: str = "train",
    gzip: bool = True,
    names: tuple[str, str] | None = None,
) -> tuple[Path, Path]:
    """Write a tiny Fashion-MNIST-like split: n images of 28x28, every label == ``label``."""
    folder.mkdir(parents=True, exist_ok=True)
    images = np.full((n, 28, 28), 51, dtype=np.uint8)
    images[:, 0, 0] = 255
    labels = np.full(n, label, dtype=np.uint8)
    image_name, label_name = names or (
        f"{prefix}-images-idx3-ubyte.gz",
        f"{prefix}-labels-idx1-ubyte.gz",
    )
    return (
        write_idx(folder / image_name, images, gzip=gzip),
        write_idx(folder / label_name, labels, gzip=gzip),
    )


def loaded_label(**kwargs: object) -> int:
    data = load_dataset("fashion-mnist", download=False, **kwargs)  # type: ignore[arg-type]
    return int(data.labels[0])


# --------------------------------------------------------------------------- lookup order


def test_lookup_order_is_data_dir_then_env_then_cache_then_system(
    tmp_path: Path, isolated_data_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, env_dir = tmp_path / "flag", tmp_path / "env"
    cache = isolated_data_folders["cache"] / "fashion-mnist"
    system = isolated_data_folders["system"] / "fashion-mnist"
    written = {
        1: write_split(data_dir, 1),
        2: write_split(env_dir, 2),
        3: write_split(cache, 3),
        4: write_split(system, 4),
    }
    monkeypatch.setenv("HEBBIAN_DATA", str(env_dir))
    assert loaded_label(data_dir=data_dir) == 1
    assert loaded_label() == 2
    monkeypatch.delenv("HEBBIAN_DATA")
    assert loaded_label() == 3
    for path in written[3]:
        path.unlink()
    assert loaded_label() == 4


def test_a_folder_missing_one_file_of_the_split_is_skipped(
    tmp_path: Path, isolated_data_folders: dict[str, Path]
) -> None:
    images, _ = write_split(tmp_path / "flag", 1)
    (tmp_path / "flag" / TRAIN_LABELS).unlink()
    write_split(isolated_data_folders["cache"] / "fashion-mnist", 3)
    assert images.exists()
    assert loaded_label(data_dir=tmp_path / "flag") == 3


def test_data_dir_and_env_may_hold_a_dataset_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_split(tmp_path / "root" / "fashion-mnist", 5)
    assert loaded_label(data_dir=tmp_path / "root") == 5
    monkeypatch.setenv("HEBBIAN_DATA", str(tmp_path / "root"))
    assert loaded_label() == 5


def test_search_folders_lists_every_folder_in_order(
    tmp_path: Path, isolated_data_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEBBIAN_DATA", str(tmp_path / "env"))
    assert search_folders("mnist", data_dir=tmp_path / "flag") == [
        tmp_path / "flag",
        tmp_path / "flag" / "mnist",
        tmp_path / "env",
        tmp_path / "env" / "mnist",
        isolated_data_folders["cache"] / "mnist",
        isolated_data_folders["system"] / "mnist",
    ]


def test_cache_follows_xdg_cache_home_or_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert registry.cache_root() == tmp_path / "xdg" / "hebbian"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert registry.cache_root() == tmp_path / "home" / ".cache" / "hebbian"


@pytest.mark.parametrize(
    ("names", "gzip"),
    [
        ((TRAIN_IMAGES, TRAIN_LABELS), True),
        (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), False),
        (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), True),
        ((TRAIN_IMAGES, TRAIN_LABELS), False),
    ],
    ids=["gz-named-gzip", "plain-named-raw", "plain-named-gzip", "gz-named-raw"],
)
def test_files_are_found_raw_or_gzipped_under_either_name(
    tmp_path: Path, names: tuple[str, str], gzip: bool
) -> None:
    write_split(tmp_path / "d", 7, names=names, gzip=gzip)
    assert loaded_label(data_dir=tmp_path / "d") == 7


# --------------------------------------------------------------------------- content


def test_idx_images_are_scaled_to_unit_range_and_labels_are_int64(tmp_path: Path) -> None:
    write_split(tmp_path, 9, n=4)
    data = load_dataset("fashion-mnist", data_dir=tmp_path, download=False)
    assert isinstance(data, ImageDataset)
    assert data.images.dtype == torch.float32
    assert data.images.shape == (4, 28, 28)
    assert data.images[0, 0, 0].item() == 1.0  # 255 / 255
    assert data.images[0, 1, 1].item() == pytest.approx(0.2)  # 51 / 255
    assert data.labels.dtype == torch.int64
    assert data.labels.tolist() == [9, 9, 9, 9]
    assert data.flat.shape == (4, 784)
    assert data.classes[9] == "Ankle boot"
    assert (data.name, data.split, len(data)) == ("fashion-mnist", "train", 4)


def test_test_split_reads_the_t10k_files(tmp_path: Path) -> None:
    write_split(tmp_path, 2, n=5, prefix="t10k")
    data = load_dataset("fashion-mnist", "test", data_dir=tmp_path, download=False)
    assert (len(data), data.split) == (5, "test")


def test_a_damaged_file_is_reported_not_skipped(tmp_path: Path) -> None:
    images, _ = write_split(tmp_path / "d", 1)
    images.write_bytes(images.read_bytes()[:-5])
    write_split(tmp_path / "later" / "fashion-mnist", 2)
    with pytest.raises(IdxFormatError, match=re.escape(str(images))):
        load_dataset("fashion-mnist", data_dir=tmp_path / "d", download=False)


def test_wrong_image_size_is_refused(tmp_path: Path) -> None:
    write_idx(tmp_path / TRAIN_IMAGES, np.zeros((2, 8, 8), np.uint8), gzip=True)
    write_idx(tmp_path / TRAIN_LABELS, np.zeros(2, np.uint8), gzip=True)
    with pytest.raises(IdxFormatError, match=r"\(N, 28, 28\)"):
        load_dataset("fashion-mnist", data_dir=tmp_path, download=False)


def test_label_count_must_match_image_count(tmp_path: Path) -> None:
    write_idx(tmp_path / TRAIN_IMAGES, np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / TRAIN_LABELS, np.zeros(2, np.uint8))
    with pytest.raises(IdxFormatError, match=r"holds 2 labels but .* holds 3 images"):
        load_dataset("fashion-mnist", data_dir=tmp_path, download=False)


def test_labels_must_name_a_class(tmp_path: Path) -> None:
    write_split(tmp_path, 10)
    with pytest.raises(IdxFormatError, match="label 10"):
        load_dataset("fashion-mnist", data_dir=tmp_path, download=False)


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def tiny_fashion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Tiny gzipped train files, and a Fashion-MNIST spec whose checksums are theirs."""
    images, labels = write_split(tmp_path / "mirror-files", 4, n=6)
    files = {TRAIN_IMAGES: images.read_bytes(), TRAIN_LABELS: labels.read_bytes()}
    train = IdxSplit(
        images=IdxFile(TRAIN_IMAGES, hashlib.sha256(files[TRAIN_IMAGES]).hexdigest()),
        labels=IdxFile(TRAIN_LABELS, hashlib.sha256(files[TRAIN_LABELS]).hexdigest()),
    )
    spec = dataclasses.replace(FASHION_MNIST, train=train)
    monkeypatch.setitem(registry.DATASETS, "fashion-mnist", spec)
    return files


def test_download_end_to_end_into_data_dir(http_server, tiny_fashion, tmp_path: Path) -> None:
    for name, body in tiny_fashion.items():
        http_server.serve(f"fm/{name}", body)
    target = tmp_path / "downloads"
    data = load_dataset("fashion-mnist", data_dir=target, mirrors=[http_server.url("fm")])
    assert data.labels.tolist() == [4] * 6
    assert sorted(p.name for p in target.iterdir()) == [TRAIN_IMAGES, TRAIN_LABELS]
    assert (target / TRAIN_IMAGES).read_bytes() == tiny_fashion[TRAIN_IMAGES]
    # A second load finds the files on disk and asks the server for nothing.
    requests = len(http_server.requests)
    load_dataset("fashion-mnist", data_dir=target, mirrors=[http_server.url("fm")])
    assert len(http_server.requests) == requests


def test_download_goes_to_the_cache_without_data_dir(
    http_server, tiny_fashion, isolated_data_folders: dict[str, Path]
) -> None:
    for name, body in tiny_fashion.items():
        http_server.serve(name, body)
    load_dataset("fashion-mnist", mirrors=[http_server.base_url])
    cache = isolated_data_folders["cache"] / "fashion-mnist"
    assert sorted(p.name for p in cache.iterdir()) == [TRAIN_IMAGES, TRAIN_LABELS]


def test_download_goes_under_hebbian_data_when_set(
    http_server, tiny_fashion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, body in tiny_fashion.items():
        http_server.serve(name, body)
    monkeypatch.setenv("HEBBIAN_DATA", str(tmp_path / "shared-data"))
    load_dataset("fashion-mnist", mirrors=[http_server.base_url])
    assert (tmp_path / "shared-data" / "fashion-mnist" / TRAIN_IMAGES).is_file()


def test_download_falls_back_to_the_second_mirror(
    http_server, tiny_fashion, closed_port_url: str, tmp_path: Path
) -> None:
    for name, body in tiny_fashion.items():
        http_server.serve(name, body)
    data = load_dataset(
        "fashion-mnist",
        data_dir=tmp_path / "d",
        mirrors=[closed_port_url, http_server.base_url],
        retries=0,
    )
    assert len(data) == 6


def test_downloaded_bytes_with_the_wrong_checksum_are_not_kept(http_server, tmp_path: Path) -> None:
    # The real spec's checksums do not match tiny files.
    images, labels = write_split(tmp_path / "mirror-files", 4)
    http_server.serve(TRAIN_IMAGES, images.read_bytes())
    http_server.serve(TRAIN_LABELS, labels.read_bytes())
    target = tmp_path / "d"
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch"):
        load_dataset("fashion-mnist", data_dir=target, mirrors=[http_server.base_url])
    assert list(target.iterdir()) == []


def test_download_without_checksum_checks_the_idx_content(http_server, tmp_path: Path) -> None:
    # MNIST's train images have no verified checksum: the IDX checks guard that download.
    assert MNIST.train.images.sha256 is None
    http_server.serve(TRAIN_IMAGES, b"\x1f\x8b not really gzip")
    target = tmp_path / "d"
    with pytest.raises(DatasetNotFoundError, match="content rejected"):
        load_dataset("mnist", data_dir=target, mirrors=[http_server.base_url], retries=0)
    assert list(target.iterdir()) == []


def test_offline_error_names_files_folders_and_remedies(
    closed_port_url: str,
    tmp_path: Path,
    isolated_data_folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEBBIAN_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset(
            "fashion-mnist", data_dir=tmp_path / "flag", mirrors=[closed_port_url], retries=0
        )
    assert isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    for expected in (
        TRAIN_IMAGES,
        TRAIN_LABELS,
        str(tmp_path / "flag"),
        str(tmp_path / "env" / "fashion-mnist"),
        str(isolated_data_folders["cache"] / "fashion-mnist"),
        str(isolated_data_folders["system"] / "fashion-mnist"),
        closed_port_url + TRAIN_IMAGES,
        "refused",
        "apt-get install dataset-fashion-mnist",
        "--data-dir",
        "HEBBIAN_DATA",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"


def test_no_download_means_no_request(http_server, tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        load_dataset(
            "fashion-mnist", data_dir=tmp_path, download=False, mirrors=[http_server.base_url]
        )
    assert http_server.requests == []


# --------------------------------------------------------------------------- the registry


def test_dataset_names() -> None:
    assert dataset_names() == ["cifar10", "digits", "fashion-mnist", "mnist", "omniglot"]
    assert dataset_names(channels=1) == ["digits", "fashion-mnist", "mnist", "omniglot"]
    assert dataset_names(channels=3) == ["cifar10"]
    with pytest.raises(ValueError, match="channels"):
        dataset_names(channels=0)


def test_unknown_name_lists_the_valid_names() -> None:
    with pytest.raises(
        ValueError, match=r"unknown dataset 'cifar'.*digits, fashion-mnist, mnist, omniglot"
    ):
        load_dataset("cifar")


@pytest.mark.parametrize("name", ["digits", "fashion-mnist", "mnist", "omniglot", "cifar10"])
def test_unknown_split_lists_the_valid_splits(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown split 'validation'.*train, test"):
        load_dataset(name, "validation")


def test_idx_specs_record_files_mirrors_and_well_formed_checksums() -> None:
    assert FASHION_MNIST.mirrors == ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    assert MNIST.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    for spec in (FASHION_MNIST, MNIST):
        names = [f.name for split in (spec.train, spec.test) for f in (split.images, split.labels)]
        assert names == [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ]
        for split in (spec.train, spec.test):
            for file in (split.images, split.labels):
                assert file.sha256 is None or re.fullmatch("[0-9a-f]{64}", file.sha256)
    assert all(
        f.sha256 is not None
        for split in (FASHION_MNIST.train, FASHION_MNIST.test)
        for f in (split.images, split.labels)
    )


# --------------------------------------------------------------------------- digits


def test_digits_splits_follow_scikit_learn_order() -> None:
    from sklearn.datasets import load_digits

    reference = load_digits()
    train, test = load_dataset("digits"), load_dataset("digits", "test")
    assert train.images.shape == (1437, 8, 8) and test.images.shape == (360, 8, 8)
    assert train.flat.shape == (1437, 64)
    for data in (train, test):
        assert data.images.dtype == torch.float32 and data.labels.dtype == torch.int64
        assert data.images.min().item() == 0.0 and data.images.max().item() == 1.0
        assert set(data.labels.tolist()) == set(range(10))
    both = torch.cat([train.images, test.images]).numpy() * 16
    np.testing.assert_allclose(both, reference.images, atol=1e-5)
    np.testing.assert_array_equal(torch.cat([train.labels, test.labels]).numpy(), reference.target)
    assert train.classes == tuple("0123456789")


def test_image_dataset_refuses_mismatched_tensors() -> None:
    with pytest.raises(ValueError, match="same number of samples"):
        ImageDataset(torch.zeros(3, 2, 2), torch.zeros(2, dtype=torch.int64), "x", "train", ())
    with pytest.raises(
        ValueError, match=r"\(N, H, W\) or \(N, C, H, W\) tensor, got shape \(3, 4\)"
    ):
        ImageDataset(torch.zeros(3, 4), torch.zeros(3, dtype=torch.int64), "x", "train", ())
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) tensor, got shape \(3, 1, 2, 2, 2\)"):
        ImageDataset(torch.zeros(3, 1, 2, 2, 2), torch.zeros(3, dtype=torch.int64), "x", "a", ())


def test_image_dataset_shapes_with_and_without_channels() -> None:
    labels = torch.zeros(2, dtype=torch.int64)
    grey = ImageDataset(torch.rand(2, 5, 7), labels, "x", "train", ())
    assert (grey.channels, grey.image_shape, tuple(grey.flat.shape)) == (1, (5, 7), (2, 35))
    images = torch.rand(2, 3, 5, 7)
    colour = ImageDataset(images, labels, "x", "train", ())
    assert (colour.channels, colour.image_shape, tuple(colour.flat.shape)) == (3, (5, 7), (2, 105))
    # a row holds the channels one after another, each row-major
    assert torch.equal(colour.flat[1, 35 * 2 + 7 * 4 + 6], images[1, 2, 4, 6])
    assert colour.flat.data_ptr() == images.data_ptr()  # a view, no copy


def test_every_spec_states_its_channels() -> None:
    assert {name: dataset_spec(name).channels for name in dataset_names()} == {
        "cifar10": 3, "digits": 1, "fashion-mnist": 1, "mnist": 1, "omniglot": 1,
    }  # fmt: skip


SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not SYSTEM_FASHION.is_dir(), reason="dataset-fashion-mnist not installed")
def test_debian_fashion_mnist_files_load() -> None:
    data = load_dataset("fashion-mnist", "test", data_dir=SYSTEM_FASHION, download=False)
    assert data.images.shape == (10000, 28, 28)
    assert data.labels.bincount().tolist() == [1000] * 10
