#!/usr/bin/env python
"""Side-by-side measurement of the cold flat-file parse: transcoding and read-ahead (issue 15, point 3).

    python benchmarks/gunzip_overlap.py [--size small|medium|full] [--repeats N]

One merchant-listings gzip document (100k / 500k / 2M rows, cp1252, from the sandbox's data
layer) is written once, untimed. Each contender then runs in a **fresh process**, alternately,
the order rotated every round, and times its parse of that file (medians):

* ``library``  — ``parse_document`` as the library runs it: pyarrow's streaming reader pulls the
  ``GunzipStream`` in a worker thread (inflating and parsing the raw cp1252 bytes in turn) while
  this thread converts each parsed batch's text to UTF-8 (``_parsers/transcode``);
* ``prefetch`` — the same with a ``PrefetchStream`` inflating in a third thread (what the library
  does for the codecs pyarrow transcodes);
* ``pyarrow_transcoding`` — the previous version: pyarrow's own cp1252 transcoding (Python's
  codec in its I/O thread, holding the GIL, ahead of a whole-file parse), with the read-ahead thread;
* ``parts``    — (e) of the flat_ingest scenario: inflate the whole file in memory, then
  ``parse_flat_file`` + ``to_pandas`` on the expanded bytes; its figure is the larger half;
* ``utf8``     — ``parse_flat_file`` of the same text transcoded to UTF-8 beforehand (untimed):
  what the parse costs with no conversion at all.

Printed: wall and CPU seconds per contender, and each parse's ratio to ``parts`` (target
of issue 15: the cold ingest ≤ 1.2x ``parts``; the download that flat_ingest's (b) adds is
not part of this file's figures).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import alternate, child_args, median, report, run_script  # noqa: E402

ROWS = {"small": 100_000, "medium": 500_000, "full": 2_000_000}
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
INFO = {"compression": "gzip", "content_type": "text/tab-separated-values;charset=Cp1252"}


def _parse(opts: dict) -> None:
    import pandas as pd  # noqa: F401  (imported before the timer, as in a user's kernel)
    from amzv_pandas._parsers import document, flat_file
    from amzv_pandas._specs.registry import get_report_type

    if opts.get("prefetch"):  # the read-ahead thread, as for a codec pyarrow transcodes
        document.converts_after_parse = lambda encoding: False
    if opts.get("pyarrow_transcoding"):
        flat_file.single_byte_table = lambda codec: None
    rt = get_report_type(REPORT_TYPE)
    c0, t0 = time.process_time(), time.perf_counter()
    df = document.parse_document(opts["path"], INFO, rt, section=None, quotechar=None, default_encoding="cp1252")
    report(seconds=time.perf_counter() - t0, cpu=time.process_time() - c0, rows=len(df))


def library(opts: dict) -> None:
    _parse(opts)


def prefetch(opts: dict) -> None:
    _parse({**opts, "prefetch": True})


def pyarrow_transcoding(opts: dict) -> None:
    _parse({**opts, "prefetch": True, "pyarrow_transcoding": True})


def parts(opts: dict) -> None:
    import pandas as pd  # noqa: F401
    from amzv_pandas._parsers.flat_file import parse_flat_file
    from amzv_pandas._parsers.inflate import decompressobj
    from amzv_pandas._specs.registry import get_report_type

    body = Path(opts["path"]).read_bytes()
    dtypes = get_report_type(REPORT_TYPE).flat_file_dtypes()
    c0, t0 = time.process_time(), time.perf_counter()
    text = decompressobj(31).decompress(body)
    decompress = time.perf_counter() - t0
    del body
    t1 = time.perf_counter()
    df = parse_flat_file(text, quotechar=None, encoding="cp1252", dtypes=dtypes)
    parse = time.perf_counter() - t1
    report(seconds=max(decompress, parse), cpu=time.process_time() - c0, decompress=decompress, parse=parse,
           rows=len(df))


def utf8(opts: dict) -> None:
    import pandas as pd  # noqa: F401
    from amzv_pandas._parsers.flat_file import parse_flat_file
    from amzv_pandas._parsers.inflate import decompressobj
    from amzv_pandas._specs.registry import get_report_type

    text = decompressobj(31).decompress(Path(opts["path"]).read_bytes()).decode("cp1252").encode("utf-8")
    dtypes = get_report_type(REPORT_TYPE).flat_file_dtypes()
    c0, t0 = time.process_time(), time.perf_counter()
    df = parse_flat_file(text, quotechar=None, encoding="utf-8", dtypes=dtypes)
    report(seconds=time.perf_counter() - t0, cpu=time.process_time() - c0, rows=len(df))


CONTENDERS = {"library": library, "prefetch": prefetch, "pyarrow_transcoding": pyarrow_transcoding, "parts": parts,
              "utf8": utf8}


def measure(size: str, repeats: int, log=print) -> dict:
    from cache_formats import _flat_document

    script = Path(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = _flat_document(Path(tmp), ROWS[size])
        contenders = {name: (lambda name=name: run_script(script, name, {"path": str(path)})) for name in CONTENDERS}
        for fn in contenders.values():  # warm-up: page cache, .pyc
            fn()
        res = alternate(contenders, repeats, log=lambda m: None)
    out = {name: {"wall_s": median(r.result["seconds"] for r in runs), "cpu_s": median(r.result["cpu"] for r in runs),
                  "rows": runs[0].result["rows"]} for name, runs in res.items()}
    out["parts"]["decompress_s"] = median(r.result["decompress"] for r in res["parts"])
    out["parts"]["parse_s"] = median(r.result["parse"] for r in res["parts"])
    base = out["parts"]["wall_s"]
    log(f"{ROWS[size]:,} rows, medians of {repeats} fresh processes; parts: inflate "
        f"{out['parts']['decompress_s']:.3f} s, parse + to_pandas {out['parts']['parse_s']:.3f} s")
    log(f"  {'contender':<20}{'wall s':>9}{'cpu s':>9}{'x parts':>9}")
    for name, o in out.items():
        log(f"  {name:<20}{o['wall_s']:>9.3f}{o['cpu_s']:>9.3f}{o['wall_s'] / base:>9.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=tuple(ROWS), default="small")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    measure(args.size, args.repeats)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in CONTENDERS:
        name, options = child_args()
        CONTENDERS[name](options)
        sys.exit(0)
    sys.exit(main())
