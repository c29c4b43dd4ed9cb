"""growthsim.store: run identity, transactions, round trips, schema growth and bad files."""

import dataclasses
import json
import shutil
import subprocess
import sys
import time

import duckdb
import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import metrics, store
from growthsim.store import StoreError

N, DAYS = 2_000, 60


def _run(**overrides):
    sc = gs.Scenario().with_overrides({"population.n": N, "run.days": DAYS, **overrides})
    model = gs.GrowthModel(sc, seed=5)
    daily = model.run()
    return sc, daily, metrics.cohort_matrix(model)


@pytest.fixture(scope="module")
def ladder():
    """A run with the reward ladder: tier_0..tier_k columns."""
    return _run()


@pytest.fixture(scope="module")
def flat():
    """A run without rewards: only tier_0, so it has fewer columns than ``ladder``."""
    return _run(**{"rewards.enabled": False})


@pytest.fixture
def st(tmp_path):
    with store.open(tmp_path / "r.duckdb") as s:
        yield s


def _count(st, table, rid=None):
    sql = f"SELECT count(*) AS n FROM {table}" + (" WHERE run_id = ?" if rid else "")
    return int(st.query(sql, [rid] if rid else None)["n"].iloc[0])


def _put(st, run, seed=5, **kw):
    sc, daily, coh = run
    rid = store.run_id(sc, seed)
    return rid, st.put(rid, sc, seed, daily, cohorts=coh, **kw)


# -- schema --------------------------------------------------------------------------------------
def test_open_creates_the_schema_and_reopening_keeps_it(tmp_path):
    path = tmp_path / "r.duckdb"
    with store.open(path) as st:
        tables = set(st.query("SELECT table_name FROM information_schema.tables")["table_name"])
        assert tables == {"runs", "metrics", "cohorts", "scalars", "meta"}
        cols = st.query("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 'runs'")
        types = dict(zip(cols["column_name"], cols["data_type"]))
        assert types["run_id"] == "VARCHAR" and types["seed"] == "UBIGINT"
        assert types["params"] == "JSON" and types["started_at"] == "TIMESTAMP"
        assert types["wall_seconds"] == "DOUBLE" and types["days"] == "INTEGER"
        meta = st.query("SELECT * FROM meta")
        assert meta.values.tolist() == [["schema_version", str(store.SCHEMA_VERSION)]]
        assert repr(st) == f"Store({str(path)!r}, runs=0)"
    with store.open(path, read_only=True) as st:
        assert len(st.runs()) == 0 and st.done() == set()
        assert "read-only" in repr(st)
    assert repr(st).endswith("closed)")
    with pytest.raises(StoreError, match="closed"):
        st.done()


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "r.duckdb"
    store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="schema version 99"):
        store.open(path)


# -- round trips ---------------------------------------------------------------------------------
def test_put_then_read_back_equals_the_model_output_exactly(st, ladder):
    sc, daily, coh = ladder
    t0 = time.time()
    rid, wrote = _put(st, ladder, scalars={"final": 12.5, "peak": 3}, started_at=t0,
                      wall_seconds=2.5)
    assert wrote and st.done() == {rid} and st.done([rid, "x" * 32]) == {rid}
    back = st.metrics([rid])
    assert (back["run_id"] == rid).all()
    pd.testing.assert_frame_equal(back.drop(columns="run_id"), daily, check_exact=True)
    ints = [c for c in daily.columns if daily[c].dtype == np.int64]
    assert len(ints) > 30 and all(back[c].dtype == np.int64 for c in ints)
    assert daily["cycle_time"].isna().any()              # so NaNs came back as NaNs
    got = st.cohorts([rid])
    pd.testing.assert_frame_equal(got.drop(columns="run_id"), coh.reset_index(drop=True),
                                  check_exact=True)
    assert st.scalars([rid]).loc[rid].to_dict() == {"final": 12.5, "peak": 3.0}
    row = st.runs().iloc[0]
    assert (row["run_id"], row["scenario"], row["status"], row["seed"]) == (rid, sc.name, "done", 5)
    assert row["days"] == len(daily) and row["code_version"] == store.code_version()
    assert json.loads(row["params"]) == json.loads(json.dumps(sc.to_dict()))
    assert row["scenario_hash"] == store.scenario_hash(sc)
    assert row["wall_seconds"] == 2.5
    assert abs((row["finished_at"] - row["started_at"]).total_seconds() - 2.5) < 1e-3
    assert list(row["metric_columns"]) == list(daily.columns)


def test_a_tidy_frame_slice_is_accepted(st, ladder):
    sc, daily, _ = ladder
    tidy = daily.assign(scenario=sc.name, replication=3, seed=5)[
        ["scenario", "replication", "seed", *daily.columns]]
    rid = store.run_id(sc, 5)
    assert st.put(rid, sc, 5, tidy)
    pd.testing.assert_frame_equal(st.metrics([rid]).drop(columns="run_id"), daily)
    with pytest.raises(ValueError, match="seed"):
        st.put(store.run_id(sc, 6), sc, 6, tidy)


