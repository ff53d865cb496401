"""The pacing schedule, on a fake clock (no real waiting)."""

import threading

import pytest

from amzv_pandas._transport.ratelimit import SAFETY, SAFETY_MIN, Backoff, RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def interval(rate: float) -> float:
    return (1 / rate) * (1 + SAFETY) + min(SAFETY_MIN, SAFETY / rate)


def test_burst_then_rate():
    clock = FakeClock()
    bucket = TokenBucket(2.0, 2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(40)]
    assert waits[:2] == [0.0, 0.0]
    assert all(w == pytest.approx(interval(2.0)) for w in waits[2:])
    # 40 calls with burst 2: never faster than the advertised 2/s
    assert clock.now - 1000.0 >= 38 / 2.0


def test_refills_while_idle_up_to_burst():
    clock = FakeClock()
    bucket = TokenBucket(1.0, 3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert bucket.acquire() == 0
    clock.now += 100  # idle far longer than needed: refill caps at burst
    assert [bucket.acquire() for _ in range(3)] == [0, 0, 0]
    assert bucket.acquire() > 0


def test_header_rate_replaces_default():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert limiter.bucket("getReport").rate == 2.0  # model default
    assert limiter.update("getReport", "10.0") == 10.0
    assert limiter.bucket("getReport").rate == 10.0
    assert limiter.update("getReport", "garbage") is None
    assert limiter.bucket("getReport").rate == 10.0


def test_throttled_drains_bucket():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert limiter.acquire("searchCatalogItems") == 0  # burst 2, one left
    assert limiter.throttled("searchCatalogItems") == pytest.approx(0.5)
    assert limiter.acquire("searchCatalogItems") == pytest.approx(interval(2.0))


def test_unknown_operation_unpaced_until_header():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert all(limiter.acquire("GET /x") == 0 for _ in range(10))
    limiter.update("GET /x", "1")
    assert [limiter.acquire("GET /x") > 0 for _ in range(2)] == [False, True]


def test_concurrent_callers_queue_in_order():
    clock = FakeClock()
    bucket = TokenBucket(1.0, 1, clock=clock, sleep=lambda s: None)
    waits = []
    lock = threading.Lock()

    def worker():
        w = bucket.reserve()
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([0.0] + [interval(1.0) * k for k in range(1, 5)])


def test_backoff_grows_and_is_capped():
    import random

    b = Backoff(base=0.5, cap=4.0, rng=random.Random(1))
    delays = [b.delay(a) for a in range(8)]
    for attempt, d in enumerate(delays):
        top = min(4.0, 0.5 * 2 ** attempt)
        assert top / 2 <= d <= top
    assert b.delay(0, floor=3.0) >= 3.0
