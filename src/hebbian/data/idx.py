"""Reader and writer for IDX files, the format of MNIST, Fashion-MNIST and KMNIST.

An IDX file is a small big-endian header followed by the array payload::

    byte 0-1   0x00 0x00                      magic
    byte 2     type code (see below)
    byte 3     number of dimensions, ndim
    4 * ndim   each dimension as an unsigned 32-bit big-endian integer
    payload    prod(dims) items of the type, big-endian, C order

Type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32,
``0x0D`` float32, ``0x0E`` float64.

Files may be gzipped (as the mirrors serve them) or raw (as some packagers ship them);
:func:`read_idx` tells the two apart by the gzip magic bytes, never by the file name.
Every defect it can see (bad magic, unknown type code, truncated or oversized payload,
damaged gzip stream, empty file) raises :class:`IdxFormatError`, whose message names the
file, what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hebbian._files import atomic_write_bytes

__all__ = ["IdxContent", "IdxFormatError", "read_idx", "read_idx_with_digests", "write_idx"]

#: IDX type code -> big-endian numpy dtype of the payload.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CODE_BY_KIND: dict[tuple[str, int], int] = {
    (dtype.kind, dtype.itemsize): code for code, dtype in IDX_DTYPES.items()
}

_GZIP_MAGIC = b"\x1f\x8b"

_FIX = (
    "the file is damaged or incomplete: delete it and download it again, "
    "or reinstall the package that installed it "
    "(for example `apt-get install --reinstall dataset-fashion-mnist`)"
)


class IdxFormatError(ValueError):
    """An IDX file is not valid: wrong header, wrong size or a damaged gzip stream.

    Attributes
    ----------
    path : pathlib.Path
        The file that was being read.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"invalid IDX file {str(self.path)!r}: {problem}; {_FIX}")


