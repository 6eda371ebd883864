r"""Reader for the official CIFAR-10 archive, python version (Krizhevsky 2009).

``cifar-10-python.tar.gz`` (www.cs.toronto.edu/~kriz/cifar.html) holds, in the folder
``cifar-10-batches-py/``, the training batches ``data_batch_1`` ... ``data_batch_5``,
the test batch ``test_batch`` (10,000 images each) and ``batches.meta``. Each is a
Python 2 pickle of a dict whose keys are byte strings:

* a batch: ``data``, a ``(n, 3072)`` uint8 numpy array, one image a row: 1024 red, then
  1024 green, then 1024 blue values, each plane the 32 x 32 image in row-major order;
  ``labels``, a list of ``n`` ints in 0..9; ``filenames`` and ``batch_label``;
* ``batches.meta``: ``label_names``, the 10 class names (``num_cases_per_batch`` and
  ``num_vis`` besides).

:func:`read_cifar10_archive` reads one split straight from the archive, nothing
extracted to disk: ``train`` is the five training batches in order, ``test`` the test
batch, as ``(N, 3, 32, 32)`` float32 images in [0, 1] (channel first, so a row of
``data`` reshaped to ``(3, 32, 32)`` is one image). Pickles can run any code while they
load, so these are never given to :func:`pickle.load`: :class:`BatchUnpickler` admits
only the three globals a pickled numpy array names (its reconstruction function, the
``ndarray`` class and ``dtype``), builds arrays itself from the validated pickled state,
and refuses everything else with :class:`Cifar10FormatError`.
:func:`write_cifar10_archive` writes an archive of the same layout, the pickles
opcode for opcode as Python 2 wrote them (small ones, for tests).
:mod:`hebbian.data.registry` finds, downloads and checks the archive (data set name
``cifar10``).
"""

from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import re
import struct
import tarfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from hebbian._files import atomic_write_bytes

__all__ = [
    "ARCHIVE",
    "CLASSES",
    "FOLDER",
    "META",
    "TEST_BATCH",
    "TRAIN_BATCHES",
    "BatchUnpickler",
    "Cifar10FormatError",
    "read_cifar10_archive",
    "write_cifar10_archive",
]

#: The archive's file name, as the CIFAR page serves it.
ARCHIVE = "cifar-10-python.tar.gz"
#: The folder in the archive that holds the batches.
FOLDER = "cifar-10-batches-py"
#: The training batches, in the order their images form the ``train`` split.
TRAIN_BATCHES = tuple(f"data_batch_{k}" for k in range(1, 6))
#: The test batch, the ``test`` split.
TEST_BATCH = "test_batch"
#: The batch that names the classes.
META = "batches.meta"
#: The class names of the official ``batches.meta``, indexed by label.
CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

_CHANNELS, _SIDE = 3, 32
_PIXELS = _CHANNELS * _SIDE * _SIDE  # 3072 values a row of ``data``
# An official batch pickle is about 31 MB (10,000 rows of 3072 bytes, plus the names);
# a member above this size is refused before it is read into memory.
_MAX_MEMBER_BYTES = 64 << 20
_DTYPE_CODE = re.compile(r"[biuf][1248]")  # plain numbers: bool, ints, floats
_BYTE_ORDERS = ("|", "<", ">", "=")


class Cifar10FormatError(ValueError):
    """A file is not the CIFAR-10 python archive (tar, member or pickle damaged or foreign).

    Attributes
    ----------
    path : pathlib.Path
        The archive that was being read.
    problem : str
        What is wrong, in one line.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"invalid CIFAR-10 archive {str(self.path)!r}: {problem}; delete it and download "
            f"it again ({ARCHIVE} from https://www.cs.toronto.edu/~kriz/cifar.html)"
        )


# --------------------------------------------------------------------------- unpickling


class _NdarrayClass:
    """Stands for ``numpy.ndarray`` in a pickle: an argument only, never called.

    No instance dict (``__slots__``), so a pickle's BUILD cannot give it attributes.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "numpy.ndarray"


_NDARRAY = _NdarrayClass()


