"""Shared helpers for the benchmark scripts: timing, memory, tables, results files.

Method (see benchmarks/README.md): every figure is the median of several repeats, with the
interquartile range beside it; tools compared with each other take turns inside one process
(A, B, A, B, ...) so that a slow patch of the machine hits all of them alike, and the ratios
printed are same-run ratios of medians. numba kernels are always warmed up (compiled or
loaded from the cache) before anything is timed.

Nothing here asserts on speed: the scripts print and record figures, they never fail on them.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
GRAPHS = Path(os.environ.get("GROWTHSIM_GRAPHS", ROOT.parent / "shared" / "data" / "graphs"))
if not GRAPHS.exists():  # the work tree's sibling shared/ folder, or CI's clone next to it
    GRAPHS = Path("/work/shared/data/graphs")

if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(ROOT))


# -- command line ------------------------------------------------------------------------------
def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes and fewer repeats (a few minutes in all)")
    p.add_argument("--repeats", type=int, default=None,
                   help="repeats per measurement (default: 5, or 3 with --quick)")
    p.add_argument("--threads", type=int, default=None,
                   help="numba threads (sets NUMBA_NUM_THREADS; default: numba's, = cores)")
    p.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    return p


def parse(p: argparse.ArgumentParser, argv=None):
    """Parse, and apply --threads before numba is imported anywhere."""
    args = p.parse_args(argv)
    if args.threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    return args


# -- timing ------------------------------------------------------------------------------------
def stats(samples) -> dict:
    """Median, quartiles and extremes of a list of seconds."""
    s = sorted(samples)
    if len(s) >= 2:
        q = statistics.quantiles(s, n=4, method="inclusive")
        q1, q3 = q[0], q[2]
    else:
        q1 = q3 = s[0]
    return {"median": statistics.median(s), "q1": q1, "q3": q3, "min": s[0], "max": s[-1],
            "n": len(s), "samples": s}


def timeit(fn, repeats=5, warmup=1, setup=None) -> dict:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls.

    ``setup()``, if given, runs untimed before every call and its result is passed to ``fn``.
    """
    for _ in range(warmup):
        fn(setup()) if setup else fn()
    samples = []
    for _ in range(repeats):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        samples.append(time.perf_counter() - t0)
    return stats(samples)


def take_turns(tasks: dict, repeats=5, warmup=1) -> dict:
    """Time several callables in turn (A, B, C, A, B, C, ...): fair same-run comparison.

    ``tasks`` maps a name to ``fn`` or to ``(setup, fn)``; ``fn(setup())`` is timed and
    ``setup`` is not. A task's ``fn`` may return a number of units (cascades, days) so the
    per-unit time is recorded; the returned dict maps name -> stats of seconds per unit,
    with the values the calls returned under ``"values"``.
    """
    norm = {k: (v if isinstance(v, tuple) else (None, v)) for k, v in tasks.items()}
    out = {k: [] for k in norm}
    vals = {k: [] for k in norm}
    for _ in range(warmup):
        for name, (setup, fn) in norm.items():
            fn(setup()) if setup else fn()
    for _ in range(repeats):
        for name, (setup, fn) in norm.items():
            arg = setup() if setup else None
            t0 = time.perf_counter()
            r = fn(arg) if setup else fn()
            dt = time.perf_counter() - t0
            units = r[0] if isinstance(r, tuple) else r
            units = units if isinstance(units, (int, float)) and units > 0 else 1
            out[name].append(dt / units)
            vals[name].append(r[1] if isinstance(r, tuple) else None)
    res = {k: stats(v) for k, v in out.items()}
    for k in res:
        res[k]["values"] = vals[k]
    return res


class Stopwatch:
    """Accumulating named timers: ``with sw("graph"): ...``; ``sw.t["graph"]`` seconds."""

    def __init__(self):
        self.t = {}
        self._name = None

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.t[self._name] = self.t.get(self._name, 0.0) + time.perf_counter() - self._t0
        return False