def _gunzip(path: Path, data: bytes) -> bytes:
    """Decompress every gzip member of ``data``; refuse truncation and trailing bytes."""
    out: list[bytes] = []
    rest = data
    while rest:
        if not rest.startswith(_GZIP_MAGIC):
            raise IdxFormatError(
                path, f"{len(rest)} unexpected trailing bytes after the gzip stream"
            )
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out.append(decompressor.decompress(rest))
        except zlib.error as error:
            raise IdxFormatError(path, f"the gzip stream is corrupt ({error})") from error
        if not decompressor.eof:
            raise IdxFormatError(path, "the gzip stream is truncated (it ends before its end mark)")
        rest = decompressor.unused_data
    return b"".join(out)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, gzipped or raw, into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Gzip compression is detected from the content (magic bytes
        ``1f 8b``), so ``train-images-idx3-ubyte`` and ``train-images-idx3-ubyte.gz``
        may each hold either form.

    Returns
    -------
    numpy.ndarray
        Array of shape ``dims`` (for MNIST images ``(N, 28, 28)``, for labels ``(N,)``)
        in the file's element type, native byte order, writable.

    Raises
    ------
    IdxFormatError
        If the file is empty, the gzip stream is corrupt or truncated, the magic number
        or type code is wrong, or the payload is shorter or longer than the product of
        the dimensions says (the message gives both sizes in bytes).
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_idx(f"{folder}/labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8),
    ...                      gzip=True)
    ...     read_idx(path)
    array([0, 1, 2, 3, 4], dtype=uint8)
    """
    return read_idx_with_digests(path).array


class IdxContent(NamedTuple):
    """An IDX file's array and the SHA-256 digests of its bytes and of its IDX content.

    Attributes
    ----------
    array : numpy.ndarray
        As :func:`read_idx` returns it.
    file_sha256 : str
        SHA-256 of the file's bytes as read from disk (gzipped or raw).
    content_sha256 : str
        SHA-256 of the IDX bytes after decompression (equal to ``file_sha256`` for a raw
        file): the same for every gzip recompression of the same data.
    """

    array: np.ndarray
    file_sha256: str
    content_sha256: str


def read_idx_with_digests(path: str | os.PathLike[str]) -> IdxContent:
    """Read an IDX file as :func:`read_idx` does, with the digests of what was read.

    The file is read once; its bytes are hashed, then decompressed (when gzipped) and
    the IDX bytes hashed too.

    Parameters
    ----------
    path : str or os.PathLike
        The file, gzipped or raw.

    Returns
    -------
    IdxContent
        The array, the SHA-256 of the file's bytes and that of its decompressed bytes.

    Raises
    ------
    IdxFormatError, FileNotFoundError
        As for :func:`read_idx`.

    Examples
    --------
    >>> import tempfile, hashlib, numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     raw = write_idx(f"{folder}/a-idx1-ubyte", np.arange(3, dtype=np.uint8))
    ...     packed = write_idx(f"{folder}/a-idx1-ubyte.gz", np.arange(3, dtype=np.uint8),
    ...                        gzip=True)
    ...     a, b = read_idx_with_digests(raw), read_idx_with_digests(packed)
    >>> a.file_sha256 == a.content_sha256 == b.content_sha256 != b.file_sha256
    True
    """
    path = Path(path)
    raw = data = path.read_bytes()
    if not data:
        raise IdxFormatError(path, "the file is empty (0 bytes)")
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(path, data)
        if not data:
            raise IdxFormatError(path, "the gzip stream decompresses to 0 bytes")
    if len(data) < 4:
        raise IdxFormatError(path, f"expected a header of at least 4 bytes, got {len(data)}")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise IdxFormatError(
            path,
            f"bad magic number {data[:4].hex(' ')}: an IDX file starts with 00 00, "
            "then the type code and the number of dimensions",
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IdxFormatError(path, f"unknown type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise IdxFormatError(path, "the header declares 0 dimensions, expected at least 1")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(
            path,
            f"the header declares {ndim} dimensions, so it needs {header_size} bytes, "
            f"got {len(data)}",
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    got = len(data) - header_size
    if got != expected:
        shape = "x".join(str(d) for d in dims)
        kind = "truncated" if got < expected else "has trailing bytes"
        raise IdxFormatError(
            path,
            f"payload {kind}: the header declares a {shape} array of "
            f"{dtype.newbyteorder('=').name}, so expected {expected} bytes after the "
            f"{header_size}-byte header, got {got}",
        )
    array = np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=header_size)
    array = array.reshape(dims).astype(dtype.newbyteorder("="))
    return IdxContent(array, hashlib.sha256(raw).hexdigest(), hashlib.sha256(data).hexdigest())


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, gzip: bool = False) -> Path:
    """Write ``array`` as an IDX file, atomically.

    The bytes go to a temporary file in the same folder, which is then renamed into
    place with :func:`os.replace`, so a reader never sees half a file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; its folder must exist.
    array : numpy.ndarray
        Array of rank >= 1 with dtype uint8, int8, int16, int32, float32 or float64.
    gzip : bool, default False
        Compress with gzip (header time stamp 0, so equal arrays give equal bytes).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``array`` is not a numpy array or its dtype has no IDX type code.
    ValueError
        If ``array`` is 0-D, has more than 255 dimensions, or a dimension >= 2**32.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_idx(f"{folder}/a-idx2-float", np.eye(2, dtype=np.float32))
    ...     path.read_bytes()[:4].hex(" "), read_idx(path).tolist()
    ('00 00 0d 02', [[1.0, 0.0], [0.0, 1.0]])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array must be a numpy.ndarray, got {type(array).__name__}")
    code = _CODE_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        supported = ", ".join(d.newbyteorder("=").name for d in IDX_DTYPES.values())
        raise TypeError(f"array must have dtype {supported}, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions, got shape {array.shape}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"array dimensions must be < 2**32, got shape {array.shape}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    data = header + payload
    if gzip:
        data = gzip_module.compress(data, mtime=0)
    path = Path(path)
    atomic_write_bytes(path, data)
    return path
