"""Sweep files, run_sweep through the store, `growthsim sweep`, and resume after SIGKILL.

Sweeps here vary tiny variants of the baseline (a few hundred people, a few weeks) so
each run takes about a second; the resume test uses 3,000 people over 200 days so that
there is time to kill the command while it works (marked slow).
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from growthsim import cli, store as gstore
from growthsim.errors import ScenarioError
from growthsim.experiment.sweep import SWEEP_SCHEMA, load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
EXAMPLES = ROOT / "experiments" / "sweeps"

TINY = f'''
base = "{BASELINE}"
replications = 2
seed = 5
days = 25
metrics = ["members", "wom_share", "revenue"]

[set]
population.n = 400
seeding.initial_members = 10
'''
GRID = TINY + '''
[grid]
"sharing.p_share" = [0.05, 0.3]
"rewards.enabled" = [true, false]
'''


def write(tmp_path, text, name="sweep.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def store_rows(path):
    with gstore.open(path, read_only=True) as st:
        return st.query("SELECT run_id, status FROM runs")


# -- sweep files --------------------------------------------------------------------------------

def test_examples_load_with_the_points_they_describe():
    grid = load_sweep(EXAMPLES / "p_share.toml")
    assert (len(grid), grid.replications, grid.base.population.n) == (8, 3, 3000)
    assert grid.params == ("sharing.p_share", "rewards.enabled")
    ids = [pid for pid, _, _ in grid.points()]
    assert ids == [f"p{k:03d}" for k in range(8)]
    for _, over, sc in grid.points():
        assert sc.sharing.p_share == over["sharing.p_share"]
        assert sc.rewards.enabled == over["rewards.enabled"]
        assert sc.run.days == 365 and sc.population.n == 3000
    lhs = load_sweep(EXAMPLES / "lhs.toml")
    assert len(lhs) == 12 and lhs.params == ("sharing.p_share", "koc.count")


def test_nested_and_quoted_dotted_keys_are_the_same_override(tmp_path):
    a = load_sweep(write(tmp_path, GRID, "a.toml"))
    b = load_sweep(write(tmp_path, GRID.replace("[set]\npopulation.n = 400",
                                                "[set.population]\nn = 400\n[set]"), "b.toml"))
    assert a.base == dataclasses.replace(b.base, source_file=a.base.source_file)
    assert a.base.population.n == 400


def test_latin_hypercube_is_stratified_seeded_and_inside_the_ranges(tmp_path):
    text = TINY + '''
[sample]
method = "lhs"
n = 10
seed = 4
"sharing.p_share" = [0.1, 0.3]
"koc.count" = [0, 9]
'''
    sw = load_sweep(write(tmp_path, text))
    p = np.array([o["sharing.p_share"] for o in sw.overrides])
    k = np.array([o["koc.count"] for o in sw.overrides])
    # Latin hypercube: exactly one point in each tenth of each range.
    assert sorted(np.floor((p - 0.1) / 0.2 * 10).astype(int)) == list(range(10))
    assert sorted(k) == list(range(10)) and all(isinstance(x, int) for x in k.tolist())
    assert load_sweep(write(tmp_path, text, "same.toml")).overrides == sw.overrides
    other = load_sweep(write(tmp_path, text.replace("seed = 4", "seed = 5"), "other.toml"))
    assert other.overrides != sw.overrides
    rnd = load_sweep(write(tmp_path, text.replace('"lhs"', '"random"'), "random.toml"))
    q = np.array([o["sharing.p_share"] for o in rnd.overrides])
    assert ((q >= 0.1) & (q <= 0.3)).all() and rnd.overrides != sw.overrides


BAD = {
    "unknown_top_key": ('replicatons = 3\n' + GRID, "replicatons",
                        "did you mean 'replications'"),
    "no_base": (GRID.replace(f'base = "{BASELINE}"', ""), "base", "missing"),
    "base_missing_file": (GRID.replace(str(BASELINE), "nope.toml"), None,
                          "no such scenario file"),
    "zero_replications": (GRID.replace("replications = 2", "replications = 0"),
                          "replications", "integer in [1,"),
    "grid_not_a_list": (TINY + '[grid]\n"sharing.p_share" = 0.1\n', "grid.sharing.p_share",
                        "non-empty list"),
    "grid_unknown_param": (TINY + '[grid]\n"sharing.p_shar" = [0.1]\n', "grid.sharing.p_shar",
                           "unknown parameter"),
    "grid_value_out_of_range": (TINY + '[grid]\n"sharing.p_share" = [0.1, 2.0]\n',
                                "grid.sharing.p_share", "2"),
    "grid_section": (TINY + '[grid]\n"sharing" = [1]\n', "grid.sharing", "section"),
    "set_bad_value": (GRID.replace("population.n = 400", "population.n = -4"),
                      "set.population.n", "-4"),
    "both": (GRID + '[sample]\nn = 2\n"koc.count" = [0, 3]\n', "sample", "not both"),
    "sample_out_of_bounds": (TINY + '[sample]\nn = 3\n"sharing.p_share" = [0.1, 1.5]\n',
                             "sample.sharing.p_share", "bounds"),
    "sample_reversed": (TINY + '[sample]\nn = 3\n"sharing.p_share" = [0.3, 0.1]\n',
                        "sample.sharing.p_share", "lo < hi"),
    "sample_string_param": (TINY + '[sample]\nn = 3\n"population.graph" = [0, 1]\n',
                            "sample.population.graph", "cannot be sampled"),
    "sample_no_n": (TINY + '[sample]\n"koc.count" = [0, 3]\n', "sample.n", "missing"),
    "sample_bad_method": (TINY + '[sample]\nmethod = "sobol"\nn = 2\n"koc.count" = [0, 3]\n',
                          "sample.method", "'lhs'"),
    "zero_days": (GRID.replace("days = 25", "days = 0"), "days", "got 0"),
    "unknown_metric": (GRID.replace('"revenue"]', '"revenu"]'), "metrics", "unknown metric"),
    "toml_syntax": (GRID + "x = = 1\n", None, "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_files_are_one_line_naming_file_and_field(tmp_path, case):
    text, field, words = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    msg = str(err.value)
    assert "\n" not in msg and words in msg
    if field is not None:
        assert msg.startswith(f"{path}: {field}: "), msg
    else:
        assert str(tmp_path) in msg


# -- running ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def grid_serial(tmp_path_factory):
    d = tmp_path_factory.mktemp("grid")
    sw = load_sweep(write(d, GRID))
    with gstore.open(d / "s.duckdb") as st:
        res = run_sweep(sw, store=st, executor="serial")
    return sw, res


def test_run_sweep_table_has_a_row_per_point_and_replication(grid_serial):
    sw, res = grid_serial
    t = res.table
    assert list(t.columns) == ["point", "sharing.p_share", "rewards.enabled", "replication",
                               "seed", "run_id", "members", "wom_share", "revenue"]
    assert len(t) == 8 and t["run_id"].is_unique and res.computed == 8
    assert t.groupby("point")["seed"].apply(tuple).nunique() == 1  # common seeds
    assert t.loc[t["point"] == "p003", ["sharing.p_share", "rewards.enabled"]].drop_duplicates() \
        .values.tolist() == [[0.3, False]]
    # The sweep's parameters matter: more sharing, more referred joins.
    wom = t.groupby("sharing.p_share")["wom_share"].mean()
    assert wom[0.3] > wom[0.05]
    s = res.summary()
    assert len(s) == 4 and np.isclose(s.loc[0, "members_mean"],
                                      t.loc[t["point"] == "p000", "members"].mean())


def test_processes_match_serial_and_a_rerun_reuses_every_run(grid_serial, tmp_path):
    sw, serial = grid_serial
    with gstore.open(tmp_path / "p.duckdb") as st:
        procs = run_sweep(sw, store=st, executor="processes", workers=2)
        again = run_sweep(sw, store=st, executor="processes", workers=2)
    pd.testing.assert_frame_equal(procs.table, serial.table)
    assert (procs.computed, again.computed, again.reused) == (8, 0, 8)
    pd.testing.assert_frame_equal(again.table, serial.table)
    # ...and the comparison can fail: another base seed gives other results.
    other = dataclasses.replace(sw, seed=sw.seed + 1, overrides=sw.overrides[:1])
    with gstore.open(tmp_path / "o.duckdb") as st:
        moved = run_sweep(other, store=st, executor="serial").table
    assert not moved["members"].equals(serial.table.loc[:1, "members"])


def test_progress_callback_counts_stored_runs(tmp_path):
    sw = load_sweep(write(tmp_path, GRID))
    sw = dataclasses.replace(sw, overrides=sw.overrides[:2], replications=1)
    seen = []
    with gstore.open(tmp_path / "s.duckdb") as st:
        run_sweep(sw, store=st, executor="serial", progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 2), (2, 2)]


# -- the command line ---------------------------------------------------------------------------

def call(capsys, *args):
    rc = cli.invoke([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_sweep_writes_table_summary_and_figures(tmp_path, capsys, grid_serial):
    spec = write(tmp_path, GRID)
    out, store = tmp_path / "out", tmp_path / "s.duckdb"
    rc, stdout, err = call(capsys, "sweep", spec, "--executor", "serial", "--store", store,
                           "--out", out)
    assert rc == 0, err
    assert "8 run(s) computed, 0 reused" in stdout
    assert err.count("runs stored") == 8  # off a terminal: one line per stored run
    table = pd.read_parquet(out / "sweep.parquet")
    pd.testing.assert_frame_equal(table, grid_serial[1].table)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == SWEEP_SCHEMA and summary["params"] == ["sharing.p_share",
                                                                        "rewards.enabled"]
    assert [p["point"] for p in summary["points"]] == ["p000", "p001", "p002", "p003"]
    m = summary["points"][2]["metrics"]["members"]
    assert m["n"] == 2 and np.isclose(m["mean"], table.loc[table["point"] == "p002",
                                                           "members"].mean())
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert len(figs) == 6 and "wom_share__sharing_p_share.png" in figs
    rc, stdout, _ = call(capsys, "sweep", spec, "--executor", "serial", "--store", store,
                         "--out", out, "-q")
    assert rc == 0 and "0 run(s) computed, 8 reused" in stdout


@pytest.mark.parametrize("args, words", [
    (["--executor", "threads"], "unknown executor 'threads'"),
    (["--executor", "dask://nohost"], "dask://host:port"),
    (["--executor", "dask://127.0.0.1:8786", "--workers", "2"], "workers cannot be set"),
    (["--executor", "serial", "--workers", "2"], "needs executor='processes'"),
])
def test_cli_sweep_bad_options_are_one_line_and_leave_nothing(tmp_path, capsys, args, words):
    spec = write(tmp_path, GRID)
    out, store = tmp_path / "out", tmp_path / "s.duckdb"
    rc, _, err = call(capsys, "sweep", spec, "--store", store, "--out", out, *args)
    assert rc == 2 and err.startswith("growthsim: error: ") and err.count("\n") == 1, err
    assert words in err and not out.exists() and not store.exists()


def test_cli_sweep_bad_file_is_one_line(tmp_path, capsys):
    spec = write(tmp_path, GRID.replace("replications = 2", "replications = 'x'"))
    rc, _, err = call(capsys, "sweep", spec, "--store", tmp_path / "s.duckdb")
    assert rc == 2 and err == f"growthsim: error: {spec}: replications: must be an integer; " \
                              "got 'x'\n"
    assert not (tmp_path / "s.duckdb").exists()


# -- resume after SIGKILL -----------------------------------------------------------------------

RESUME = f'''
base = "{BASELINE}"
replications = 2
seed = 11
days = 200
metrics = ["members", "cum_members", "wom_share", "revenue"]
[set]
population.n = 3000
seeding.initial_members = 30
[grid]
"sharing.p_share" = [0.02, 0.05, 0.1, 0.2, 0.4]
'''


@pytest.mark.slow
def test_sigkill_then_rerun_completes_only_the_missing_runs(tmp_path):
    spec = write(tmp_path, RESUME)
    store = tmp_path / "s.duckdb"
    argv = [sys.executable, "-m", "growthsim", "sweep", str(spec), "--store", str(store),
            "--out", str(tmp_path / "out"), "--workers", "2"]
    proc = subprocess.Popen(argv, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        for line in proc.stderr:
            if "3/10 runs stored" in line or time.monotonic() > deadline:
                break
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "out").exists()
    before = store_rows(store)  # the store opens again after the kill (WAL replayed)
    assert 3 <= len(before) < 10 and (before["status"] == "done").all()

    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert f"{10 - len(before)} run(s) computed, {len(before)} reused" in done.stdout
    after = store_rows(store)
    assert len(after) == 10 and after["run_id"].is_unique
    assert set(before["run_id"]) <= set(after["run_id"])

    with gstore.open(tmp_path / "clean.duckdb") as st:
        clean = run_sweep(load_sweep(spec), store=st, executor="serial").table
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "sweep.parquet"), clean)


def test_help_shows_examples_and_every_option(capsys):
    rc, out, err = call(capsys, "sweep", "--help")
    assert rc == 0 and err == ""
    assert "growthsim sweep experiments/sweeps/" in out.split("Examples:")[1]
    for option in ("--executor", "--workers", "--store", "--out", "--force", "--quiet"):
        assert option in out
        assert f"{option}" in (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")
