"""Results store: finished runs and their daily metrics in one embedded DuckDB file.

A run is identified by :func:`run_id`, a hash of everything that decides its
results (the scenario's parameters, the run seed and :func:`code_version`), so
a finished run is found again instead of recomputed. :func:`open` returns a
:class:`Store` whose tables are

``runs``
    one row per run: ``run_id`` (primary key), ``scenario`` (its name),
    ``scenario_hash``, ``seed``, ``days`` (rows of daily metrics), ``code_version``,
    ``params`` (``scenario.to_dict()`` as JSON), ``status`` (``'done'`` or
    ``'failed'``), ``error``, ``started_at`` and ``finished_at`` (UTC),
    ``wall_seconds``, ``host`` and ``metric_columns`` (the run's metric columns
    in their order, so a run reads back exactly as the model gave it);
``metrics``
    ``run_id``, ``day`` and one DOUBLE or BIGINT column per metric, created from
    the first frame written; a later frame with new columns adds them (older
    runs read NULL there);
``cohorts``
    ``run_id, cohort, age, size, retained`` (:func:`growthsim.metrics.cohort_matrix`);
``scalars``
    ``run_id, key, value``: per-run extra figures;
``meta``
    ``key, value``: the ``schema_version``.

Each run is written in one transaction: a crash or an error midway leaves no
row of it. One process writes (the command line; workers hand their results
back to it). Several :class:`Store` objects may open the same file one after
another, or at once within one process; a second *process* cannot open a file
another holds open (DuckDB locks it) and gets a :class:`StoreError`. A Store is
not meant to be shared between threads.
"""

import contextlib
import datetime as dt
import functools
import hashlib
import json
import re
import socket
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from growthsim.errors import GrowthsimError

__all__ = ["DEFAULT_PATH", "SCHEMA_VERSION", "Store", "StoreError", "code_version", "open",
           "run_id", "scenario_hash"]

DEFAULT_PATH = "growthsim-results.duckdb"
SCHEMA_VERSION = 1
PACKAGE_ROOT = Path(__file__).resolve().parent
# Parts of the package that only present or store results: editing them cannot change a run.
# The experiment layer only schedules runs (their seeds and days enter run_id directly), and
# the others analyse or persist finished models.
RESULT_NEUTRAL_DIRS = ("report/", "dashboard/", "experiment/", "commands/")
RESULT_NEUTRAL_FILES = ("cli.py", "store.py", "checkpoint.py", "validate.py", "targets.py",
                        "attribution.py")
