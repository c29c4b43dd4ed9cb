"""Report figures, verdicts and the HTML report (growthsim.report.figures/verdict/html)."""

import re
import subprocess
import sys
import warnings
from importlib import resources

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from scipy import stats  # noqa: E402

from growthsim.report import figures as F  # noqa: E402
from growthsim.report.html import write_report  # noqa: E402
from growthsim.report.verdict import HIGHER_IS_BETTER, outcome, verdict, verdicts  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fake_daily(scenarios=("base", "more"), reps=3, days=40, seed=0):
    """A tidy daily table whose channel columns sum to members, with tiers and ratios."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, name in enumerate(scenarios):
        for r in range(reps):
            t = np.arange(days)
            ch = {"members_seed": np.full(days, 50),
                  "members_organic": rng.integers(0, 5, days),
                  "members_paid": (t * (2 + k) + rng.integers(0, 10, days)),
                  "members_wom": (t * (1 + k) + rng.integers(0, 10, days)),
                  "members_koc": np.zeros(days, int)}
            members = sum(ch.values())
            tier_1 = members // 3
            parts.append(pd.DataFrame({
                "scenario": name, "replication": r, "seed": 100 + r, "day": t,
                "members": members, **ch, "tier_0": members - tier_1, "tier_1": tier_1,
                "tier_2": 0, "dau_mau": rng.uniform(0.3, 0.6, days) + 0.05 * k,
                "ltv_cac": t / days * (2 + k) + rng.uniform(0, 0.2, days)}))
    return pd.concat(parts, ignore_index=True)


def bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def top_edge(coll, x):
    """Upper boundary of a filled area at the given x values."""
    v = coll.get_paths()[0].vertices
    return np.array([v[np.isclose(v[:, 0], xi), 1].max() for xi in x])


# --- every plot draws on the Axes it is given -------------------------------------------

PLOTS = {
    "band": lambda d, ax: F.band(d, "members", ax=ax),
    "members_by_channel": lambda d, ax: F.plot_members_by_channel(d, ax=ax),
    "dau_mau": lambda d, ax: F.plot_dau_mau(d, ax=ax),
    "tiers": lambda d, ax: F.plot_tiers(d, ax=ax),
    "ltv_cac": lambda d, ax: F.plot_ltv_cac(d, ax=ax),
    "difference": lambda d, ax: F.plot_difference(d, "members", "base", "more", ax=ax),
}


@pytest.mark.parametrize("name", PLOTS)
def test_plots_return_the_axes_they_were_given(name):
    fig, ax = plt.subplots()
    assert PLOTS[name](fake_daily(), ax) is ax
    assert ax.has_data()


def test_retention_returns_its_axes_and_plots_make_a_figure_without_one():
    fig, ax = plt.subplots()
    c = pd.DataFrame({"cohort": [0], "age": [0], "size": [3], "retained": [1.0]})
    assert F.plot_retention(c, ax=ax) is ax
    assert F.plot_dau_mau(fake_daily()).figure is not fig


# --- bands: one per scenario with >= 2 replications, none with 1 -------------------------

@pytest.mark.parametrize("name,per_scenario", [("band", True), ("dau_mau", True),
                                               ("ltv_cac", True), ("difference", False)])
def test_bands_need_two_replications(name, per_scenario):
    fig, (a2, a1) = plt.subplots(1, 2)
    PLOTS[name](fake_daily(reps=2), a2)
    PLOTS[name](fake_daily(reps=1), a1)
    assert len(bands(a2)) == (2 if per_scenario else 1)
    assert len(bands(a1)) == 0
    assert len([ln for ln in a1.lines if len(ln.get_xdata()) > 2]) >= 1   # the mean line


def test_band_is_the_t_interval_of_the_mean():
    d = fake_daily(scenarios=("base",), reps=4)
    iv = F.intervals(d, "members", level=0.9)
    day = d[d["day"] == 17]["members"].to_numpy(dtype=float)
    half = stats.t.ppf(0.95, 3) * day.std(ddof=1) / np.sqrt(4)
    assert iv.loc[("base", 17), "mean"] == pytest.approx(day.mean())
    assert iv.loc[("base", 17), "ci_high"] == pytest.approx(day.mean() + half)
    assert iv.loc[("base", 17), "ci_low"] == pytest.approx(day.mean() - half)
    ax = F.band(d, "members", level=0.9)
    poly = bands(ax)[0]
    assert top_edge(poly, [17])[0] == pytest.approx(day.mean() + half)


def test_band_accepts_rep_and_no_scenario_and_draws_years_past_one_year():
    d = fake_daily(scenarios=("only",), reps=2, days=400).drop(columns="scenario")
    ax = F.band(d.rename(columns={"replication": "rep"}), "members")
    assert ax.get_xlabel() == "years"
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(399 / 365.25)
    assert len(bands(ax)) == 1
    assert F.band(fake_daily(days=365), "members").get_xlabel() == "day"


def test_scenarios_keep_their_order_and_colors_differ():
    d = fake_daily(scenarios=("zeta", "alpha"))
    ax = F.plot_dau_mau(d)
    assert [ln.get_label() for ln in ax.lines] == ["zeta", "alpha"]
    assert ax.lines[0].get_color() != ax.lines[1].get_color()
    # the weekly smoothing: day 6 is the mean of days 0..6 of each run, then over runs
    raw = d[(d["scenario"] == "zeta") & (d["day"] <= 6)].groupby("replication")["dau_mau"]
    assert ax.lines[0].get_ydata()[6] == pytest.approx(100 * raw.mean().mean())
    unsmoothed = F.plot_dau_mau(d, window=None).lines[0].get_ydata()[6]
    assert unsmoothed == pytest.approx(100 * d[(d["scenario"] == "zeta") & (d["day"] == 6)]
                                       ["dau_mau"].mean())


# --- stacked figures -----------------------------------------------------------------

def test_stacked_channels_sum_to_the_mean_members():
    d = fake_daily(reps=3)
    ax = F.plot_members_by_channel(d, scenario="more")
    polys = bands(ax)
    assert len(polys) == 4 + 1          # seed, organic, paid, wom (koc is never used) + band
    labels = [p.get_label() for p in polys[:4]]
    assert labels == ["seed", "organic", "paid", "wom"]
    mean = d[d["scenario"] == "more"].groupby("day")["members"].mean().to_numpy()
    x = np.arange(len(mean), dtype=float)
    np.testing.assert_allclose(top_edge(polys[3], x), mean)
    black = [ln for ln in ax.lines if ln.get_label() == "all members"][0]
    np.testing.assert_allclose(black.get_ydata(), mean)
    # perturbation: a channel column off by one moves the stack away from members
    bad = d.assign(members_wom=d["members_wom"] + 1)
    ax = F.plot_members_by_channel(bad, scenario="more")
    assert not np.allclose(top_edge(bands(ax)[3], x), mean)


def test_tiers_stack_to_100_percent_and_skip_empty_tiers():
    d = fake_daily(scenarios=("base",), reps=2)
    ax = F.plot_tiers(d)
    polys = bands(ax)
    assert [p.get_label() for p in polys] == ["tier 0", "tier 1"]     # tier_2 never has members
    np.testing.assert_allclose(top_edge(polys[-1], np.arange(40.0)), 100.0)
    share1 = (d["tier_1"] / d["members"]).groupby(d["day"]).mean().to_numpy() * 100
    np.testing.assert_allclose(top_edge(polys[0], np.arange(40.0)), 100 - share1)


# --- retention heatmap -----------------------------------------------------------------

def test_retention_heatmap_is_the_size_weighted_mean_over_replications():
    c = pd.DataFrame({
        "scenario": ["a"] * 5 + ["b"],
        "replication": [0, 0, 0, 1, 1, 0],
        "cohort": [0, 0, 1, 0, 2, 0],
        "age": [0, 1, 0, 1, 0, 0],
        "size": [10, 10, 4, 30, 6, 99],
        "retained": [1.0, 0.5, 1.0, 0.9, 0.5, 0.1],
    })
    ax = F.plot_retention(c)
    got = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    want = np.array([[1.0, (10 * 0.5 + 30 * 0.9) / 40],
                     [1.0, np.nan],
                     [0.5, np.nan]])
    np.testing.assert_allclose(got, want)
    assert ax.get_xlabel() == "months since joining" and "cohort" in ax.get_ylabel()
    assert len(ax.figure.axes) == 2             # the colour bar
    assert F.plot_retention(c, scenario="b").images[0].get_array()[0, 0] == pytest.approx(0.1)
    assert F.retention_matrix(c, max_age=0).shape == (3, 1)


# --- paired differences ------------------------------------------------------------------

def test_difference_pairs_replications():
    d = fake_daily(reps=4)
    ax = F.plot_difference(d, "members", "base", "more")
    a = d[d["scenario"] == "base"].set_index(["replication", "day"])["members"]
    b = d[d["scenario"] == "more"].set_index(["replication", "day"])["members"]
    diff = (b - a).xs(20, level="day").to_numpy(dtype=float)
    line = [ln for ln in ax.lines if ln.get_label() == "more - base"][0]
    assert line.get_ydata()[20] == pytest.approx(diff.mean())
    half = stats.t.ppf(0.975, 3) * diff.std(ddof=1) / 2
    assert top_edge(bands(ax)[0], [20])[0] == pytest.approx(diff.mean() + half)
    assert any(np.all(np.asarray(ln.get_ydata()) == 0) for ln in ax.lines)   # zero line


def test_bad_input_is_named():
    d = fake_daily()
    with pytest.raises(ValueError, match="no scenario 'nope'.*'base', 'more'"):
        F.plot_members_by_channel(d, scenario="nope")
    with pytest.raises(ValueError, match="no column 'ltv_cac'"):
        F.plot_ltv_cac(d.drop(columns="ltv_cac"))
    with pytest.raises(ValueError, match="no rows"):
        F.band(d.iloc[:0], "members")
    with pytest.raises(ValueError, match="window"):
        F.plot_dau_mau(d, window=0)


# --- verdicts ------------------------------------------------------------------------------

def test_verdict_wording():
    gain = verdict("members_end", "baseline", "ladder", 12_345, 10_110, 14_480, year=5)
    assert gain == ("ladder ends year 5 with 12,300 more members than baseline "
                    "(95% CI 10,100 to 14,500): a clear gain.")
    loss = verdict("members_end", "baseline", "ladder", -12_345, -14_480, -10_110, year=5)
    assert "12,300 fewer members" in loss and "(95% CI 10,100 to 14,500)" in loss
    assert loss.endswith("a clear loss.")
    none = verdict("members_end", "baseline", "ladder", 300, -1_200, 1_800)
    assert "(95% CI -1,200 to +1,800)" in none
    assert none.endswith("no clear difference (the interval includes zero).")
    few = verdict("cum_members_end", "baseline", "ladder", 2.0, 2.0, 2.0, year=2)
    assert "with 2 more people ever joined than baseline (95% CI 2 to 2): a clear gain" in few
    one = verdict("members_end", "baseline", "ladder", 300, np.nan, np.nan)
    assert one.endswith("too few replications to judge.")


def test_verdict_lower_is_better_and_units():
    churn = verdict("churn_rate", "base", "push", -0.012, -0.015, -0.009,
                    higher_is_better=HIGHER_IS_BETTER["churn_rate"], year=2)
    assert churn == ("push has churn rate 1.20 percentage points lower than base in year 2 "
                     "(95% CI 0.90 to 1.50): a clear gain.")
    cost = verdict("acquisition_cost", "base", "ads", 25_000.0, 20_000.0, 30_000.0,
                   higher_is_better=False)
    assert "acquisition cost ¥25,000 higher" in cost and cost.endswith("a clear loss.")
    neutral = verdict("kocs_end", "base", "koc", 4.0, 3.0, 5.0, higher_is_better=None)
    assert neutral.endswith("a clear increase.")
    assert outcome(-2, -1, False) == "gain" and outcome(1, 2, False) == "loss"


def test_verdicts_on_a_differences_frame():
    idx = pd.MultiIndex.from_tuples([("ads", 5, "members_end"), ("ads", 5, "churn_rate"),
                                     ("ads", 5, "cac"), ("ads", 5, "wom_share")],
                                    names=["scenario", "year", "metric"])
    d = pd.DataFrame({"mean": [900.0, 0.01, 12.0, 0.01], "ci_low": [500.0, 0.005, 8.0, -0.01],
                      "ci_high": [1300.0, 0.015, 16.0, 0.03]}, index=idx)
    v = verdicts(d, "base")
    assert v.index.equals(d.index)
    assert v["outcome"].tolist() == ["gain", "loss", "loss", "unclear"]
    assert v["verdict"].iloc[0].startswith("ads ends year 5 with 900 more members than base")
    assert verdicts(d, "base", higher_is_better={"cac": True})["outcome"].iloc[2] == "gain"
    flat = verdicts(d.reset_index().rename(columns={"mean": "diff"}), "base")
    assert flat["verdict"].tolist() == v["verdict"].tolist()


# --- the HTML report -----------------------------------------------------------------------

def _summary(d):
    rows = []
    for name in ("base", "more"):
        rows.append({"scenario": name, "year": 1, "metric": "members_end",
                     "mean": 12_345.0 if name == "base" else 23_456.0,
                     "ci_low": 12_000.0, "ci_high": 12_700.0})
    return pd.DataFrame(rows).set_index(["scenario", "year", "metric"])


def test_write_report_writes_figures_and_links_them(tmp_path):
    d = fake_daily()
    cohorts = pd.DataFrame({"scenario": ["base", "base", "more"], "replication": 0,
                            "cohort": [0, 0, 0], "age": [0, 1, 0], "size": [5, 5, 7],
                            "retained": [1.0, 0.8, 1.0]})
    comparison = pd.DataFrame({"scenario": ["more"], "base": ["base"], "metric": ["members_end"],
                               "diff": [4_321.0], "ci_low": [3_210.0], "ci_high": [5_430.0]})
    before = plt.get_fignums()
    path = write_report(tmp_path / "out", d, cohorts, summary=_summary(d), comparison=comparison,
                        title="Test <report>", scenarios_meta={"base": {"file": "b.toml"}})
    assert plt.get_fignums() == before                  # nothing left open
    html = path.read_text()
    pngs = sorted(p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert pngs == sorted(["dau_mau.png", "ltv_cac.png", "members_by_channel_base.png",
                           "members_by_channel_more.png", "tiers_base.png", "tiers_more.png",
                           "retention_base.png", "retention_more.png",
                           "difference_members.png", "difference_dau_mau.png",
                           "difference_ltv_cac.png"])
    for name in pngs:
        data = (tmp_path / "out" / "figures" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
        assert f'src="figures/{name}"' in html
    assert set(re.findall(r'src="([^"]+)"', html)) == {f"figures/{n}" for n in pngs}
    assert "12,345" in html and "23,456" in html and "12,000 – 12,700" in html   # yearly table
    assert "+4,320" in html and "more ends year 1 with" not in html
    assert "4,320 more members than base (95% CI 3,210 to 5,430): a clear gain." in html
    assert "Test &lt;report&gt;" in html and "<report>" not in html       # escaped
    assert "b.toml" in html and "100, 101, 102" in html                   # meta and seeds
    assert "<script" not in html and "stylesheet" not in html
    assert "How to read the intervals" in html


def test_write_report_single_scenario_and_summary_json(tmp_path):
    d = fake_daily(scenarios=("solo",), reps=1).drop(columns=["tier_1", "tier_2"])
    summary = {"schema": "growthsim.summary/1", "scenarios": [
        {"name": "solo", "file": None, "scenario_hash": "abc123",
         "means": {"1": {"members_end": {"mean": 777.0, "ci_low": None, "ci_high": None}}}}]}
    comparison = [{"scenario": "solo", "base": "solo", "metric": "members_end", "diff": 0.0,
                   "ci_low": None, "ci_high": None}]          # as JSON gives it back
    html = write_report(tmp_path, d, summary=summary, comparison=comparison).read_text()
    pngs = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert pngs == ["dau_mau.png", "ltv_cac.png", "members_by_channel.png"]
    assert "abc123" in html and "None" not in html and "777" in html
    assert "no reward ladder" in html and "no cohort table" in html
    assert "too few replications to judge" in html


def test_the_template_ships_with_the_package():
    files = resources.files("growthsim.report") / "templates" / "report.html.j2"
    assert files.is_file() and "{{ title }}" in files.read_text()


def test_report_of_a_real_replicated_run_renders_without_warnings(tmp_path):
    import growthsim as gs
    from growthsim.experiment import replicate

    sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 2_000})
    reps = replicate(sc, 2, seed=3, days=60, collect=_cohorts)
    daily = reps.daily.rename(columns={"rep": "replication"}).assign(scenario="tiny")
    daily["seed"] = daily["replication"].map(dict(enumerate(reps.seeds)))
    cohorts = reps.collected_frame("cohorts").rename(columns={"rep": "replication"})
    assert set(F.CHANNEL_COLUMNS) <= set(daily.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_report(tmp_path, daily, cohorts.assign(scenario="tiny"))
    pngs = {p.name for p in (tmp_path / "figures").iterdir()}
    assert {"members_by_channel.png", "dau_mau.png", "tiers.png", "retention.png",
            "ltv_cac.png"} == pngs
    html = path.read_text()
    assert all(f"figures/{p}" in html for p in pngs)
    members_end = daily[daily["day"] == 59]["members"].mean()
    assert f"{members_end:,.0f}" in html                       # the yearly table from daily


def _cohorts(model):
    from growthsim.metrics import cohort_matrix

    return {"cohorts": cohort_matrix(model)}


def test_core_and_verdicts_do_not_import_matplotlib():
    code = ("import sys, growthsim, growthsim.report.verdict; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
