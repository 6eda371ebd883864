"""CIFAR-10: the python archive's layout, the restricted unpickler, the registry, downloads."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import pickletools
import stat
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from hebbian.data import (
    Cifar10FormatError,
    DatasetDigestWarning,
    DatasetNotFoundError,
    load_dataset,
    read_cifar10_archive,
    registry,
    write_cifar10_archive,
)
from hebbian.data.cifar10 import ARCHIVE, CLASSES, FOLDER, BatchUnpickler
from hebbian.data.registry import CIFAR10, ArchiveFile


def random_images(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(count, 3, 32, 32), dtype=np.uint8)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def members(path: Path) -> dict[str, bytes]:
    """Every regular member of an archive by name (the tests trust what they wrote)."""
    with tarfile.open(path) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }


def rewrite(path: Path, replace: dict[str, bytes | None]) -> Path:
    """The archive at ``path`` with members replaced (``None``: left out), gzipped anew."""
    contents = members(path)
    for name, data in replace.items():
        contents.pop(f"{FOLDER}/{name}")
        if data is not None:
            contents[f"{FOLDER}/{name}"] = data
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, object]:
    """An archive of 5 batches of 2 training images and a test batch of 3."""
    train, test = random_images(10, 0), random_images(3, 1)
    train_labels, test_labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], [2, 7, 1]
    folder = tmp_path / "mirror-files"
    folder.mkdir()
    path = write_cifar10_archive(folder / ARCHIVE, train, train_labels, test, test_labels)
    return {"path": path, "train": train, "test": test, "train_labels": train_labels,
            "test_labels": test_labels}  # fmt: skip


# --------------------------------------------------------------------------- reading


def test_train_is_the_five_batches_in_order_and_test_the_test_batch(tiny) -> None:
    images, labels, classes = read_cifar10_archive(tiny["path"], "train")
    assert images.dtype == np.float32 and images.shape == (10, 3, 32, 32)
    assert np.array_equal(images, tiny["train"].astype(np.float32) / 255)
    assert labels.dtype == np.int64 and labels.tolist() == tiny["train_labels"]
    assert classes == CLASSES
    images, labels, _ = read_cifar10_archive(tiny["path"], "test")
    assert np.array_equal(images * 255, tiny["test"].astype(np.float32))
    assert labels.tolist() == tiny["test_labels"]


def test_a_row_of_data_is_the_red_then_green_then_blue_plane_row_major(tiny) -> None:
    batch = pickle.loads(members(tiny["path"])[f"{FOLDER}/test_batch"], encoding="bytes")
    data = batch[b"data"]
    images, _, _ = read_cifar10_archive(tiny["path"], "test")
    for r, c, i, j in [(0, 0, 0, 0), (0, 0, 0, 31), (1, 1, 5, 7), (2, 2, 31, 31), (2, 1, 31, 0)]:
        assert images[r, c, i, j] == np.float32(data[r, 1024 * c + 32 * i + j] / 255)


def test_the_writer_writes_python_2_pickles_of_the_documented_batches(tiny) -> None:
    files = members(tiny["path"])
    assert sorted(files) == sorted(
        f"{FOLDER}/{n}"
        for n in (
            "readme.html",
            "batches.meta",
            "test_batch",
            *[f"data_batch_{k}" for k in range(1, 6)],
        )
    )
    raw = files[f"{FOLDER}/data_batch_2"]
    assert raw.startswith(b"\x80\x02")  # protocol 2
    opcodes = {op.name for op, _, _ in pickletools.genops(raw)}
    assert "SHORT_BINSTRING" in opcodes and "GLOBAL" in opcodes  # Python 2 str, GLOBAL
    assert not opcodes & {"BINUNICODE", "SHORT_BINBYTES", "STACK_GLOBAL", "FRAME"}
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw  # the numpy of 2009's path
    batch = pickle.loads(raw, encoding="bytes")  # trusted: the test wrote it
    assert list(batch) == [b"batch_label", b"labels", b"data", b"filenames"]
    assert batch[b"batch_label"] == b"training batch 2 of 5"
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape == (2, 3072)
    assert batch[b"labels"] == [4, 1] and all(type(x) is int for x in batch[b"labels"])
    assert len(batch[b"filenames"]) == 2
    meta = pickle.loads(files[f"{FOLDER}/batches.meta"], encoding="bytes")
    assert meta == {
        b"num_cases_per_batch": 2,
        b"label_names": [c.encode() for c in CLASSES],
        b"num_vis": 3072,
    }


def test_equal_images_give_equal_archives_with_the_users_umask(tmp_path: Path, tiny) -> None:
    previous = os.umask(0o022)
    try:
        again = write_cifar10_archive(
            tmp_path / "again.tar.gz", tiny["train"], tiny["train_labels"], tiny["test"],
            tiny["test_labels"],
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert again.read_bytes() == tiny["path"].read_bytes()
    assert stat.S_IMODE(again.stat().st_mode) == 0o644


def test_batches_repickled_by_python_3_and_numpy_2_are_read(tiny) -> None:
    path = tiny["path"]
    batch = pickle.loads(members(path)[f"{FOLDER}/test_batch"], encoding="bytes")
    raw = pickle.dumps(batch, protocol=4)  # bytes keys, numpy._core.multiarray, STACK_GLOBAL
    assert b"numpy._core.multiarray" in raw
    rewrite(path, {"test_batch": raw})
    images, labels, _ = read_cifar10_archive(path, "test")
    assert np.array_equal(images * 255, tiny["test"].astype(np.float32))
    assert labels.tolist() == tiny["test_labels"]


def test_the_writer_refuses_what_is_not_cifar_shaped(tmp_path: Path) -> None:
    good = random_images(5, 0)
    with pytest.raises(ValueError, match=r"train_images must be \(n, 3, 32, 32\)"):
        write_cifar10_archive(tmp_path / "a", good[:, :1], [0] * 5, good[:1], [0])
    with pytest.raises(ValueError, match="five batches of n, got 4"):
        write_cifar10_archive(tmp_path / "a", good[:4], [0] * 4, good[:1], [0])
    with pytest.raises(ValueError, match=r"test_labels must lie in \[0, 10\)"):
        write_cifar10_archive(tmp_path / "a", good, [0] * 5, good[:1], [10])
    assert not (tmp_path / "a").exists()


# --------------------------------------------------------------------------- the unpickler


class Runs:
    """Pickles as a call of ``function(*args)``: what a malicious pickle does."""

    def __init__(self, function: object, *args: object) -> None:
        self.call = (function, args)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.call


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_pickle_that_names_os_system_is_refused_and_never_run(
    tiny, tmp_path: Path, protocol: int
) -> None:
    marker = tmp_path / "ran"
    evil = pickle.dumps(Runs(os.system, f"touch {marker}"), protocol=protocol)
    path = rewrite(tiny["path"], {"test_batch": evil})
    with pytest.raises(Cifar10FormatError) as caught:
        read_cifar10_archive(path, "test")
    message = str(caught.value)
    assert f"test_batch refers to '{os.system.__module__}.system'" in message
    assert str(path) in message and "\n" not in message
    assert not marker.exists()
    read_cifar10_archive(path, "train")  # the other members are fine


@pytest.mark.parametrize(
    "payload",
    [
        Runs(eval, "1"),
        Runs(getattr, "", "join"),
        Runs(np.frombuffer, b"abc", np.uint8),
        Runs(pickle.loads, b"."),
    ],
    ids=["eval", "getattr", "numpy-function", "pickle-loads"],
)
def test_only_numpys_array_reconstruction_is_admitted(payload: object) -> None:
    with pytest.raises(Cifar10FormatError, match="a CIFAR-10 batch names only numpy's") as caught:
        BatchUnpickler(io.BytesIO(pickle.dumps(payload, protocol=4)), "a.tar.gz", "x").load()
    assert "\n" not in str(caught.value)


def test_numpy_ndarray_is_only_an_argument_and_reconstruct_only_makes_an_empty_array() -> None:
    called = pickle.dumps(Runs(np.ndarray, (10**6,)), protocol=4)  # would allocate
    with pytest.raises(Cifar10FormatError, match="not a readable pickle"):
        BatchUnpickler(io.BytesIO(called), "a.tar.gz", "x").load()
    reconstruct = np.zeros(1).__reduce__()[0]
    big = pickle.dumps(Runs(reconstruct, np.ndarray, (10**6,), b"b"), protocol=4)
    with pytest.raises(Cifar10FormatError, match=r"expected \(numpy.ndarray, \(0,\), b'b'\)"):
        BatchUnpickler(io.BytesIO(big), "a.tar.gz", "x").load()


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.array([None, 1], dtype=object), "not a plain number type"),
        (np.zeros(2, dtype=[("a", "u1"), ("b", "f4")]), "not a plain number type"),
    ],
    ids=["object-dtype", "structured-dtype"],
)
def test_arrays_of_objects_or_records_are_refused(array: np.ndarray, match: str) -> None:
    raw = pickle.dumps({b"data": array}, protocol=4)
    with pytest.raises(Cifar10FormatError, match=match):
        BatchUnpickler(io.BytesIO(raw), "a.tar.gz", "test_batch").load()


def test_a_dtype_state_with_flags_is_refused() -> None:
    # numpy.dtype('u1') rebuilt with the object flag set (state item 8): refused, so no
    # array can treat its bytes as object pointers
    raw = pickle.dumps(np.dtype("u1"), protocol=2)
    forged = raw.replace(
        b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00", b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x01"
    )
    assert forged != raw
    with pytest.raises(Cifar10FormatError, match="not a plain number's"):
        BatchUnpickler(io.BytesIO(forged), "a.tar.gz", "x").load()


# --------------------------------------------------------------------------- damage


@pytest.mark.parametrize(
    ("replace", "split", "match"),
    [
        ({"test_batch": None}, "test", f"it holds no {FOLDER}/test_batch"),
        ({"batches.meta": None}, "train", f"it holds no {FOLDER}/batches.meta"),
        ({"test_batch": b"not a pickle"}, "test", "test_batch is not a readable pickle"),
        ({"test_batch": pickle.dumps([1, 2], 4)}, "test", "does not hold a dict of byte-string"),
        (
            {"test_batch": pickle.dumps({b"data": np.zeros((2, 3071), np.uint8)}, 4)},
            "test",
            r"test_batch's data must be a uint8 array of shape \(n, 3072\), got uint8 of shape",
        ),
        (
            {
                "data_batch_3": pickle.dumps(
                    {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, 4
                )
            },
            "train",
            "data_batch_3 holds 2 images but 1 labels",
        ),
        (
            {
                "test_batch": pickle.dumps(
                    {b"data": np.zeros((1, 3072), np.uint8), b"labels": [10]}, 4
                )
            },
            "test",
            "labels 10..10, but batches.meta names 10 classes",
        ),
        (
            {
                "test_batch": pickle.dumps(
                    {b"data": np.zeros((1, 3072), np.uint8), b"labels": ["1"]}, 4
                )
            },
            "test",
            "labels must be a list of ints",
        ),
    ],
    ids=[
        "no-test",
        "no-meta",
        "not-pickle",
        "not-dict",
        "short-rows",
        "label-count",
        "label-range",
        "label-type",
    ],
)
def test_damaged_archives_are_refused_naming_the_archive_and_the_member(
    tiny, replace: dict[str, bytes | None], split: str, match: str
) -> None:
    path = rewrite(tiny["path"], replace)
    with pytest.raises(Cifar10FormatError, match=match) as caught:
        read_cifar10_archive(path, split)
    assert str(path) in str(caught.value) and "www.cs.toronto.edu" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_no_tar_archive_or_is_cut_short_is_refused(tmp_path: Path, tiny) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b" + bytes(100))
    with pytest.raises(Cifar10FormatError, match="not a readable tar archive"):
        read_cifar10_archive(junk, "train")
    cut = tmp_path / "cut.tar.gz"
    body = tiny["path"].read_bytes()
    cut.write_bytes(body[: len(body) // 2])
    with pytest.raises(Cifar10FormatError, match="not a readable tar archive"):
        read_cifar10_archive(cut, "test")
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 archive"):
        read_cifar10_archive(tmp_path / "missing.tar.gz", "train")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        read_cifar10_archive(tiny["path"], "validation")


# --------------------------------------------------------------------------- registry


@pytest.fixture
def registered(tiny, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The tiny archive registered as CIFAR-10's, with its own SHA-256 and MD5."""
    path = tiny["path"]
    file = ArchiveFile(ARCHIVE, hashlib.sha256(path.read_bytes()).hexdigest(), md5(path))
    monkeypatch.setitem(
        registry.DATASETS, "cifar10", dataclasses.replace(CIFAR10, train=file, test=file)
    )
    return tiny


