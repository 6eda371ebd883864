r"""Reader for the official Omniglot archives (Lake, Salakhutdinov & Tenenbaum 2015).

The Python release of Omniglot (github.com/brendenlake/omniglot, folder ``python/``)
ships two zip archives: ``images_background.zip`` (30 alphabets, 964 characters) and
``images_evaluation.zip`` (20 alphabets, 659 characters), each character drawn by 20
people as a 105 x 105 black-on-white PNG, stored as::

    images_background/<alphabet>/character<NN>/<drawing>_<NN>.png

:func:`read_omniglot_archive` reads one archive without extracting it: one class per
``(alphabet, character)`` folder, classes in sorted order of their paths, drawings in
sorted order of their file names. Images are inverted so that ink is 1 and paper 0 (as
in the MNIST family), then downscaled by exact area averaging (:func:`area_downscale`).
:func:`write_omniglot_archive` writes an archive of that layout (small ones, for tests).
:mod:`hebbian.data.registry` finds, downloads and checks the archives (data set name
``omniglot``).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import numpy as np

from hebbian._checks import check_positive_int
from hebbian._files import atomic_write_bytes

__all__ = [
    "OmniglotFormatError",
    "area_downscale",
    "read_omniglot_archive",
    "write_omniglot_archive",
]


class OmniglotFormatError(ValueError):
    """An archive is not an Omniglot image archive (layout, images or zip damaged).

    Attributes
    ----------
    path : pathlib.Path
        The archive that was being read.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"invalid Omniglot archive {str(self.path)!r}: {problem}; delete it and download "
            "it again (images_background.zip or images_evaluation.zip from "
            "github.com/brendenlake/omniglot, folder python/)"
        )


def _area_weights(size_in: int, size_out: int) -> np.ndarray:
    """Integer overlaps ``(size_out, size_in)``: in units of ``1/size_out`` input pixels.

    Output pixel ``i`` covers ``[i size_in, (i+1) size_in)`` and input pixel ``j`` covers
    ``[j size_out, (j+1) size_out)`` on a common integer axis; the weight is the length
    of their overlap, so every row sums to ``size_in`` and every column to ``size_out``.
    """
    i = np.arange(size_out)[:, None]
    j = np.arange(size_in)[None, :]
    low = np.maximum(i * size_in, j * size_out)
    high = np.minimum((i + 1) * size_in, (j + 1) * size_out)
    return np.clip(high - low, 0, None).astype(np.int64)


