"""growthsim.experiment: seeds, executors, common random numbers, intervals and yearly figures."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import metrics
from growthsim.experiment import ExperimentError, compare, paired_differences, replicate, \
    replication_seeds, summarize
from growthsim.graphs import watts_strogatz
from growthsim.kernels import layout as L

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small():
    """A 4,000-person baseline without ads: growth comes from word of mouth alone."""
    return gs.load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides({
        "population.n": 4_000, "seeding.initial_members": 400, "ads.daily_budget": [0.0],
        "run.days": 120})


def collect_summary(model):
    """Top-level (picklable) collector: a scalar and a small table."""
    ids = model.member_ids()
    tiers = np.bincount(model.population.I[ids, L.I_TIER], minlength=2)
    return {"members": int(model.n_members), "day": model.day, "n": model.n,
            "tiers": pd.DataFrame({"tier": np.arange(len(tiers)), "members": tiers})}


# -- seeds ------------------------------------------------------------------------------------
def test_replication_seeds_follow_the_documented_derivation():
    seeds = replication_seeds(20261124, 5)
    expected = tuple(int(np.random.SeedSequence(20261124, spawn_key=(r,))
                         .generate_state(1, np.uint64)[0]) >> 11 for r in range(5))
    assert seeds == expected
    assert replication_seeds(20261124, 5) == seeds          # deterministic
    assert replication_seeds(20261124, 3) == seeds[:3]      # prefix-stable
    assert len(set(seeds)) == 5 and all(0 <= s < 2**53 for s in seeds)
    assert set(replication_seeds(20261125, 5)).isdisjoint(seeds)


def test_replication_r_is_the_plain_run_with_seed_r(small):
    sc = small.with_overrides({"run.days": 40})
    reps = replicate(sc, 3, seed=11)
    assert reps.seeds == replication_seeds(11, 3) and reps.base_seed == 11
    direct = gs.GrowthModel(sc, seed=reps.seeds[2]).run()
    pd.testing.assert_frame_equal(reps.run_daily(2), direct, check_exact=True)
    part = reps.daily[reps.daily["rep"] == 2].drop(columns="rep").reset_index(drop=True)
    pd.testing.assert_frame_equal(part, direct, check_exact=True)
    again = replicate(sc, 3, seed=11)
    pd.testing.assert_frame_equal(again.daily, reps.daily, check_exact=True)
    # the seed matters: replications differ from each other and from another base seed
    assert not reps.run_daily(0).equals(reps.run_daily(1))
    assert not replicate(sc, 1, seed=12).run_daily(0).equals(reps.run_daily(0))
    # default base seed is the scenario's run.seed
    assert replicate(sc.with_overrides({"run.days": 2}), 2).seeds == \
        replication_seeds(sc.run.seed, 2)


# -- executors --------------------------------------------------------------------------------
def test_processes_equal_serial_bit_for_bit_with_attached_graph_and_collect(small):
    sc = small.with_overrides({"run.days": 60})
    g = watts_strogatz(3_000, 10, 0.1, seed=4)
    attached = dataclasses.replace(sc.with_overrides({"name": "attached"}), graph=g)
    kw = dict(reps=3, seed=5, collect=collect_summary)
    serial = compare([sc, attached], executor="serial", **kw)
    procs = compare([sc, attached], executor="processes", workers=2, **kw)
    pd.testing.assert_frame_equal(procs.daily, serial.daily, check_exact=True)
    assert len(serial["attached"].run_daily(0)) == 60
    assert [c["n"] for c in serial["attached"].collected] == [3_000] * 3  # ran on g
    assert [c["n"] for c in serial["baseline"].collected] == [4_000] * 3
    for name in serial.names:
        assert procs[name].seeds == serial[name].seeds
        for a, b in zip(procs[name].collected, serial[name].collected):
            assert a["members"] == b["members"] and a["day"] == b["day"] == 60
            pd.testing.assert_frame_equal(a["tiers"], b["tiers"])
    scalars = serial["baseline"].collected_frame()
    assert scalars["members"].tolist() == serial["baseline"].daily.groupby("rep")[
        "members"].last().tolist()
    tiers = serial["baseline"].collected_frame("tiers")
    assert list(tiers.columns) == ["rep", "tier", "members"]
    assert tiers.groupby("rep")["members"].sum().tolist() == scalars["members"].tolist()


def test_processes_need_picklable_work(small):
    with pytest.raises(ExperimentError, match="top-level function"):
        replicate(small, 2, executor="processes", workers=2, collect=lambda m: {})
    unpicklable = dataclasses.replace(small, graph=lambda: None)
    with pytest.raises(ExperimentError, match="must pickle"):
        replicate(unpicklable, 2, executor="processes", workers=2)


# -- comparisons under common random numbers --------------------------------------------------
def test_compare_uses_common_seeds_and_finds_a_clear_lever(small):
    share2x = small.with_overrides({"name": "share2x",
                                    "sharing.p_share": 2 * small.sharing.p_share})
    twin = small.with_overrides({"name": "twin"})
    cmp = compare({"base": small, "twin": twin, "share2x": share2x}, reps=4, seed=1)
    assert cmp.names == ("base", "twin", "share2x")
    assert cmp["base"].seeds == cmp["share2x"].seeds == replication_seeds(1, 4)
    d = cmp.differences(baseline="base")
    assert d.index.get_level_values("scenario").unique().tolist() == ["twin", "share2x"]
    same = d.xs("twin", level="scenario")
    assert (same["mean"] == 0).all() and (same["ci_low"] == 0).all() \
        and (same["ci_high"] == 0).all() and (same["n"] == 4).all()
    lever = d.loc[("share2x", 1, "joins")]
    assert lever["mean"] > 0 and lever["ci_low"] > 0 and lever["p_value"] < 0.05
    assert d.loc[("share2x", 1, "wom_share"), "ci_low"] > 0
    # pairing removes the noise the scenarios share: the paired spread is far below the
    # spread of an unpaired difference of the two means
    s = cmp.summary(["joins"])
    unpaired = np.hypot(s.loc[("base", 1, "joins"), "std"], s.loc[("share2x", 1, "joins"), "std"])
    assert lever["std"] < 0.6 * unpaired
    # the strategist's table: one row per scenario, mean ± half-width
    t = cmp.table(year=1)
    assert t.index.tolist() == ["base", "twin", "share2x"]
    base_joins = s.loc[("base", 1, "joins")]
    text = cmp.table(year=1, metrics=["joins"]).loc["base", "joins"]
    assert text == f"{base_joins['mean']:,.4g} ± {base_joins['ci_high'] - base_joins['mean']:,.4g}"
    assert "±" in t.loc["share2x", "members_end"]
    assert "share2x" in repr(cmp) and "vs baseline" in repr(cmp)
    assert "Replications('baseline', reps=4" in repr(cmp["base"])


# -- statistics on plain frames ---------------------------------------------------------------
def _synthetic(draws, reps, mean, sd, seed):
    gen = np.random.default_rng(seed)
    return pd.DataFrame({"year": np.repeat(np.arange(draws), reps),
                         "rep": np.tile(np.arange(reps), draws),
                         "x": gen.normal(mean, sd, draws * reps)})


@pytest.mark.parametrize("level", [0.95, 0.5])
def test_t_interval_covers_the_mean_at_the_nominal_rate(level):
    # n = 4 per interval: a normal (z) interval would cover ~86% instead of 95%
    draws = 4_000
    s = summarize(_synthetic(draws, 4, 3.0, 2.0, seed=7), ["x"], level=level)
    assert len(s) == draws and (s["n"] == 4).all()
    covered = ((s["ci_low"] <= 3.0) & (3.0 <= s["ci_high"])).mean()
    assert abs(covered - level) < 0.025, covered
    # a biased truth is covered much less often: the check can fail
    shifted = ((s["ci_low"] <= 5.0) & (5.0 <= s["ci_high"])).mean()
    assert shifted < level - 0.2


def test_paired_interval_covers_the_true_difference():
    draws, reps, delta = 3_000, 5, 1.5
    gen = np.random.default_rng(3)
    shared = gen.normal(0, 10, draws * reps)      # what common seeds share: large
    a = _synthetic(draws, reps, 0.0, 1.0, seed=4).assign(scenario="a")
    b = a.assign(scenario="b", x=a["x"] + shared + delta + gen.normal(0, 1, draws * reps))
    a = a.assign(x=a["x"] + shared)
    d = paired_differences(pd.concat([a, b]), "a", metrics=["x"])
    covered = ((d["ci_low"] <= delta) & (delta <= d["ci_high"])).mean()
    assert abs(covered - 0.95) < 0.025, covered
    assert d["std"].median() < 2  # the shared sd-10 noise cancels in the pairs


def test_summary_handles_single_reps_and_nan():
    df = pd.DataFrame({"year": [1, 1, 2, 2, 2], "rep": [0, 1, 0, 1, 2],
                       "x": [1.0, np.nan, 2.0, 4.0, 6.0]})
    s = summarize(df)
    assert s.loc[(1, "x"), "n"] == 1 and np.isnan(s.loc[(1, "x"), "ci_low"])
    assert s.loc[(2, "x"), "mean"] == 4.0 and s.loc[(2, "x"), "n"] == 3
    assert list(s.index.names) == ["year", "metric"]


# -- yearly figures ---------------------------------------------------------------------------
def test_yearly_matches_the_daily_table(small):
    reps = replicate(small.with_overrides({"population.n": 3_000,
                                           "ads.daily_budget": [500.0]}), 2, seed=2, days=400)
    y = reps.yearly()
    assert list(y.columns[:3]) == ["rep", "year", "days"]
    assert y[["rep", "year", "days"]].values.tolist() == [[0, 1, 366], [0, 2, 34],
                                                          [1, 1, 366], [1, 2, 34]]
    for rep, df in reps.daily.groupby("rep"):
        yy = y[y["rep"] == rep].set_index("year")
        year = df["day"] // 365.25 + 1
        g = df.groupby(year)
        for col, daily in [("joins", "new_members"), ("churned", "churned"),
                           ("revenue", "revenue"), ("ad_cost", "ad_cost"),
                           ("reward_cost", "reward_cost"), ("ugc_posts", "ugc_posts"),
                           ("acquisition_cost", "acquisition_cost")]:
            np.testing.assert_allclose(yy[col], g[daily].sum(), rtol=1e-12, err_msg=col)
        np.testing.assert_array_equal(yy["members_end"], g["members"].last())
        np.testing.assert_array_equal(yy["cum_members_end"], g["cum_members"].last())
        np.testing.assert_allclose(yy["wom_share"], (g["new_wom"].sum() + g["new_koc"].sum())
                                   / g["new_members"].sum())
        np.testing.assert_allclose(yy["churn_rate"], g["churned"].sum() / g["members"].mean())
        np.testing.assert_allclose(yy["dau_mau"], g["dau_mau"].apply(lambda s: s.tail(30).mean()))
        np.testing.assert_allclose(yy["cac"], g["acquisition_cost"].sum()
                                   / g["new_members"].sum())
        tiers = [c for c in df.columns if c.startswith("tier_")]
        np.testing.assert_array_equal(yy[tiers].sum(axis=1), yy["members_end"])
    assert set(y.columns) - {"rep"} <= set(metrics.YEARLY_COLUMNS)


def test_yearly_columns_are_documented():
    doc = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    for name in metrics.YEARLY_COLUMNS:
        if not name.startswith("tier_") or name == "tier_0":
            assert f"`{name}`" in doc, name


# -- bad arguments ----------------------------------------------------------------------------
def test_bad_arguments_give_clear_errors(small):
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ExperimentError, match=r"reps must be an integer >= 1; got"):
            replicate(small, bad)
    with pytest.raises(ExperimentError, match="unknown executor 'threads'; valid: "
                                              "'serial', 'processes'"):
        replicate(small, 2, executor="threads")
    with pytest.raises(ExperimentError, match="needs executor='processes'"):
        replicate(small, 2, workers=2)
    with pytest.raises(ExperimentError, match="workers must be an integer >= 1"):
        replicate(small, 2, executor="processes", workers=0)
    with pytest.raises(ExperimentError, match="repeated: 'baseline'"):
        compare([small, small.with_overrides({"sharing.p_share": 0.1})], reps=2)
    with pytest.raises(ExperimentError, match="different run.seed"):
        compare([small, small.with_overrides({"name": "b", "run.seed": 9})], reps=2)
    with pytest.raises(ExperimentError, match="expected a growthsim Scenario; got str"):
        compare(["scenarios/baseline.toml"], reps=2)
    with pytest.raises(ExperimentError, match="at least one scenario"):
        compare({}, reps=2)
    with pytest.raises(ExperimentError, match="seed must be a non-negative integer"):
        replicate(small, 2, seed=-1)
    with pytest.raises(gs.ScenarioError, match="run.days"):
        replicate(small, 2, days=0)
    tiny = small.with_overrides({"run.days": 5})
    with pytest.raises(ExperimentError, match="collect must return a dict; got list"):
        replicate(tiny, 1, collect=lambda model: [1])
    cmp = compare({"a": tiny, "b": tiny}, reps=2)
    with pytest.raises(ExperimentError, match="unknown scenario 'c'; valid: 'a', 'b'"):
        cmp.differences(baseline="c")
    with pytest.raises(ExperimentError, match="no year 5 in these runs; years: 1"):
        cmp.table()
    with pytest.raises(ExperimentError, match="unknown metric 'member'"):
        cmp.summary(["member"])
    with pytest.raises(ExperimentError, match=r"level must be a number in \(0, 1\)"):
        cmp["a"].summary(level=95)


def _sleep_or_fail(shared, task):
    """A worker task: task 0 fails at once, the others sleep ``shared`` seconds."""
    import time

    if task == 0:
        raise RuntimeError("task 0 failed")
    time.sleep(shared)
    return task


def test_a_failed_or_abandoned_process_sweep_stops_its_workers_at_once():
    """An error (or Ctrl-C, or leaving the loop) does not wait for the runs in flight."""
    import time

    from growthsim.experiment import ProcessExecutor

    ex = ProcessExecutor(workers=2)
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="task 0 failed"):
        for _ in ex.imap(_sleep_or_fail, 60.0, [0, 1, 2, 3]):
            pass
    assert time.perf_counter() - start < 30  # the sleepers (60 s each) were terminated
    start = time.perf_counter()
    it = ex.imap(_sleep_or_fail, 0.5, [1, 2, 3, 4, 5, 6, 7, 8])
    first = next(it)
    it.close()  # abandon the iteration
    assert first[1] in range(1, 9) and time.perf_counter() - start < 30
    assert sorted(r for _, r in ex.imap(_sleep_or_fail, 0.0, [1, 2, 3])) == [1, 2, 3]


def _pid_and_threads(shared, task):
    """Top-level task: the worker's pid and numba thread count."""
    import os

    import numba

    return os.getpid(), numba.get_num_threads(), shared + task