def test_cifar10_loads_as_channel_first_colour_images(registered) -> None:
    folder = registered["path"].parent
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        train = load_dataset("cifar10", "train", data_dir=folder, download=False)
        test = load_dataset("cifar10", "test", data_dir=folder, download=False)
    assert train.images.shape == (10, 3, 32, 32) and train.images.dtype == torch.float32
    assert (train.channels, train.image_shape, tuple(train.flat.shape)) == (3, (32, 32), (10, 3072))
    assert torch.equal(train.images * 255, torch.from_numpy(registered["train"]).float())
    assert train.labels.dtype == torch.int64 and train.labels.tolist() == registered["train_labels"]
    assert train.classes == CLASSES and (train.name, train.split) == ("cifar10", "train")
    assert len(test) == 3 and test.labels.tolist() == registered["test_labels"]
    path = registered["path"]
    expected = (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
    assert [(f.path, f.sha256) for f in train.files] == [expected]
    assert [(f.path, f.sha256) for f in test.files] == [expected]


def test_an_archive_that_is_not_the_official_one_warns(tiny) -> None:
    with pytest.warns(DatasetDigestWarning) as caught:
        load_dataset("cifar10", "test", data_dir=tiny["path"].parent, download=False)
    assert [str(w.message) for w in caught] == [
        f"{tiny['path']} does not match CIFAR-10's known digests of {ARCHIVE}"
    ]


def test_cifar10_downloads_with_its_checksums_into_the_cache(
    http_server, registered, isolated_data_folders: dict[str, Path]
) -> None:
    body = registered["path"].read_bytes()
    http_server.serve(f"~kriz/{ARCHIVE}", body)
    previous = os.umask(0o022)
    try:
        train = load_dataset("cifar10", mirrors=[http_server.url("~kriz")])
    finally:
        os.umask(previous)
    cached = isolated_data_folders["cache"] / "cifar10" / ARCHIVE
    assert cached.read_bytes() == body and stat.S_IMODE(cached.stat().st_mode) == 0o644
    assert train.files[0].path == str(cached.resolve())
    test = load_dataset("cifar10", "test", mirrors=[http_server.url("~kriz")])
    assert len(test) == 3
    assert http_server.requests == [f"/~kriz/{ARCHIVE}"]  # one archive for both splits


@pytest.mark.parametrize(
    ("sha256", "md5_sum", "match"),
    [
        (CIFAR10.train.sha256, CIFAR10.train.md5, "checksum mismatch: expected sha256 6d958be0"),
        (None, CIFAR10.train.md5, "checksum mismatch: expected md5 c58f3010"),
    ],
    ids=["official-spec", "md5-only"],
)
def test_a_download_with_the_wrong_checksum_is_not_kept(
    http_server, tiny, monkeypatch: pytest.MonkeyPatch, isolated_data_folders: dict[str, Path],
    sha256: str | None, md5_sum: str, match: str,
) -> None:  # fmt: skip
    file = ArchiveFile(ARCHIVE, sha256, md5_sum)
    monkeypatch.setitem(
        registry.DATASETS, "cifar10", dataclasses.replace(CIFAR10, train=file, test=file)
    )
    http_server.serve(ARCHIVE, tiny["path"].read_bytes())  # not the official bytes
    with pytest.raises(DatasetNotFoundError, match=match):
        load_dataset("cifar10", mirrors=[http_server.base_url], retries=0)
    folder = isolated_data_folders["cache"] / "cifar10"
    assert not folder.exists() or list(folder.iterdir()) == []  # not even a temporary file


def test_offline_the_message_names_the_archive_the_folders_and_the_url(
    tmp_path: Path, closed_port_url: str, isolated_data_folders: dict[str, Path]
) -> None:
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("cifar10", "test", data_dir=tmp_path / "mine", download=False)
    message = str(caught.value)
    assert message.startswith(
        f"CIFAR-10 split 'test' needs {ARCHIVE}, found in none of these folders:"
    )
    for folder in (
        tmp_path / "mine",
        tmp_path / "mine" / "cifar10",
        isolated_data_folders["cache"] / "cifar10",
    ):
        assert f"  {folder}  (" in message
    assert f"https://www.cs.toronto.edu/~kriz/{ARCHIVE}" in message
    assert "--data-dir" in message and "HEBBIAN_DATA" in message and "gzipped" not in message
    with pytest.raises(DatasetNotFoundError, match="Downloading them failed") as caught:
        load_dataset("cifar10", mirrors=[closed_port_url], retries=0)
    assert "refused" in str(caught.value).lower()


def test_the_cifar10_spec_names_the_official_archive_and_its_published_digests() -> None:
    assert CIFAR10.train == CIFAR10.test  # one archive holds both splits
    assert CIFAR10.files() == (CIFAR10.train,)
    assert CIFAR10.train.name == "cifar-10-python.tar.gz"
    assert CIFAR10.train.md5 == "c58f30108f718f92721af3b95e74349a"  # torchvision's
    assert CIFAR10.train.sha256 == (  # Keras's
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    )
    assert CIFAR10.mirrors == ("https://www.cs.toronto.edu/~kriz/",)
    assert (CIFAR10.image_shape, CIFAR10.channels, CIFAR10.title) == ((32, 32), 3, "CIFAR-10")
