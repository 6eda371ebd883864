"""Atomic file writes that keep the user's umask: the one home of both.

A file is written to a temporary name beside its destination and renamed into place
with :func:`os.replace`, so a reader (or a run killed at any instant) sees the old
file or the new one, never half of one. The new file gets the mode an ordinary
``open(path, "w")`` would give it (``0o666`` less the umask), not
:func:`tempfile.mkstemp`'s private ``0o600``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "METRICS_FILE",
    "SUMMARY_FILE",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
]

# The files of a run folder (see hebbian.runs), named here so that the command line can
# recognise run folders without importing torch.
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
CHECKPOINT_FILE = Path("checkpoints") / "last.safetensors"


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` that replaces it when the block succeeds.

    When the block ends without an error the temporary file replaces ``path``;
    otherwise it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # after the writer: some (safetensors) replace the file rather than fill it
        os.chmod(tmp_path, 0o666 & ~_umask())
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (all of it or nothing)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (all of it or nothing), as UTF-8."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