def test_second_put_is_a_no_op_and_force_replaces(st, ladder):
    sc, daily, _ = ladder
    rid, _ = _put(st, ladder, scalars={"a": 1.0})
    before = st.runs()
    assert st.put(rid, sc, 5, daily * 0, scalars={"a": 2.0}) is False
    pd.testing.assert_frame_equal(st.runs(), before)
    assert _count(st, "metrics") == len(daily) and st.scalars()["a"].tolist() == [1.0]
    changed = daily.assign(members=daily["members"] + 1)
    assert st.put(rid, sc, 5, changed, scalars={"b": 2.0}, force=True) is True
    assert _count(st, "metrics") == len(daily) and _count(st, "runs") == 1
    assert _count(st, "cohorts") == 0                       # the old run's rows went too
    pd.testing.assert_frame_equal(st.metrics([rid]).drop(columns="run_id"), changed)
    assert st.scalars().columns.tolist() == ["b"]


def _fail_midway(monkeypatch, kind):
    """Make the last step of a put (scalars) fail after it has inserted a row."""
    def boom(self, run_id, scalars):
        self._c.execute("INSERT INTO scalars VALUES (?, 'half', 1.0)", [run_id])
        if kind is duckdb.ConversionException:   # DuckDB itself refuses a statement
            self._c.execute("SELECT CAST('not a number' AS DOUBLE)")
        raise kind("interrupted")                # or Python fails between statements
    monkeypatch.setattr(store.Store, "_insert_scalars", boom)


@pytest.mark.parametrize("kind", [duckdb.ConversionException, KeyboardInterrupt])
def test_a_failure_midway_rolls_the_whole_run_back(st, flat, ladder, monkeypatch, kind):
    rid_flat, _ = _put(st, flat)
    cols_before = st.query("SELECT * FROM metrics LIMIT 0").columns.tolist()
    _fail_midway(monkeypatch, kind)
    rid = store.run_id(ladder[0], 5)
    with pytest.raises(kind):
        _put(st, ladder)           # it would add tier columns, metrics, cohorts and scalars
    for table in ("runs", "metrics", "cohorts", "scalars"):
        assert _count(st, table, rid) == 0, table
    assert st.query("SELECT * FROM metrics LIMIT 0").columns.tolist() == cols_before
    # a forced replacement that fails keeps the old run whole
    with pytest.raises(kind):
        _put(st, flat, force=True)
    assert st.done() == {rid_flat}
    pd.testing.assert_frame_equal(st.metrics([rid_flat]).drop(columns="run_id"), flat[1])
    monkeypatch.undo()
    assert _put(st, ladder)[1] and st.done() == {rid_flat, rid}   # the store still works


def test_failed_runs_are_recorded_replaced_and_never_done(st, ladder):
    sc, daily, _ = ladder
    rid = store.run_id(sc, 5)
    assert st.put_failed(rid, sc, 5, RuntimeError("out of memory"))
    runs = st.runs(status="failed")
    assert runs["error"].tolist() == ["RuntimeError: out of memory"] and st.done() == set()
    assert "1 failed" in repr(st)
    assert st.put(rid, sc, 5, daily)                        # no force needed over a failure
    assert st.runs()["status"].tolist() == ["done"] and st.runs()["error"].isna().all()
    assert st.put_failed(rid, sc, 5, "late failure") is False
    assert st.done() == {rid}
    with pytest.raises(StoreError, match="status"):
        st.runs(status="finished")


def test_delete_removes_every_row_of_a_run(st, ladder, flat):
    a, _ = _put(st, ladder, scalars={"x": 1})
    b, _ = _put(st, flat, scalars={"x": 2})
    assert st.delete([a, "nope"]) == 1
    assert st.done() == {b}
    for table in ("runs", "metrics", "cohorts", "scalars"):
        assert _count(st, table, a) == 0 and _count(st, table, b) > 0, table