# Columns of a tidy daily frame that describe the run (they live in `runs`), not a metric.
RUN_COLUMNS = ("run_id", "scenario", "replication", "seed")
TABLES = ("runs", "metrics", "cohorts", "scalars", "meta")
STATUSES = ("done", "failed")

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, scenario VARCHAR, scenario_hash VARCHAR, seed UBIGINT,
        days INTEGER, code_version VARCHAR, params JSON, status VARCHAR, error VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, wall_seconds DOUBLE, host VARCHAR,
        metric_columns VARCHAR[])""",
    "CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR, day INTEGER)",
    """CREATE TABLE IF NOT EXISTS cohorts (
        run_id VARCHAR, cohort INTEGER, age INTEGER, size BIGINT, retained DOUBLE)""",
    "CREATE TABLE IF NOT EXISTS scalars (run_id VARCHAR, key VARCHAR, value DOUBLE)",
)
# A metric column only ever widens, so no stored value is rounded by a later frame's type.
_WIDTH = {"BOOLEAN": 0, "BIGINT": 1, "DOUBLE": 2}


class StoreError(GrowthsimError):
    """The results store cannot be opened or cannot do what was asked (one-line message).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "not-a-store.duckdb"
    >>> _ = path.write_text("hello")
    >>> try:
    ...     open(path)
    ... except StoreError as err:
    ...     print(str(err).startswith(str(path)))
    True
    """


# -- identity of a run --------------------------------------------------------------------------

def code_version():
    """``growthsim.__version__ + "+" +`` 12 hex of a hash of the code that decides results.

    The hash covers the bytes of every ``.py`` file under ``growthsim/``, in order
    of relative path, except :data:`RESULT_NEUTRAL_DIRS` (``report/``,
    ``dashboard/``, ``experiment/``, ``commands/``) and :data:`RESULT_NEUTRAL_FILES` (``cli.py``,
    ``store.py``, ``checkpoint.py``, ``validate.py``, ``targets.py``,
    ``attribution.py``), which schedule, analyse or persist runs but cannot change
    a run's numbers. Computed once per process.

    Examples
    --------
    >>> import re
    >>> bool(re.fullmatch(r"\\d+\\.\\d+\\.\\d+.*\\+[0-9a-f]{12}", code_version()))
    True
    """
    import growthsim

    return f"{growthsim.__version__}+{_source_digest(str(PACKAGE_ROOT))}"


@functools.lru_cache(maxsize=None)
def _source_digest(root):
    root = Path(root)
    h = hashlib.sha256()
    for rel, path in sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*.py")):
        if rel.startswith(RESULT_NEUTRAL_DIRS) or rel in RESULT_NEUTRAL_FILES:
            continue
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _identity(scenario):
    """The scenario's parameters less the two that do not decide results by themselves,
    plus the content of the graph it runs on when that is data rather than parameters
    (an edge-list file, or a graph object attached to the scenario)."""
    d = scenario.to_dict()
    d.pop("name", None)
    d.get("run", {}).pop("seed", None)  # the run seed enters run_id on its own
    graph = getattr(scenario, "graph", None)
    if graph is not None:
        h = hashlib.sha256()
        for a in (graph.indptr, graph.indices, graph.weight):
            h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
        d["graph_content"] = h.hexdigest()
    elif d.get("population", {}).get("graph") == "file":
        d["graph_content"] = _file_digest(scenario)
    return d


def _file_digest(scenario):
    """SHA-256 of the scenario's edge-list file (an edited file is another graph)."""
    from growthsim.build import graph_file_path

    path = graph_file_path(scenario)
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the edge list to identify the run "
                         f"({exc.strerror or exc})") from None


def _canonical(obj):
    """Canonical JSON: sorted keys, no spaces, numbers by value (3.0 is written 3)."""
    return json.dumps(_by_value(obj), sort_keys=True, separators=(",", ":"), default=str)


