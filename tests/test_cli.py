"""The ``growthsim`` command line and the stored-run workflow behind it.

End-to-end cases run ``python -m growthsim`` in a subprocess on tiny variants of shipped
scenarios (3,000 people, 120 days, 2 replications); the others call
:func:`growthsim.cli.invoke` in this process (same code path, captured output).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import growthsim as gs
from growthsim import cli, store as gstore
from growthsim.experiment import replication_seeds
from growthsim.experiment.stored import RunFailedError, run_stored

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
TWO_SIDED = ROOT / "scenarios" / "ladders" / "two_sided.toml"
DAYS, REPS = 120, 2
TINY = ["--set", "population.n=3000", "--days", str(DAYS), "--replications", str(REPS)]
SUMMARY_KEYS = {"schema", "growthsim_version", "code_version", "command", "argv", "created",
                "store", "base_seed", "replications", "computed", "reused", "level",
                "scenarios"}
SCENARIO_KEYS = {"file", "name", "scenario_hash", "days", "base_seed", "replications", "means",
                 "final_means"}
FINAL_KEYS = {"members", "cum_members", "dau_mau", "wom_share", "ltv", "cac", "ltv_cac",
              "revenue", "reward_cost", "ad_cost", "koc_cost", "acquisition_cost"}


def growthsim(*args, cwd):
    return subprocess.run([sys.executable, "-m", "growthsim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def call(capsys, *args):
    """Run the CLI in this process: (exit status, stdout, stderr)."""
    rc = cli.invoke([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def strict_json(path):
    def no_constants(name):
        raise AssertionError(f"{path} holds {name}, which is not JSON")
    return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=no_constants)


def store_runs(path):
    with gstore.open(path, read_only=True) as st:
        return st.runs().sort_values("run_id").reset_index(drop=True)


# -- one real run shared by several tests ------------------------------------------------------
@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """``growthsim run`` of tiny baseline with 2 worker processes, in a fresh folder."""
    work = tmp_path_factory.mktemp("run")
    proc = growthsim("run", BASELINE, *TINY, "--workers", "2", "--out", "out", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work, proc


def test_run_writes_every_output(first_run):
    work, proc = first_run
    out = work / "out"
    assert "2 run(s) computed, 0 reused" in proc.stdout
    assert "Outputs: out/" in proc.stdout and proc.stderr == ""
    header = next(line for line in proc.stdout.splitlines() if "LTV/CAC" in line)
    assert "members" in header and "wom+koc %" in header
    assert any(line.startswith("1 ") and "±" in line for line in proc.stdout.splitlines())

    summary = strict_json(out / "summary.json")
    assert SUMMARY_KEYS <= set(summary) and summary["schema"] == "growthsim.summary/1"
    assert summary["command"] == "run" and summary["argv"][:2] == ["growthsim", "run"]
    assert summary["code_version"] == gstore.code_version()
    assert Path(summary["store"]) == (work / "growthsim-results.duckdb").resolve()
    (sc,) = summary["scenarios"]
    assert SCENARIO_KEYS <= set(sc) and sc["name"] == "baseline" and sc["days"] == DAYS
    seeds = list(replication_seeds(sc["base_seed"], REPS))
    assert [r["seed"] for r in sc["replications"]] == seeds
    for r in sc["replications"]:
        assert set(r["final"]) == FINAL_KEYS and r["reused"] is False
        assert [y["year"] for y in r["yearly"]] == [1] and r["yearly"][0]["days"] == DAYS
    m = sc["means"]["1"]["members_end"]
    finals = [r["final"]["members"] for r in sc["replications"]]
    assert m["n"] == REPS and m["mean"] == pytest.approx(np.mean(finals))
    assert m["ci_low"] < m["mean"] < m["ci_high"]

    daily = pd.read_parquet(out / "metrics.parquet")
    assert list(daily.columns[:4]) == ["scenario", "replication", "seed", "day"]
    assert len(daily) == REPS * DAYS
    assert daily.groupby("replication")["day"].apply(list).tolist() == [list(range(DAYS))] * REPS
    assert daily.groupby("replication")["seed"].first().tolist() == seeds
    assert set(gs.metrics.COLUMNS) - set(daily.columns) <= {f"tier_{t}" for t in range(21)}
    cohorts = pd.read_parquet(out / "cohorts.parquet")
    assert list(cohorts.columns) == ["scenario", "replication", "seed", "cohort", "age", "size",
                                     "retained"]
    assert cohorts["retained"].between(0, 1).all() and set(cohorts["replication"]) == {0, 1}

    html = (out / "report.html").read_text(encoding="utf-8")
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 4
    for png in pngs:
        assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"
        assert f'src="figures/{png.name}"' in html
    assert not list(work.glob(".out.*")), "temporary folders left behind"


def test_store_holds_the_runs_and_a_rerun_reuses_them(first_run, capsys, monkeypatch):
    work, _ = first_run
    monkeypatch.chdir(work)
    db = work / "growthsim-results.duckdb"
    before = store_runs(db)
    assert len(before) == REPS and (before["status"] == "done").all()
    assert (before["days"] == DAYS).all()
    with gstore.open(db, read_only=True) as st:
        assert len(st.metrics(before["run_id"])) == REPS * DAYS
    old = pd.read_parquet(work / "out" / "metrics.parquet")

    rc, out, err = call(capsys, "run", BASELINE, *TINY, "--out", "again", "--no-report")
    assert rc == 0, err
    assert "0 run(s) computed, 2 reused" in out
    after = store_runs(db)
    pd.testing.assert_frame_equal(after, before)   # no new rows, timestamps unchanged
    pd.testing.assert_frame_equal(pd.read_parquet(work / "again" / "metrics.parquet"), old,
                                  check_exact=True)
    assert all(r["reused"] for r in strict_json(work / "again" / "summary.json")
               ["scenarios"][0]["replications"])
    assert not (work / "again" / "report.html").exists()

    rc, out, err = call(capsys, "run", BASELINE, *TINY, "--out", "again", "--force",
                        "--workers", "1", "--no-report")
    assert rc == 0, err
    assert "2 run(s) computed, 0 reused" in out
    forced = store_runs(db)
    assert forced["run_id"].tolist() == before["run_id"].tolist()
    assert (forced["finished_at"] > before["finished_at"]).all()
    pd.testing.assert_frame_equal(pd.read_parquet(work / "again" / "metrics.parquet"), old,
                                  check_exact=True)


def test_one_worker_and_two_give_identical_tables_equal_to_a_direct_run(first_run, tmp_path,
                                                                        capsys, monkeypatch):
    work, _ = first_run
    monkeypatch.chdir(tmp_path)
    rc, _, err = call(capsys, "run", BASELINE, *TINY, "--workers", "1", "--no-report",
                      "--out", "one", "--store", "one.duckdb")
    assert rc == 0, err
    one = pd.read_parquet(tmp_path / "one" / "metrics.parquet")
    two = pd.read_parquet(work / "out" / "metrics.parquet")
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "cohorts.parquet"),
                                  pd.read_parquet(work / "out" / "cohorts.parquet"),
                                  check_exact=True)
    # the store gives back exactly what the model computed (dtypes included)
    sc = gs.load_scenario(BASELINE).with_overrides({"population.n": 3000, "run.days": DAYS})
    seed = int(one["seed"].iloc[-1])
    direct = gs.GrowthModel(sc, seed=seed).run()
    stored = one[one["replication"] == 1].drop(columns=["scenario", "replication", "seed"])
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), direct, check_exact=True)


def test_a_dask_cluster_gives_the_same_tables(first_run, tmp_path, capsys, monkeypatch):
    work, _ = first_run
    monkeypatch.chdir(tmp_path)
    rc, _, err = call(capsys, "run", BASELINE, *TINY, "--executor", "dask", "--workers", "2",
                      "--no-report", "--out", "dask", "--store", "dask.duckdb")
    assert rc == 0, err
    assert list(store_runs(tmp_path / "dask.duckdb")["run_id"]) == \
        list(store_runs(work / "growthsim-results.duckdb")["run_id"])
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "metrics.parquet"),
                                  pd.read_parquet(work / "out" / "metrics.parquet"),
                                  check_exact=True)


def test_report_rerenders_from_the_folder(first_run, capsys, monkeypatch, tmp_path):
    work, _ = first_run
    monkeypatch.chdir(work)
    out = work / "out"
    data_mtime = (out / "metrics.parquet").stat().st_mtime_ns
    (out / "report.html").unlink()
    for png in (out / "figures").glob("*.png"):
        png.unlink()
    (out / "notes.txt").write_text("mine")
    rc, text, err = call(capsys, "report", "out")
    assert rc == 0, err
    assert "report.html" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    pngs = list((out / "figures").glob("*.png"))
    assert pngs and all(f'src="figures/{p.name}"' in html for p in pngs)
    assert (out / "metrics.parquet").stat().st_mtime_ns == data_mtime
    assert (out / "notes.txt").read_text() == "mine"
    # a folder without the results: one line, exit 2, nothing written
    (tmp_path / "empty").mkdir()
    rc, text, err = call(capsys, "report", tmp_path / "empty")
    assert rc == 2 and err.count("\n") == 1 and "missing metrics.parquet" in err
    assert list((tmp_path / "empty").iterdir()) == []


def test_compare_prints_verdicts_equal_to_a_hand_computation(tmp_path):
    proc = growthsim("compare", BASELINE, TWO_SIDED, *TINY, "--workers", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ladders/two_sided" in proc.stdout and "members_end" in proc.stdout
    assert "than baseline" in proc.stdout and "(95% CI" in proc.stdout
    out = tmp_path / "results" / "compare"
    summary = strict_json(out / "summary.json")
    assert summary["base"] == "baseline" and summary["comparison_year"] == 1
    assert [s["name"] for s in summary["scenarios"]] == ["baseline", "ladders/two_sided"]
    rows = {r["metric"]: r for r in summary["comparison"]}
    assert {"members_end", "joins", "wom_share", "revenue"} <= set(rows)
    assert all(r["verdict"] and r["scenario"] == "ladders/two_sided" and r["base"] == "baseline"
               for r in rows.values())

    # the same figures from metrics.parquet by hand: paired differences and a paired t interval
    daily = pd.read_parquet(out / "metrics.parquet")
    seeds = daily.groupby(["scenario", "replication"])["seed"].first()
    assert seeds["baseline"].tolist() == seeds["ladders/two_sided"].tolist()   # common seeds
    per_run = daily.groupby(["scenario", "replication"]).agg(
        members_end=("members", "last"), joins=("new_members", "sum"),
        revenue=("revenue", "sum"))
    for metric in ("members_end", "joins", "revenue"):
        d = (per_run.loc["ladders/two_sided", metric] - per_run.loc["baseline", metric])
        half = stats.t.ppf(0.975, REPS - 1) * d.std(ddof=1) / np.sqrt(REPS)
        row = rows[metric]
        assert row["diff"] == pytest.approx(d.mean(), rel=1e-12, abs=1e-9)
        assert row["ci_low"] == pytest.approx(d.mean() - half, rel=1e-9, abs=1e-9)
        assert row["ci_high"] == pytest.approx(d.mean() + half, rel=1e-9, abs=1e-9)
        assert row["base_mean"] == pytest.approx(per_run.loc["baseline", metric].mean())
        clear = row["ci_low"] > 0 or row["ci_high"] < 0
        assert ("no clear difference" in row["verdict"]) != clear
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "members_end" in html and "difference_members.png" in html


# -- fast cases in this process ----------------------------------------------------------------
def test_docs_describe_every_summary_key_and_command():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for key in SUMMARY_KEYS | SCENARIO_KEYS | FINAL_KEYS | {"comparison", "comparison_year",
                                                             "run_id", "reused", "verdict"}:
        assert f'"{key}"' in text or f"`{key}`" in text, key
    for command in cli.cli.commands:
        assert f"## `growthsim {command}" in text, command


@pytest.mark.parametrize("command", [[], ["run"], ["compare"], ["validate"], ["report"]])
def test_help_shows_examples(command, capsys):
    rc, out, err = call(capsys, *command, "--help")
    assert rc == 0 and err == ""
    assert "Examples:" in out and "growthsim " in out.split("Examples:")[1]


def test_version_and_no_arguments(capsys):
    rc, out, _ = call(capsys, "--version")
    assert rc == 0 and out.strip() == f"growthsim, version {gs.__version__}"
    rc, out, err = call(capsys)
    assert rc == 2 and "Commands:" in err and out == ""


BAD = [
    (["run", "missing.toml"], "missing.toml: no such scenario file"),
    (["run", BASELINE, "--days", "0"], "'--days'"),
    (["run", BASELINE, "--replications", "0"], "'--replications'"),
    (["run", BASELINE, "--seed", "-3"], "'--seed'"),
    (["run", BASELINE, "--workers", "0"], "'--workers'"),
    (["run", BASELINE, "--executor", "threads"], "--executor: unknown executor 'threads'"),
    (["run", BASELINE, "--executor", "dask://nohost"], "--executor: a Dask scheduler address"),
    (["run", BASELINE, "--set", "koc.count"], "--set expects KEY=VALUE"),
    (["run", BASELINE, "--set", "koc.cnt=3"], "koc.cnt: unknown key"),
    (["run", BASELINE, "--set", "sharing.p_share=3"], "baseline.toml: sharing.p_share: must be"),
    (["run", BASELINE, "--out", "a_file"], "--out a_file: is a file"),
    (["run", BASELINE, "--out", "a_file/below"], "a_file is a file"),
    (["run", BASELINE, "--store", "nowhere/s.duckdb"], "the folder nowhere does not exist"),
    (["run", BASELINE, "--store", "a_dir"], "--store a_dir: is a folder"),
    (["run", BASELINE, "--store", "a_file"], "a_file: not a DuckDB database"),
    (["run", BASELINE, "--no-such-option"], "No such option"),
    (["compare", BASELINE], "at least two scenario files"),
    (["compare", BASELINE, BASELINE], "are named 'baseline'"),
    (["report", "a_dir"], "missing metrics.parquet"),
    (["frobnicate"], "No such command"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_is_one_line_exit_2_nothing_created(args, fragment, tmp_path, capsys,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a database")
    (tmp_path / "a_dir").mkdir()
    rc, out, err = call(capsys, *args)
    assert rc == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1 and err.startswith("growthsim: error: ")
    assert fragment in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "a_file"]
    assert list((tmp_path / "a_dir").iterdir()) == []
    assert (tmp_path / "a_file").read_text() == "not a database"


def test_compare_needs_a_common_horizon_and_seed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "short.toml"
    other.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "short"\n[run]\ndays = 30\n'
                     "seed = 5\n")
    rc, _, err = call(capsys, "compare", BASELINE, other)
    assert rc == 2 and "different horizons" in err and "--days" in err
    rc, _, err = call(capsys, "compare", BASELINE, other, "--days", "20")
    assert rc == 2 and "different run.seed values" in err and "--seed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.toml"]


def test_a_run_that_cannot_start_leaves_no_store(tmp_path, capsys, monkeypatch):
    """The graph generator rejects the values at run time: one line, and the new store goes."""
    monkeypatch.chdir(tmp_path)
    rc, _, err = call(capsys, "run", BASELINE, "--set", "population.n=400", "--set",
                      "population.mean_degree=500", "--set", 'population.graph="erdos_renyi"',
                      "--days", "5", "--replications", "1", "--workers", "1")
    assert rc == 2 and err.count("\n") == 1 and "mean_degree" in err
    assert list(tmp_path.iterdir()) == []


def _interrupt_on(call_number, monkeypatch):
    import growthsim.experiment.stored as stored

    real, calls = stored.run_one, []

    def run_one(scenarios, task):
        calls.append(task)
        if len(calls) == call_number:
            raise KeyboardInterrupt
        return real(scenarios, task)

    monkeypatch.setattr(stored, "run_one", run_one)


def test_interrupt_keeps_finished_runs_and_writes_no_outputs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tiny = ["--set", "population.n=1000", "--days", "20", "--replications", "3",
            "--workers", "1"]
    _interrupt_on(2, monkeypatch)
    rc, out, err = call(capsys, "run", BASELINE, *tiny)
    assert rc == 130 and err.count("\n") == 1 and "interrupted" in err and "kept" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["growthsim-results.duckdb"]
    assert len(store_runs(tmp_path / "growthsim-results.duckdb")) == 1
    # interrupted before any run finished: the store it created goes too
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    _interrupt_on(1, monkeypatch)
    rc, _, err = call(capsys, "run", BASELINE, *tiny, "--store", "other.duckdb")
    assert rc == 130 and "nothing was stored" in err
    assert not (tmp_path / "other.duckdb").exists()


def test_outputs_replace_only_our_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tiny = ["--set", "population.n=1000", "--days", "20", "--replications", "1",
            "--workers", "1"]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    (tmp_path / "out" / "report.html").write_text("stale")
    rc, _, err = call(capsys, "run", BASELINE, *tiny, "--out", "out", "--no-report")
    assert rc == 0, err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["cohorts.parquet", "metrics.parquet", "notes.txt", "summary.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["growthsim-results.duckdb", "out"]


def test_validate_quick_prints_predicted_vs_simulated(capsys):
    rc, out, err = call(capsys, "validate", "--quick")
    assert rc == 0, out + err
    head = out.splitlines()[0]
    for column in ("model", "quantity", "predicted", "simulated", "tolerance"):
        assert column in head
    assert "Bass" in out and "Erdos-Renyi" in out and "7 of 7 checks passed" in out


def test_validate_exits_1_when_a_check_fails(capsys, monkeypatch):
    import growthsim.validate as validate

    table = validate.ring_check()
    table.loc[0, ["simulated", "ok"]] = [0.5, False]
    monkeypatch.setattr(validate, "checks", lambda quick=False: table)
    rc, out, _ = call(capsys, "validate", "--quick")
    assert rc == 1 and "FAILED" in out and "0 of 1 checks passed" in out


def test_validate_checks_can_fail():
    """A wrong prediction falls outside the tolerance (the checks discriminate)."""
    import growthsim.validate as validate

    good = validate.bass_check(5_000, 0.2, 0.0, 1, 1, 0.015)
    assert good["ok"].all()
    wrong = validate._rows("Bass", [("share", good["predicted"][0] + 0.05,
                                     good["simulated"][0])], 0.015)
    assert not wrong["ok"].any()


# -- the stored-run API -----------------------------------------------------------------------
@pytest.fixture
def small():
    return gs.load_scenario(BASELINE).with_overrides({"population.n": 1_500, "run.days": 30})


def test_run_stored_is_identical_computed_reused_serial_or_processes(small, tmp_path):
    other = small.with_overrides({"name": "share2x", "sharing.p_share": 0.1})
    scenarios = {"base": small, "share2x": other}
    with gstore.open(tmp_path / "a.duckdb") as st:
        serial = run_stored(scenarios, 2, seed=3, store=st, executor="serial", progress=False)
        reused = run_stored(scenarios, 2, seed=3, store=st, progress=False)
        more = run_stored(scenarios, 3, seed=3, store=st, executor="serial", progress=False)
    with gstore.open(tmp_path / "b.duckdb") as st:
        procs = run_stored(scenarios, 2, seed=3, store=st, workers=2, progress=False)
    assert (serial.computed, serial.reused, reused.computed, reused.reused) == (4, 0, 0, 4)
    assert (more.computed, more.reused) == (2, 4)      # prefix-stable seeds: old runs kept
    for res in (reused, procs):
        pd.testing.assert_frame_equal(res.daily, serial.daily, check_exact=True)
        pd.testing.assert_frame_equal(res.cohorts, serial.cohorts, check_exact=True)
    first_two = more.daily[more.daily["replication"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(first_two, serial.daily, check_exact=True)
    assert serial.runs["reused"].tolist() == [False] * 4 and reused.runs["reused"].all()
    assert list(serial.daily["scenario"].unique()) == ["base", "share2x"]
    assert serial.seeds == replication_seeds(3, 2)
    y = serial.yearly()
    assert list(y.columns[:3]) == ["scenario", "replication", "seed"] and len(y) == 4
    d = serial.differences()
    joins = d.set_index("metric").loc["joins"]
    assert joins["scenario"] == "share2x" and joins["base"] == "base" and joins["n"] == 2
    by_hand = (y[y.scenario == "share2x"]["joins"].to_numpy()
               - y[y.scenario == "base"]["joins"].to_numpy()).mean()
    assert joins["diff"] == pytest.approx(by_hand)


def test_run_stored_records_a_crash_and_keeps_other_runs(small, tmp_path, monkeypatch):
    import growthsim.metrics as M

    real = M.cohort_matrix
    calls = []

    def flaky(model, period=30):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(model, period)

    monkeypatch.setattr(M, "cohort_matrix", flaky)
    with gstore.open(tmp_path / "s.duckdb") as st:
        with pytest.raises(RunFailedError, match="boom"):
            run_stored({"s": small}, 3, seed=1, store=st, executor="serial", progress=False)
        runs = st.runs()
    assert sorted(runs["status"]) == ["done", "done", "failed"]
    assert "RuntimeError: boom" in runs.loc[runs["status"] == "failed", "error"].iloc[0]


def test_summary_json_has_no_nan(small, tmp_path):
    """A run with no joins has NaN shares: summary.json writes null, still valid JSON."""
    from growthsim.experiment.stored import jsonable, summary_record

    quiet = small.with_overrides({"ads.daily_budget": [0.0], "organic.p_discover": 0.0,
                                  "sharing.p_share": 0.0, "run.days": 5})
    with gstore.open(tmp_path / "s.duckdb") as st:
        res = run_stored({"q": quiet}, 1, seed=1, store=st, executor="serial", progress=False)
    rec = summary_record(res)
    text = json.dumps(rec, allow_nan=False)
    assert rec[0]["replications"][0]["final"]["wom_share"] is None
    assert rec[0]["means"]["1"]["members_end"]["ci_low"] is None   # one replication
    assert json.loads(text) == jsonable(rec)
