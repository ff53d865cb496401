"""Fault injection: queued misbehaviours the server applies to the next matching requests.

A fault applies to the next ``count`` matching requests, or (with ``probability``)
to that share of them, drawn from a seeded generator so a load test is repeatable.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ANSWER_KINDS", "BODY_DOCUMENTS", "FAULT_KINDS", "Fault", "FaultQueue"]

#: kind -> (allowed keyword options with defaults)
FAULT_KINDS: dict[str, dict[str, Any]] = {
    "429": {},
    "500": {},
    "503": {},
    "drop": {},
    "truncate": {"fraction": 0.5},
    "delay": {"seconds": 1.0},
    "expire_tokens": {},
    "report_outcome": {"status": "FATAL", "error_details": None, "report_type": None},
    "not_found_after_create": {"seconds": None},
    "fail_after_create": {"status": 500, "drop": False},
    "redirect": {"status": 302, "location": "http://127.0.0.2:9/elsewhere"},
    "body": {"document": None, "data": None, "depth": 100_000, "expanded_bytes": 4 << 30, "fill": None,
             "size": 1 << 30, "status": 200, "content_type": None},
    "drip": {"bytes_per_second": 1.0, "max_seconds": 600.0},
    "missing_status": {"field": "processingStatus"},
    "echo_credentials": {},
    "query_outcome": {"status": "FATAL", "message": None, "error_shape": "graphql"},
    "query_limit": {},
}

#: Faults that answer (or do not answer) a request in place of the real handler.
ANSWER_KINDS = frozenset({"429", "500", "503", "drop", "redirect", "echo_credentials"})
#: What ``body`` faults can send instead of the real answer.
BODY_DOCUMENTS = ("null", "deep", "bomb", "oversized")
#: Faults whose operation is fixed by their nature.
_FORCED_OPERATION = {"truncate": "downloadDocument", "not_found_after_create": "getReport",
                     "report_outcome": "createReport", "fail_after_create": "createReport",
                     "missing_status": "getReport", "query_outcome": "createQuery", "query_limit": "createQuery"}
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass
class Fault:
    """One injected fault and how many more requests it applies to (None: no limit)."""

    kind: str
    operation: str | None
    remaining: int | None
    options: dict[str, Any] = field(default_factory=dict)
    probability: float | None = None
    # not_found_after_create(seconds=...): the reports it answers 404 for, until they are that old.
    reports: set[str] = field(default_factory=set)
    serial: int = 0  # order of injection: part of what seeds its draws
    draws: dict[str, int] = field(default_factory=dict)  # matching requests seen, per operation

    def applies_to(self, operation: str, *, sp_api: bool) -> bool:
        # operation=None means "any SP-API operation": the token endpoint and
        # document downloads must be named explicitly.
        if self.operation is None:
            return sp_api
        return self.operation == operation

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def _check_options(kind: str, operation: str | None, opts: dict[str, Any]) -> None:
    """Raise ValueError/TypeError for an option value a fault cannot use."""
    if kind == "report_outcome" and opts["status"] not in ("FATAL", "CANCELLED"):
        raise ValueError(f"report_outcome status must be 'FATAL' or 'CANCELLED', got {opts['status']!r}")
    if kind == "query_outcome":
        if opts["status"] not in ("FATAL", "CANCELLED", "NO_DATA"):
            raise ValueError(f"query_outcome status must be 'FATAL', 'CANCELLED' or 'NO_DATA', got {opts['status']!r}")
        if opts["error_shape"] not in ("graphql", "message"):
            raise ValueError(f"query_outcome error_shape must be 'graphql' or 'message', got {opts['error_shape']!r}")
    if kind == "truncate" and not 0 <= float(opts["fraction"]) < 1:
        raise ValueError("truncate fraction must be in [0, 1)")
    if kind == "delay" and float(opts["seconds"]) < 0:
        raise ValueError("delay seconds must be >= 0")
    if kind == "not_found_after_create" and opts["seconds"] is not None and not float(opts["seconds"]) > 0:
        raise ValueError(f"not_found_after_create seconds must be > 0, got {opts['seconds']!r}")
    if kind == "fail_after_create":
        if opts["status"] not in (500, 503):
            raise ValueError(f"fail_after_create status must be 500 or 503, got {opts['status']!r}")
        if not isinstance(opts["drop"], bool):
            raise TypeError(f"fail_after_create drop must be True or False, got {opts['drop']!r}")
    if kind == "redirect":
        if opts["status"] not in _REDIRECT_STATUSES:
            raise ValueError(f"redirect status must be one of {_REDIRECT_STATUSES}, got {opts['status']!r}")
        if not isinstance(opts["location"], str) or not opts["location"]:
            raise ValueError(f"redirect location must be a non-empty URL string, got {opts['location']!r}")
    if kind == "body":
        _check_body(operation, opts)
    if kind == "drip":
        for name in ("bytes_per_second", "max_seconds"):
            if not isinstance(opts[name], (int, float)) or isinstance(opts[name], bool) or not opts[name] > 0:
                raise ValueError(f"drip {name} must be a number > 0, got {opts[name]!r}")
    if kind == "missing_status" and (not isinstance(opts["field"], str) or not opts["field"]):
        raise ValueError(f"missing_status field must be a field name, got {opts['field']!r}")
    if kind == "echo_credentials" and operation in ("downloadDocument", "consent"):
        raise ValueError("echo_credentials applies to the token endpoint or an SP-API operation")
    if kind in ("body", "drip") and operation == "consent":
        raise ValueError(f"{kind} applies to downloadDocument, the token endpoint or an SP-API operation")


def _check_body(operation: str | None, opts: dict[str, Any]) -> None:
    document, data = opts["document"], opts["data"]
    if (document is None) == (data is None):
        raise ValueError("body takes exactly one of document= (one of "
                         f"{', '.join(BODY_DOCUMENTS)}) or data= (bytes)")
    if data is not None and not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"body data must be bytes, got {type(data).__name__}")
    if document is not None and document not in BODY_DOCUMENTS:
        raise ValueError(f"body document must be one of {', '.join(BODY_DOCUMENTS)}, got {document!r}")
    for name, low in (("depth", 1), ("expanded_bytes", 0), ("size", 0)):
        value = opts[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"body {name} must be an integer >= {low}, got {value!r}")
    if opts["fill"] is not None and (not isinstance(opts["fill"], (bytes, bytearray)) or not opts["fill"]):
        raise TypeError(f"body fill must be non-empty bytes, got {opts['fill']!r}")
    if not isinstance(opts["status"], int) or not 200 <= opts["status"] <= 599:
        raise ValueError(f"body status must be an HTTP status 200-599, got {opts['status']!r}")
    if document == "bomb" and operation != "downloadDocument":
        raise ValueError("body document='bomb' (a gzip document) applies to operation='downloadDocument' only")


class FaultQueue:
    """Thread-safe FIFO of pending faults.

    Parameters
    ----------
    seed : int
        Seeds the draws of probabilistic faults. The draw for the n-th matching
        request of an operation depends only on the seed, the fault and n, so
        how many polls or token requests a run makes does not shift which
        createReport (say) fails; concurrent requests of one operation may
        still swap draws.
    """

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._seed = seed
        self._serials = itertools.count()

    def add(self, kind: str, *, operation: str | None = None, count: int | None = 1,
            probability: float | None = None, **options: Any) -> Fault:
        """Validate and queue a fault (see :meth:`amzv_pandas.sandbox.Sandbox.inject`)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise ValueError(f"count must be a positive integer or None (no limit), got {count!r}")
        if probability is not None:
            if (not isinstance(probability, (int, float)) or isinstance(probability, bool)
                    or not 0 < probability <= 1):
                raise ValueError(f"probability must be a number in (0, 1], got {probability!r}")
            if kind == "expire_tokens":
                raise ValueError("expire_tokens acts at once; it takes no probability")
            probability = float(probability)
        allowed = FAULT_KINDS[kind]
        unknown = set(options) - set(allowed)
        if unknown:
            raise TypeError(f"fault {kind!r} takes no option(s) {', '.join(sorted(unknown))}; "
                            f"allowed: {', '.join(allowed) or 'none'}")
        opts = {**allowed, **options}
        operation = _FORCED_OPERATION.get(kind, operation)
        _check_options(kind, operation, opts)
        fault = Fault(kind, operation, count, opts, probability, serial=next(self._serials))
        with self._lock:
            self._faults.append(fault)
        return fault

    def _draw(self, fault: Fault, operation: str) -> bool:
        # Called under the lock. A hash, not a shared generator: see the class docstring.
        if fault.probability is None:
            return True
        n = fault.draws.get(operation, 0)
        fault.draws[operation] = n + 1
        digest = hashlib.blake2b(f"{self._seed}/{fault.serial}/{fault.kind}/{operation}/{n}".encode(),
                                 digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2.0**64 < fault.probability

    def take(self, kinds: frozenset[str] | set[str], operation: str, *, sp_api: bool,
             report_type: str | None = None) -> Fault | None:
        """Consume one use of the first pending fault of ``kinds`` that applies."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault.applies_to(operation, sp_api=sp_api):
                    continue
                if fault.kind == "not_found_after_create" and fault.options["seconds"] is not None:
                    continue  # timed: see take_not_found
                wanted_type = fault.options.get("report_type")
                if wanted_type is not None and wanted_type != report_type:
                    continue
                if not self._draw(fault, operation):
                    continue
                self._use(fault)
                return fault
        return None

    def _use(self, fault: Fault) -> None:
        # Called under the lock: spend one use; a spent fault leaves the queue.
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.spent:
                self._faults.remove(fault)

    def take_not_found(self, report_id: str, age: float | None) -> bool:
        """Whether getReport of ``report_id`` (created ``age`` seconds ago) must answer 404.

        A counted fault answers 404 ``count`` times; a timed one (``seconds=``) picks
        the next ``count`` reports younger than ``seconds`` and answers 404 for each of
        them until it is that old.
        """
        with self._lock:
            for fault in list(self._faults):
                if fault.kind != "not_found_after_create":
                    continue
                seconds = fault.options["seconds"]
                if seconds is None:
                    if not self._draw(fault, "getReport"):
                        continue
                    self._use(fault)
                    return True
                young = age is not None and age < float(seconds)
                if report_id in fault.reports:
                    if young:
                        return True
                    fault.reports.discard(report_id)
                    if fault.spent and not fault.reports:
                        self._faults.remove(fault)
                    continue
                if young and not fault.spent and self._draw(fault, "getReport"):
                    fault.reports.add(report_id)
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return True
        return False

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
