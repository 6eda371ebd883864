"""Omniglot: reading the official archive layout, downscaling, the registry and downloads."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from hebbian.data import (
    DatasetDigestWarning,
    DatasetNotFoundError,
    OmniglotFormatError,
    area_downscale,
    load_dataset,
    read_omniglot_archive,
    registry,
    write_omniglot_archive,
)
from hebbian.data.registry import OMNIGLOT, ArchiveFile


def drawings(classes: int, per_class: int, side: int = 62, seed: int = 0) -> dict[str, np.ndarray]:
    """Random ink for ``classes`` characters of two alphabets."""
    rng = np.random.default_rng(seed)
    return {
        f"Alphabet_{c % 2}/character{c:02d}": (
            rng.integers(0, 2, size=(per_class, side, side)) * 255
        ).astype(np.uint8)
        for c in range(classes)
    }


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- reading


def test_classes_are_sorted_folders_and_ink_is_one(tmp_path: Path) -> None:
    ink = np.zeros((2, 4, 4), np.uint8)
    ink[1, 0, 0] = 255
    archive = write_omniglot_archive(
        tmp_path / "a.zip", {"Latin/character02": ink, "Greek/character01": ink[:1]}
    )
    images, labels, classes = read_omniglot_archive(archive, 4)
    assert classes == ("Greek/character01", "Latin/character02")
    assert labels.tolist() == [0, 1, 1]
    assert images.dtype == np.float32 and images.shape == (3, 4, 4)
    assert images[2, 0, 0] == 1.0 and images.sum() == 1.0  # one inked pixel, paper 0


def test_the_official_layout_is_read(tmp_path: Path) -> None:
    # As the official archives store them: top folder, alphabet, character, drawings
    # named <drawing id>_<character number>.png, 1-bit PNGs, white paper.
    from PIL import Image

    path = tmp_path / "images_background.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images_background/", b"")
        for member, value in (
            ("images_background/Korean/character01/0361_01.png", 1),
            ("images_background/Korean/character01/0362_01.png", 0),
        ):
            png = Path(tmp_path / "x.png")
            Image.new("1", (105, 105), value).save(png)
            archive.write(png, member)
    images, labels, classes = read_omniglot_archive(path, 31)
    assert classes == ("Korean/character01",) and labels.tolist() == [0, 0]
    assert images.shape == (2, 31, 31)
    assert images[0].max() == 0.0 and images[1].min() == 1.0  # white paper, black ink


def test_area_downscale_is_the_exact_mean_over_each_square() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(1, 5, 5), dtype=np.uint8)
    out = area_downscale(image, 3)
    # hand computation with exact fractions: output pixel i covers [5i/3, 5(i+1)/3)
    for i in range(3):
        for k in range(3):
            total = Fraction(0)
            for j in range(5):
                for m in range(5):
                    wy = max(0, min(Fraction(5 * (i + 1), 3), j + 1) - max(Fraction(5 * i, 3), j))
                    wx = max(0, min(Fraction(5 * (k + 1), 3), m + 1) - max(Fraction(5 * k, 3), m))
                    total += wy * wx * int(image[0, j, m])
            expected = total / (Fraction(25, 9) * 255)
            assert out[0, i, k] == np.float32(float(expected))


def test_area_downscale_keeps_constants_and_block_means_exactly() -> None:
    full = np.full((2, 105, 105), 255, np.uint8)
    assert (area_downscale(full, 31) == 1.0).all()
    blocks = np.kron(np.array([[[0, 255], [255, 0]]], np.uint8), np.ones((1, 3, 3), np.uint8))
    assert area_downscale(blocks, 2)[0].tolist() == [[0.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.write_bytes(b"not a zip"), "not a zip archive"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("a/readme.txt", "x"), "no PNG drawing"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("a/b.png", "x"), r"is not at <top>"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("t/a/c/b.png", "x"), "not a readable PNG"),
    ],
    ids=["not-zip", "no-png", "wrong-depth", "bad-png"],
)
def test_damaged_archives_are_refused_naming_the_archive(tmp_path: Path, make, match) -> None:
    path = tmp_path / "images_background.zip"
    make(path)
    with pytest.raises(OmniglotFormatError, match=match) as caught:
        read_omniglot_archive(path, 31)
    assert str(path) in str(caught.value) and "brendenlake/omniglot" in str(caught.value)


def test_drawings_of_different_sizes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    write_omniglot_archive(path, {"A/c1": np.zeros((1, 40, 40), np.uint8)})
    other = tmp_path / "b.zip"
    write_omniglot_archive(other, {"A/c2": np.zeros((1, 35, 35), np.uint8)})
    with zipfile.ZipFile(path, "a") as archive, zipfile.ZipFile(other) as extra:
        for name in extra.namelist():
            archive.writestr(name, extra.read(name))
    with pytest.raises(OmniglotFormatError, match="35x35, the drawings before it 40x40"):
        read_omniglot_archive(path, 31)
    with pytest.raises(OmniglotFormatError, match="at least 50x50"):
        read_omniglot_archive(other, 50)


# --------------------------------------------------------------------------- registry


@pytest.fixture
def tiny_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Tiny background and evaluation archives, and an Omniglot spec with their MD5s."""
    folder = tmp_path / "mirror-files"
    folder.mkdir()
    train = write_omniglot_archive(folder / "images_background.zip", drawings(3, 2))
    test = write_omniglot_archive(
        folder / "images_evaluation.zip", drawings(2, 2, seed=1), top="images_evaluation"
    )
    spec = dataclasses.replace(
        OMNIGLOT,
        train=ArchiveFile(train.name, None, md5(train)),
        test=ArchiveFile(test.name, None, md5(test)),
    )
    monkeypatch.setitem(registry.DATASETS, "omniglot", spec)
    return {"train": train, "test": test}


