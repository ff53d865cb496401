"""Fault injection: queued misbehaviours the server applies to the next matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "FaultQueue"]

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
    "not_found_after_create": {},
}

#: Faults that answer (or do not answer) a request in place of the real handler.
ANSWER_KINDS = frozenset({"429", "500", "503", "drop"})


@dataclass
class Fault:
    """One injected fault and how many more requests it applies to."""

    kind: str
    operation: str | None
    remaining: int
    options: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, operation: str, *, sp_api: bool) -> bool:
        # operation=None means "any SP-API operation": the token endpoint and
        # document downloads must be named explicitly.
        if self.operation is None:
            return sp_api
        return self.operation == operation


class FaultQueue:
    """Thread-safe FIFO of pending faults."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, *, operation: str | None = None, count: int = 1, **options: Any) -> Fault:
        """Validate and queue a fault (see :meth:`amzv_pandas.sandbox.Sandbox.inject`)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive integer, got {count!r}")
        allowed = FAULT_KINDS[kind]
        unknown = set(options) - set(allowed)
        if unknown:
            raise TypeError(f"fault {kind!r} takes no option(s) {', '.join(sorted(unknown))}; "
                            f"allowed: {', '.join(allowed) or 'none'}")
        opts = {**allowed, **options}
        if kind == "report_outcome" and opts["status"] not in ("FATAL", "CANCELLED"):
            raise ValueError(f"report_outcome status must be 'FATAL' or 'CANCELLED', got {opts['status']!r}")
        if kind == "truncate" and not 0 <= float(opts["fraction"]) < 1:
            raise ValueError("truncate fraction must be in [0, 1)")
        if kind == "delay" and float(opts["seconds"]) < 0:
            raise ValueError("delay seconds must be >= 0")
        if kind == "truncate":
            operation = "downloadDocument"
        elif kind == "not_found_after_create":
            operation = "getReport"
        elif kind == "report_outcome":
            operation = "createReport"
        fault = Fault(kind, operation, count, opts)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, kinds: frozenset[str] | set[str], operation: str, *, sp_api: bool,
             report_type: str | None = None) -> Fault | None:
        """Consume one use of the first pending fault of ``kinds`` that applies."""
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault.applies_to(operation, sp_api=sp_api):
                    continue
                wanted_type = fault.options.get("report_type")
                if wanted_type is not None and wanted_type != report_type:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