# -- formatting --------------------------------------------------------------------------------
def fmt_s(sec) -> str:
    """Seconds in a readable unit: 12.3 µs, 4.56 ms, 7.89 s."""
    if sec is None:
        return "-"
    if sec != sec:  # NaN
        return "n/a"
    a = abs(sec)
    if a < 1e-3:
        return f"{sec * 1e6:.1f} µs"
    if a < 1:
        return f"{sec * 1e3:.2f} ms"
    if a < 120:
        return f"{sec:.2f} s"
    return f"{sec / 60:.1f} min"


def fmt_med(st: dict) -> str:
    """``median [q1–q3]`` of a stats dict."""
    return f"{fmt_s(st['median'])} [{fmt_s(st['q1'])}–{fmt_s(st['q3'])}]"


def fmt_rate(x) -> str:
    """A per-second rate: 1.23 M/s, 456 k/s."""
    if x is None:
        return "-"
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= f:
            return f"{x / f:.3g} {unit}/s"
    return f"{x:.3g} /s"


def fmt_bytes(b) -> str:
    if b is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(b) < 1024 or unit == "GiB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1024


def fmt_x(r) -> str:
    """A ratio: 12.3×."""
    if r is None or r != r:
        return "-"
    return f"{r:.3g}×" if r < 1000 else f"{r:,.0f}×"


