"""DaskExecutor: same results as serial, numba threads per worker, retries, a killed worker.

A module-wide LocalCluster (two worker processes on 127.0.0.1) serves most tests through
its address; one test lets the executor start its own cluster. The worker-kill test starts
a real `dask scheduler` and two `dask worker` processes (slow).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from growthsim import cli, store as gstore
from growthsim.experiment import get_executor
from growthsim.experiment.dask import DaskExecutor
from growthsim.experiment.sweep import load_sweep, run_sweep

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
HERE = Path(__file__).resolve().parent

SWEEP = f'''
base = "{BASELINE}"
replications = 3
seed = 3
days = 200
metrics = ["members", "wom_share", "revenue"]
[set]
population.n = 3000
seeding.initial_members = 10
[grid]
"sharing.p_share" = [0.05, 0.1, 0.2, 0.4]
'''


def _flaky(folder, task):
    """Fails the first time it sees a task (a marker file remembers), then succeeds."""
    marker = Path(folder) / f"{task}.seen"
    if not marker.exists():
        marker.touch()
        raise RuntimeError(f"first attempt at task {task}")
    return task * 10


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=50, env={"NUMBA_NUM_THREADS": "1"}) as c:
        yield c


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("dask") / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return load_sweep(path)


@pytest.fixture(scope="module")
def serial_table(sweep, tmp_path_factory):
    with gstore.open(tmp_path_factory.mktemp("serial") / "s.duckdb") as st:
        return run_sweep(sweep, store=st, executor="serial").table


def test_names_and_addresses():
    assert get_executor("dask", workers=2).workers == 2
    assert get_executor("dask://localhost:9999").address == "tcp://localhost:9999"
    assert DaskExecutor("tcp://10.0.0.1:8786").address == "tcp://10.0.0.1:8786"


def test_a_sweep_on_a_cluster_equals_the_serial_sweep(cluster, sweep, serial_table, tmp_path):
    ex = DaskExecutor(cluster.scheduler_address)
    with gstore.open(tmp_path / "d.duckdb") as st:
        res = run_sweep(sweep, store=st, executor=ex)
        n = st.query("SELECT count(*) AS n FROM runs")["n"].iloc[0]
    assert res.computed == 12 and n == 12
    pd.testing.assert_frame_equal(res.table, serial_table)


def test_own_local_cluster_sets_numba_threads(sweep):
    ex = DaskExecutor(workers=1, threads=2)
    assert dict(ex.imap(os.getenv, "NUMBA_NUM_THREADS", [None])) == {0: "2"}


def _worker_pid(shared, task):
    return os.getpid()


def test_a_session_keeps_its_local_cluster_between_calls():
    """Inside ``with executor:`` every call runs on one LocalCluster; the end closes it."""
    ex = DaskExecutor(workers=1, threads=1)
    with ex:
        first = set(dict(ex.imap(_worker_pid, None, [0, 1])).values())
        client, cluster = ex._conn
        second = set(dict(ex.imap(_worker_pid, None, [2])).values())
        assert first == second and len(first) == 1 and ex._conn[1] is cluster
    assert ex._conn is None and client.status == "closed" and cluster.status.name == "closed"
    # without a session each call has its own cluster (its own worker process)
    assert set(dict(ex.imap(_worker_pid, None, [0])).values()) != first


def test_cli_sweep_on_a_local_dask_cluster(serial_table, tmp_path, capsys):
    spec = tmp_path / "one.toml"  # the module's sweep, first point only
    spec.write_text(SWEEP.replace("[0.05, 0.1, 0.2, 0.4]", "[0.05]"), encoding="utf-8")
    rc = cli.invoke(["sweep", str(spec), "--executor", "dask", "--workers", "1", "--store",
                     str(tmp_path / "s.duckdb"), "--out", str(tmp_path / "out"), "-q"])
    assert rc == 0, capsys.readouterr().err
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    pd.testing.assert_frame_equal(table, serial_table.iloc[:3])


def test_failed_tasks_are_retried(cluster, tmp_path):
    (tmp_path / "a").mkdir()
    got = dict(DaskExecutor(cluster.scheduler_address, retries=1)
               .imap(_flaky, str(tmp_path / "a"), [1, 2, 3]))
    assert got == {0: 10, 1: 20, 2: 30}
    (tmp_path / "b").mkdir()
    with pytest.raises(RuntimeError, match="first attempt"):
        dict(DaskExecutor(cluster.scheduler_address, retries=0)
             .imap(_flaky, str(tmp_path / "b"), [1, 2, 3]))


def test_an_unreachable_scheduler_is_a_clear_error():
    from growthsim.experiment import ExperimentError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    ex = DaskExecutor(f"dask://127.0.0.1:{port}", timeout=1)
    with pytest.raises(ExperimentError, match="cannot reach the Dask scheduler"):
        list(ex.imap(pow, 2, [1]))


# -- a real scheduler and workers; one worker killed mid-sweep ----------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, env):
    return subprocess.Popen([str(Path(sys.executable).parent / "dask"), *args],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for_workers(address, n, timeout=120):
    with distributed.Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=timeout)
        return list(client.scheduler_info()["workers"])


@pytest.mark.slow
def test_a_killed_worker_loses_no_run(sweep, serial_table, tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), str(ROOT),
                                                        os.environ.get("PYTHONPATH")]))}
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"], env)]
    try:
        for k in range(2):
            procs.append(_start(["worker", address, "--name", f"w{k}", "--nthreads", "1",
                                 "--no-nanny",
                                 "--no-dashboard", "--host", "127.0.0.1",
                                 "--local-directory", str(tmp_path)], env))
        _wait_for_workers(address, 2)
        killed = []

        def kill_after_three(done, total):
            # Kill a worker that is running a task right now (--no-nanny: no restart).
            if done == 3 and not killed:
                with distributed.Client(address, timeout="30s") as client:
                    addr, deadline = None, time.monotonic() + 60
                    while addr is None and time.monotonic() < deadline:
                        # Between two tasks a worker may hold none for a moment: look again.
                        info, busy = client.scheduler_info()["workers"], client.processing()
                        addr = next((a for a in info if busy.get(a)), None)
                        time.sleep(0.05)
                assert addr is not None, "no worker was running a task"
                victim = procs[1 + int(str(info[addr]["name"])[1:])]
                os.killpg(victim.pid, signal.SIGKILL)
                killed.append((victim, busy[addr]))

        ex = DaskExecutor(address, retries=0)  # the reschedule is Dask's, not a retry
        with gstore.open(tmp_path / "k.duckdb") as st:
            res = run_sweep(sweep, store=st, executor=ex, progress=kill_after_three)
            runs = st.query("SELECT run_id, status FROM runs")
        victim, running = killed[0]
        assert victim.wait(timeout=30) == -signal.SIGKILL and running
        assert len(runs) == 12 and runs["run_id"].is_unique and (runs["status"] == "done").all()
        assert res.computed == 12
        pd.testing.assert_frame_equal(res.table, serial_table)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
