"""A fake Transport speaking Data Kiosk's model (createQuery, getQuery, getDocument, the document URL)."""

from __future__ import annotations

import collections
import gzip
import itertools
import json
import threading
from pathlib import Path
from typing import Any, Callable

from amzv_pandas._transport.ratelimit import Backoff
from amzv_pandas.exceptions import NotFound, RateLimited

API = "/dataKiosk/2023-11-15"


class _Download:
    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        self.data, self.headers = data, headers

    def iter_raw(self, n: int):
        for i in range(0, len(self.data), n):
            yield self.data[i:i + n]

    def close(self) -> None:
        pass


class FakeDataKiosk:
    """``pages``: the documents (bytes) of successive pages; ``outcome`` may be FATAL/CANCELLED/EMPTY."""

    region = "NA"
    account_key = "fake-account"
    max_retries = 3

    def __init__(self, cache_dir: Path, pages: list[bytes] | None = None, *, outcome: str = "DONE",
                 error_doc: bytes | None = None, polls: int = 1, gzip_docs: bool = False,
                 refusals: int = 0, on_create: Callable[[], None] | None = None,
                 service_limit: int | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.pages = pages or []
        self.outcome, self.error_doc, self.polls, self.gzip_docs = outcome, error_doc, polls, gzip_docs
        self.refusals = refusals
        self.service_limit = service_limit  # the service's own limit of non-terminal queries (429 beyond)
        self.refused = 0
        self.on_create = on_create
        self.calls: collections.Counter[str] = collections.Counter()
        self.bodies: list[dict[str, Any]] = []
        self.queries: dict[str, dict[str, Any]] = {}
        self.backoff = Backoff(base=0.01, cap=0.05)
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.active = 0
        self.max_active = 0

    def resolve_marketplace(self, marketplace: Any = None) -> Any:
        from amzv_pandas._specs.marketplaces import get_marketplace

        return get_marketplace(marketplace)

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None, retries: Any = None) -> Any:
        if method == "POST" and path == f"{API}/queries":
            self.calls["createQuery"] += 1
            with self.lock:
                if self.refusals or (self.service_limit is not None and self.active >= self.service_limit):
                    self.refusals = max(self.refusals - 1, 0)
                    self.refused += 1
                    raise RateLimited(429, [{"code": "QuotaExceeded", "message": "too many queries"}])
                self.bodies.append(dict(json))
                qid = f"q{next(self.ids)}"
                token = json.get("paginationToken")
                page = 0 if token is None else int(token.split("-")[1])
                self.queries[qid] = {"query": json["query"], "page": page, "polls": 0, "status": "IN_QUEUE"}
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            if self.on_create:
                self.on_create()
            return {"queryId": qid}
        if method == "GET" and path.startswith(f"{API}/queries/"):
            self.calls["getQuery"] += 1
            qid = path.rsplit("/", 1)[1]
            q = self.queries.get(qid)
            if q is None:
                raise NotFound(404, [{"code": "NotFound", "message": "no such query"}])
            with self.lock:
                q["polls"] += 1
                if q["polls"] < self.polls:
                    q["status"] = "IN_PROGRESS"
                    return {"queryId": qid, "query": q["query"], "processingStatus": "IN_PROGRESS",
                            "createdTime": "2026-12-01T00:00:00Z"}
                if q["status"] not in ("DONE", "FATAL", "CANCELLED"):
                    self.active -= 1
            out: dict[str, Any] = {"queryId": qid, "query": q["query"], "createdTime": "2026-12-01T00:00:00Z"}
            if self.outcome == "FATAL":
                q["status"] = "FATAL"
                out.update(processingStatus="FATAL", errorDocumentId="err-1")
            elif self.outcome == "CANCELLED":
                q["status"] = "CANCELLED"
                out.update(processingStatus="CANCELLED")
            elif self.outcome == "EMPTY" or not self.pages:
                q["status"] = "DONE"
                out.update(processingStatus="DONE")
            else:
                q["status"] = "DONE"
                out.update(processingStatus="DONE", dataDocumentId=f"doc-{q['page']}")
                if q["page"] + 1 < len(self.pages):
                    out["pagination"] = {"nextToken": f"tok-{q['page'] + 1}"}
            return out
        if method == "GET" and path.startswith(f"{API}/documents/"):
            self.calls["getDocument"] += 1
            doc = path.rsplit("/", 1)[1]
            return {"documentId": doc, "documentUrl": f"https://s3.example/{doc}?X-Amz-Signature=secret"}
        raise AssertionError(f"unexpected call {method} {path}")

    def download(self, url: str, **_: Any) -> _Download:
        self.calls["download"] += 1
        doc = url.split("/")[-1].split("?")[0]
        data = self.error_doc if doc.startswith("err") else self.pages[int(doc.split("-")[1])]
        assert data is not None
        if self.gzip_docs:
            data = gzip.compress(data)
        return _Download(data, {"Content-Length": str(len(data))})

    @property
    def total_calls(self) -> int:
        return sum(v for k, v in self.calls.items())


def line(start: str, groups: list[dict[str, Any]], market: str = "ATVPDKIKX0DER", **extra: Any) -> str:
    return json.dumps({"startDate": start, "endDate": start, "marketplaceId": market, "metrics": groups, **extra})


def jsonl(*lines: str) -> bytes:
    return "".join(x + "\n" for x in lines).encode("utf-8")