class _PickledDtype:
    """``numpy.dtype(code, align, copy)`` of a pickle, made real once BUILD gives its state.

    Only plain numbers are admitted (``code`` ``b1``, ``i1``-``i8``, ``u1``-``u8``,
    ``f2``-``f8``, with a byte order), with none of the structured-type fields or flags
    a state may carry.
    """

    def __init__(self, code: object, align: object, copy: object) -> None:
        if isinstance(code, bytes):
            code = code.decode("ascii", errors="replace")
        if not isinstance(code, str) or not _DTYPE_CODE.fullmatch(code):
            raise pickle.UnpicklingError(f"numpy.dtype of {code!r}, not a plain number type")
        if align not in (0, False) or copy not in (1, True):
            raise pickle.UnpicklingError(
                f"numpy.dtype({code!r}, {align!r}, {copy!r}), expected align False, copy True"
            )
        self.code = code
        self.byte_order = "="

    def __setstate__(self, state: object) -> None:
        # (version 3, byte order, subarray, names, fields, item size, alignment, flags);
        # version 4 adds the metadata. Plain numbers have no subarray, names or fields,
        # -1 for the sizes and no flags.
        plain: tuple[object, ...] = (None, None, None, -1, -1, 0)
        ok = isinstance(state, tuple) and (
            (len(state) == 8 and state[0] == 3 and state[2:] == plain)
            or (len(state) == 9 and state[0] == 4 and state[2:] == (*plain, None))
        )
        order = state[1] if ok and isinstance(state, tuple) else None
        if isinstance(order, bytes):
            order = order.decode("ascii", errors="replace")
        if not ok or order not in _BYTE_ORDERS:
            raise pickle.UnpicklingError(f"a dtype state {_short(state)}, not a plain number's")
        self.byte_order = str(order)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The numpy dtype described."""
        return np.dtype(self.byte_order + self.code)


class _PickledArray:
    """``numpy.ndarray`` of a pickle, built from its state (shape, dtype, order, bytes)."""

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: object) -> None:
        # (version 1, shape, dtype, Fortran order, raw bytes), as ndarray.__reduce__ gives
        if not (
            isinstance(state, tuple)
            and len(state) == 5
            and state[0] == 1
            and isinstance(state[1], tuple)
            and all(type(n) is int and n >= 0 for n in state[1])
            and isinstance(state[2], _PickledDtype)
            and isinstance(state[3], bool)
            and isinstance(state[4], bytes)
        ):
            raise pickle.UnpicklingError(f"an array state {_short(state)}, not a numpy array's")
        shape, descr, fortran, raw = state[1], state[2], state[3], state[4]
        dtype = descr.dtype
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise pickle.UnpicklingError(
                f"an array of shape {shape} and dtype {dtype} with {len(raw)} bytes of data"
            )
        array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        self.array = array


class _Reconstruct:
    """``numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')``: an array to BUILD.

    A callable without an instance dict (``__slots__``), so that a pickle's BUILD
    cannot set attributes on it (as it could on a function).
    """

    __slots__ = ()

    def __call__(self, cls: object, shape: object, typecode: object) -> _PickledArray:
        if cls is not _NDARRAY or shape != (0,) or typecode not in (b"b", "b"):
            raise pickle.UnpicklingError(
                f"numpy's _reconstruct called with {_short((cls, shape, typecode))}, "
                "expected (numpy.ndarray, (0,), b'b')"
            )
        return _PickledArray()


_RECONSTRUCT = _Reconstruct()


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class BatchUnpickler(pickle.Unpickler):
    """Unpickler of CIFAR-10's batches that can build numpy arrays and nothing else.

    A pickle names every callable it calls (GLOBAL, STACK_GLOBAL, INST and EXT all go
    through :meth:`find_class`). This one admits only what a pickled numpy array names:

    * ``numpy.core.multiarray._reconstruct`` (``numpy._core`` since numpy 2), accepted
      only as ``_reconstruct(ndarray, (0,), b'b')``, numpy's empty array to fill;
    * ``numpy.ndarray``, only as that argument (it cannot be called);
    * ``numpy.dtype``, only for plain number types.

    Neither numpy nor anything else is imported or called on the pickle's behalf: the
    array is built here with :func:`numpy.frombuffer` from its checked state, and the
    dtype from its checked type code and byte order (so no structured or object dtype,
    and no flags, can be smuggled in). Any other global, and persistent ids, raise
    :class:`Cifar10FormatError` before anything runs. The strings of Python 2 (every
    key and name in the official files) are read as ``bytes``.

    Parameters
    ----------
    file : binary file
        The pickle's bytes.
    path : str or os.PathLike
        The archive, for messages.
    member : str
        The member being read, for messages.

    Examples
    --------
    >>> import os
    >>> evil = pickle.dumps(os.system)  # names the global os.system
    >>> BatchUnpickler(io.BytesIO(evil), "a.tar.gz", "test_batch").load()
    Traceback (most recent call last):
    ...
    hebbian.data.cifar10.Cifar10FormatError: invalid CIFAR-10 archive 'a.tar.gz': ...
    """

    def __init__(self, file: IO[bytes], path: str | os.PathLike[str], member: str) -> None:
        super().__init__(file, encoding="bytes")
        self._path = Path(path)
        self._member = member

    def find_class(self, module: str, name: str) -> Any:
        """Return the stand-in for an admitted global; refuse any other."""
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == (
            "_reconstruct"
        ):
            return _RECONSTRUCT
        if (module, name) == ("numpy", "ndarray"):
            return _NDARRAY
        if (module, name) == ("numpy", "dtype"):
            return _PickledDtype
        raise Cifar10FormatError(
            self._path,
            f"{self._member} refers to {f'{module}.{name}'!r}; a CIFAR-10 batch names only "
            "numpy's array reconstruction, numpy.ndarray and numpy.dtype",
        )

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids (the official files have none)."""
        raise Cifar10FormatError(self._path, f"{self._member} holds a persistent id")

    def load(self) -> Any:
        """Read the pickle; numpy arrays come back as :class:`_PickledArray` stand-ins.

        Raises
        ------
        Cifar10FormatError
            For a refused global, or a pickle that is damaged or builds something other
            than plain numpy arrays (the message names the archive and the member).
        """
        try:
            return super().load()
        except Cifar10FormatError:
            raise
        except (
            pickle.UnpicklingError,
            ValueError,
            TypeError,
            EOFError,
            KeyError,
            IndexError,
            AttributeError,
            OverflowError,
            RecursionError,
        ) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise Cifar10FormatError(
                self._path, f"{self._member} is not a readable pickle ({reason})"
            ) from error


