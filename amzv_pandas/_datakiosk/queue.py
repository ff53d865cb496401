"""The library's own queue for Data Kiosk's limit on concurrent non-terminal queries.

Amazon limits the queries of one selling partner that are IN_QUEUE or IN_PROGRESS at once
(the number is not published). Every query this process creates holds a slot of its account's
semaphore from createQuery until the query reaches a terminal status, so threads (or several
accounts' reads) never exceed :data:`MAX_NON_TERMINAL` per account; a refusal by the service
(another program using the same account) is waited out and retried by the run
(:func:`is_concurrency_refusal`).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

from ..exceptions import RateLimited, SPAPIError

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["MAX_NON_TERMINAL", "slot", "is_concurrency_refusal", "set_max_non_terminal"]

#: Non-terminal queries per account this process keeps at most (Amazon's number is unpublished).
MAX_NON_TERMINAL = 2

_lock = threading.Lock()
_semaphores: dict[tuple[str, str], tuple[int, threading.BoundedSemaphore]] = {}
_WORDING = re.compile(r"concurren|non-terminal|too many|in progress|limit", re.I)


def set_max_non_terminal(n: int) -> None:
    """Change the per-account limit for queries started from now on."""
    global MAX_NON_TERMINAL
    MAX_NON_TERMINAL = max(int(n), 1)


def _semaphore(client: "Transport") -> threading.BoundedSemaphore:
    key = (str(getattr(client, "region", "")), str(client.account_key))
    with _lock:
        held = _semaphores.get(key)
        if held is None or held[0] != MAX_NON_TERMINAL:
            held = (MAX_NON_TERMINAL, threading.BoundedSemaphore(MAX_NON_TERMINAL))
            _semaphores[key] = held
        return held[1]


@contextlib.contextmanager
def slot(client: "Transport", stop: threading.Event | None = None, wait_slice: float = 0.25, *,
         deadline: float | None = None, on_deadline: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold one of the account's non-terminal query slots (waiting in slices so a stop is heard).

    ``deadline`` is a :func:`time.monotonic` instant: past it ``on_deadline()`` is called (it raises).
    """
    sem = _semaphore(client)
    while not sem.acquire(timeout=wait_slice):
        if stop is not None and stop.is_set():
            raise TimeoutError("stopped while waiting for a Data Kiosk query slot")
        if deadline is not None and time.monotonic() >= deadline and on_deadline is not None:
            on_deadline()
    try:
        yield
    finally:
        sem.release()


def is_concurrency_refusal(exc: BaseException) -> bool:
    """Whether createQuery was refused for too many queries at once (429, or 400/409 saying so)."""
    if isinstance(exc, RateLimited):
        return True
    if isinstance(exc, SPAPIError) and getattr(exc, "status_code", None) in (400, 409):
        text = " ".join(str(getattr(exc, a, "") or "") for a in ("code", "message", "details")) + str(exc)
        return bool(_WORDING.search(text)) and "InvalidInput" not in str(getattr(exc, "code", ""))
    return False
