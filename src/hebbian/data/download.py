"""Download one file from a list of mirrors, with retries, a checksum and an atomic write.

The body is streamed into a temporary file in the destination folder while its SHA-256
is computed; only a complete body with the expected checksum is renamed into place
(:func:`os.replace`). A truncated body, a wrong checksum or a dead server therefore never
leaves a file at the destination. Only the standard library (``urllib``) is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from hebbian._checks import check_positive, check_positive_int
from hebbian._files import atomic_path

__all__ = ["DownloadError", "download_file", "sha256_of"]

_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MD5 = re.compile(r"[0-9a-f]{32}")
_USER_AGENT = "hebbian-data-downloader (python urllib)"


class DownloadError(OSError):
    """Every mirror failed; nothing was written at the destination.

    Attributes
    ----------
    destination : pathlib.Path
        Where the file should have been saved.
    failures : list of (str, str)
        ``(url, last error)`` for each URL tried, in order.
    """

    def __init__(
        self, destination: Path, failures: list[tuple[str, str]], sha256: str | None
    ) -> None:
        self.destination = destination
        self.failures = failures
        lines = [f"could not download {destination.name} to {str(destination)!r}:"]
        lines += [f"  {url}: {reason}" for url, reason in failures]
        check = f", check that its SHA-256 is {sha256}" if sha256 else ""
        lines.append(
            "To place the file by hand, download it from one of the URLs above "
            f"(with a browser or `curl -LO URL`){check} and save it as {str(destination)!r}."
        )
        super().__init__("\n".join(lines))


class _AttemptError(Exception):
    """One attempt at one URL failed; ``retry`` says whether the same URL may work later."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Return the hexadecimal SHA-256 of a file's bytes.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "x")
    ...     _ = path.write_bytes(b"abc")
    ...     sha256_of(path)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(
    urls: Sequence[str],
    destination: str | os.PathLike[str],
    sha256: str | None,
    *,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    validate: Callable[[Path], object] | None = None,
    md5: str | None = None,
) -> Path:
    """Download a file from the first mirror that works, check it, and move it into place.

    Each URL is tried in turn. Network errors, timeouts, server errors (HTTP 5xx, 408,
    429) and truncated bodies are retried on the same URL up to ``retries`` more times,
    sleeping ``backoff * 2**k`` seconds before retry ``k`` (0-based); other HTTP errors
    (404, 403, ...), a checksum mismatch or a failed ``validate`` move on to the next URL
    at once.

    Parameters
    ----------
    urls : sequence of str
        Full URLs of the same file on different mirrors (``http``, ``https`` or ``file``).
    destination : str or os.PathLike
        Final path. Its folder is created if missing. An existing file is replaced only
        by a complete, verified download.
    sha256 : str or None
        Expected lowercase hexadecimal SHA-256 of the body. ``None`` skips the check
        (then pass ``validate`` to check the content some other way).
    retries : int, default 3
        Extra attempts per URL after its first failure (0 = one attempt per URL).
    timeout : float, default 30.0
        Seconds to wait for the connection and for each read.
    backoff : float, default 1.0
        Base of the exponential pause between retries, in seconds (0 = no pause).
    sleep : callable, default time.sleep
        Called with the pause in seconds; tests pass a stub.
    validate : callable, optional
        Called with the temporary file's path after the checksum passed; raising
        ``ValueError`` or ``OSError`` rejects the body (the next URL is tried).
    md5 : str, optional
        Expected lowercase hexadecimal MD5 of the body, checked like ``sha256`` (for
        files whose only published checksum is an MD5; it guards against damage, not
        against a malicious mirror).

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    DownloadError
        If no URL gave a complete body with the right checksum. The message lists every
        URL tried with its last error and says how to place the file by hand; nothing is
        left at ``destination`` (nor any temporary file).
    ValueError
        If ``urls`` is empty, ``sha256`` is not 64 hexadecimal digits or ``md5`` not 32.
    """
    if isinstance(urls, str):
        raise TypeError("urls must be a sequence of URL strings, not a single string")
    urls = list(urls)
    if not urls:
        raise ValueError("urls must hold at least one URL, got an empty sequence")
    if sha256 is not None:
        sha256 = sha256.lower()
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"sha256 must be 64 hexadecimal digits or None, got {sha256!r}")
    if md5 is not None:
        md5 = md5.lower()
        if not _MD5.fullmatch(md5):
            raise ValueError(f"md5 must be 32 hexadecimal digits or None, got {md5!r}")
    check_positive_int("retries", retries, minimum=0)
    check_positive("timeout", timeout)
    check_positive("backoff", backoff, allow_zero=True)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)

    failures: list[tuple[str, str]] = []
    for url in urls:
        attempt = 0
        while True:
            try:
                _attempt(url, destination, sha256, md5, timeout, validate)
                return destination
            except _AttemptError as failure:
                if failure.retry and attempt < retries:
                    sleep(backoff * 2**attempt)
                    attempt += 1
                    continue
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                failures.append((url, f"{failure.reason} ({tries})"))
                break
    raise DownloadError(destination, failures, sha256)


def _attempt(
    url: str,
    destination: Path,
    sha256: str | None,
    md5: str | None,
    timeout: float,
    validate: Callable[[Path], object] | None,
) -> None:
    """Stream ``url`` into a temporary file beside ``destination``; rename it if it is good."""
    with atomic_path(destination, suffix=".part") as temporary:
        with open(temporary, "wb") as stream:
            digest, md5_digest, size, declared = _stream(url, stream, timeout)
        if declared is not None and size != declared:
            raise _AttemptError(
                f"truncated body: Content-Length is {declared} bytes, received {size}",
                retry=True,
            )
        if sha256 is not None and digest != sha256:
            raise _AttemptError(
                f"checksum mismatch: expected sha256 {sha256}, got {digest} ({size} bytes)",
                retry=False,
            )
        if md5 is not None and md5_digest != md5:
            raise _AttemptError(
                f"checksum mismatch: expected md5 {md5}, got {md5_digest} ({size} bytes)",
                retry=False,
            )
        if validate is not None:
            try:
                validate(temporary)
            except (ValueError, OSError) as error:
                raise _AttemptError(f"content rejected: {error}", retry=False) from error


def _stream(url: str, stream: BinaryIO, timeout: float) -> tuple[str, str, int, int | None]:
    """Copy the body of ``url`` into ``stream``; return (sha256, md5, size, Content-Length).

    Errors of the network or the server become :class:`_AttemptError`; errors writing the
    local file propagate unchanged.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    digest = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        retry = error.code >= 500 or error.code in (408, 429)
        raise _AttemptError(f"HTTP {error.code} {error.reason}", retry=retry) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise _AttemptError(f"{type(error).__name__}: {error}", retry=True) from error
    with response:
        length = response.headers.get("Content-Length")
        declared = int(length) if length is not None and length.isdigit() else None
        while True:
            try:
                block = response.read(_CHUNK)
            except (http.client.HTTPException, OSError) as error:
                raise _AttemptError(
                    f"connection lost after {size} bytes ({type(error).__name__}: {error})",
                    retry=True,
                ) from error
            if not block:
                break
            digest.update(block)
            md5.update(block)
            size += len(block)
            stream.write(block)
    return digest.hexdigest(), md5.hexdigest(), size, declared
