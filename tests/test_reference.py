"""Whole runs: the numba GrowthModel against its plain-Python twin, the Mesa ReferenceModel.

Both models draw the same counter-based random numbers under the same keys and apply the
same float operations in the same order, so with the same seed they must agree *exactly*,
day by day, in every state column and every metric — with every mechanic switched on. A
separate statistical check compares the two over independent seeds, so that agreement does
not rest on shared draws alone.
"""

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim.graphs import circles, complete, erdos_renyi, from_edges, ring
from growthsim.kernels import layout as L
from growthsim.reference import ReferenceModel


def everything(n, **extra):
    """A scenario with every mechanic on, tuned so each one fires often in a short run."""
    overrides = {
        "population.n": n, "seeding.initial_members": max(5, n // 30),
        "sharing.p_share": 0.15, "conversion.p_convert": 0.05,
        "rewards.per_share_cash": 0.5, "rewards.per_share_boost": 0.3,
        "rewards.loss_aversion": True, "rewards.demote_after": 4, "rewards.varied": True,
        "rewards.newcomer_reward": 5.0, "rewards.newcomer_boost": 0.2,
        "koc.count": 6, "koc.signed_day": 3, "koc.followers": 40.0,
        "channels.video_strangers": 3.0, "channels.notes_views": 0.8,
        "channels.weight_video": 0.4, "channels.weight_notes": 0.3,
        "ads.daily_budget": [100.0, 50.0], "ads.p_convert": 0.002,
        "organic.p_discover": 0.5,
        "interventions.wakeup_after": 3, "interventions.wakeup_success": 0.3,
        "churn.base_hazard": 0.01, "churn.nwom_prob": 0.5, "churn.nwom_trust_hit": 0.2,
        "purchases.p_purchase": 0.05,
        "content.ugc_propensity": 0.1,
        "events": [
            {"kind": "campaign", "day": 20, "duration": 10, "content_mult": 2.0,
             "share_mult": 1.5, "conversion_mult": 1.3},
            {"kind": "crisis", "day": 40, "duration": 7, "trust_shock": 0.2, "nwom_mult": 3.0,
             "handled_openly": True},
        ],
    }
    overrides.update(extra)
    return gs.Scenario().with_overrides(overrides)


def weighted_multigraph(n, mean_degree, seed):
    """Random ties with strengths in (0, 1], some repeated (multiplicity > 1)."""
    rng = np.random.default_rng(seed)
    m = n * mean_degree // 2
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    src, dst = np.concatenate([src, src[:m // 5]]), np.concatenate([dst, dst[:m // 5]])
    w = rng.uniform(0.05, 1.0, len(src))
    g = from_edges(n, src, dst, weight=w, symmetric_listing=False, name="weighted multigraph")
    assert g.multiplicity is not None and g.multiplicity.max() > 1
    return g


def follows_and_labels(g, n_segments, seed):
    """Add follow edges (so KOCs use the graph's audience) and segment and group labels."""
    rng = np.random.default_rng(seed)
    n = g.n
    stars = rng.choice(n, 15, replace=False)
    src = np.repeat(stars, 30)
    dst = rng.integers(0, n, len(src))
    return g.with_follows(src, dst).with_labels(group=rng.integers(-1, 12, n),
                                                segment=rng.integers(0, n_segments, n))


def _state(model):
    if isinstance(model, ReferenceModel):
        return model.to_arrays()
    return model.population.I, model.population.F


def assert_same_run(sc, graph, seed, days):
    """Step both models together and demand identical state after every day."""
    fast = gs.GrowthModel(sc, graph=graph, seed=seed)
    ref = ReferenceModel(sc, graph=graph, seed=seed)
    for day in range(-1, days):
        if day >= 0:
            fast.step()
            ref.step()
        (I1, F1), (I2, F2) = _state(fast), _state(ref)
        for name, a, b in (("I", I1, I2), ("F", F1, F2)):
            if not np.array_equal(a, b):
                rows, cols = np.nonzero(a != b)
                names = L.I_NAMES if name == "I" else L.F_NAMES
                pytest.fail(f"day {day}: {name} differs in {len(rows)} cells, first person "
                            f"{rows[0]} column {names[cols[0]]!r}: kernel {a[rows[0], cols[0]]!r}"
                            f" vs reference {b[rows[0], cols[0]]!r}")
        assert list(fast.member_ids()) == list(ref.member_ids()), f"member order, day {day}"
        assert fast.notes_stock == ref.notes_stock
    pd.testing.assert_frame_equal(fast.metrics, ref.metrics, check_exact=True)
    return fast.metrics


def _exercised(df):
    """Every mechanic fired at least once in the run."""
    totals = df.sum(numeric_only=True)
    for col in ("new_wom", "new_koc", "new_paid", "new_organic", "new_notes", "churned",
                "nwom_emitters", "wakeups_success", "buyers", "shares_private", "shares_video",
                "shares_notes", "ugc_posts", "reward_cost_ladder", "kocs_signed"):
        assert totals[col] > 0, f"{col} never happened: the comparison would not test it"
    assert df["tier_2"].max() > 0, "nobody climbed the ladder"


def test_same_seed_same_run_circles():
    """Every mechanic; KOC followers generated at signing; 90 days of identical state."""
    n = 1000
    df = assert_same_run(everything(n), circles(n, 20, 10, seed=2), seed=1, days=90)
    _exercised(df)


def test_same_seed_same_run_weighted_multigraph_with_follows_and_labels():
    """Tie strengths, parallel edges, the graph's own follow edges, segment labels, and a
    ladder that counts referrals."""
    n = 700
    g = follows_and_labels(weighted_multigraph(n, 8, seed=5), n_segments=4, seed=6)
    sc = everything(n, **{"rewards.metric": "referrals", "koc.strategy": "random",
                          "conversion.tie_strength_exponent": 1.7,
                          "conversion.exposure_decay": 0.6})
    df = assert_same_run(sc, g, seed=2, days=60)
    assert df["new_wom"].sum() + df["new_koc"].sum() > 0


def test_same_seed_same_run_complete_graph():
    """The mean-field graph: private shares and negative WOM reach random people."""
    n = 500
    sc = everything(n, **{"channels.reach_private": 0.02, "seeding.strategy": "degree"})
    df = assert_same_run(sc, complete(n), seed=3, days=60)
    assert df["new_wom"].sum() > 0 and df["nwom_emitters"].sum() > 0


@pytest.mark.parametrize("mode", ["daily", "on_join"])
def test_same_seed_same_run_share_modes(mode):
    """The Bass ('daily') and independent-cascade ('on_join') share modes."""
    n = 400
    sc = everything(n, **{"sharing.share_when": mode, "rewards.enabled": False,
                          "run.start_weekday": "sat"})
    assert_same_run(sc, erdos_renyi(n, 6, seed=4), seed=4, days=40)


def test_stop_when_quiet_stops_both_on_the_same_day():
    sc = gs.Scenario().with_overrides({
        "population.n": 200, "seeding.initial_members": 3, "sharing.share_when": "on_join",
        "sharing.p_share": 1.0, "conversion.p_convert": 0.3, "organic.p_discover": 0.0,
        "ads.daily_budget": [0.0], "run.stop_when_quiet": True, "churn.enabled": False,
        "channels.weight_notes": 0.0})  # a live note keeps the run going for months
    g = ring(200, 4)
    fast, ref = gs.GrowthModel(sc, graph=g, seed=9), ReferenceModel(sc, graph=g, seed=9)
    a, b = fast.run(days=300), ref.run(days=300)
    assert len(a) < 300
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_comparison_can_fail():
    """Guards against comparing a model with itself: a different seed or a nudged parameter
    must change the run."""
    n = 300
    sc, g = everything(n), circles(n, 10, 8, seed=1)
    base = gs.GrowthModel(sc, graph=g, seed=1).run(days=20)
    assert not base.equals(ReferenceModel(sc, graph=g, seed=2).run(days=20))
    nudged = sc.with_overrides({"content.trust_gain_value": 0.004 * (1 + 1e-9)})
    ref = ReferenceModel(nudged, graph=g, seed=1)
    ref.run(days=20)
    fast = gs.GrowthModel(sc, graph=g, seed=1)
    fast.run(days=20)
    assert not np.array_equal(ref.to_arrays()[1], fast.population.F)


# -- statistical agreement on independent seeds -------------------------------------------
SEEDS = 20
OUTPUTS = ("members", "new_wom", "churned", "revenue", "dau")


def _summary(df):
    return {"members": df["members"].iloc[-1], "new_wom": df["new_wom"].sum(),
            "churned": df["churned"].sum(), "revenue": df["revenue"].sum(),
            "dau": df["dau"].mean()}


@pytest.mark.slow
def test_independent_seeds_agree_statistically():
    """Kernel runs on seeds 1..20 and reference runs on seeds 101..120: the two samples of
    each key output have means within 3 standard errors of their difference (a two-sample
    z test; the seeds are fixed, so the test is deterministic)."""
    n, days = 400, 60
    sc = everything(n, **{"ads.daily_budget": [40.0]})
    g = circles(n, 10, 8, seed=3)
    fast = [_summary(gs.GrowthModel(sc, graph=g, seed=s).run(days=days))
            for s in range(1, 1 + SEEDS)]
    ref = [_summary(ReferenceModel(sc, graph=g, seed=s).run(days=days))
           for s in range(101, 101 + SEEDS)]
    for key in OUTPUTS:
        a = np.array([r[key] for r in fast], dtype=float)
        b = np.array([r[key] for r in ref], dtype=float)
        se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert se > 0, f"{key} does not vary across seeds"
        assert abs(a.mean() - b.mean()) < 3 * se, \
            f"{key}: kernel mean {a.mean():.4g} vs reference {b.mean():.4g} (SE {se:.3g})"
