"""download_file against a local HTTP server: checksums, truncation, dead servers, mirrors."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from hebbian.data.download import DownloadError, download_file, sha256_of
from hebbian.data.idx import write_idx

BODY = bytes(range(256)) * 64  # 16 KiB
BODY_SHA = hashlib.sha256(BODY).hexdigest()


class SleepRecorder:
    """Stands in for time.sleep: records the pauses, never waits."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_file_lands_with_its_checksum(http_server, tmp_path: Path) -> None:
    http_server.serve("data/file.gz", BODY)
    destination = tmp_path / "out" / "file.gz"
    result = download_file([http_server.url("data/file.gz")], destination, BODY_SHA)
    assert result == destination
    assert destination.read_bytes() == BODY
    assert sha256_of(destination) == BODY_SHA
    assert _leftovers(destination.parent) == ["file.gz"]  # no temporary file left


def test_checksum_is_optional(http_server, tmp_path: Path) -> None:
    http_server.serve("f", b"abc")
    destination = download_file([http_server.url("f")], tmp_path / "f", None)
    assert destination.read_bytes() == b"abc"


def test_an_md5_is_checked_like_the_sha256(http_server, tmp_path: Path) -> None:
    http_server.serve("good", BODY)
    http_server.serve("bad", BODY[:-1] + b"X")
    md5 = hashlib.md5(BODY).hexdigest()
    assert download_file([http_server.url("good")], tmp_path / "g", None, md5=md5.upper())
    with pytest.raises(DownloadError, match=f"checksum mismatch: expected md5 {md5}"):
        download_file([http_server.url("bad")], tmp_path / "b", None, md5=md5)
    assert _leftovers(tmp_path) == ["g"]
    with pytest.raises(ValueError, match="md5 must be 32 hexadecimal digits"):
        download_file([http_server.url("good")], tmp_path / "x", None, md5="abc")


def test_checksum_mismatch_leaves_nothing_and_is_not_retried(http_server, tmp_path) -> None:
    http_server.serve("file.gz", BODY[:-1] + b"X")
    destination = tmp_path / "file.gz"
    sleep = SleepRecorder()
    with pytest.raises(DownloadError) as caught:
        download_file([http_server.url("file.gz")], destination, BODY_SHA, sleep=sleep)
    message = str(caught.value)
    assert "checksum mismatch" in message
    assert BODY_SHA in message
    assert http_server.url("file.gz") in message
    assert not destination.exists()
    assert _leftovers(tmp_path) == []
    assert http_server.requests == ["/file.gz"]  # the same mirror would serve the same bytes
    assert sleep.pauses == []