# -- growing schema and multi-run reads -----------------------------------------------------------
def test_new_metric_columns_are_added_and_each_run_reads_back_as_written(st, flat, ladder):
    a, _ = _put(st, flat)
    cols = set(st.query("SELECT * FROM metrics LIMIT 0").columns)
    assert "tier_0" in cols and "tier_1" not in cols
    b, _ = _put(st, ladder)
    new = set(st.query("SELECT * FROM metrics LIMIT 0").columns) - cols
    assert new == set(ladder[1].columns) - set(flat[1].columns) and "tier_1" in new
    pd.testing.assert_frame_equal(st.metrics([a]).drop(columns="run_id"), flat[1])
    pd.testing.assert_frame_equal(st.metrics([b]).drop(columns="run_id"), ladder[1])
    both = st.metrics([b, a])                      # the order asked for, like pandas.concat
    expected = pd.concat([ladder[1].assign(run_id=b), flat[1].assign(run_id=a)],
                         ignore_index=True)
    pd.testing.assert_frame_equal(both, expected[both.columns], check_exact=True)
    assert both.columns.tolist()[1:] == expected.columns.tolist()[:-1]
    assert both["tier_1"].dtype == np.float64 and both["members"].dtype == np.int64
    some = st.metrics([a], columns=["members", "tier_1"])
    assert some.columns.tolist() == ["run_id", "day", "members", "tier_1"]
    assert some["tier_1"].isna().all()
    with pytest.raises(StoreError, match="no_such_metric"):
        st.metrics(columns=["no_such_metric"])


def test_an_integer_column_widens_rather_than_round_floats(st, ladder):
    sc, daily, _ = ladder
    st.put("a", sc, 1, daily)
    st.put("b", sc, 2, daily.assign(members=daily["members"] + 0.25))
    types = st.query("SELECT column_name, data_type FROM information_schema.columns "
                     "WHERE table_name = 'metrics'")
    assert dict(zip(types["column_name"], types["data_type"]))["members"] == "DOUBLE"
    back = st.metrics(["b"])["members"]
    np.testing.assert_array_equal(back, daily["members"] + 0.25)


def test_export_parquet_round_trip(st, ladder, tmp_path):
    sc, daily, coh = ladder
    rid, _ = _put(st, ladder, scalars={"k": 1.5})
    files = st.export_parquet(tmp_path / "out" / "nested")
    assert [f.name for f in files] == [f"{t}.parquet" for t in store.TABLES]
    assert all(f.is_file() for f in files)
    m = pd.read_parquet(files[1])
    assert (m.pop("run_id") == rid).all()
    pd.testing.assert_frame_equal(m.astype({"day": np.int64}), daily, check_exact=True)
    c = pd.read_parquet(files[2]).drop(columns="run_id")
    np.testing.assert_array_equal(c["retained"], coh["retained"])
    assert pd.read_parquet(files[0])["run_id"].tolist() == [rid]
    assert pd.read_parquet(files[3])[["key", "value"]].values.tolist() == [["k", 1.5]]


def test_writing_a_five_year_frame_takes_well_under_a_second(st, ladder):
    rng = np.random.default_rng(0)
    big = pd.DataFrame({f"m{k}": (rng.integers(0, 10**6, 1826) if k % 2 else rng.random(1826))
                        for k in range(99)})
    big.insert(0, "day", np.arange(1826))
    sc = ladder[0]
    st.put("warm-up", sc, 0, big)              # the first put also creates the table
    t = time.perf_counter()
    assert st.put("timed", sc, 1, big)
    elapsed = time.perf_counter() - t
    assert elapsed < 0.5, elapsed
    pd.testing.assert_frame_equal(st.metrics(["timed"]).drop(columns="run_id"), big)


# -- run identity -------------------------------------------------------------------------------
class _Fake:
    """Stands in for a scenario: run_id reads only ``to_dict()``."""

    def __init__(self, d):
        self.d = d

    def to_dict(self):
        return json.loads(json.dumps(self.d))


def _leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, prefix + (k,))
        else:
            yield prefix + (k,), v


def _perturbed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return [*value, 1] if value else [1]


def test_run_id_changes_with_every_parameter_but_the_name():
    base = gs.Scenario().to_dict()
    ref = store.run_id(_Fake(base), 1)
    assert ref == store.run_id(gs.Scenario(), 1)
    changed = 0
    for path, value in _leaves(base):
        d = json.loads(json.dumps(base))
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = _perturbed(value)
        same = store.run_id(_Fake(d), 1) == ref
        assert same == (path in (("name",), ("run", "seed"))), path
        changed += not same
    assert changed > 100


def test_run_id_on_real_scenarios():
    sc = gs.Scenario()
    rid = store.run_id(sc, 1)
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert store.run_id(sc.with_overrides({"name": "other", "run.seed": 77}), 1) == rid
    assert store.run_id(sc.with_overrides({}), 1) == rid       # 3 and a validated 3.0 agree
    for key, value in [("population.n", 5_000), ("sharing.p_share", 0.051),
                       ("run.days", 365), ("koc.count", 7)]:
        assert store.run_id(sc.with_overrides({key: value}), 1) != rid, key
    assert store.run_id(sc, 2) != rid and store.run_id(sc, np.int64(1)) == rid
    with pytest.raises(ValueError, match="seed"):
        store.run_id(sc, -1)


