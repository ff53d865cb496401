"""The fastest zlib-compatible binding available: ISA-L, then zlib-ng, then the standard library.

Inflating a report document is most of a cold ingest: on a 67 MB gzip listings document
stdlib zlib takes 0.82 s, zlib-ng 0.37 s and ISA-L (``isal``) 0.31 s, against 0.46 s for the
whole pyarrow parse. All three expose zlib's ``decompressobj`` API (``decompress(data,
max_length)``, ``unconsumed_tail``, ``unused_data``, ``eof``) and produce the same bytes
(the tests compare them on multi-member, padded, cut and corrupt streams), so
:mod:`amzv_pandas._parsers.gunzip` only asks this module for one. ISA-L is a dependency on the
platforms it ships wheels for; elsewhere zlib-ng, if installed, else stdlib zlib is used.

:func:`crc32` is the cache's frame checksum: CRC-32 (the same value from every binding) at
memory speed (zlib-ng ~20 GB/s), where BLAKE2b (~0.8 GB/s) would cost more than reading a
memory-mapped frame.
"""

from __future__ import annotations

import os
import zlib
from types import ModuleType
from typing import Any

__all__ = ["BACKENDS", "Inflater", "backend_name", "crc32", "decompressobj", "inflater"]

#: Preference order; ``AMZV_INFLATE=zlib`` (or ``isal``/``zlib_ng``) forces one (benchmarks, bug reports).
BACKENDS = ("isal", "zlib_ng", "zlib")


class Inflater:
    """One zlib-compatible binding: its ``decompressobj`` and the exception it raises."""

    def __init__(self, name: str, module: ModuleType, error: type[BaseException]) -> None:
        self.name = name
        self.module = module
        self.error = error

    def decompressobj(self, wbits: int = 31) -> Any:
        """A streaming decompressor (``wbits=31``: one gzip member)."""
        return self.module.decompressobj(wbits)

    def __repr__(self) -> str:
        return f"<Inflater {self.name}>"


def _load(name: str) -> Inflater | None:
    try:
        if name == "isal":
            from isal import isal_zlib as mod
        elif name == "zlib_ng":
            from zlib_ng import zlib_ng as mod
        elif name == "zlib":
            mod = zlib
        else:
            return None
    except ImportError:
        return None
    return Inflater(name, mod, mod.error)


_CACHE: dict[str, Inflater | None] = {}


def inflater(name: str | None = None) -> Inflater:
    """The binding ``name`` if given and importable, else the fastest one importable.

    ``None`` reads ``AMZV_INFLATE`` first; an unknown or missing name falls back along
    :data:`BACKENDS` (stdlib zlib is always there).
    """
    wanted = name or os.environ.get("AMZV_INFLATE") or None
    order = ((wanted,) if wanted else ()) + BACKENDS
    for candidate in order:
        if candidate not in _CACHE:
            _CACHE[candidate] = _load(candidate)
        found = _CACHE[candidate]
        if found is not None:
            return found
    raise AssertionError("stdlib zlib is always importable")  # pragma: no cover


def backend_name() -> str:
    """Name of the binding :func:`inflater` picks (``"isal"``, ``"zlib_ng"`` or ``"zlib"``)."""
    return inflater().name


def decompressobj(wbits: int = 31) -> Any:
    """A decompressor of the fastest binding (see :func:`inflater`)."""
    return inflater().decompressobj(wbits)


def _crc32_impl() -> Any:
    # zlib-ng's crc32 is the fastest measured (~20 GB/s), ISA-L's next (~10 GB/s); same values.
    for name in ("zlib_ng", "isal", "zlib"):
        found = _load(name)
        if found is not None:
            return found.module.crc32
    return zlib.crc32  # pragma: no cover


_CRC32: Any = None


def crc32(data: Any, value: int = 0) -> int:
    """CRC-32 of a bytes-like object (as :func:`zlib.crc32`), with the fastest binding."""
    global _CRC32
    if _CRC32 is None:  # imported on first use: no binding is loaded by ``import amzv_pandas``
        _CRC32 = _crc32_impl()
    return _CRC32(data, value) & 0xFFFFFFFF
