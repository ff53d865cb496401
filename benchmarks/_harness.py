"""Shared machinery of the benchmarks: fresh-process contenders, peak RSS, the sandbox process, rows.

Only the standard library is imported here: contender processes import this module too, and
nothing must be loaded into them that the contender itself would not load.

* :func:`run_child` starts one contender as its own ``python`` process, waits for it with
  ``os.wait4`` and returns its peak RSS plus the JSON the child printed with :func:`report` (the
  child times its own measured section, so interpreter start-up and set-up before the timer are
  not counted). Peak RSS is the child's own ``VmHWM`` when it reports one, else ``ru_maxrss``.
* :class:`SandboxProcess` runs ``amzv_pandas.sandbox.serve`` in a separate process
  (``_sandbox.py``), so the server's CPU and memory never land in a contender's numbers; the
  parent asks it for ``stats``/``reset`` over its stdin/stdout.
* :class:`Row` is one line of the results table.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
MARKER = "AMZV_BENCH_RESULT "

#: Sizes of every scenario; "full" is what the targets in README.md refer to.
SIZES = ("small", "full")


# ---------------------------------------------------------------------------------------------
# child side


def report(**values: Any) -> None:
    """Called by a contender process: hand its measurements to the parent (one JSON line).

    Adds ``peak_rss``: this process's VmHWM (see :func:`peak_rss_self`).
    """
    values.setdefault("peak_rss", peak_rss_self())
    sys.stdout.write("\n" + MARKER + json.dumps(values) + "\n")
    sys.stdout.flush()


def child_args() -> tuple[str, dict[str, Any]]:
    """``python scenario.py <contender> '<json options>'`` -> (contender, options)."""
    if len(sys.argv) != 3:
        raise SystemExit(f"usage: {sys.argv[0]} CONTENDER JSON_OPTIONS")
    return sys.argv[1], json.loads(sys.argv[2])


#: One statement a ``python -c`` contender appends to print its VmHWM the way report() does.
REPORT_SNIPPET = (
    "import sys;sys.stdout.write('\\n" + MARKER + "{\"peak_rss\": %d}\\n' % "
    "(int([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]) * 1024))"
)


def peak_rss_self() -> int | None:
    """This process's peak RSS in bytes: ``VmHWM`` of /proc/self/status.

    VmHWM belongs to the address space the program got at exec(), so unlike
    ``ru_maxrss`` it does not start at the RSS of the (large) parent that forked it:
    Linux carries the old address space's high-water mark into ``ru_maxrss`` across exec.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------------------------------
# parent side


class ChildError(RuntimeError):
    pass


@dataclass
class ChildResult:
    wall: float  # seconds from spawn to exit, measured by the parent
    peak_rss: int  # bytes, from wait4's rusage of that one process
    result: dict[str, Any]  # what the child passed to report() ({} if nothing)
    stderr: str