def area_downscale(images: np.ndarray, size: int) -> np.ndarray:
    r"""Downscale square uint8 images to ``size x size`` by exact area averaging.

    Each output pixel is the mean of the input over its square, input pixels cut by the
    square's border counting by the area inside it:

    .. math::

        y_{ik} = \frac{1}{255 n^2} \sum_{j,l} w_{ij} w_{kl} x_{jl},
        \qquad w_{ij} = |[i n, (i+1) n) \cap [j s, (j+1) s)|,

    with ``n`` the input side and ``s = size``. The weights are integers, so every partial
    sum is an integer below :math:`255 n^2 < 2^{53}`, exact in float64 whatever the
    summation order (BLAS, threads); the one division rounds once.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, n, n)`` uint8.
    size : int
        Output side, at most ``n``.

    Returns
    -------
    numpy.ndarray
        ``(N, size, size)`` float32 in [0, 1] (pixel values / 255).

    Examples
    --------
    >>> x = np.array([[[0, 255, 0], [255, 255, 255], [0, 255, 0]]], dtype=np.uint8)
    >>> area_downscale(x, 1)[0, 0, 0] == np.float32(5 / 9)  # 5 of 9 pixels inked
    np.True_
    >>> area_downscale(x, 3).tolist() == (x / 255).astype(np.float32).tolist()
    True
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"images must be a (N, n, n) uint8 array, got {_describe(images)}")
    side = images.shape[1]
    if images.shape[2] != side:
        raise ValueError(f"images must be square, got shape {images.shape}")
    check_positive_int("size", size)
    if size > side:
        raise ValueError(f"size must be at most the input side {side}, got {size}")
    weights = _area_weights(side, size).astype(np.float64)  # (s, n), integers
    # (s, n) @ (N, n, n) @ (n, s): every product and partial sum is an integer below
    # 255 n^2 < 2^53, so float64 holds each exactly, in any summation order
    sums = weights @ images.astype(np.float64) @ weights.T  # (N, s, s)
    return (sums / (255.0 * side * side)).astype(np.float32)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} of shape {value.shape}"
    return type(value).__name__


def _decode_png(path: Path, name: str, data: bytes) -> np.ndarray:
    """One drawing as (H, W) uint8 ink: 255 where the pen was, 0 on the paper."""
    from PIL import Image, UnidentifiedImageError  # imported here: only Omniglot needs it

    try:
        with Image.open(io.BytesIO(data)) as image:
            grey = np.asarray(image.convert("L"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise OmniglotFormatError(path, f"{name} is not a readable PNG ({error})") from error
    return 255 - grey


def read_omniglot_archive(
    path: str | os.PathLike[str], size: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read an Omniglot zip archive: images, labels and class names.

    Parameters
    ----------
    path : str or os.PathLike
        ``images_background.zip`` or ``images_evaluation.zip`` (or an archive of the
        same layout: ``<top>/<alphabet>/<character>/<drawing>.png``).
    size : int
        Side of the square output images (:func:`area_downscale`); at most the side of
        the drawings (105 in the official archives).

    Returns
    -------
    images : numpy.ndarray
        ``(N, size, size)`` float32 in [0, 1], ink 1 and paper 0, classes in order and
        each class's drawings in the order of their file names.
    labels : numpy.ndarray
        ``(N,)`` int64, indices into ``classes``.
    classes : tuple of str
        ``"<alphabet>/<character>"`` of each class, sorted.

    Raises
    ------
    OmniglotFormatError
        If the file is not a zip archive, holds no PNG drawing, a PNG outside an
        ``<alphabet>/<character>/`` folder, an undecodable PNG or drawings of different
        or non-square sizes (the message names the archive and the member).
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     archive = f"{folder}/tiny.zip"
    ...     with zipfile.ZipFile(archive, "w") as z:
    ...         for name in ("top/A/character01/x_01.png", "top/A/character02/y_02.png"):
    ...             png = io.BytesIO()
    ...             Image.new("1", (4, 4), 1).save(png, "PNG")  # blank paper
    ...             z.writestr(name, png.getvalue())
    ...     images, labels, classes = read_omniglot_archive(archive, 2)
    >>> images.shape, labels.tolist(), classes, float(images.max())
    ((2, 2, 2), [0, 1], ('A/character01', 'A/character02'), 0.0)
    """
    path = Path(path)
    check_positive_int("size", size)
    if not path.is_file():
        raise FileNotFoundError(f"no Omniglot archive at {str(path)!r}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise OmniglotFormatError(path, f"not a zip archive ({error})") from error
    drawings: dict[str, list[tuple[str, str]]] = {}
    with archive:
        for member in archive.namelist():
            parts = PurePosixPath(member).parts
            if member.endswith("/") or not member.lower().endswith(".png"):
                continue
            if len(parts) != 4:
                raise OmniglotFormatError(
                    path,
                    f"{member} is not at <top>/<alphabet>/<character>/<drawing>.png",
                )
            drawings.setdefault(f"{parts[1]}/{parts[2]}", []).append((parts[3], member))
        if not drawings:
            raise OmniglotFormatError(path, "it holds no PNG drawing")
        classes = tuple(sorted(drawings))
        images: list[np.ndarray] = []
        labels: list[int] = []
        shape: tuple[int, ...] | None = None
        for label, name in enumerate(classes):
            inks: list[np.ndarray] = []
            for _, member in sorted(drawings[name]):
                try:
                    data = archive.read(member)
                except (zipfile.BadZipFile, OSError) as error:
                    raise OmniglotFormatError(path, f"{member} is damaged ({error})") from error
                ink = _decode_png(path, member, data)
                if shape is None:
                    shape = ink.shape
                    if shape[0] != shape[1] or shape[0] < size:
                        raise OmniglotFormatError(
                            path,
                            f"{member} is {shape[1]}x{shape[0]}; drawings must be square "
                            f"and at least {size}x{size}",
                        )
                elif ink.shape != shape:
                    raise OmniglotFormatError(
                        path,
                        f"{member} is {ink.shape[1]}x{ink.shape[0]}, the drawings before it "
                        f"{shape[1]}x{shape[0]}",
                    )
                inks.append(ink)
            images.append(area_downscale(np.stack(inks), size))  # a class at a time: small
            labels += [label] * len(inks)
    return np.concatenate(images), np.asarray(labels, dtype=np.int64), classes


def write_omniglot_archive(
    path: str | os.PathLike[str],
    drawings: Mapping[str, np.ndarray],
    *,
    top: str = "images_background",
) -> Path:
    """Write drawings as an Omniglot-style zip archive, atomically.

    Each class ``"<alphabet>/<character>"`` gets its drawings as 8-bit grey PNGs, dark
    ink on white paper as in the official archives, named ``<k>_<NN>.png`` (``k`` from
    1, ``NN`` the class's number within the archive), under ``<top>/``. The zip holds
    no time stamps that vary: equal drawings give equal bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The archive to write; its folder must exist.
    drawings : mapping of str to numpy.ndarray
        Class name ``"<alphabet>/<character>"`` to ``(n, S, S)`` uint8 ink (255 ink,
        0 paper), ``n >= 1``.
    top : str, default "images_background"
        The archive's top folder.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> ink = np.zeros((2, 6, 6), np.uint8)
    >>> ink[:, :3] = 255  # the upper half inked
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_omniglot_archive(f"{folder}/a.zip", {"Greek/character01": ink})
    ...     images, labels, classes = read_omniglot_archive(path, 2)
    >>> images[0].tolist(), labels.tolist(), classes
    ([[1.0, 1.0], [0.0, 0.0]], [0, 0], ('Greek/character01',))
    """
    from PIL import Image  # imported here: only Omniglot needs it

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, (name, ink) in enumerate(sorted(drawings.items()), start=1):
            parts = PurePosixPath(name).parts
            if len(parts) != 2:
                raise ValueError(f"class names must be '<alphabet>/<character>', got {name!r}")
            if not isinstance(ink, np.ndarray) or ink.dtype != np.uint8 or ink.ndim != 3:
                raise ValueError(
                    f"drawings[{name!r}] must be a (n, S, S) uint8 array, got {_describe(ink)}"
                )
            for k, drawing in enumerate(ink, start=1):
                png = io.BytesIO()
                Image.fromarray(255 - drawing).save(png, "PNG")
                info = zipfile.ZipInfo(f"{top}/{name}/{k:04d}_{number:02d}.png")
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, png.getvalue())
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path