def table(rows, headers, title=None) -> str:
    """A plain-text table (Markdown pipe syntax, so it pastes into notes as is)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
    out = []
    if title:
        out.append(f"\n{title}")
    out.append(line(cells[0]))
    out.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    out.extend(line(r) for r in cells[1:])
    s = "\n".join(out)
    print(s, flush=True)
    return s


# -- the machine -------------------------------------------------------------------------------
def parallel_dispatch_cost(calls=200) -> float:
    """Median seconds of one trivial numba ``prange`` call (a contention probe).

    About 3-10 µs on an idle 2-core machine; with numba's OpenMP layer and another process
    busy on the cores it can reach milliseconds, which then dominates every parallel kernel.
    """
    import numpy as np
    from numba import njit, prange

    @njit(parallel=True)
    def touch(a):
        for i in prange(a.shape[0]):
            a[i] += 1.0

    a = np.zeros(1024)
    touch(a)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls // 5):
            touch(a)
        samples.append((time.perf_counter() - t0) / (calls // 5))
    return statistics.median(samples)


def machine() -> dict:
    """Facts about this machine and run, stored with every result."""
    info = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "host_cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_start": os.getloadavg(),
    }
    try:
        import numba
        import numpy

        info["numpy"] = numpy.__version__
        info["numba"] = numba.__version__
        info["numba_threads"] = numba.config.NUMBA_NUM_THREADS
        info["parallel_dispatch_s"] = parallel_dispatch_cost()
        info["numba_threading_layer"] = numba.threading_layer()
    except Exception as exc:  # pragma: no cover - informational only
        info["numba_error"] = repr(exc)
    try:
        import psutil

        info["ram_total"] = psutil.virtual_memory().total
    except ImportError:
        pass
    try:
        info["git"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                               capture_output=True, text=True).stdout.strip()
        info["git_dirty"] = bool(dirty)
    except OSError:
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def header(name: str, info: dict, args) -> None:
    """Print what ran where, so a pasted table carries its context."""
    la = info.get("loadavg_start", (0, 0, 0))
    pd = info.get("parallel_dispatch_s")
    print(f"# {name} — {info['date']} — {info['host_cpus']} CPUs ({info['cpu']}), "
          f"Python {info['python']}, numba {info.get('numba')} "
          f"({info.get('numba_threads')} threads, {info.get('numba_threading_layer')}), "
          f"git {info.get('git', '?')}{'+dirty' if info.get('git_dirty') else ''}", flush=True)
    print(f"# load average at start {la[0]:.2f}; trivial prange call {fmt_s(pd)}"
          f"{'  (!! cores contended: parallel kernels will be slow)' if pd and pd > 1e-4 else ''};"
          f" mode {'quick' if args.quick else 'full'}, {args.repeats} repeats", flush=True)


def save(name: str, info: dict, args, results, tables=()) -> Path | None:
    """Write ``benchmarks/results/<name>[_quick]_t<numba threads>.json`` (git-ignored)."""
    if getattr(args, "no_save", False):
        return None
    info = dict(info)
    info["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'_quick' if args.quick else ''}_t{info.get('numba_threads', 0)}.json"
    payload = {"benchmark": name, "quick": bool(args.quick), "repeats": args.repeats,
               "machine": info, "results": results, "tables": list(tables)}
    path.write_text(json.dumps(payload, indent=1, default=_jsonable))
    print(f"\n(results written to {path.relative_to(ROOT)})", flush=True)
    return path


def _jsonable(x):
    try:
        import numpy as np

        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
    except ImportError:
        pass
    if isinstance(x, Path):
        return str(x)
    return repr(x)


# -- memory ------------------------------------------------------------------------------------
def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux ru_maxrss is in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_bytes() -> int:
    """Current resident set size."""
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_child(argv, timeout=None, env=None) -> dict:
    """Run ``python argv...`` in a fresh process; return the JSON its last stdout line holds.

    Peak memory must be measured in a process of its own: ru_maxrss never goes down.
    """
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    if env:
        e.update(env)
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                           timeout=timeout, env=e, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in p.stdout.strip().splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        return {"error": f"exit {p.returncode}: " + " / ".join(tail), "wall": wall}
    out = json.loads(lines[-1])
    out.setdefault("wall", wall)
    return out


def child_report(**values) -> None:
    """Print the one JSON line :func:`run_child` reads (call last in the child)."""
    values.setdefault("peak_rss", peak_rss_bytes())
    print(json.dumps(values, default=_jsonable), flush=True)


# -- growthsim helpers -------------------------------------------------------------------------
def baseline(n, days=None, **overrides):
    """The baseline scenario at ``n`` people, circles kept at ~200 people each.

    ``scenarios/baseline.toml`` has 5,000 circles for 1M people; at other sizes the circle
    count is scaled (n // 200) so the circles keep their size and mean degree 20 stays
    reachable.
    """
    import growthsim as gs

    sc = gs.load_scenario(ROOT / "scenarios" / "baseline.toml")
    o = {"population.n": int(n), "population.n_groups": max(1, int(n) // 200)}
    if days is not None:
        o["run.days"] = int(days)
    o.update(overrides)
    return sc.with_overrides(o)


KERNELS = ("morning", "content_step", "activity_step", "sharing_step", "conversion_step",
           "acquisition_step", "evening", "rewards_step", "interventions_step", "churn_decide",
           "churn_apply", "purchases_step", "crisis_shock", "census", "finish_day", "join")


class KernelTimer:
    """Times every numba kernel GrowthModel calls by wrapping the names in growthsim.model.

    ``with KernelTimer() as kt: model.run(...)``; ``kt.seconds[name]``, ``kt.calls[name]``.
    The wrapper costs ~0.3 µs a call, small beside the kernels' own dispatch.
    """

    def __init__(self):
        self.seconds = {}
        self.calls = {}

    def __enter__(self):
        from growthsim import model as MD

        self._MD = MD
        self._orig = {}
        for name in KERNELS:
            f = getattr(MD, name, None)
            if f is None:
                continue
            self._orig[name] = f

            def wrapped(*a, _f=f, _n=name):
                t0 = time.perf_counter()
                r = _f(*a)
                self.seconds[_n] = self.seconds.get(_n, 0.0) + time.perf_counter() - t0
                self.calls[_n] = self.calls.get(_n, 0) + 1
                return r

            setattr(MD, name, wrapped)
        return self

    def __exit__(self, *exc):
        for name, f in self._orig.items():
            setattr(self._MD, name, f)
        return False

    @property
    def total(self):
        return sum(self.seconds.values())