def test_omniglot_loads_as_31x31_images_of_one_class_a_character(
    tiny_archives: dict[str, Path],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        train = load_dataset("omniglot", data_dir=tiny_archives["train"].parent, download=False)
        test = load_dataset("omniglot", "test", data_dir=tiny_archives["train"].parent)
    assert train.images.shape == (6, 31, 31) and train.images.dtype == torch.float32
    assert train.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert train.classes == ("Alphabet_0/character00", "Alphabet_0/character02",
                             "Alphabet_1/character01")  # fmt: skip
    assert (len(test), len(test.classes)) == (4, 2)
    (file,) = train.files
    path = tiny_archives["train"]
    assert file.path == str(path.resolve())
    assert file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_omniglot_archive_that_is_not_the_official_one_warns(tmp_path: Path) -> None:
    path = write_omniglot_archive(tmp_path / "images_background.zip", drawings(2, 1))
    with pytest.warns(DatasetDigestWarning, match="does not match Omniglot's known digests"):
        load_dataset("omniglot", data_dir=tmp_path, download=False)
    assert OMNIGLOT.train.md5 is not None and md5(path) != OMNIGLOT.train.md5


def test_omniglot_downloads_from_the_mirror_with_its_md5(
    http_server, tiny_archives: dict[str, Path], isolated_data_folders: dict[str, Path]
) -> None:
    http_server.serve("python/images_background.zip", tiny_archives["train"].read_bytes())
    data = load_dataset("omniglot", mirrors=[http_server.url("python")])
    cached = isolated_data_folders["cache"] / "omniglot" / "images_background.zip"
    assert cached.read_bytes() == tiny_archives["train"].read_bytes()
    assert data.files[0].path == str(cached.resolve())
    assert http_server.requests == ["/python/images_background.zip"]


def test_an_omniglot_download_with_the_wrong_md5_is_not_kept(
    http_server, tmp_path: Path, isolated_data_folders: dict[str, Path]
) -> None:
    fake = write_omniglot_archive(tmp_path / "fake.zip", drawings(1, 1))
    http_server.serve("images_background.zip", fake.read_bytes())
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch: expected md5 68d2efa1"):
        load_dataset("omniglot", mirrors=[http_server.base_url], retries=0)
    assert not (isolated_data_folders["cache"] / "omniglot" / "images_background.zip").exists()


def test_the_omniglot_spec_names_the_official_archives() -> None:
    assert OMNIGLOT.mirrors[0] == (
        "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/"
    )
    assert (OMNIGLOT.train.name, OMNIGLOT.test.name) == (
        "images_background.zip",
        "images_evaluation.zip",
    )
    assert OMNIGLOT.train.sha256 is None and OMNIGLOT.test.sha256 is None  # not established
    assert OMNIGLOT.image_shape == (31, 31)


def test_missing_omniglot_names_the_archive_and_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("omniglot", "test", data_dir=tmp_path, download=False)
    message = str(caught.value)
    assert "Omniglot split 'test' needs images_evaluation.zip, found in none" in message
    assert (
        "raw.githubusercontent.com/brendenlake/omniglot/master/python/images_evaluation.zip"
        in message
    )
    assert "gzipped" not in message
