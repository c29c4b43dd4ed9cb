"""Global sensitivity analysis (growthsim.experiment.sensitivity) and `growthsim sensitivity`.

The analyses vary a tiny baseline (500 people, 45 days, ten seed members, so a run takes
a fraction of a second); one Morris analysis is shared by several tests through one store. ``koc.fee`` cannot matter there (no KOCs are signed), the ad budget
brings most joins: the tests check that the indices tell the two apart.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import cli, store as gstore
from growthsim.experiment.sensitivity import OUTCOMES, SensitivityError, design, problem, \
    sensitivity

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
FIXED = {"population.n": 500, "run.days": 45, "seeding.initial_members": 10}
NULL, STRONG = "koc.fee", "ads.daily_budget"
RANGES = {STRONG: (0.0, 150.0), "sharing.p_share": (0.01, 0.1)}
PARAMS = [STRONG, NULL, "sharing.p_share"]


def tiny():
    return gs.load_scenario(BASELINE).with_overrides(FIXED)


def run(tmp_path, name="s.duckdb", **kw):
    args = dict(method="morris", n=3, metrics=["members_end", "wom_share"], ranges=RANGES,
                seed=3, executor="serial")
    args.update(kw)
    with gstore.open(tmp_path / name) as st:
        return sensitivity(tiny(), PARAMS, store=st, **args)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One Morris analysis (12 runs) in a store the command-line test reuses."""
    folder = tmp_path_factory.mktemp("sens")
    return run(folder), folder / "s.duckdb"


def separates(indices, null, strong, index, metric="members_end", ci=True):
    """``null`` reads (near) zero and ``strong`` clearly above it (beyond its interval)."""
    part = indices[(indices["metric"] == metric) & (indices["index"] == index)] \
        .set_index("param")
    clear = part.at[strong, "low"] > part.at[null, "high"] if ci else \
        part.at[strong, "value"] > 0.3
    return bool(abs(part.at[null, "value"]) < 0.02 * abs(part.at[strong, "value"]) and clear)


# -- the problem and the design -----------------------------------------------------------------

def test_problem_takes_schema_ranges_narrowed_and_flags_integers_and_lists():
    p = problem(tiny(), ["sharing.p_share", "koc.count", STRONG], {"koc.count": (0, 4)})
    assert p["bounds"] == [[0.0, 1.0], [0, 4], [0.0, 1e9]]
    assert p["integer"] == [False, True, False] and p["listed"] == [0, 0, 3]  # 3 years
    unit, values = design(p, "sobol", 8, seed=2)
    assert unit.shape == (8 * (3 + 2), 3) and ((unit >= 0) & (unit <= 1)).all()
    counts = values[:, 1]
    assert set(counts) <= {0, 1, 2, 3, 4} and len(set(counts)) >= 4  # whole values, spread out
    assert np.allclose(values[:, 0], unit[:, 0]) and np.allclose(values[:, 2], 1e9 * unit[:, 2])
    again, _ = design(p, "sobol", 8, seed=2)
    other, _ = design(p, "sobol", 8, seed=3)
    assert np.array_equal(unit, again) and not np.array_equal(unit, other)
    morris_unit, _ = design(p, "morris", 4, seed=2)
    assert morris_unit.shape == (4 * (3 + 1), 3)


def test_a_list_parameter_gets_the_sampled_value_in_every_item(tmp_path):
    p = problem(tiny(), ["content.posts"], {"content.posts": (0.5, 6)})
    assert p["listed"] == [7] and p["bounds"] == [[0.5, 6.0]]
    with gstore.open(tmp_path / "s.duckdb") as st:
        res = sensitivity(tiny().with_overrides({"run.days": 10}), ["content.posts"],
                          ranges={"content.posts": (0.5, 6)}, method="morris", n=2,
                          metrics=["members_end"], store=st, executor="serial")
    for (_, over, sc), v in zip(res.runs.sweep.points(), res.samples["content.posts"]):
        assert sc.content.posts == (v,) * 7 and over["content.posts"] == [v] * 7


