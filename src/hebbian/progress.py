"""Progress bars that stay quiet when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

__all__ = ["progress"]


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Wrap ``iterable`` in a progress bar on stderr, shown only when stderr is a terminal.

    >>> list(progress(range(3), desc="demo"))
    [0, 1, 2]
    """
    return iter(
        tqdm(
            iterable,
            total=total,
            desc=desc,
            disable=not sys.stderr.isatty(),
            leave=False,
            dynamic_ncols=True,
        )
    )
