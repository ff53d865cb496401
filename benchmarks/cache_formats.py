#!/usr/bin/env python
"""Side-by-side measurement of cache frame formats (issue 15, point 1).

    python benchmarks/cache_formats.py [--size small|medium|full] [--repeats N]

Two frames are built once, untimed: the merchant-listings flat file (2,000,000 rows at full
size; medium 500,000, small 100,000), parsed by ``parse_document`` from a gzip document of the
sandbox's data layer, and the vendor-sales JSON frame (365 days x 2,000 ASINs = 730,000 rows;
medium 120 x 1,000, small 30 x 200). Each is written in every format below; then each
contender runs in a **fresh process** (the user's new kernel), alternately, the order rotated
every round, and times reading the file back to a pandas frame **including its integrity
check**; the table shows medians.

Formats:

* ``parquet``        — today's writer (lz4, plain encoding, page CRCs) + BLAKE2b of the file;
* ``ipc``            — Arrow IPC file, uncompressed, memory-mapped, + BLAKE2b of the mapping;
* ``ipc_crc32``      — the same file checked by CRC-32 instead (what ``_cache/entry.py`` does);
* ``ipc_lz4``        — IPC with LZ4-frame buffer compression (+ BLAKE2b of the file);
* ``ipc_zstd``       — IPC with ZSTD buffer compression (+ BLAKE2b);
* ``ipc_lz4_dict``   — LZ4 IPC with low-cardinality text columns dictionary-encoded in the file
  (decoded back to ``str`` on read);
* ``parquet_crc32``  — today's Parquet file checked by CRC-32 of the file instead of BLAKE2b (page
  CRCs still verified);
* ``split``          — what ``_cache/entry.py`` writes now (:mod:`amzv_pandas._cache.split_frame`):
  text columns as value lengths (row table) + one byte blob per column (blob table), both LZ4
  IPC, offsets rebuilt by a cumulative sum, all-null text columns not stored; CRC-32 of the file;
* ``split_zstd``     — the same layout with ZSTD for the blobs (+ CRC-32);
* ``cold``           — the cold parse of the same data (``parse_document`` of the gzip document,
  resp. ``parse_vendor_json``), the denominator of the warm ratio.

Printed per frame: on-disk size (and ratio to Parquet), median wall, ratio to cold.
Targets (issue 15): warm <= 0.1x cold, on-disk <= 2.5x Parquet.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import alternate, child_args, median, report, run_script  # noqa: E402

FLAT_ROWS = {"small": 100_000, "medium": 500_000, "full": 2_000_000}
VENDOR = {"small": (30, 200), "medium": (120, 1000), "full": (365, 2000)}
FORMATS = ("parquet", "ipc", "ipc_lz4", "ipc_zstd", "ipc_lz4_dict", "split", "split_zstd")
#: Extra contenders reading a file of FORMATS with another check: name -> (file format, check).
CHECKS = {"ipc_crc32": ("ipc", "crc32"), "parquet_crc32": ("parquet", "crc32")}
#: The check a format's own contender uses (default BLAKE2b).
DEFAULT_CHECK = {"split": "crc32", "split_zstd": "crc32"}
FLAT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"


# ---------------------------------------------------------------------------------------------
# writing (parent, untimed)


def _dict_encode(table):
    """Text columns with few distinct values (< 1/4 of the rows) as dictionaries."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for name, col in zip(table.column_names, table.columns):
        if (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) and len(col) and \
                pc.count_distinct(col).as_py() < len(col) // 4:
            col = pc.dictionary_encode(col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def write_formats(frame, folder: Path) -> dict[str, dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = {}
    for fmt in FORMATS:
        path = folder / f"frame.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path, compression="lz4", use_dictionary=False, write_page_checksum=True)
        elif fmt.startswith("split"):
            from amzv_pandas._cache import split_frame

            codec = "zstd" if fmt == "split_zstd" else split_frame.BLOB_CODEC
            with open(path, "wb") as fh:
                for part in split_frame.encode(table, blob_codec=codec):
                    fh.write(memoryview(part))
        else:
            codec = {"ipc": None, "ipc_lz4": "lz4", "ipc_zstd": "zstd", "ipc_lz4_dict": "lz4"}[fmt]
            t = _dict_encode(table) if fmt.endswith("_dict") else table
            with pa.OSFile(str(path), "wb") as sink, \
                    pa.ipc.new_file(sink, t.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
                w.write_table(t, max_chunksize=1 << 17)
        data = path.read_bytes()
        out[fmt] = {"path": str(path), "size": len(data),
                    "blake2b": hashlib.blake2b(data, digest_size=32).hexdigest(), "crc32": zlib.crc32(data)}
        del data
    return out


# ---------------------------------------------------------------------------------------------
# contenders (fresh processes)


def _read(opts: dict) -> None:
    import pandas as pd  # noqa: F401  imported before the timer, as in a kernel that ran `import amzv_pandas`
    import pyarrow as pa
    import pyarrow.ipc  # noqa: F401
    import pyarrow.parquet as pq

    from amzv_pandas._cache import split_frame  # noqa: F401  (the package is imported in a user's kernel)
    from amzv_pandas._parsers.inflate import crc32  # noqa: F401

    fmt = opts["fmt"]
    t0 = time.perf_counter()
    with pa.memory_map(opts["path"], "r") as mm:
        buf = mm.read_buffer()
        if opts.get("check") == "crc32":
            ok = crc32(memoryview(buf)) == opts["crc32"]
        else:
            ok = hashlib.blake2b(memoryview(buf), digest_size=32).hexdigest() == opts["blake2b"]
        t_digest = time.perf_counter() - t0
        if fmt == "parquet":
            table = pq.ParquetFile(pa.BufferReader(buf), page_checksum_verification=True).read()
        elif fmt.startswith("split"):
            table = split_frame.decode(buf)
        else:
            table = pa.ipc.open_file(pa.BufferReader(buf)).read_all()
            if fmt.endswith("_dict"):
                table = pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                                  for c in table.columns], names=table.column_names)
        df = table.to_pandas(split_blocks=True)
        del table, buf
    seconds = time.perf_counter() - t0
    report(seconds=seconds, digest=t_digest, ok=ok, rows=len(df))


def _cold(opts: dict) -> None:
    import pandas as pd  # noqa: F401
    from amzv_pandas._parsers.document import parse_document
    from amzv_pandas._specs.registry import get_report_type

    rt = get_report_type(opts["report_type"])
    t0 = time.perf_counter()
    df = parse_document(opts["path"], {"compression": "gzip", "content_type": opts.get("content_type")}, rt,
                        section=opts.get("section"), quotechar=None, default_encoding="cp1252")
    report(seconds=time.perf_counter() - t0, rows=len(df))


CONTENDERS = {"read": _read, "cold": _cold}


# ---------------------------------------------------------------------------------------------
# parent


def _flat_document(folder: Path, rows: int) -> tuple[Path, str]:
    from datetime import datetime, timezone

    from amzv_pandas.sandbox.data import SandboxData

    doc = SandboxData(0, flat_rows=rows).report_document(FLAT_TYPE, ["ATVPDKIKX0DER"], None, None, {},
                                                         created=datetime(2025, 12, 31, tzinfo=timezone.utc))
    path = folder / "flat.tsv.gz"
    with gzip.open(path, "wb", compresslevel=6) as fh:
        for chunk in doc.chunks():
            fh.write(chunk)
    return path, doc.content_type


def _vendor_document(folder: Path, days: int, asins: int) -> Path:
    from scenario_vendor_json import write_document

    plain = folder / "vendor.json"
    write_document(str(plain), days, asins)
    path = folder / "vendor.json.gz"
    with open(plain, "rb") as src, gzip.open(path, "wb", compresslevel=6) as dst:
        while block := src.read(1 << 22):
            dst.write(block)
    plain.unlink()
    return path


def measure(size: str, repeats: int, log=print) -> dict:
    """Build both frames, write every format, time fresh-process reads; returns the results."""
    from amzv_pandas._parsers.document import parse_document
    from amzv_pandas._specs.registry import get_report_type

    script = Path(__file__)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        flat, ctype = _flat_document(folder, FLAT_ROWS[size])
        vendor = _vendor_document(folder, *VENDOR[size])
        cases = {
            "flat": {"path": str(flat), "report_type": FLAT_TYPE, "content_type": ctype},
            "vendor_json": {"path": str(vendor), "report_type": "GET_VENDOR_SALES_REPORT", "section": "salesByAsin"},
        }
        for name, cold_opts in cases.items():
            sub = folder / name
            sub.mkdir()
            frame = parse_document(cold_opts["path"], {"compression": "gzip", "content_type": cold_opts.get(
                "content_type")}, get_report_type(cold_opts["report_type"]), section=cold_opts.get("section"),
                quotechar=None, default_encoding="cp1252")
            files = write_formats(frame, sub)
            for name_, (fmt_, check) in CHECKS.items():
                files[name_] = {**files[fmt_], "check": check}
            rows = len(frame)
            del frame
            contenders = {"cold": lambda o=cold_opts: run_script(script, "cold", o)}
            for fmt, info in files.items():
                contenders[fmt] = (lambda fmt=fmt, info=info: run_script(
                    script, "read", {"fmt": CHECKS.get(fmt, (fmt,))[0], "path": info["path"],
                                     "check": info.get("check") or DEFAULT_CHECK.get(fmt),
                                     "blake2b": info["blake2b"], "crc32": info["crc32"]}))
            for fn in contenders.values():  # warm-up: page cache, .pyc
                fn()
            res = alternate(contenders, repeats, log=lambda m: None)
            cold = median(r.result["seconds"] for r in res["cold"])
            out = {"rows": rows, "cold_s": cold, "formats": {}}
            for fmt, info in files.items():
                wall = median(r.result["seconds"] for r in res[fmt])
                out["formats"][fmt] = {
                    "size": info["size"], "size_vs_parquet": info["size"] / files["parquet"]["size"],
                    "wall_s": wall, "vs_cold": wall / cold,
                    "digest_s": median(r.result["digest"] for r in res[fmt]),
                    "verified": all(r.result["ok"] for r in res[fmt]),
                    "peak_rss": median(r.peak_rss or 0 for r in res[fmt])}
            results[name] = out
            log(f"{name}: {rows:,} rows, cold {cold:.3f} s (median of {repeats}, fresh processes)")
            log(f"  {'format':<14}{'MiB':>9}{'x parquet':>11}{'wall s':>9}{'x cold':>8}{'digest s':>10}")
            for fmt, f in out["formats"].items():
                log(f"  {fmt:<14}{f['size'] / 2**20:>9.1f}{f['size_vs_parquet']:>11.2f}{f['wall_s']:>9.3f}"
                    f"{f['vs_cold']:>8.3f}{f['digest_s']:>10.3f}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=tuple(FLAT_ROWS), default="small")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    res = measure(args.size, args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in CONTENDERS:
        name, options = child_args()
        CONTENDERS[name](options)
        sys.exit(0)
    sys.exit(main())
