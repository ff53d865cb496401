"""Regrouping byte chunks into large blocks (documents are generated and sent in big pieces)."""

from __future__ import annotations

from typing import Iterable, Iterator

__all__ = ["regroup"]


def regroup(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Merge small pieces into blocks of at least ``size`` bytes; empty pieces are dropped.

    Big pieces pass through whole (they are not split); the last block may be smaller.
    """
    buf: list[bytes] = []
    n = 0
    for chunk in chunks:
        if not chunk:
            continue
        buf.append(chunk)
        n += len(chunk)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)