def test_run_id_changes_with_the_code_version(monkeypatch):
    rid = store.run_id(gs.Scenario(), 1)
    monkeypatch.setattr(store, "code_version", lambda: "0.1.0+000000000000")
    assert store.run_id(gs.Scenario(), 1) != rid


def test_code_version_follows_the_bytes_of_result_code(tmp_path, monkeypatch):
    real, root = store.PACKAGE_ROOT, tmp_path / "growthsim"
    shutil.copytree(real, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "report").mkdir(exist_ok=True)
    (root / "cli.py").touch()
    monkeypatch.setattr(store, "PACKAGE_ROOT", root)
    store._source_digest.cache_clear()
    base = store.code_version()
    assert base.startswith(gs.__version__ + "+") and len(base.split("+")[1]) == 12
    assert base == store.code_version()

    def edited(rel, text="\n# edited\n"):
        with (root / rel).open("a") as f:
            f.write(text)
        store._source_digest.cache_clear()
        return store.code_version()

    for neutral in ("report/__init__.py", "cli.py", "store.py", "report/new_plot.py"):
        assert edited(neutral) == base, neutral
    kernel = edited("kernels/churn.py")
    assert kernel != base
    (root / "kernels" / "churn.py").write_bytes((real / "kernels" / "churn.py").read_bytes())
    store._source_digest.cache_clear()
    assert store.code_version() == base                    # bytes, not modification times
    assert edited("kernels/new_module.py", "X = 1\n") != base
    store._source_digest.cache_clear()


# -- bad files and read-only stores ------------------------------------------------------------
def test_a_file_that_is_not_a_database_names_the_path(tmp_path):
    bad = tmp_path / "scenario.toml"
    bad.write_text("[population]\nn = 5\n")
    with pytest.raises(StoreError) as err:
        store.open(bad)
    msg = str(err.value)
    assert msg.startswith(str(bad)) and "not a DuckDB database" in msg and "\n" not in msg
    assert isinstance(err.value, gs.GrowthsimError)
    assert bad.read_text() == "[population]\nn = 5\n"
    with pytest.raises(StoreError, match="folder"):
        store.open(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        store.open(tmp_path / "nowhere" / "r.duckdb")
    with pytest.raises(StoreError, match="no results store"):
        store.open(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(StoreError, match="not a growthsim results store"):
        store.open(other, read_only=True)


def test_a_store_locked_by_another_process_gives_a_one_line_error(tmp_path):
    path = tmp_path / "r.duckdb"
    store.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for ro in (False, True):
            with pytest.raises(StoreError) as err:
                store.open(path, read_only=ro)
            assert str(err.value).startswith(str(path)) and "in use by process" in str(err.value)
            assert "\n" not in str(err.value)
    finally:
        holder.communicate("")
    store.open(path).close()                              # free again once it is closed


def test_a_read_only_store_reads_and_refuses_writes(tmp_path, ladder):
    path = tmp_path / "r.duckdb"
    with store.open(path) as st:
        rid, _ = _put(st, ladder)
    with store.open(path, read_only=True) as st:
        assert st.done() == {rid}
        pd.testing.assert_frame_equal(st.metrics([rid]).drop(columns="run_id"), ladder[1])
        for write in (lambda: _put(st, ladder, force=True),
                      lambda: st.put_failed(rid, ladder[0], 5, "x"),
                      lambda: st.delete([rid])):
            with pytest.raises(StoreError, match="read-only"):
                write()
        with pytest.raises(StoreError, match="query failed"):
            st.query("DELETE FROM runs")
        assert [f.name for f in st.export_parquet(tmp_path / "x")][0] == "runs.parquet"
    with store.open(path) as st:
        assert st.done() == {rid}


def test_run_id_covers_the_graph_content(tmp_path):
    """Two scenarios with equal parameters but different graphs are different runs: an
    edited edge-list file or another attached graph object gives another id."""
    import growthsim as gs
    from growthsim.graphs import ring

    edges = tmp_path / "g.txt"
    edges.write_text("0 1\n1 2\n2 3\n3 0\n")
    toml = tmp_path / "s.toml"
    toml.write_text('[population]\nn = 4\ngraph = "file"\ngraph_file = "g.txt"\n'
                    '[seeding]\ninitial_members = 1\n')
    a = store.run_id(gs.load_scenario(toml), 1)
    assert a == store.run_id(gs.load_scenario(toml), 1)
    edges.write_text("0 1\n1 2\n2 3\n3 0\n0 2\n")
    assert store.run_id(gs.load_scenario(toml), 1) != a
    sc = gs.Scenario().with_overrides({"population.n": 10, "seeding.initial_members": 2})
    on = [store.run_id(dataclasses.replace(sc, graph=ring(10, k)), 1) for k in (2, 2, 4)]
    assert on[0] == on[1] != on[2] and store.run_id(sc, 1) not in on