@pytest.mark.parametrize("params, ranges, needle", [
    (["koc.bogus"], None, "koc.bogus: unknown parameter"),
    (["koc"], None, "koc: is a section"),
    (["population.graph"], None, "fixed set of choices"),
    (["koc.strategy"], None, "fixed set of choices"),
    (["rewards.enabled"], None, "not numeric (bool)"),
    (["population.graph_file"], None, "not numeric (str)"),
    (["sharing.p_share"], {"sharing.p_share": (0.0, 2.0)}, "leaves the parameter's bounds"),
    (["sharing.p_share"], {"sharing.p_share": (0.3, 0.1)}, "lo < hi"),
    (["koc.count"], {"koc.count": (0, 2.5)}, "whole numbers"),
    (["sharing.p_share"], {"koc.fee": (0, 1)}, "ranges: koc.fee: has a range but is not"),
    (["koc.fee", "koc.fee"], None, "given twice"),
    ([], None, "at least one parameter"),
])
def test_bad_parameters_are_refused_before_anything_runs(params, ranges, needle):
    with pytest.raises(SensitivityError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        problem(tiny(), params, ranges)


@pytest.mark.parametrize("kw, needle", [
    (dict(method="fast"), "method: must be one of sobol, morris"),
    (dict(method="sobol", n=12), "n: must be a power of two .* 8 or 16"),
    (dict(n=1), "n: must be an integer >= 2"),
    (dict(metrics=["members"]), "metrics: members: unknown metric"),
    (dict(metrics=[]), "at least one metric"),
    (dict(year=2), "year: must be a simulated year, 1 to 1"),
    (dict(replications=0), "replications: must be an integer >= 1"),
])
def test_bad_arguments_are_refused_and_nothing_is_stored(tmp_path, kw, needle):
    with pytest.raises(SensitivityError, match=needle):
        run(tmp_path, **kw)
    with gstore.open(tmp_path / "s.duckdb", read_only=True) as st:
        assert st.query("SELECT count(*) AS n FROM runs")["n"].item() == 0


# -- the indices --------------------------------------------------------------------------------

def test_morris_tells_a_parameter_without_effect_from_an_influential_one(shared):
    res, _ = shared
    idx = res.indices
    assert list(idx.columns) == ["metric", "param", "index", "value", "conf", "low", "high"]
    assert len(idx) == 2 * 3 * 3 and set(idx["index"]) == {"mu_star", "mu", "sigma"}
    null = idx[(idx["param"] == NULL) & (idx["metric"] == "members_end")]
    assert (null["value"] == 0).all()  # no KOC: the fee never changes a run
    assert separates(idx, NULL, STRONG, "mu_star")
    assert not separates(idx, STRONG, NULL, "mu_star")  # the check can fail: swapped labels
    strong = idx.query("metric == 'members_end' and param == @STRONG").set_index("index")
    assert strong.at["mu", "value"] > 0  # more ad budget, more members
    # samples: the design as run and each point's outcome
    s = res.samples
    assert len(s) == 3 * (3 + 1) and list(s.columns) == ["point", *PARAMS, "members_end",
                                                         "wom_share"]
    assert s[STRONG].between(0, 150).all() and s["sharing.p_share"].between(0.01, 0.1).all()
    sc = tiny().with_overrides({STRONG: [float(s.at[0, STRONG])] * 3, NULL: float(s.at[0, NULL]),
                                "sharing.p_share": float(s.at[0, "sharing.p_share"])})
    direct = gs.GrowthModel(sc, seed=int(res.runs.table.at[0, "seed"])).run()
    assert s.at[0, "members_end"] == direct["members"].iloc[-1]
    text = repr(res)
    assert "morris, n=3" in text and "12 points" in text and "mu_star" in text
    assert text.index(STRONG) < text.index(NULL)  # ranked by mu_star within the metric


@pytest.mark.slow
def test_sobol_gives_a_parameter_without_effect_a_zero_total_index(tmp_path):
    res = run(tmp_path, method="sobol", n=8, metrics=["members_end"])
    idx = res.indices
    assert len(res.samples) == 8 * (3 + 2) and set(idx["index"]) == {"S1", "ST"}
    null = idx[idx["param"] == NULL]
    assert np.allclose(null["value"], 0) and np.allclose(null["conf"], 0)
    # n = 8 leaves wide bootstrap intervals (ST of the budget about 0.7 ± 0.7): values only
    assert separates(idx, NULL, STRONG, "ST", ci=False)
    assert not separates(idx, STRONG, NULL, "ST", ci=False)
    st = idx.query("index == 'ST'").set_index("param")["value"]
    assert st[STRONG] > 0.5 and st[STRONG] > st["sharing.p_share"]


@pytest.mark.slow
def test_same_seed_same_indices_resume_reuses_and_executors_agree(tmp_path):
    # Sobol' (SALib's Sobol' bootstrap is random under a seed of 0: 0 must be reproducible too)
    kw = dict(method="sobol", n=4, metrics=["members_end"], seed=0)
    first = run(tmp_path, **kw)
    distinct = first.runs.table["run_id"].nunique()
    assert first.computed == distinct >= 16 and first.reused == 0
    assert first.indices["conf"].gt(0).any()
    again = run(tmp_path, **kw)  # same store: every run is reused
    assert (again.computed, again.reused) == (0, distinct)
    pd.testing.assert_frame_equal(first.indices, again.indices)
    fresh = run(tmp_path, "other.duckdb", executor="processes", workers=2, **kw)
    assert fresh.computed == distinct
    pd.testing.assert_frame_equal(first.indices, fresh.indices)
    pd.testing.assert_frame_equal(first.samples, fresh.samples)


def test_integer_and_replicated_outcomes_are_means_over_replications(tmp_path):
    with gstore.open(tmp_path / "r.duckdb") as st:
        res = sensitivity(tiny(), ["seeding.initial_members", NULL], method="morris", n=2,
                          metrics=["members_end"], ranges={"seeding.initial_members": (5, 40)},
                          replications=2, seed=4, store=st, executor="serial")
    s = res.samples
    assert s["seeding.initial_members"].dtype == np.int64
    assert s["seeding.initial_members"].between(5, 40).all()
    table = res.runs.table
    assert len(table) == 2 * len(s) and table["replication"].nunique() == 2
    means = res.runs.stored.yearly().groupby("scenario")["members_end"].mean()
    names = [sc.name for _, _, sc in res.runs.sweep.points()]
    assert np.allclose(s["members_end"], means.reindex(names).to_numpy())


def test_plot_has_a_panel_per_metric_with_error_bars(shared):
    res, _ = shared
    fig = res.plot()
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == PARAMS
    one = res.plot("wom_share")
    assert len(one.axes) == 1 and "wom_share" in one.axes[0].get_title()
    with pytest.raises(SensitivityError, match="not analysed"):
        res.plot("revenue")
    assert "members_end" in OUTCOMES and "year" not in OUTCOMES


# -- the command line ---------------------------------------------------------------------------

CLI_TINY = ["--set", "population.n=500", "--set", "seeding.initial_members=10", "--days", "45",
            "--executor", "serial", "--quiet"]


def call(capsys, *args):
    rc = cli.invoke([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_writes_the_table_and_outputs_from_the_store(tmp_path, capsys, shared):
    api, store = shared  # the same analysis through the Python API, in the same store
    out = tmp_path / "out"
    args = ["sensitivity", BASELINE, *CLI_TINY, "--param", f"{STRONG}=0:150", "--param", NULL,
            "--param", "sharing.p_share=0.01:0.1", "--method", "morris", "--n", "3",
            "--metric", "members_end", "--metric", "wom_share", "--seed", "3",
            "--store", store, "--out", out]
    rc, text, err = call(capsys, *args)
    assert rc == 0, err
    assert "mu_star" in text and "± " in text and "0 run(s) computed, 12 reused" in text
    assert sorted(p.name for p in out.iterdir()) == ["figures", "indices.csv",
                                                     "samples.parquet", "summary.json"]
    assert (out / "figures" / "sensitivity.png").stat().st_size > 1000
    idx = pd.read_csv(out / "indices.csv")
    pd.testing.assert_frame_equal(idx, api.indices, check_dtype=False)
    samples = pd.read_parquet(out / "samples.parquet")
    pd.testing.assert_frame_equal(samples, api.samples)

    def no_nan(name):
        raise AssertionError(f"summary.json holds {name}")
    summary = json.loads((out / "summary.json").read_text(), parse_constant=no_nan)
    assert summary["schema"] == "growthsim.sensitivity/1" and summary["method"] == "morris"
    assert summary["problem"]["names"] == PARAMS and summary["points"] == 12
    assert summary["year"] == 1 and len(summary["indices"]) == 18
    assert summary["reused"] == 12 and summary["computed"] == 0


@pytest.mark.parametrize("extra, needle", [
    (["--param", "koc.bogus"], "--param koc.bogus: unknown parameter"),
    (["--param", "population.graph"], "--param population.graph: has a fixed set of choices"),
    (["--param", "rewards.enabled"], "--param rewards.enabled: is not numeric"),
    (["--param", "sharing.p_share=0:2"], "--param sharing.p_share: range [0, 2] leaves"),
    (["--param", "sharing.p_share=0.2:0.1"], "--param sharing.p_share: must be a range"),
    (["--param", "sharing.p_share=0.1"], "--param sharing.p_share: expected a range LO:HI"),
    (["--param", "=1:2"], "--param expects KEY or KEY=LO:HI"),
    (["--param", "koc.fee", "--n", "12"], "--n 12: must be a power of two"),
    (["--param", "koc.fee", "--metric", "members"], "--metric members: unknown metric"),
    (["--param", "koc.fee", "--year", "3"], "--year: must be a simulated year"),
    (["--param", "koc.fee", "--set", "koc.nope=1"], "koc.nope: unknown key"),
    (["--param", "koc.fee", "--executor", "cloud"], "executor"),
])
def test_cli_bad_input_is_one_line_and_creates_nothing(tmp_path, capsys, extra, needle):
    out, store = tmp_path / "out", tmp_path / "s.duckdb"
    rc, text, err = call(capsys, "sensitivity", BASELINE, *CLI_TINY, *extra, "--store", store,
                         "--out", out)
    assert rc == 2 and err.startswith("growthsim: error: ") and err.count("\n") == 1, err
    assert needle in err and "Traceback" not in err
    assert not out.exists() and not store.exists()


def test_cli_help_lists_examples_and_options(capsys):
    rc, text, _ = call(capsys, "sensitivity", "--help")
    assert rc == 0 and "Examples:" in text
    for option in ("--param", "--method", "--n", "--metric", "--year", "--replications",
                   "--days", "--seed", "--set", "--executor", "--workers", "--store", "--out",
                   "--force", "--quiet"):
        assert option in text


def test_the_command_module_imports_before_the_command_line():
    import subprocess
    import sys

    code = "import growthsim.commands.sensitivity as m, growthsim.cli as c; " \
           "assert c.cli.commands['sensitivity'] is m.command; " \
           "assert m.DEFAULT_STORE == c.DEFAULT_STORE and m._DAYS_HI == c._DAYS_HI"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
