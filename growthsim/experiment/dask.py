"""Dask executor: simulation tasks on a Dask cluster, local or remote.

:class:`DaskExecutor` implements :meth:`growthsim.experiment.Executor.imap`
on ``dask.distributed``. Without an address it starts a ``LocalCluster`` of
worker processes on 127.0.0.1 (one thread each, no dashboard) for the
duration of one :meth:`~DaskExecutor.imap`, or of a ``with executor:``
session; with ``tcp://host:port`` it sends the tasks to a running scheduler
(``dask scheduler`` / ``dask worker``).

Dask reschedules the tasks of a worker that dies and retries a task that
raises (``retries``); the caller still sees every task exactly once. Results
do not depend on the cluster: every run draws its random numbers from its
own seed (counter-based, whatever the thread count). docs/sweeps.md shows
how to use it from the command line.
"""

import logging
import uuid
import warnings

from growthsim.experiment.executors import Executor, ExperimentError, _positive

#: Executor name prefix for a running scheduler: ``dask://host:port``.
DASK_URL = "dask://"

#: Dask settings of the private LocalCluster's workers. The statistical profiler samples
#: the worker's stack every 10 ms for the dashboard (which is off); it took the GIL from
#: the runs often enough to make them 20% slower (bench_sweep: the runs' own summed time on
#: 2 Dask workers against 2 worker processes). Workers of a running scheduler are the
#: user's: start them with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False for the same.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def _call(fn, shared, task):
    return fn(shared, task)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: a private ``LocalCluster`` or a scheduler at ``address``.

    Parameters
    ----------
    address : str, optional
        ``tcp://host:port`` (or ``dask://host:port``) of a running scheduler;
        default: start a local cluster for each :meth:`imap` (for all of them
        inside ``with executor:``, a session).
    workers : int, optional
        Worker processes of the local cluster (default one per CPU, at most one
        per task); not allowed with ``address`` (the cluster has its own).
    retries : int
        Times a task that raises is resubmitted (a worker's death is handled by
        Dask itself, without using a retry).
    threads : int, optional
        Numba threads per local worker (``NUMBA_NUM_THREADS`` in its
        environment); default ``max(1, cpus // workers)``.
    timeout : float
        Seconds to wait for the scheduler at ``address``.

    Examples
    --------
    >>> DaskExecutor("dask://127.0.0.1:8786")
    DaskExecutor(address='tcp://127.0.0.1:8786', workers=None, retries=2)
    >>> DaskExecutor(workers=0)
    Traceback (most recent call last):
    ...
    growthsim.experiment.executors.ExperimentError: workers must be an integer >= 1; got 0
    """

    name = "dask"

    def __init__(self, address=None, workers=None, retries=2, threads=None, timeout=10):
        self.address = None if address is None else _tcp(address)
        self.workers = _positive("workers", workers)
        self.threads = _positive("threads", threads)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ExperimentError(f"retries must be an integer >= 0; got {retries!r}")
        self.retries = retries
        self.timeout = timeout
        self._conn = None  # (client, cluster or None) kept by a session
        if self.address is not None and self.workers is not None:
            raise ExperimentError("workers cannot be set for a running Dask scheduler "
                                  f"({self.address}): start as many `dask worker`s as wanted")

    def imap(self, fn, shared, tasks):
        tasks = list(tasks)
        if not tasks:
            return
        if self._conn is None:
            conn = self._connect(len(tasks))
            if self._depth:  # a session: keep the cluster for the next call
                self._conn = conn
        else:
            conn = self._conn
        client = conn[0]
        futures = {}
        try:
            # The shared data (scenarios: kilobytes) travels inside every task, so tasks have
            # no dependency: the scheduler spreads them over all workers (a task depending on
            # one shared future runs where that future lives, which left the other workers
            # idle: bench_sweep measured 2 Dask workers no faster than 1), and a dead worker
            # takes nothing with it that its tasks need.
            prefix = f"growthsim-{uuid.uuid4().hex[:12]}"
            futures = {client.submit(_call, fn, shared, task, key=f"{prefix}-{i}",
                                     pure=False, retries=self.retries): i
                       for i, task in enumerate(tasks)}
            from distributed import as_completed

            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            # Stop queued and running tasks on an error, Ctrl-C or abandoned iteration.
            if futures:
                client.cancel(list(futures))
            if conn is not self._conn:
                _disconnect(conn)

    def close(self):
        """Stop the cluster (or leave the scheduler) a session kept."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _disconnect(conn)

    def _connect(self, n_tasks):
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a pinned dependency
            raise ExperimentError("executor 'dask' needs the `distributed` package") from None
        if self.address is not None:
            try:
                return Client(self.address, timeout=self.timeout), None
            except OSError as exc:
                raise ExperimentError(f"cannot reach the Dask scheduler at {self.address}: "
                                      f"{exc}") from None
        workers, threads = self._sizes(self.workers, self.threads, n_tasks)
        import dask

        with warnings.catch_warnings(), dask.config.set(WORKER_CONFIG):
            # With the dashboard off the scheduler still serves /health on a free port and
            # warns that 8787 is taken when another cluster runs: not the user's concern.
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.ERROR,
                                   env={"NUMBA_NUM_THREADS": str(threads)})
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise

    def __repr__(self):
        return (f"DaskExecutor(address={self.address!r}, workers={self.workers}, "
                f"retries={self.retries})")


def _disconnect(conn):
    client, cluster = conn
    client.close()
    if cluster is not None:
        cluster.close()


def _tcp(address):
    """``dask://host:port`` or ``tcp://host:port`` as Dask's ``tcp://host:port``.

    Examples
    --------
    >>> _tcp("dask://localhost:8786"), _tcp("127.0.0.1:8786")
    ('tcp://localhost:8786', 'tcp://127.0.0.1:8786')
    >>> _tcp("dask://nohost")
    Traceback (most recent call last):
    ...
    growthsim.experiment.executors.ExperimentError: a Dask scheduler address is dask://host:port; got 'dask://nohost'
    """
    text = str(address).strip()
    for scheme in (DASK_URL, "tcp://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
            break
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 or "/" in text:
        raise ExperimentError(f"a Dask scheduler address is dask://host:port; got {address!r}")
    return f"tcp://{host}:{port}"