def _unpickle(path: Path, member: str, data: bytes) -> dict[bytes, Any]:
    """One member's pickle as a dict of byte keys, its arrays built."""
    value = BatchUnpickler(io.BytesIO(data), path, member).load()
    if not isinstance(value, dict) or not all(isinstance(key, bytes) for key in value):
        raise Cifar10FormatError(path, f"{member} does not hold a dict of byte-string keys")
    return {
        key: item.array if isinstance(item, _PickledArray) else item for key, item in value.items()
    }


# --------------------------------------------------------------------------- reading


def _read_members(path: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The bytes of ``FOLDER/<name>`` for each of ``names``, in one pass over the archive."""
    wanted = {f"{FOLDER}/{name}": name for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r|*") as archive:  # a stream: one pass, no seeks
            for member in archive:
                name = wanted.get(member.name)
                if name is None or name in found:
                    continue
                if not member.isfile():
                    raise Cifar10FormatError(path, f"{member.name} is not a regular file")
                if member.size > _MAX_MEMBER_BYTES:
                    raise Cifar10FormatError(
                        path,
                        f"{member.name} is {member.size} bytes, more than a batch "
                        f"({_MAX_MEMBER_BYTES} at most)",
                    )
                stream = archive.extractfile(member)
                if stream is None:  # pragma: no cover - a regular file always has one
                    raise Cifar10FormatError(path, f"{member.name} cannot be read")
                found[name] = stream.read()
                if len(found) == len(wanted):
                    break
    except Cifar10FormatError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise Cifar10FormatError(path, f"not a readable tar archive ({reason})") from error
    missing = [f"{FOLDER}/{name}" for name in names if name not in found]
    if missing:
        raise Cifar10FormatError(path, f"it holds no {', '.join(missing)}")
    return found


def _classes(path: Path, meta: dict[bytes, Any]) -> tuple[str, ...]:
    names = meta.get(b"label_names")
    if not (isinstance(names, list) and names and all(isinstance(name, bytes) for name in names)):
        raise Cifar10FormatError(path, f"{META} has no label_names list of byte strings")
    return tuple(name.decode("utf-8", errors="replace") for name in names)


def _batch(
    path: Path, name: str, batch: dict[bytes, Any], classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """A batch's ``(n, 3072)`` uint8 rows and ``(n,)`` int64 labels, checked."""
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.shape[1:] != (_PIXELS,):
        shown = (
            f"{data.dtype} of shape {data.shape}"
            if isinstance(data, np.ndarray)
            else type(data).__name__
        )
        raise Cifar10FormatError(
            path, f"{name}'s data must be a uint8 array of shape (n, {_PIXELS}), got {shown}"
        )
    if not isinstance(labels, list) or not all(type(label) is int for label in labels):
        raise Cifar10FormatError(path, f"{name}'s labels must be a list of ints")
    if len(labels) != data.shape[0]:
        raise Cifar10FormatError(
            path, f"{name} holds {data.shape[0]} images but {len(labels)} labels"
        )
    if labels and not 0 <= min(labels) <= max(labels) < classes:
        raise Cifar10FormatError(
            path,
            f"{name} holds labels {min(labels)}..{max(labels)}, but {META} names {classes} classes",
        )
    return data, np.asarray(labels, dtype=np.int64)


def read_cifar10_archive(
    path: str | os.PathLike[str], split: str
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    r"""Read one split of the CIFAR-10 python archive: images, labels and class names.

    Row :math:`r` of a batch's ``data`` is image :math:`r`, with pixel value
    :math:`x_{c,i,j} = \mathrm{data}[r, 1024 c + 32 i + j] / 255` for channel
    :math:`c` (red, green, blue), row :math:`i` and column :math:`j`.

    Parameters
    ----------
    path : str or os.PathLike
        ``cifar-10-python.tar.gz`` (or a tar archive of the same layout, gzipped or
        not); read as a stream, nothing is extracted.
    split : str
        ``"train"`` (``data_batch_1`` ... ``data_batch_5``, in that order) or ``"test"``
        (``test_batch``).

    Returns
    -------
    images : numpy.ndarray
        ``(N, 3, 32, 32)`` float32 in [0, 1], channels red, green, blue (50,000 train
        and 10,000 test images in the official archive).
    labels : numpy.ndarray
        ``(N,)`` int64, indices into ``classes``.
    classes : tuple of str
        The ``label_names`` of ``batches.meta`` (:data:`CLASSES` in the official one).

    Raises
    ------
    Cifar10FormatError
        If the file is not a readable tar archive, lacks a member, or a member is not a
        batch of this format (the message names the archive and the member); also if a
        pickle names anything but numpy's array reconstruction (nothing it names runs).
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a split other than ``"train"`` and ``"test"``.

    Examples
    --------
    >>> import tempfile
    >>> images = np.zeros((6, 3, 32, 32), np.uint8)
    >>> images[:, 2] = 255  # every image blue
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     archive = write_cifar10_archive(
    ...         f"{folder}/{ARCHIVE}", images[:5], np.arange(5), images[5:], np.zeros(1, int)
    ...     )
    ...     train, labels, classes = read_cifar10_archive(archive, "train")
    >>> train.shape, labels.tolist(), classes[:2], train[0, :, 0, 0].tolist()
    ((5, 3, 32, 32), [0, 1, 2, 3, 4], ('airplane', 'automobile'), [0.0, 0.0, 1.0])
    """
    path = Path(path)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no CIFAR-10 archive at {str(path)!r}")
    batches = TRAIN_BATCHES if split == "train" else (TEST_BATCH,)
    members = _read_members(path, (*batches, META))
    classes = _classes(path, _unpickle(path, META, members.pop(META)))
    rows, labels = [], []
    for name in batches:
        data, batch_labels = _batch(
            path, name, _unpickle(path, name, members.pop(name)), len(classes)
        )
        rows.append(data)
        labels.append(batch_labels)
    # (N, 3072) -> (N, 3, 32, 32): each row is the red, green and blue planes, row-major
    images = np.concatenate(rows).reshape(-1, _CHANNELS, _SIDE, _SIDE).astype(np.float32)
    images /= np.float32(255)  # one rounding per pixel: the same on every machine
    return images, np.concatenate(labels), classes


# --------------------------------------------------------------------------- writing


def _py2_pickle(value: object) -> bytes:
    """``value`` pickled as Python 2's cPickle wrote at protocol 2 (no memo).

    Handles what the CIFAR-10 files hold: dicts, lists, tuples, byte strings (Python 2
    ``str``), ints, bools, ``None``, numpy dtypes of plain numbers and C-ordered numpy
    arrays, these through ``numpy.core.multiarray._reconstruct`` as the numpy of 2009
    pickled them.
    """
    out = bytearray(b"\x80\x02")  # PROTO 2
    _emit(out, value)
    out += b"."  # STOP
    return bytes(out)


def _emit(out: bytearray, value: object) -> None:
    if value is None:
        out += b"N"
    elif value is True or value is False:
        out += b"\x88" if value else b"\x89"  # NEWTRUE, NEWFALSE
    elif isinstance(value, int):
        if 0 <= value < 256:
            out += b"K" + bytes([value])  # BININT1
        elif 0 <= value < 65536:
            out += b"M" + struct.pack("<H", value)  # BININT2
        else:
            out += b"J" + struct.pack("<i", value)  # BININT
    elif isinstance(value, bytes):
        if len(value) < 256:
            out += b"U" + bytes([len(value)]) + value  # SHORT_BINSTRING
        else:
            out += b"T" + struct.pack("<I", len(value)) + value  # BINSTRING
    elif isinstance(value, tuple):
        if 1 <= len(value) <= 3:
            for item in value:
                _emit(out, item)
            out += (b"\x85", b"\x86", b"\x87")[len(value) - 1]  # TUPLE1, TUPLE2, TUPLE3
        else:
            out += b"("  # MARK
            for item in value:
                _emit(out, item)
            out += b"t"  # TUPLE
    elif isinstance(value, list):
        out += b"]"  # EMPTY_LIST
        for start in range(0, len(value), 1000):  # cPickle appends in runs of 1000
            out += b"("
            for item in value[start : start + 1000]:
                _emit(out, item)
            out += b"e"  # APPENDS
    elif isinstance(value, dict):
        out += b"}"  # EMPTY_DICT
        items = list(value.items())
        for start in range(0, len(items), 1000):
            out += b"("
            for key, item in items[start : start + 1000]:
                _emit(out, key)
                _emit(out, item)
            out += b"u"  # SETITEMS
    elif isinstance(value, np.dtype):
        out += b"cnumpy\ndtype\n"  # GLOBAL
        _emit(out, (value.str[1:].encode("ascii"), 0, 1))
        out += b"R"  # REDUCE
        _emit(out, (3, value.str[0].encode("ascii"), None, None, None, -1, -1, 0))
        out += b"b"  # BUILD
    elif isinstance(value, np.ndarray):
        out += b"cnumpy.core.multiarray\n_reconstruct\n"
        out += b"cnumpy\nndarray\n"
        _emit(out, (0,))
        _emit(out, b"b")
        out += b"\x87R"  # TUPLE3, REDUCE
        array = np.ascontiguousarray(value)
        _emit(out, (1, tuple(int(n) for n in array.shape), array.dtype, False, array.tobytes()))
        out += b"b"
    else:
        raise TypeError(f"cannot pickle a {type(value).__name__} as CIFAR-10 does")


def _rows(name: str, images: object, labels: object) -> tuple[np.ndarray, list[int]]:
    """Check ``(n, 3, 32, 32)`` uint8 images and their labels; return ``data`` rows."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise ValueError(f"{name}_images must be a uint8 array, got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1:] != (_CHANNELS, _SIDE, _SIDE):
        raise ValueError(f"{name}_images must be (n, 3, 32, 32), got shape {images.shape}")
    values = np.asarray(labels)
    if values.shape != (images.shape[0],) or (values.size and values.dtype.kind not in "iu"):
        raise ValueError(
            f"{name}_labels must be {images.shape[0]} integers, got shape {values.shape}"
        )
    return images.reshape(images.shape[0], _PIXELS), [int(v) for v in values]


def write_cifar10_archive(
    path: str | os.PathLike[str],
    train_images: np.ndarray,
    train_labels: Sequence[int] | np.ndarray,
    test_images: np.ndarray,
    test_labels: Sequence[int] | np.ndarray,
    *,
    classes: Sequence[str] = CLASSES,
) -> Path:
    """Write images as a CIFAR-10 python archive, atomically (small ones, for tests).

    The archive holds ``cifar-10-batches-py/`` with ``readme.html``, ``batches.meta``,
    ``data_batch_1`` ... ``data_batch_5`` (the training images cut into five equal
    batches, in order) and ``test_batch``, each batch a dict of ``batch_label``,
    ``labels``, ``data`` and ``filenames``, pickled opcode for opcode as Python 2's
    cPickle wrote them (byte strings, ``numpy.core.multiarray._reconstruct``), so that
    the reader meets what it meets in the official files. The members are stored out
    of reading order (the fifth batch first) and carry no time stamps: equal images
    give equal bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The archive to write (``.tar.gz``); its folder must exist.
    train_images : numpy.ndarray
        ``(5 n, 3, 32, 32)`` uint8, channels red, green, blue; ``n`` images a batch.
    train_labels : sequence of int
        ``(5 n,)`` labels in ``[0, len(classes))``.
    test_images, test_labels :
        The test batch, ``(m, 3, 32, 32)`` uint8 and ``(m,)``.
    classes : sequence of str, default CLASSES
        The ``label_names`` of ``batches.meta``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        For images that are not ``(n, 3, 32, 32)`` uint8, a training set that five
        batches cannot share equally, or labels of another length or outside the classes.
    """
    train, train_list = _rows("train", train_images, train_labels)
    test, test_list = _rows("test", test_images, test_labels)
    if train.shape[0] == 0 or train.shape[0] % len(TRAIN_BATCHES):
        raise ValueError(
            f"train_images must hold 5 n images (n >= 1), five batches of n, got {train.shape[0]}"
        )
    if isinstance(classes, str) or not classes or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"classes must be a non-empty sequence of str, got {classes!r}")
    for name, values in (("train", train_list), ("test", test_list)):
        if values and not 0 <= min(values) <= max(values) < len(classes):
            raise ValueError(f"{name}_labels must lie in [0, {len(classes)}), got {values}")
    per_batch = train.shape[0] // len(TRAIN_BATCHES)

    def batch(label: str, start: int, data: np.ndarray, labels: list[int]) -> bytes:
        names = [f"image_{start + k:05d}.png".encode() for k in range(data.shape[0])]
        return _py2_pickle(
            {b"batch_label": label.encode(), b"labels": labels, b"data": data, b"filenames": names}
        )

    members: dict[str, bytes] = {
        "readme.html": b"<html><body>A tiny archive in the CIFAR-10 layout.</body></html>\n",
        META: _py2_pickle(
            {
                b"num_cases_per_batch": per_batch,
                b"label_names": [c.encode() for c in classes],
                b"num_vis": _PIXELS,
            }
        ),
    }
    for k in reversed(range(len(TRAIN_BATCHES))):  # out of order, the fifth first
        rows = slice(k * per_batch, (k + 1) * per_batch)
        members[TRAIN_BATCHES[k]] = batch(
            f"training batch {k + 1} of 5", k * per_batch, train[rows], train_list[rows]
        )
    members[TEST_BATCH] = batch("testing batch 1 of 1", train.shape[0], test, test_list)

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        folder = tarfile.TarInfo(FOLDER)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        archive.addfile(folder)
        for name, data in members.items():
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    path = Path(path)
    atomic_write_bytes(path, gzip.compress(buffer.getvalue(), mtime=0))
    return path