def run_child(argv: Sequence[str], *, timeout: float = 900.0, env: dict[str, str] | None = None,
              cwd: str | os.PathLike[str] | None = None) -> ChildResult:
    """Run ``argv`` as a fresh process; return its wall time, peak RSS and reported JSON."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise ChildError(f"{' '.join(argv[:3])}... exited with {proc.returncode}:\n{tail}")
    result: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER):])
    # Prefer the child's own VmHWM; wait4's ru_maxrss is at least the parent's RSS at fork (see
    # peak_rss_self), which only matters when the parent is larger than the child.
    peak = result.get("peak_rss") or usage.ru_maxrss * 1024
    return ChildResult(wall=wall, peak_rss=int(peak), result=result, stderr=stderr)


def run_script(script: str | os.PathLike[str], contender: str, options: dict[str, Any], *,
               python: str = PYTHON, timeout: float = 900.0, env_extra: dict[str, str] | None = None) -> ChildResult:
    """Run ``python <script> <contender> '<options json>'`` (a scenario module's child mode)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    env.pop("SP_API_DEFAULT_MARKETPLACE", None)
    return run_child([python, str(script), contender, json.dumps(options)], timeout=timeout, env=env)


def alternate(contenders: dict[str, Callable[[], ChildResult]], repeats: int,
              log: Callable[[str], None] | None = None) -> dict[str, list[ChildResult]]:
    """Run each contender ``repeats`` times, interleaved and with the order rotated every round."""
    names = list(contenders)
    results: dict[str, list[ChildResult]] = {n: [] for n in names}
    for i in range(repeats):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            res = contenders[name]()
            results[name].append(res)
            if log:
                secs = res.result.get("seconds", res.wall)
                log(f"    {name:<28} run {i + 1}/{repeats}: {secs:8.3f} s  peak RSS {res.peak_rss / 2**20:8.1f} MiB")
    return results


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def median_seconds(results: list[ChildResult]) -> float:
    return median(r.result["seconds"] for r in results)


def median_rss(results: list[ChildResult]) -> float:
    return median(r.peak_rss for r in results)


# ---------------------------------------------------------------------------------------------
# the sandbox in its own process


class SandboxProcess:
    """``amzv_pandas.sandbox.serve(**options)`` running in a separate process (see ``_sandbox.py``).

    Attributes ``url``, ``token_url``, ``client_id``, ``client_secret``, ``refresh_token``;
    :meth:`stats`, :meth:`reset_stats`, :meth:`close`. Use as a context manager.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        env = dict(os.environ)
        self.proc = subprocess.Popen([PYTHON, str(HERE / "_sandbox.py"), json.dumps(options)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise ChildError(f"the sandbox process exited with {self.proc.returncode} before listening")
        info = json.loads(line)
        self.url: str = info["url"]
        self.token_url: str = info["token_url"]
        self.credentials: dict[str, str] = info["credentials"]
        self.accounts: list[dict[str, str]] = info.get("accounts") or [self.credentials]
        self.pid = self.proc.pid

    def _ask(self, command: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise ChildError("the sandbox process went away")
        return json.loads(line)

    def stats(self) -> dict[str, Any]:
        return self._ask("stats")

    def reset_stats(self) -> None:
        self._ask("reset")

    def account_stats(self) -> list[dict[str, Any]]:
        """Each account's SP-API calls and 429s per operation (``serve(accounts=N)``), account 1 first."""
        return self._ask("account_stats")

    def connection(self, account: int = 1) -> dict[str, Any]:
        """What a contender needs to reach this sandbox (as account ``account``, 1-based)."""
        return {"url": self.url, "token_url": self.token_url, "credentials": self.accounts[account - 1]}

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._ask("quit")
            except (ChildError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def amzv_client(conn: dict[str, Any], **kwargs: Any) -> Any:
    """An ``amzv_pandas.Client`` for a :meth:`SandboxProcess.connection` (imports amzv_pandas)."""
    import amzv_pandas as amzv
    from amzv_pandas._transport.lwa import Credentials

    options = {"credentials": Credentials(**conn["credentials"]), "endpoint": conn["url"],
               "token_url": conn["token_url"], "marketplace": "US"}
    options.update(kwargs)
    return amzv.Client(**options)


# ---------------------------------------------------------------------------------------------
# rows and the table


@dataclass
class Row:
    """One measured target. ``ratio = ours / baseline``; ``op``/``limit`` define the target."""

    scenario: str
    metric: str
    ours: float | None
    baseline: float | None
    unit: str
    op: str | None = "<="  # "<=", ">=" or None (informational)
    limit: float | None = None
    note: str = ""
    status: str = ""  # "pass", "FAIL", "info", "skipped"
    ratio: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours is not None and self.baseline not in (None, 0):
            self.ratio = float(self.ours) / float(self.baseline)
        if not self.status:
            if self.ours is None:
                self.status = "skipped"
            elif self.op is None or self.limit is None:
                self.status = "info"
            elif self.ratio is None or math.isnan(self.ratio):
                self.status = "FAIL"
            else:
                ok = self.ratio <= self.limit + 1e-9 if self.op == "<=" else self.ratio >= self.limit - 1e-9
                self.status = "pass" if ok else "FAIL"

    @property
    def target(self) -> str:
        if self.op is None or self.limit is None:
            return "—"
        return f"{'≤' if self.op == '<=' else '≥'} {self.limit:g}×"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["target"] = self.target
        return out


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 100 else f"{value:.1f} s"
    if unit == "MiB":
        return f"{value / 2**20:.0f} MiB"
    if unit == "calls":
        return f"{value:g}"
    return f"{value:g} {unit}".strip()


def format_table(rows: Sequence[Row], *, markdown: bool = False) -> str:
    header = ["scenario", "ours", "baseline", "ratio", "target", "result"]
    body = []
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.3f}"
        body.append([f"{r.scenario}: {r.metric}", fmt_value(r.ours, r.unit), fmt_value(r.baseline, r.unit),
                     ratio, r.target, r.status])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(b) for b in body)])


# ---------------------------------------------------------------------------------------------
# machine description


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    versions = {}
    for mod in ("pandas", "pyarrow", "requests", "amzv_pandas"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover - reporting only
            versions[mod] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_bytes": ram,
            "ram": None if ram is None else f"{ram / 2**30:.1f} GiB",
            "python": platform.python_version(), "platform": platform.platform(), **versions}
