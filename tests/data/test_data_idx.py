"""IDX files: what read_idx accepts, what it refuses, and what write_idx produces."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from hebbian.data.idx import IdxFormatError, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(5,), (3, 4), (2, 3, 4), (2, 1, 2, 3)]


def _example(dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    values = np.arange(np.prod(shape)).reshape(shape)
    if np.dtype(dtype).kind == "f":
        return (values * 1.5 - 7.25).astype(dtype)
    if np.dtype(dtype).kind == "i":
        return (values - 3).astype(dtype)  # negative values check the signed types
    return values.astype(dtype)


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return struct.pack(f">BBBB{len(dims)}I", 0, 0, code, len(dims), *dims)


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"rank{len(s)}")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_round_trip_keeps_values_dtype_and_shape(
    tmp_path: Path, dtype: type, shape: tuple[int, ...], compress: bool
) -> None:
    array = _example(dtype, shape)
    path = write_idx(tmp_path / "array.idx", array, gzip=compress)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_writer_produces_the_documented_big_endian_layout(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "a", np.array([[1, 256, -2]], dtype=np.int32))
    assert path.read_bytes() == (
        b"\x00\x00\x0c\x02"  # magic: 0, 0, type int32, 2 dimensions
        + b"\x00\x00\x00\x01\x00\x00\x00\x03"  # dims 1 x 3
        + b"\x00\x00\x00\x01\x00\x00\x01\x00\xff\xff\xff\xfe"  # big-endian payload
    )


def test_reader_decodes_a_hand_written_file(tmp_path: Path) -> None:
    path = tmp_path / "hand-idx1-short"
    path.write_bytes(_header(0x0B, (3,)) + b"\x01\x02\xff\xff\x00\x07")
    np.testing.assert_array_equal(read_idx(path), np.array([258, -1, 7], dtype=np.int16))


def test_gzip_is_detected_by_content_not_by_file_name(tmp_path: Path) -> None:
    labels = np.array([3, 1, 4], dtype=np.uint8)
    raw_bytes = _header(0x08, (3,)) + labels.tobytes()
    gz_named_raw = tmp_path / "labels-idx1-ubyte.gz"
    gz_named_raw.write_bytes(raw_bytes)
    plain_named_gzip = tmp_path / "labels-idx1-ubyte"
    plain_named_gzip.write_bytes(gzip.compress(raw_bytes))
    np.testing.assert_array_equal(read_idx(gz_named_raw), labels)
    np.testing.assert_array_equal(read_idx(plain_named_gzip), labels)


def test_gzip_written_files_are_reproducible(tmp_path: Path) -> None:
    array = _example(np.uint8, (2, 3, 4))
    first = write_idx(tmp_path / "a.gz", array, gzip=True).read_bytes()
    second = write_idx(tmp_path / "b.gz", array, gzip=True).read_bytes()
    assert first[:2] == b"\x1f\x8b"
    assert first == second


def test_write_replaces_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.zeros(4, dtype=np.uint8))
    write_idx(path, np.ones(2, dtype=np.uint8))
    np.testing.assert_array_equal(read_idx(path), [1, 1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels"]


# --------------------------------------------------------------------------- refusals


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _assert_refused(path: Path, *fragments: str) -> str:
    with pytest.raises(IdxFormatError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert "delete it and download it again" in message
    assert "reinstall" in message
    for fragment in fragments:
        assert fragment in message, message
    assert caught.value.path == path
    return message


def test_format_error_is_a_value_error() -> None:
    assert issubclass(IdxFormatError, ValueError)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    _assert_refused(_write(tmp_path / "empty", b""), "empty")


def test_bad_magic_is_refused(tmp_path: Path) -> None:
    data = b"\x01\x00\x08\x01" + b"\x00\x00\x00\x02" + b"\x05\x06"
    _assert_refused(_write(tmp_path / "magic", data), "magic")


def test_unknown_type_code_is_refused(tmp_path: Path) -> None:
    data = _header(0x0A, (2,)) + b"\x05\x06"
    _assert_refused(_write(tmp_path / "code", data), "unknown type code 0x0A")


def test_zero_dimensions_are_refused(tmp_path: Path) -> None:
    _assert_refused(_write(tmp_path / "nodims", b"\x00\x00\x08\x00\x01"), "0 dimensions")


def test_header_shorter_than_its_dimensions_is_refused(tmp_path: Path) -> None:
    data = b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02"  # declares 3 dims, holds 1
    _assert_refused(_write(tmp_path / "header", data), "needs 16 bytes, got 8")


def test_truncated_payload_is_refused_with_both_sizes(tmp_path: Path) -> None:
    data = _header(0x08, (4, 28, 28)) + bytes(4 * 28 * 28 - 10)
    _assert_refused(
        _write(tmp_path / "short", data), "truncated", "expected 3136 bytes", "got 3126"
    )


def test_truncated_float_payload_counts_bytes_not_items(tmp_path: Path) -> None:
    data = _header(0x0D, (3,)) + bytes(8)  # 3 float32 need 12 bytes
    _assert_refused(_write(tmp_path / "float", data), "expected 12 bytes", "got 8")


def test_trailing_bytes_are_refused(tmp_path: Path) -> None:
    data = _header(0x08, (3,)) + b"\x01\x02\x03" + b"\x00"
    _assert_refused(_write(tmp_path / "long", data), "trailing bytes", "expected 3 bytes", "got 4")


def test_trailing_bytes_inside_gzip_are_refused(tmp_path: Path) -> None:
    data = gzip.compress(_header(0x08, (3,)) + b"\x01\x02\x03\x04")
    _assert_refused(_write(tmp_path / "long.gz", data), "trailing bytes")


def test_corrupt_gzip_stream_is_refused(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(_header(0x08, (100,)) + bytes(range(100))))
    data[20:30] = b"\xff" * 10  # damage the deflate data
    _assert_refused(_write(tmp_path / "corrupt.gz", bytes(data)), "gzip")


def test_gzip_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(_header(0x08, (3,)) + b"\x01\x02\x03"))
    data[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    _assert_refused(_write(tmp_path / "crc.gz", bytes(data)), "gzip stream is corrupt")


def test_truncated_gzip_stream_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(_header(0x08, (1000,)) + bytes(range(256)) * 3 + bytes(232))
    _assert_refused(_write(tmp_path / "cut.gz", data[: len(data) // 2]), "truncated")


def test_garbage_after_the_gzip_stream_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(_header(0x08, (3,)) + b"\x01\x02\x03") + b"junk"
    _assert_refused(_write(tmp_path / "junk.gz", data), "4 unexpected trailing bytes")


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


# --------------------------------------------------------------------------- writer checks


def test_writer_refuses_unsupported_dtypes(tmp_path: Path) -> None:
    for array in (np.zeros(2, dtype=bool), np.zeros(2, dtype=np.uint16), np.zeros(2, np.int64)):
        with pytest.raises(TypeError, match="dtype"):
            write_idx(tmp_path / "x", array)
    assert not (tmp_path / "x").exists()


def test_writer_refuses_scalars_and_non_arrays(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        write_idx(tmp_path / "x", [1, 2, 3])  # type: ignore[arg-type]
