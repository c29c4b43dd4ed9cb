"""Executors: where independent simulation tasks run (this process, or worker processes).

An executor takes a top-level function ``fn``, one ``shared`` object (the
scenarios, graphs included, and the ``collect`` callable) and a list of small
tasks, and yields ``(index, fn(shared, task))`` as tasks finish. ``shared``
crosses a process boundary once per worker, not once per task. A later
executor (Dask) implements the same :meth:`Executor.imap`.

Results never depend on the executor: every task is a self-contained run
whose random numbers come from its seed (counter-based, independent of the
thread count).
"""

import contextlib
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor, as_completed

from growthsim.errors import GrowthsimError


class ExperimentError(GrowthsimError, ValueError):
    """A bad argument to an experiment (reps, names, executor, collect, ...).

    Examples
    --------
    >>> str(ExperimentError("reps must be an integer >= 1; got 0"))
    'reps must be an integer >= 1; got 0'
    """


def cpu_count():
    """CPUs this process may use (its affinity mask where the OS has one).

    Examples
    --------
    >>> cpu_count() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class Executor:
    """Runs independent tasks; subclasses define :meth:`imap`.

    Examples
    --------
    >>> class Squares(Executor):
    ...     def imap(self, fn, shared, tasks):
    ...         return (fn(shared, t) for t in tasks)
    >>> list(Squares().imap(lambda shared, t: shared * t * t, 2, [1, 2, 3]))
    [2, 8, 18]
    """

    name = "executor"
    _depth = 0

    def imap(self, fn, shared, tasks):
        """Yield ``(i, fn(shared, tasks[i]))`` for every task, in any order."""
        raise NotImplementedError

    def __enter__(self):
        """A session: workers started by :meth:`imap` stay up for the next call until exit.

        Work made of many small batches (calibration: a few runs per step of the search)
        then pays for starting workers once instead of once per batch. Sessions nest.
        """
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if not self._depth:
            self.close()
        return False

    def close(self):
        """Stop the workers a session kept (nothing to do for executors without any)."""

    def _sizes(self, workers, threads, n_tasks):
        """Worker processes and numba threads each for ``n_tasks`` tasks: ``workers`` (one
        per CPU by default; no more than the tasks outside a session, whose later calls may
        bring more) and ``threads`` (default ``cpus // workers``)."""
        workers = workers or cpu_count()
        workers = workers if self._depth else min(workers, n_tasks)
        return workers, threads or max(1, cpu_count() // workers)

    def __repr__(self):
        return f"{type(self).__name__}()"


class SerialExecutor(Executor):
    """Every task in this process, one after another, in order.

    Examples
    --------
    >>> list(SerialExecutor().imap(pow, 2, [3, 4]))
    [(0, 8), (1, 16)]
    """

    name = "serial"

    def imap(self, fn, shared, tasks):
        for i, task in enumerate(tasks):
            yield i, fn(shared, task)


class ProcessExecutor(Executor):
    """Tasks in a pool of fresh worker processes (``spawn``: numba threads and fork do not mix).

    Parameters
    ----------
    workers : int, optional
        Worker processes; default: one per CPU, at most one per task.
    threads : int, optional
        Numba threads per worker (``NUMBA_NUM_THREADS`` in the worker's
        environment); default ``max(1, cpus // workers)`` so workers x threads
        does not exceed the CPUs.

    Notes
    -----
    ``fn`` must be a top-level (importable) function and ``shared`` picklable;
    a clear :class:`ExperimentError` says so otherwise.

    Each :meth:`imap` starts its workers and stops them at the end. Inside
    ``with executor:`` (a session) the workers stay up for the next
    :meth:`imap` with the same ``fn`` and ``shared``, and stop when the
    session ends.

    Examples
    --------
    >>> ex = ProcessExecutor(workers=2, threads=1)
    >>> ex.workers, ex.threads
    (2, 1)
    >>> get_executor("processes", workers=2).workers
    2
    >>> with ProcessExecutor(workers=2) as ex:   # one pool for both calls
    ...     a = sorted(ex.imap(pow, 2, [1, 2, 3]))
    ...     b = sorted(ex.imap(pow, 2, [4]))
    >>> a, b
    ([(0, 2), (1, 4), (2, 8)], [(0, 16)])
    """

    name = "processes"

    def __init__(self, workers=None, threads=None):
        self.workers = _positive("workers", workers)
        self.threads = _positive("threads", threads)
        self._pool = self._blob = self._threads = None

    def imap(self, fn, shared, tasks):
        tasks = list(tasks)
        if not tasks:
            return
        blob = _pickled(fn, shared)
        pool, threads = self._pool_for(blob, len(tasks))
        finished = False
        try:
            # Workers read NUMBA_NUM_THREADS when they import numba, before any initializer
            # runs, so it has to be in the environment they are spawned with; the pool spawns
            # them as tasks are submitted.
            with _environ(NUMBA_NUM_THREADS=str(threads)):
                futures = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
            finished = True
        finally:
            if not finished:
                # An error, Ctrl-C or an abandoned iteration: do not wait for the runs in
                # flight (minutes at full size); stop the workers now.
                self._pool = self._blob = None
                _stop(pool)
            elif not self._depth:
                pool.shutdown(wait=True)

    def _pool_for(self, blob, n_tasks):
        """The session's pool if it serves ``blob``; else a new one (kept in a session)."""
        if self._pool is not None and self._blob == blob:
            return self._pool, self._threads
        self.close()
        workers, threads = self._sizes(self.workers, self.threads, n_tasks)
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(blob, threads))
        if self._depth:
            self._pool, self._blob, self._threads = pool, blob, threads
        return pool, threads

    def close(self):
        """Stop the workers a session kept."""
        pool, self._pool, self._blob = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __repr__(self):
        return f"ProcessExecutor(workers={self.workers}, threads={self.threads})"


def _stop(pool):
    """Cancel the queued tasks of a process pool and terminate its workers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=10)


#: Executors by name, as ``replicate(..., executor=name)`` accepts them.
EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor}


def get_executor(executor="serial", workers=None):
    """An :class:`Executor` from a name in :data:`EXECUTORS` (or an executor, returned as is).

    Examples
    --------
    >>> get_executor("processes", workers=2)
    ProcessExecutor(workers=2, threads=None)
    >>> get_executor("threads")
    Traceback (most recent call last):
    ...
    growthsim.experiment.executors.ExperimentError: unknown executor 'threads'; valid: 'serial', 'processes', 'dask', 'dask://host:port'
    >>> get_executor("dask://127.0.0.1:8786")
    DaskExecutor(address='tcp://127.0.0.1:8786', workers=None, retries=2)
    """
    if isinstance(executor, Executor):
        if workers is not None:
            raise ExperimentError("workers is set on the executor object, not passed with it")
        return executor
    if isinstance(executor, str) and executor.startswith(DASK_URL):
        return DaskExecutor(executor, workers=workers)
    if executor not in EXECUTORS:
        valid = ", ".join(repr(name) for name in [*EXECUTORS, f"{DASK_URL}host:port"])
        raise ExperimentError(f"unknown executor {executor!r}; valid: {valid}")
    if executor == "serial":
        if workers not in (None, 1):
            raise ExperimentError(f"workers={workers!r} needs executor='processes' "
                                  "(the serial executor runs in this process)")
        return SerialExecutor()
    return EXECUTORS[executor](workers=workers)


def _positive(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ExperimentError(f"{name} must be an integer >= 1; got {value!r}")
    return value


def _pickled(fn, shared):
    try:
        return pickle.dumps((fn, shared), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise ExperimentError(
            "cannot send the work to worker processes (it must pickle): "
            f"{exc}. Make `collect` a top-level function of an importable module and any "
            "graph attached to a scenario a SocialGraph, or use executor='serial'") from None


@contextlib.contextmanager
def _environ(**values):
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_WORKER = {}


def _init_worker(blob, threads):
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    _WORKER["fn"], _WORKER["shared"] = pickle.loads(blob)


def _run_task(task):
    return _WORKER["fn"](_WORKER["shared"], task)


# Last: dask.py builds on this module (its classes and helpers), and does not import
# distributed until a DaskExecutor runs.
from growthsim.experiment.dask import DASK_URL, DaskExecutor  # noqa: E402

EXECUTORS["dask"] = DaskExecutor
