"""Scenario 1 — flat-file ingest: a merchant-listings TSV (2,000,000 rows; small: 100,000) served gzip.

The parent starts the sandbox in its own process, creates ONE ``GET_MERCHANT_LISTINGS_ALL_DATA``
report and polls it to DONE before anything is timed; every contender then reads that same
document, each in a fresh process, alternately, and reports the seconds of its timed section:

(a) ``floor``    — by hand: getReportDocument (one GET), stream the gzip to a temp file with
                   ``requests`` (``iter_content(1 MiB)``), ``pyarrow.csv.read_csv`` on it (gzip, tab
                   delimiter, quoting off, the report type's codec — the same settings as ours),
                   ``to_pandas()``.
(b) ``amzv_cold`` — ``amzv.get_report(report_id, cache=False)``: getReport + getReportDocument +
                   download + parse of the already-DONE report (read_report's path minus
                   createReport and polling, which (a) and (d) do not pay either).
(c) ``amzv_warm`` — the same call with ``cache=True`` on a cache a previous process filled.
(d) ``spapi``    — python-amazon-sp-api (in its own venv): ``get_report_document(download=True)`` +
                   ``pd.read_csv(io.StringIO(text), sep="\\t")``, what users write today
                   (docs/peers.md recipe). Skipped, with a note, if that venv is missing.
(e) ``parts``    — the halves of a cold ingest on their own, in one process: inflate the whole
                   downloaded body (the binding ``_parsers/inflate`` picks), then ``parse_flat_file``
                   + ``to_pandas`` on the expanded bytes in memory; its "seconds" is the larger.
(f) ``peer_recipe`` — (d) without the library: what ``get_report_document(download=True)`` does
                   inside (whole body in memory, ``zlib.decompress``, ``.decode``) + ``pd.read_csv(
                   io.StringIO(text), sep="\\t")`` (re-timed with ``quoting=csv.QUOTE_NONE`` as (d)).
(b') / (c') ``amzv_cold_arrow`` / ``amzv_warm_arrow`` — (b) and (c) with ``dtype_backend="pyarrow"``.

Peak memory is the peak RSS of each contender's process. Targets: (b) ≤ 1.2× wall and ≤ 1.3×
peak RSS of (a); (c) ≤ 0.1× wall of (b); (b) ≤ 1.2× (e); (b) ≤ 0.2× wall and ≤ 0.3× peak RSS
of (d) and of (f); (c') ≤ 0.1× (b').
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import Row, alternate, child_args, median_rss, median_seconds, report, run_script

NAME = "flat_ingest"
TITLE = "merchant-listings TSV (gzip) -> DataFrame"
ROWS = {"small": 100_000, "full": 2_000_000}
REPEATS = {"small": 1, "full": 3}
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
MARKETPLACE_ID = "ATVPDKIKX0DER"
SANDBOX = {"speed": 1000.0, "processing_seconds": 1.0, "document_ttl": 86400.0}
REPORTS = "/reports/2021-06-30"

#: python-amazon-sp-api lives in its own venv (it pins httpx etc.); see README.md.
SPAPI_PYTHON_DEFAULT = "/tmp/amzv-bench-spapi/bin/python"


def spapi_python() -> str | None:
    path = os.environ.get("AMZV_BENCH_SPAPI_PYTHON", SPAPI_PYTHON_DEFAULT)
    return path if path and Path(path).exists() else None


# ---------------------------------------------------------------------------------------------
# contenders (each runs in its own process: `python scenario_flat_ingest.py NAME '{json}'`)


def _access_token(conn: dict) -> str:
    import requests

    c = conn["credentials"]
    resp = requests.post(conn["token_url"], data={"grant_type": "refresh_token", "refresh_token": c["refresh_token"],
                                                  "client_id": c["client_id"], "client_secret": c["client_secret"]},
                         timeout=30)
    resp.raise_for_status()
    return resp.json()["access_token"]


def floor(opts: dict) -> None:
    import pandas as pd  # noqa: F401  (to_pandas needs it; imported before the timer like the others)
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import requests

    conn = opts["conn"]
    session = requests.Session()
    session.headers["x-amz-access-token"] = _access_token(conn)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "document.tsv.gz")
        t0 = time.perf_counter()
        meta = session.get(f"{conn['url']}{REPORTS}/documents/{opts['document_id']}", timeout=30)
        meta.raise_for_status()
        meta = meta.json()
        with requests.get(meta["url"], stream=True, timeout=(10, 120)) as resp, open(path, "wb") as fh:
            resp.raise_for_status()
            for chunk in resp.iter_content(1 << 20):
                fh.write(chunk)
        download = time.perf_counter() - t0
        compression = "gzip" if meta.get("compressionAlgorithm") == "GZIP" else None
        table = pacsv.read_csv(pa.input_stream(path, compression=compression),
                               read_options=pacsv.ReadOptions(encoding=opts["encoding"]),
                               parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False))
        df = table.to_pandas()
        del table
        seconds = time.perf_counter() - t0
    report(seconds=seconds, download=download, parse=seconds - download, rows=len(df), columns=len(df.columns))


def _amzv(opts: dict, *, cache: bool, dtype_backend: str | None = None) -> None:
    from _harness import amzv_client
    from amzv_pandas._parsers.inflate import backend_name
    from amzv_pandas._reports.api import get_report

    client = amzv_client(opts["conn"], cache_dir=opts["cache_dir"])
    client.request("GET", f"{REPORTS}/reports/{opts['report_id']}")  # LWA token before the timer
    t0 = time.perf_counter()
    df = get_report(opts["report_id"], cache=cache, progress_bar_type=None, client=client, dtype_backend=dtype_backend)
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(df), columns=len(df.columns), calls=dict(client.calls), inflate=backend_name(),
           dtypes={str(k): str(v) for k, v in df.dtypes.items()})


def amzv_cold(opts: dict) -> None:
    _amzv(opts, cache=False)


def amzv_warm(opts: dict) -> None:
    _amzv(opts, cache=True)


def amzv_cold_arrow(opts: dict) -> None:
    _amzv(opts, cache=False, dtype_backend="pyarrow")


def amzv_warm_arrow(opts: dict) -> None:
    _amzv(opts, cache=True, dtype_backend="pyarrow")


def parts(opts: dict) -> None:
    """The two halves of a cold ingest on their own: inflate, then parse + to_pandas from memory."""
    import pandas as pd  # noqa: F401
    import requests
    from amzv_pandas._parsers.flat_file import parse_flat_file
    from amzv_pandas._parsers.inflate import backend_name, decompressobj
    from amzv_pandas._specs.registry import get_report_type

    conn = opts["conn"]
    session = requests.Session()
    session.headers["x-amz-access-token"] = _access_token(conn)
    meta = session.get(f"{conn['url']}{REPORTS}/documents/{opts['document_id']}", timeout=30).json()
    body = requests.get(meta["url"], timeout=(10, 120)).content  # untimed
    dtypes = get_report_type(REPORT_TYPE).flat_file_dtypes()
    t0 = time.perf_counter()
    text = decompressobj(31).decompress(body)
    decompress = time.perf_counter() - t0
    del body
    t1 = time.perf_counter()
    df = parse_flat_file(text, quotechar=None, encoding=opts["encoding"], dtypes=dtypes)
    parse = time.perf_counter() - t1
    report(seconds=max(decompress, parse), decompress=decompress, parse=parse, rows=len(df), inflate=backend_name(),
           expanded=len(text))


def peer_recipe(opts: dict) -> None:
    """python-amazon-sp-api's get_report_document(download=True) done by hand, then pd.read_csv.

    What that library does inside (the whole body in memory, ``zlib.decompress(.., 15 + 32)``,
    ``.decode(charset)``) and what its users then write: ``pd.read_csv(io.StringIO(text),
    sep="\t")``. Needs no second venv, so the ratio is always measured.
    """
    import csv
    import io
    import zlib

    import pandas as pd
    import requests

    conn = opts["conn"]
    session = requests.Session()
    session.headers["x-amz-access-token"] = _access_token(conn)
    t0 = time.perf_counter()
    meta = session.get(f"{conn['url']}{REPORTS}/documents/{opts['document_id']}", timeout=30).json()
    content = requests.get(meta["url"], timeout=(10, 120)).content
    if meta.get("compressionAlgorithm"):
        content = zlib.decompress(content, 15 + 32)
    text = content.decode(opts["encoding"])
    del content
    download = time.perf_counter() - t0
    verbatim_error = None
    t1 = time.perf_counter()
    try:
        df = pd.read_csv(io.StringIO(text), sep="\t")  # the recipe, verbatim
    except Exception as exc:  # stray quotes in titles: CSV quoting fails on them
        verbatim_error = f"{type(exc).__name__}: {str(exc)[:200]}"
        t1 = time.perf_counter()  # as (d): only the parse that works (the user's code once fixed)
        df = pd.read_csv(io.StringIO(text), sep="\t", quoting=csv.QUOTE_NONE)
    parse = time.perf_counter() - t1
    report(seconds=download + parse, download=download, parse=parse, rows=len(df), columns=len(df.columns),
           verbatim_error=verbatim_error)


def spapi(opts: dict) -> None:
    import csv
    import io
    import types

    os.environ.pop("SP_API_DEFAULT_MARKETPLACE", None)
    os.environ["AWS_ENV"] = "PRODUCTION"
    import pandas as pd
    from sp_api.api import Reports
    from sp_api.auth import AccessTokenClient

    conn = opts["conn"]
    host = conn["url"].split("://", 1)[1]

    class LocalLWA(AccessTokenClient):
        scheme = "http://"

    LocalLWA.host = host
    local_us = types.SimpleNamespace(endpoint=conn["url"], marketplace_id=MARKETPLACE_ID, region="us-east-1")
    c = conn["credentials"]
    reports = Reports(marketplace=local_us, credentials=dict(refresh_token=c["refresh_token"],
                                                             lwa_app_id=c["client_id"],
                                                             lwa_client_secret=c["client_secret"]),
                      auth_token_client_class=LocalLWA, timeout=120)
    rep = reports.get_report(opts["report_id"]).payload  # polling (already DONE) + LWA: untimed
    assert rep["processingStatus"] == "DONE", rep
    t0 = time.perf_counter()
    doc = reports.get_report_document(rep["reportDocumentId"], download=True, character_code=opts["encoding"])
    text = doc.payload["document"]
    download = time.perf_counter() - t0
    verbatim_error = None
    t1 = time.perf_counter()
    try:
        df = pd.read_csv(io.StringIO(text), sep="\t")  # the recipe, verbatim
    except Exception as exc:  # stray quotes in titles: CSV quoting fails on them
        verbatim_error = f"{type(exc).__name__}: {str(exc)[:200]}"
        t1 = time.perf_counter()  # count only the parse that works
        df = pd.read_csv(io.StringIO(text), sep="\t", quoting=csv.QUOTE_NONE)
    parse = time.perf_counter() - t1
    report(seconds=download + parse, download=download, parse=parse, rows=len(df), columns=len(df.columns),
           verbatim_error=verbatim_error)


CONTENDERS = {"floor": floor, "amzv_cold": amzv_cold, "amzv_warm": amzv_warm, "amzv_cold_arrow": amzv_cold_arrow,
              "amzv_warm_arrow": amzv_warm_arrow, "parts": parts, "peer_recipe": peer_recipe, "spapi": spapi}


# ---------------------------------------------------------------------------------------------
# parent


def prepare(sb, log) -> dict:
    """Create the report and wait until DONE (untimed); return ids and the codec."""
    from _harness import amzv_client
    from amzv_pandas._specs.registry import get_report_type

    client = amzv_client(sb.connection())
    t0 = time.perf_counter()
    rid = client.request("POST", f"{REPORTS}/reports",
                         json={"reportType": REPORT_TYPE, "marketplaceIds": [MARKETPLACE_ID]})["reportId"]
    while True:
        rep = client.request("GET", f"{REPORTS}/reports/{rid}")
        if rep["processingStatus"] in ("DONE", "FATAL", "CANCELLED"):
            break
        time.sleep(0.2)
    if rep["processingStatus"] != "DONE":
        raise RuntimeError(f"report {rid} ended {rep['processingStatus']}")
    log(f"    report {rid} DONE after {time.perf_counter() - t0:.1f} s (untimed)")
    client.close()
    return {"report_id": rid, "document_id": rep["reportDocumentId"],
            "encoding": get_report_type(REPORT_TYPE).encoding_for("US")}


def run(size: str, log) -> tuple[list[Row], list[str]]:
    from _harness import SandboxProcess

    notes: list[str] = []
    script = Path(__file__)
    spy = spapi_python()
    with SandboxProcess(flat_rows=ROWS[size], **SANDBOX) as sb, tempfile.TemporaryDirectory() as cache_dir:
        ids = prepare(sb, log)
        base = {"conn": sb.connection(), "cache_dir": cache_dir, **ids}
        # Fill the cache for (c) in a process of its own (also the warm-up: page cache, .pyc).
        run_script(script, "amzv_warm", base)
        contenders = {
            "floor": lambda: run_script(script, "floor", base),
            "amzv_cold": lambda: run_script(script, "amzv_cold", base),
            "amzv_warm": lambda: run_script(script, "amzv_warm", base),
            "amzv_cold_arrow": lambda: run_script(script, "amzv_cold_arrow", base),
            "amzv_warm_arrow": lambda: run_script(script, "amzv_warm_arrow", base),
            "parts": lambda: run_script(script, "parts", base),
            "peer_recipe": lambda: run_script(script, "peer_recipe", base),
        }
        if spy:
            contenders["spapi"] = lambda: run_script(script, "spapi", base, python=spy)
        else:
            notes.append("python-amazon-sp-api not installed: contender (d) skipped "
                         "(create the venv as README.md says, or set AMZV_BENCH_SPAPI_PYTHON)")
        res = alternate(contenders, REPEATS[size], log=log)
    fl, cold, warm = res["floor"], res["amzv_cold"], res["amzv_warm"]
    rows_info = {k: v[0].result.get("rows") for k, v in res.items()}
    details = {"rows": rows_info, "flat_rows": ROWS[size], "report_id": ids["report_id"], "encoding": ids["encoding"],
               "runs": {k: [{x: y for x, y in r.result.items() if x != "dtypes"} for r in v] for k, v in res.items()},
               "peak_rss": {k: [r.peak_rss for r in v] for k, v in res.items()},
               "amzv_dtypes": cold[0].result.get("dtypes")}
    if len({v for v in rows_info.values()}) != 1:
        notes.append(f"contenders disagree on the row count: {rows_info}")
    if "spapi" in res and res["spapi"][0].result.get("verbatim_error"):
        notes.append("python-amazon-sp-api: the recipe's pd.read_csv(sep='\\t') failed on this document ("
                     + res["spapi"][0].result["verbatim_error"][:120]
                     + "); timed with quoting=csv.QUOTE_NONE instead")
    rows = [
        Row(NAME, "wall, (b) amzv cache=False vs (a) floor", median_seconds(cold), median_seconds(fl), "s",
            "<=", 1.2, details=details),
        Row(NAME, "peak RSS, (b) vs (a) floor", median_rss(cold), median_rss(fl), "MiB", "<=", 1.3),
        Row(NAME, "wall, (c) warm cache vs (b)", median_seconds(warm), median_seconds(cold), "s", "<=", 0.1),
        Row(NAME, "wall, (b) vs max(inflate, parse+to_pandas) (e)", median_seconds(cold), median_seconds(res["parts"]),
            "s", "<=", 1.2, details={"decompress": [r.result["decompress"] for r in res["parts"]],
                                     "parse": [r.result["parse"] for r in res["parts"]],
                                     "inflate": res["parts"][0].result.get("inflate")}),
        Row(NAME, "wall, (b) vs (f) peer recipe by hand", median_seconds(cold), median_seconds(res["peer_recipe"]),
            "s", "<=", 0.2),
        Row(NAME, "peak RSS, (b) vs (f) peer recipe by hand", median_rss(cold), median_rss(res["peer_recipe"]),
            "MiB", "<=", 0.3),
        Row(NAME, "wall, dtype_backend='pyarrow' cold vs (b)", median_seconds(res["amzv_cold_arrow"]),
            median_seconds(cold), "s", None, None),
        Row(NAME, "wall, dtype_backend='pyarrow' warm vs its cold", median_seconds(res["amzv_warm_arrow"]),
            median_seconds(res["amzv_cold_arrow"]), "s", "<=", 0.1),
    ]
    if res["peer_recipe"][0].result.get("verbatim_error"):
        notes.append("peer recipe (f): pd.read_csv(sep='\\t') failed on this document ("
                     + res["peer_recipe"][0].result["verbatim_error"][:120]
                     + "); timed with quoting=csv.QUOTE_NONE instead")
    if "spapi" in res:
        sp = res["spapi"]
        rows.append(Row(NAME, "wall, (b) vs (d) python-amazon-sp-api", median_seconds(cold), median_seconds(sp),
                        "s", "<=", 0.2))
        rows.append(Row(NAME, "peak RSS, (b) vs (d) python-amazon-sp-api", median_rss(cold), median_rss(sp),
                        "MiB", "<=", 0.3))
    else:
        rows.append(Row(NAME, "wall, (b) vs (d) python-amazon-sp-api", None, None, "s", "<=", 0.2,
                        note="python-amazon-sp-api not installed"))
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