def test_a_process_session_keeps_its_workers_between_calls_and_stops_them_at_exit():
    """Inside ``with executor:`` batches with the same work reuse the pool (the calibration
    search's many small batches start workers once); new work, or the end, stops it."""
    from growthsim.experiment import ProcessExecutor

    ex = ProcessExecutor(workers=2, threads=1)
    outside = [{pid for _, (pid, _, _) in ex.imap(_pid_and_threads, 10, range(4))}
               for _ in range(2)]
    assert not outside[0] & outside[1]  # without a session every call starts new workers
    with ex:
        first = list(ex.imap(_pid_and_threads, 10, range(6)))
        second = list(ex.imap(_pid_and_threads, 10, [1]))
        pids = {pid for _, (pid, _, _) in first + second}
        assert len(pids) <= 2 and second[0][1][0] in pids
        assert {threads for _, (_, threads, _) in first + second} == {1}
        assert sorted(v for _, (_, _, v) in first) == list(range(10, 16))
        pool = ex._pool
        other = list(ex.imap(_pid_and_threads, 20, [0]))  # other shared data: a new pool
        assert other[0][1][0] not in pids and other[0][1][2] == 20 and ex._pool is not pool
        kept = [p for p in ex._pool._processes.values()]
    assert ex._pool is None and all(not p.is_alive() for p in kept)


def test_a_failure_inside_a_session_stops_the_pool_and_the_session_goes_on():
    from growthsim.experiment import ProcessExecutor

    with ProcessExecutor(workers=2) as ex:
        with pytest.raises(RuntimeError, match="task 0 failed"):
            list(ex.imap(_sleep_or_fail, 0.0, [0, 1]))
        assert ex._pool is None
        assert sorted(r for _, r in ex.imap(_sleep_or_fail, 0.0, [1, 2, 3])) == [1, 2, 3]