def _by_value(obj):
    # A default of 3 and a validated 3.0 are the same parameter: one run, one id.
    if isinstance(obj, dict):
        return {k: _by_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_by_value(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and float(obj).is_integer() and abs(obj) < 2**53:
        return int(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < 2**64:
        raise ValueError(f"a run seed must be an integer in [0, 2**64); got {seed!r}")
    return int(seed)


def run_id(scenario, seed):
    """The 32-hex identity of a run: what it simulates, with which seed, by which code.

    SHA-256 of the canonical JSON of ``scenario.to_dict()`` without ``name`` and
    ``run.seed``, the run ``seed`` and :func:`code_version`. Renaming a scenario
    keeps its runs; any other parameter, the seed or a change to the model's code
    gives new ones, and so does an edited edge-list file or another attached graph
    object (their content is hashed).

    Parameters
    ----------
    scenario : Scenario
    seed : int
        The seed the run uses (e.g. a replication's derived seed).

    Returns
    -------
    str

    Examples
    --------
    >>> import growthsim as gs
    >>> a = run_id(gs.Scenario(), seed=1)
    >>> len(a), a == run_id(gs.Scenario(name="renamed"), seed=1), a == run_id(gs.Scenario(), 2)
    (32, True, False)
    """
    blob = _canonical({"scenario": _identity(scenario), "seed": _seed(seed),
                       "code_version": code_version()})
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def scenario_hash(scenario):
    """16 hex naming a scenario's parameters, shared by all its seeds (name left out).

    Examples
    --------
    >>> import growthsim as gs
    >>> scenario_hash(gs.Scenario()) == scenario_hash(gs.Scenario().with_overrides({"run.seed": 9}))
    True
    """
    return hashlib.sha256(_canonical(_identity(scenario)).encode()).hexdigest()[:16]


# -- opening ------------------------------------------------------------------------------------

def open(path=DEFAULT_PATH, *, read_only=False):  # noqa: A001 - growthsim.store.open reads well
    """Open (or create) a results store.

    Parameters
    ----------
    path : str or Path
        The DuckDB file; created with its tables if missing (unless ``read_only``).
    read_only : bool
        Open for reading only: writing methods raise :class:`StoreError`.

    Returns
    -------
    Store
        Use it as a context manager, or call :meth:`Store.close`.

    Raises
    ------
    StoreError
        The file is not a DuckDB database, is a folder, is held by another
        process, was written by a newer growthsim, or (``read_only``) does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from growthsim import store
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "results.duckdb"
    >>> with store.open(path) as st:
    ...     sorted(st.query("SELECT table_name FROM information_schema.tables")["table_name"])
    ['cohorts', 'meta', 'metrics', 'runs', 'scalars']
    >>> bad = path.with_name("notes.txt")
    >>> _ = bad.write_text("not a database")
    >>> store.open(bad)
    Traceback (most recent call last):
    ...
    growthsim.store.StoreError: .../notes.txt: not a DuckDB database (...)
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a folder; give the results store's file")
    if read_only and not path.exists():
        raise StoreError(f"{path}: no results store there (nothing to read)")
    if not path.parent.is_dir():
        raise StoreError(f"{path}: the folder {path.parent} does not exist")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        raise StoreError(f"{path}: {_why(e)}") from None
    try:
        return Store(con, path, read_only)
    except BaseException:
        con.close()
        raise


def _why(err):
    """DuckDB's reason for refusing a file, as a line a user can act on."""
    msg = " ".join(str(err).split())
    if "not a valid DuckDB database" in msg:
        return "not a DuckDB database (a results store is a file made by growthsim)"
    if "Could not set lock" in msg or "Conflicting lock" in msg:
        pid = re.search(r"\(PID (\d+)\)", msg)
        who = f"process {pid.group(1)}" if pid else "another process"
        return f"in use by {who}; wait for it to finish or use another --store file"
    if "different configuration" in msg:
        return "already open in this process with another read_only setting; close it first"
    return re.sub(r"^[A-Za-z ]*Error: ", "", msg)


class Store:
    """Finished runs in a DuckDB file (see the module notes); make one with :func:`open`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import growthsim as gs
    >>> from growthsim import store
    >>> sc = gs.Scenario().with_overrides({"population.n": 2_000, "run.days": 30})
    >>> daily = gs.GrowthModel(sc, seed=7).run()
    >>> st = store.open(pathlib.Path(tempfile.mkdtemp()) / "r.duckdb")
    >>> rid = store.run_id(sc, 7)
    >>> st.put(rid, sc, 7, daily, scalars={"final_members": daily["members"].iloc[-1]})
    True
    >>> st.put(rid, sc, 7, daily)       # already done: nothing recomputed or rewritten
    False
    >>> st.done() == {rid}
    True
    >>> back = st.metrics([rid])
    >>> back.drop(columns="run_id").equals(daily)
    True
    >>> peak = st.query("SELECT max(members) AS peak FROM metrics WHERE run_id = ?", [rid])
    >>> int(peak["peak"].iloc[0]) == int(daily["members"].max())
    True
    >>> st
    Store('.../r.duckdb', runs=1 (1 done))
    >>> st.close()
    """

    def __init__(self, con, path, read_only):
        self._con = con
        self.path = Path(path)
        self.read_only = bool(read_only)
        self._init_schema()

    # -- life cycle ----------------------------------------------------------------------------
    def _init_schema(self):
        have = set(self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).df()["table_name"])
        if self.read_only:
            if not {"meta", "runs", "metrics"} <= have:
                raise StoreError(f"{self.path}: a DuckDB file but not a growthsim results store")
        else:
            with self._transaction():
                for ddl in _DDL:
                    self._con.execute(ddl)
                self._con.execute("INSERT INTO meta VALUES ('schema_version', ?) "
                                  "ON CONFLICT DO NOTHING", [str(SCHEMA_VERSION)])
        version = self._con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if version is None or not str(version[0]).isdigit() or int(version[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version and version[0]} is not one "
                             f"this growthsim reads (up to {SCHEMA_VERSION}); upgrade growthsim")

    def close(self):
        """Close the file (idempotent); later calls raise :class:`StoreError`."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self._con is None:
            return f"Store({str(self.path)!r}, closed)"
        counts = dict(self._con.execute(
            "SELECT status, count(*) FROM runs GROUP BY status").fetchall())
        detail = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
        ro = ", read-only" if self.read_only else ""
        n = sum(counts.values())
        return f"Store({str(self.path)!r}, runs={n}{f' ({detail})' if n else ''}{ro})"

    @property
    def _c(self):
        if self._con is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._con

    def _writable(self):
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; open it without read_only to write")
        return self._c

    @contextlib.contextmanager
    def _transaction(self):
        con = self._c
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()

    @contextlib.contextmanager
    def _registered(self, name, frame):
        self._c.register(name, frame)
        try:
            yield name
        finally:
            self._c.unregister(name)

    # -- writing -------------------------------------------------------------------------------
    def put(self, run_id, scenario, seed, daily, *, cohorts=None, scalars=None,
            started_at=None, wall_seconds=None, force=False):
        """Store one finished run, in one transaction; skip it if it is already done.

        Parameters
        ----------
        run_id : str or None
            Normally :func:`run_id` ``(scenario, seed)`` (computed when None).
        scenario : Scenario
            What was run; its parameters go to ``runs.params``.
        seed : int
            The run's seed.
        daily : pandas.DataFrame
            The model's daily metrics (``model.run()``): ``day`` and numeric metric
            columns. Columns ``scenario``, ``replication``, ``seed`` and ``run_id`` of a
            tidy frame are left out (they describe the run, not a day).
        cohorts : pandas.DataFrame, optional
            Columns ``cohort, age, size, retained`` (others are ignored).
        scalars : mapping of str to float, optional
            Extra per-run figures.
        started_at : datetime or float, optional
            When the run started (aware datetime, naive UTC datetime or epoch seconds).
        wall_seconds : float, optional
            Its duration; ``finished_at`` is ``started_at + wall_seconds`` when both
            are given, else now.
        force : bool
            Replace a run that is already done (its old rows go in the same transaction).

        Returns
        -------
        bool
            True if written, False if the run was already done (and not ``force``).

        Raises
        ------
        StoreError
            The store is read-only or closed.
        ValueError
            ``daily`` has no ``day`` column or a non-numeric metric column.
        """
        con = self._writable()
        seed = _seed(seed)
        run_id = _check_id(run_id, scenario, seed)
        frame = _metric_frame(daily, seed)
        cohorts = None if cohorts is None else _cohort_frame(cohorts)
        scalars = _scalar_frame(scalars)
        row = _run_row(run_id, scenario, seed, "done", None, len(frame), list(frame.columns),
                       started_at, wall_seconds)
        with self._transaction():
            status = self._status(run_id)
            if status == "done" and not force:
                return False
            self._ensure_columns(frame)
            if status is not None:
                self._delete_rows([run_id])
            self._insert_run(row)
            with self._registered("_gs_daily", frame):
                con.execute("INSERT INTO metrics BY NAME SELECT ?::VARCHAR AS run_id, * "
                            "FROM _gs_daily", [run_id])
            self._insert_cohorts(run_id, cohorts)
            self._insert_scalars(run_id, scalars)
        return True

    def put_failed(self, run_id, scenario, seed, error, *, started_at=None, wall_seconds=None):
        """Record a run that failed; a done run is never overwritten by a failure.

        A later successful :meth:`put` replaces the failed row (no ``force`` needed);
        failed runs are not in :meth:`done`.

        Parameters
        ----------
        run_id : str or None
            As in :meth:`put`.
        scenario : Scenario
        seed : int
        error : str or BaseException
            What went wrong (an exception is stored as ``Type: message``).
        started_at, wall_seconds
            As in :meth:`put`.

        Returns
        -------
        bool
            True if recorded, False if the run was already done.
        """
        self._writable()
        seed = _seed(seed)
        run_id = _check_id(run_id, scenario, seed)
        if isinstance(error, BaseException):
            error = f"{type(error).__name__}: {error}"
        row = _run_row(run_id, scenario, seed, "failed", str(error), None, [],
                       started_at, wall_seconds)
        with self._transaction():
            status = self._status(run_id)
            if status == "done":
                return False
            if status is not None:
                self._delete_rows([run_id])
            self._insert_run(row)
        return True

    def delete(self, run_ids):
        """Remove runs and all their rows (one transaction); return how many runs went."""
        con = self._writable()
        ids = _id_list(run_ids)
        with self._transaction():
            n = con.execute("SELECT count(*) FROM runs WHERE list_contains(?, run_id)",
                            [ids]).fetchone()[0]
            self._delete_rows(ids)
        return int(n)

    def _status(self, run_id):
        row = self._c.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
        return None if row is None else row[0]

    def _delete_rows(self, ids):
        for table in ("metrics", "cohorts", "scalars", "runs"):
            self._c.execute(f"DELETE FROM {table} WHERE list_contains(?, run_id)", [ids])

    def _insert_run(self, row):
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._c.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", list(row.values()))

    def _metric_types(self):
        return dict(self._c.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'metrics' AND column_name NOT IN ('run_id', 'day')").fetchall())

    def _ensure_columns(self, frame):
        """Give ``metrics`` a column for each metric of ``frame``, widening types if needed."""
        have = self._metric_types()
        want = {c: _sql_type(frame[c].dtype) for c in frame.columns if c != "day"}
        if not have and not self._c.execute("SELECT count(*) FROM metrics").fetchone()[0]:
            # First frame: the table gets its columns in the frame's order in one statement.
            cols = "".join(f", {_q(c)} {t}" for c, t in want.items())
            self._c.execute(f"CREATE OR REPLACE TABLE metrics (run_id VARCHAR, day INTEGER{cols})")
            return
        for c, t in want.items():
            if c not in have:
                self._c.execute(f"ALTER TABLE metrics ADD COLUMN {_q(c)} {t}")
            elif _WIDTH.get(have[c], 2) < _WIDTH[t]:
                self._c.execute(f"ALTER TABLE metrics ALTER COLUMN {_q(c)} TYPE {t}")

    def _insert_cohorts(self, run_id, cohorts):
        if cohorts is None or cohorts.empty:
            return
        with self._registered("_gs_cohorts", cohorts):
            self._c.execute("INSERT INTO cohorts SELECT ?::VARCHAR, cohort, age, size, retained "
                            "FROM _gs_cohorts", [run_id])

    def _insert_scalars(self, run_id, scalars):
        if scalars.empty:
            return
        with self._registered("_gs_scalars", scalars):
            self._c.execute("INSERT INTO scalars SELECT ?::VARCHAR, key, value FROM _gs_scalars",
                            [run_id])

    # -- reading -------------------------------------------------------------------------------
    def done(self, run_ids=None):
        """Ids of finished runs (among ``run_ids`` if given), as a set.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from growthsim import store
        >>> with store.open(pathlib.Path(tempfile.mkdtemp()) / "r.duckdb") as st:
        ...     st.done(["0" * 32])
        set()
        """
        sql, params = "SELECT run_id FROM runs WHERE status = 'done'", []
        if run_ids is not None:
            sql, params = sql + " AND list_contains(?, run_id)", [_id_list(run_ids)]
        return {r[0] for r in self._c.execute(sql, params).fetchall()}

    def runs(self, scenario=None, status=None):
        """The ``runs`` table (optionally one scenario name and/or status), by finish time.

        ``params`` is JSON text (``json.loads`` it, or query it in SQL:
        ``params->>'$.population.n'``); times are UTC.
        """
        where, params = [], []
        if scenario is not None:
            where.append("scenario = ?")
            params.append(str(scenario))
        if status is not None:
            if status not in STATUSES:
                raise StoreError(f"{self.path}: status must be one of {STATUSES}; got {status!r}")
            where.append("status = ?")
            params.append(status)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        return self._c.execute(sql + " ORDER BY finished_at, run_id", params).df()

    def metrics(self, run_ids=None, columns=None):
        """Daily metrics of runs: ``run_id``, ``day``, then the metric columns.

        Rows follow the order of ``run_ids`` (default: every run, by scenario, seed
        and id), then ``day``. Columns are those the selected runs have, in the
        order they had them, as ``pandas.concat`` of the runs' frames would give:
        integer metrics stay int64 unless a selected run lacks the column (then
        float64 with NaN).

        Parameters
        ----------
        run_ids : sequence of str, optional
        columns : sequence of str, optional
            Only these metric columns (``run_id`` and ``day`` always come).

        Returns
        -------
        pandas.DataFrame
        """
        order = self._order(run_ids)
        have = self._metric_types()
        if columns is None:
            cols = list(dict.fromkeys(c for cs in order["metric_columns"] for c in cs
                                      if c != "day"))
        else:
            cols = [c for c in dict.fromkeys(columns) if c not in ("run_id", "day")]
            unknown = [c for c in cols if c not in have]
            if unknown:
                raise StoreError(f"{self.path}: no metric column(s) {', '.join(unknown)}")
        select = "".join(f", m.{_q(c)}" for c in cols)
        with self._registered("_gs_order", order[["run_id", "ord"]]):
            df = self._c.execute(f"SELECT m.run_id, m.day{select} FROM metrics m "
                                 "JOIN _gs_order o USING (run_id) ORDER BY o.ord, m.day").df()
        df["day"] = df["day"].astype(np.int64)
        for c in cols:
            df[c] = _numpy_column(df[c])
        return df

    def cohorts(self, run_ids=None):
        """Cohort retention rows ``run_id, cohort, age, size, retained`` in run order."""
        order = self._order(run_ids)
        with self._registered("_gs_order", order[["run_id", "ord"]]):
            df = self._c.execute("SELECT c.* FROM cohorts c JOIN _gs_order o USING (run_id) "
                                 "ORDER BY o.ord, c.cohort, c.age").df()
        return df.astype({"cohort": np.int64, "age": np.int64, "size": np.int64})

    def scalars(self, run_ids=None):
        """Per-run extra figures, wide: index ``run_id`` (runs that have any), a column per key."""
        order = self._order(run_ids)
        with self._registered("_gs_order", order[["run_id", "ord"]]):
            long = self._c.execute("SELECT s.run_id, s.key, s.value FROM scalars s "
                                   "JOIN _gs_order o USING (run_id) ORDER BY o.ord").df()
        wide = long.pivot(index="run_id", columns="key", values="value")
        wide = wide.reindex([r for r in order["run_id"] if r in wide.index])
        wide.columns.name = None
        return wide

    def query(self, sql, params=None):
        """Run any SQL on the store and return its result as a DataFrame.

        Raises
        ------
        StoreError
            DuckDB rejected the query (its reason, on one line).
        """
        try:
            return self._c.execute(sql, params).df()
        except duckdb.Error as e:
            raise StoreError(f"{self.path}: query failed: {' '.join(str(e).split())}") from e

    def export_parquet(self, directory):
        """Write each table to ``directory/<table>.parquet`` (creating the folder).

        Returns
        -------
        list of Path
            One file per table (runs, metrics, cohorts, scalars, meta).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        out = []
        keys = {"runs": "finished_at, run_id", "metrics": "run_id, day",
                "cohorts": "run_id, cohort, age", "scalars": "run_id, key", "meta": "key"}
        for table in TABLES:
            path = directory / f"{table}.parquet"
            target = str(path).replace("'", "''")
            self._c.execute(f"COPY (SELECT * FROM {table} ORDER BY {keys[table]}) "
                            f"TO '{target}' (FORMAT parquet)")
            out.append(path)
        return out

    def _order(self, run_ids):
        """Selected runs (id, metric_columns) with their output position ``ord``."""
        if run_ids is None:
            df = self._c.execute("SELECT run_id, metric_columns FROM runs "
                                 "ORDER BY scenario, seed, run_id").df()
        else:
            ids = list(dict.fromkeys(_id_list(run_ids)))
            known = self._c.execute("SELECT run_id, metric_columns FROM runs "
                                    "WHERE list_contains(?, run_id)", [ids]).df()
            df = pd.DataFrame({"run_id": ids}).merge(known, on="run_id", how="inner")
        df["ord"] = np.arange(len(df))
        df["metric_columns"] = [list(c) if c is not None else [] for c in df["metric_columns"]]
        return df


# -- validation and conversion helpers ----------------------------------------------------------

def _q(name):
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _sql_type(dtype):
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE"
    return None


def _numpy_column(col):
    """DuckDB gives nullable pandas types where NULLs occur; use NumPy's like pandas.concat."""
    if isinstance(col.dtype, np.dtype):
        return col
    if col.isna().any() or pd.api.types.is_float_dtype(col.dtype):
        return col.astype(np.float64)
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype(bool)
    return col.astype(np.int64)


def _check_id(rid, scenario, seed):
    if rid is None:
        return run_id(scenario, seed)
    if not isinstance(rid, str) or not rid:
        raise ValueError(f"run_id must be a non-empty string; got {rid!r}")
    return rid


def _id_list(run_ids):
    if isinstance(run_ids, str):
        return [run_ids]
    return [str(r) for r in run_ids]


def _metric_frame(daily, seed):
    if not isinstance(daily, pd.DataFrame):
        raise ValueError(f"daily must be a pandas DataFrame; got {type(daily).__name__}")
    if "day" not in daily.columns:
        raise ValueError("daily has no 'day' column")
    if "seed" in daily.columns and len(daily) and not (daily["seed"] == seed).all():
        raise ValueError(f"daily's seed column does not match the run seed {seed}")
    frame = daily.drop(columns=[c for c in RUN_COLUMNS if c in daily.columns])
    names = [str(c) for c in frame.columns]
    if len({n.lower() for n in names}) != len(names):
        raise ValueError("daily has duplicate column names (SQL names ignore case)")
    bad = [n for n, c in zip(names, frame.columns) if _sql_type(frame[c].dtype) is None]
    if bad:
        raise ValueError(f"daily columns must be numbers; not {', '.join(bad)}")
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    return frame


def _cohort_frame(cohorts):
    need = ["cohort", "age", "size", "retained"]
    missing = [c for c in need if c not in cohorts.columns]
    if missing:
        raise ValueError(f"cohorts lacks column(s) {', '.join(missing)}")
    return cohorts[need].reset_index(drop=True)


def _scalar_frame(scalars):
    items = dict(scalars or {}) if not isinstance(scalars, pd.Series) else scalars.to_dict()
    try:
        values = [float(v) for v in items.values()]
    except (TypeError, ValueError):
        raise ValueError(f"scalars must map names to numbers; got {items!r}") from None
    return pd.DataFrame({"key": [str(k) for k in items], "value": np.array(values, dtype=float)})


def _utc(t):
    """A naive UTC datetime from an aware or naive (taken as UTC) datetime or epoch seconds."""
    if isinstance(t, (int, float)):
        return dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None)
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t


def _run_row(rid, scenario, seed, status, error, days, columns, started_at, wall_seconds):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    started = None if started_at is None else _utc(started_at)
    wall = None if wall_seconds is None else float(wall_seconds)
    if started is not None and wall is not None:
        finished = started + dt.timedelta(seconds=wall)
    else:
        finished = now
        if started is not None:
            wall = (now - started).total_seconds()
        elif wall is not None:
            started = now - dt.timedelta(seconds=wall)
    return {"run_id": rid, "scenario": scenario.name, "scenario_hash": scenario_hash(scenario),
            "seed": seed, "days": days, "code_version": code_version(),
            "params": json.dumps(scenario.to_dict(), default=str), "status": status,
            "error": error, "started_at": started, "finished_at": finished,
            "wall_seconds": wall, "host": socket.gethostname(), "metric_columns": columns}