def test_truncated_body_leaves_nothing_and_is_retried(http_server, tmp_path) -> None:
    # The server announces 16 KiB, sends half, and closes the connection.
    http_server.serve("file.gz", BODY[: len(BODY) // 2], content_length=len(BODY))
    destination = tmp_path / "file.gz"
    sleep = SleepRecorder()
    with pytest.raises(DownloadError) as caught:
        download_file(
            [http_server.url("file.gz")], destination, BODY_SHA, retries=2, backoff=0.5, sleep=sleep
        )
    message = str(caught.value)
    assert "truncated" in message
    assert f"Content-Length is {len(BODY)} bytes, received {len(BODY) // 2}" in message
    assert not destination.exists()
    assert _leftovers(tmp_path) == []
    assert len(http_server.requests) == 3  # first try and two retries
    assert sleep.pauses == [0.5, 1.0]  # exponential backoff


def test_truncated_body_without_checksum_is_still_refused(http_server, tmp_path) -> None:
    http_server.serve("f", b"12345", content_length=10)
    with pytest.raises(DownloadError, match="truncated"):
        download_file([http_server.url("f")], tmp_path / "f", None, retries=0)
    assert _leftovers(tmp_path) == []


def test_failed_download_keeps_an_existing_file(http_server, tmp_path: Path) -> None:
    destination = tmp_path / "file.gz"
    destination.write_bytes(b"previous good copy")
    http_server.serve("file.gz", b"wrong")
    with pytest.raises(DownloadError):
        download_file([http_server.url("file.gz")], destination, BODY_SHA)
    assert destination.read_bytes() == b"previous good copy"


def test_server_down_fails_fast_listing_the_urls(closed_port_url: str, tmp_path: Path) -> None:
    urls = [closed_port_url + "a/file.gz", closed_port_url + "b/file.gz"]
    destination = tmp_path / "file.gz"
    sleep = SleepRecorder()
    start = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_file(urls, destination, BODY_SHA, retries=2, sleep=sleep)
    assert time.monotonic() - start < 10
    message = str(caught.value)
    for url in urls:
        assert url in message
    assert "refused" in message.lower()
    assert "3 attempts" in message
    assert "by hand" in message and str(destination) in message
    assert [url for url, _ in caught.value.failures] == urls
    assert len(sleep.pauses) == 4  # two retries for each of the two URLs
    assert not destination.exists()


def test_download_error_is_an_os_error() -> None:
    assert issubclass(DownloadError, OSError)


def test_falls_back_to_the_next_mirror_when_one_is_down(
    http_server, closed_port_url: str, tmp_path: Path
) -> None:
    http_server.serve("file.gz", BODY)
    destination = tmp_path / "file.gz"
    urls = [closed_port_url + "file.gz", http_server.url("file.gz")]
    download_file(urls, destination, BODY_SHA, retries=1, sleep=SleepRecorder())
    assert destination.read_bytes() == BODY


def test_falls_back_to_the_next_mirror_when_one_serves_wrong_bytes(http_server, tmp_path) -> None:
    http_server.serve("bad/file.gz", b"not the file")
    http_server.serve("good/file.gz", BODY)
    urls = [http_server.url("bad/file.gz"), http_server.url("good/file.gz")]
    download_file(urls, tmp_path / "file.gz", BODY_SHA)
    assert (tmp_path / "file.gz").read_bytes() == BODY
    assert http_server.requests == ["/bad/file.gz", "/good/file.gz"]


def test_not_found_moves_on_without_retrying(http_server, tmp_path: Path) -> None:
    http_server.serve("good/file.gz", BODY)
    urls = [http_server.url("missing/file.gz"), http_server.url("good/file.gz")]
    sleep = SleepRecorder()
    download_file(urls, tmp_path / "file.gz", BODY_SHA, retries=3, sleep=sleep)
    assert http_server.requests == ["/missing/file.gz", "/good/file.gz"]
    assert sleep.pauses == []


def test_server_errors_are_retried(http_server, tmp_path: Path) -> None:
    http_server.serve("file.gz", b"busy", status=503)
    sleep = SleepRecorder()
    with pytest.raises(DownloadError, match="HTTP 503"):
        download_file([http_server.url("file.gz")], tmp_path / "f", None, retries=2, sleep=sleep)
    assert len(http_server.requests) == 3


def test_validate_can_reject_a_body(http_server, tmp_path: Path) -> None:
    http_server.serve("f", b"not an idx file")

    def refuse(path: Path) -> None:
        assert path.read_bytes() == b"not an idx file"  # called on the complete body
        raise ValueError("not an IDX file")

    with pytest.raises(DownloadError, match="content rejected: not an IDX file"):
        download_file([http_server.url("f")], tmp_path / "f", None, validate=refuse)
    assert _leftovers(tmp_path) == []


def test_file_urls_work_for_local_mirrors(tmp_path: Path) -> None:
    source = tmp_path / "mirror" / "file.gz"
    source.parent.mkdir()
    source.write_bytes(BODY)
    destination = download_file([source.as_uri()], tmp_path / "out" / "file.gz", BODY_SHA)
    assert destination.read_bytes() == BODY


@pytest.mark.parametrize(
    ("urls", "sha256", "error"),
    [
        ([], None, ValueError),
        ("http://127.0.0.1/one-string", None, TypeError),
        (["http://127.0.0.1/f"], "abc", ValueError),
        (["http://127.0.0.1/f"], "z" * 64, ValueError),
    ],
)
def test_bad_arguments_are_refused_before_any_request(tmp_path, urls, sha256, error) -> None:
    with pytest.raises(error):
        download_file(urls, tmp_path / "f", sha256)


def test_bad_retry_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retries"):
        download_file(["http://127.0.0.1/f"], tmp_path / "f", None, retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        download_file(["http://127.0.0.1/f"], tmp_path / "f", None, timeout=0)


def test_downloaded_and_written_data_files_get_the_users_umask(http_server, tmp_path) -> None:
    http_server.serve("f", b"abc")
    previous = os.umask(0o022)
    try:
        downloaded = download_file([http_server.url("f")], tmp_path / "f", None)
        written = write_idx(tmp_path / "a.idx", np.zeros((2, 3), dtype=np.uint8), gzip=True)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(downloaded.stat().st_mode) == 0o644
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
