"""growthsim.attribution: channel counts, referral chains, K and cycle time, referred vs other.

Hand-built states (a model on a tiny ring whose state columns are set directly) check the
definitions against hand computations; two small runs check the tables against the daily
metrics and against plain-Python walks over the state.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import attribution as at
from growthsim.graphs import ring
from growthsim.kernels import layout as L
from growthsim.report import attribution as rep

# -- hand-built states -----------------------------------------------------------------------


def blank(n, day):
    """A model on a ring of n people, nobody joined, `day` days simulated (no metrics)."""
    m = gs.GrowthModel(gs.Scenario().with_overrides({"seeding.initial_members": 0}),
                       graph=ring(n, 2), seed=1)
    m.day = day
    return m


def person(m, i, joined, acq, referrer=-1, gen=0, churn_day=-1, koc=0, revenue=0.0):
    I = m.population.I
    I[i, L.I_STAGE] = L.CHURNED if churn_day >= 0 else L.MEMBER
    I[i, L.I_JOINED] = joined
    I[i, L.I_ACQ] = acq
    I[i, L.I_REFERRER] = referrer
    I[i, L.I_GENERATION] = gen
    I[i, L.I_CHURN_DAY] = churn_day
    I[i, L.I_KOC] = koc
    m.population.F[i, L.F_REVENUE] = revenue


@pytest.fixture()
def chains():
    """KOC 0 -> 1 -> 2 -> 3 and 0 -> 11; paid 4 -> 5; organic 6; 7 never joined; seed 8 -> 9, but 8
    churned and re-joined (paid) on day 30, after referring 9 on day 4."""
    m = blank(12, day=50)
    person(m, 0, 0, L.ACQ_KOC_SIGNED, koc=1)
    person(m, 1, 2, L.ACQ_KOC, referrer=0, gen=1)
    person(m, 2, 5, L.ACQ_WOM, referrer=1, gen=2)
    person(m, 3, 9, L.ACQ_WOM, referrer=2, gen=3)
    person(m, 4, 1, L.ACQ_PAID)
    person(m, 5, 3, L.ACQ_WOM, referrer=4, gen=1)
    person(m, 6, 7, L.ACQ_ORGANIC)
    person(m, 8, 30, L.ACQ_PAID, churn_day=20)
    m.population.I[8, L.I_STAGE] = L.MEMBER      # re-joined: churn day left from before
    person(m, 9, 4, L.ACQ_WOM, referrer=8, gen=1)
    person(m, 10, 6, L.ACQ_WOM, referrer=9, gen=2)
    person(m, 11, 0, L.ACQ_KOC, referrer=0, gen=1)  # a KOC acts on its signing day
    return m


def test_roots_and_depths_on_known_chains(chains):
    root, depth = at.referral_roots(chains.population.I)
    assert root.tolist() == [0, 0, 0, 0, 4, 4, 6, -1, 8, -1, -1, 0]
    assert depth[:7].tolist() == [0, 1, 2, 3, 0, 1, 0]
    assert depth[8] == 0 and depth[11] == 1


def test_by_generation_on_known_chains(chains):
    t = at.by_generation(chains)
    assert list(t.index) == [0, 1, 2, 3]
    assert t.loc[0, ["koc", "seed", "organic", "paid", "unknown"]].tolist() == [1, 0, 1, 2, 0]
    assert t.loc[1, ["koc", "paid", "unknown"]].tolist() == [2, 1, 1]   # 1, 11; 5; 9
    assert t.loc[2, ["koc", "unknown"]].tolist() == [1, 1]              # 2; 10 above 9
    assert t.loc[3, "koc"] == 1
    assert t["total"].sum() == 11 and t.attrs["people"] == 11
    gens = [0, 1, 2, 3, 0, 1, 0, 0, 1, 2, 1]
    assert t.attrs["mean_generation"] == pytest.approx(np.mean(gens))
    assert t.attrs["share_beyond_1"] == pytest.approx(3 / 11)
    assert t.attrs["max_generation"] == 3


def test_a_koc_who_was_a_seed_roots_a_koc_chain(chains):
    chains.population.I[0, L.I_ACQ] = L.ACQ_SEED
    assert at.by_generation(chains).loc[1, "koc"] == 2
    chains.population.I[0, L.I_KOC] = 0
    t = at.by_generation(chains)
    assert (t.loc[1, "koc"], t.loc[1, "seed"]) == (0, 2)


def test_cycles_in_a_hand_made_state_end_as_unknown():
    m = blank(4, day=10)
    person(m, 0, 3, L.ACQ_WOM, referrer=1, gen=1)
    person(m, 1, 3, L.ACQ_WOM, referrer=0, gen=1)
    person(m, 2, 3, L.ACQ_WOM, referrer=1, gen=2)
    root, _ = at.referral_roots(m.population.I)
    assert root.tolist() == [-1, -1, -1, -1]


def naive_roots(I):
    """Walk each chain up one link at a time (the obvious twin of pointer jumping)."""
    n = I.shape[0]
    root = np.full(n, -1)
    depth = np.full(n, -1)
    for i in range(n):
        if I[i, L.I_JOINED] < 0:
            continue
        j, d = i, 0
        while True:
            r = I[j, L.I_REFERRER]
            if r < 0:
                root[i], depth[i] = j, d
                break
            if I[r, L.I_JOINED] > I[j, L.I_JOINED]:
                break                                   # the referrer re-joined since
            j, d = r, d + 1
    return root, depth


@pytest.mark.parametrize("seed", [1, 2])
def test_pointer_jumping_equals_walking_on_random_forests_with_rejoins(seed):
    gen = np.random.default_rng(seed)
    n = 3_000
    m = blank(n, day=5_000)
    order = gen.permutation(n)[: n - 200]             # 200 never join
    for k, i in enumerate(order):
        ref = int(order[gen.integers(0, k)]) if k > 0 and gen.random() < 0.8 else -1
        person(m, int(i), k, L.ACQ_WOM if ref >= 0 else L.ACQ_PAID, referrer=ref)
    rejoined = gen.choice(order[:1000], size=40, replace=False)
    m.population.I[rejoined, L.I_JOINED] += n         # re-joined after everyone else
    root, depth = at.referral_roots(m.population.I)
    want_root, want_depth = naive_roots(m.population.I)
    assert np.array_equal(root, want_root)
    assert np.array_equal(depth[root >= 0], want_depth[root >= 0])
    assert (root == -1).sum() > 200                   # some chains are broken


def test_pointer_jumping_handles_a_long_chain():
    n = 20_000
    m = blank(n, day=n + 1)
    ids = np.random.default_rng(3).permutation(n)
    I = m.population.I
    I[ids, L.I_STAGE] = L.MEMBER
    I[ids, L.I_JOINED] = np.arange(n)
    I[ids, L.I_REFERRER] = np.r_[-1, ids[:-1]]
    I[ids, L.I_GENERATION] = np.arange(n)
    root, depth = at.referral_roots(I)
    assert np.all(root == ids[0])
    assert np.array_equal(depth[ids], np.arange(n))
    assert at.by_generation(m).attrs["max_generation"] == n - 1


def test_referred_vs_other_on_a_constructed_case():
    m = blank(10, day=401)                            # last simulated day: 400
    # referred: one member from day 0 (400 days at risk), one churned on day 100 after
    # joining on day 20 (80 days), one too young for the horizon (joined day 300)
    person(m, 0, 0, L.ACQ_WOM, referrer=5, gen=1, revenue=800.0)
    person(m, 1, 20, L.ACQ_KOC, referrer=5, gen=1, churn_day=100, revenue=40.0)
    person(m, 2, 300, L.ACQ_WOM, referrer=5, gen=1, revenue=0.0)
    # other: paid member from day 10 (390 days), organic churned day 380 after day 0 join
    person(m, 3, 10, L.ACQ_PAID, revenue=390.0)
    person(m, 4, 0, L.ACQ_ORGANIC, churn_day=380, revenue=190.0)
    person(m, 6, 5, L.ACQ_PAID, churn_day=370, revenue=0.0)  # left on day 365 of membership
    person(m, 5, 0, L.ACQ_SEED, revenue=1e6)          # seeds are left out
    t = at.referred_vs_other(m, horizon=365)
    days = 400 + 80 + 100
    r, o = t.loc["referred"], t.loc["other"]
    assert r["members"] == 3 and o["members"] == 3
    assert r["member_years"] == pytest.approx(days / 365)
    assert r["revenue_per_year"] == pytest.approx(840 / (days / 365))
    assert r["hazard"] == pytest.approx(1 / (days / 365))
    assert (r["n_h"], r["retention_h"]) == (2, 0.5)
    assert r["years_h"] == pytest.approx((365 + 80) / 2 / 365)
    assert o["revenue_per_year"] == pytest.approx(580 / ((390 + 380 + 365) / 365))
    assert (o["n_h"], o["retention_h"]) == (3, pytest.approx(2 / 3))  # 4 stayed past 365
    assert o["years_h"] == pytest.approx(1.0)
    assert r["value_h"] == pytest.approx(r["revenue_per_year"] * r["years_h"])
    assert t.loc["ratio", "retention_h"] == pytest.approx(0.5 / (2 / 3))
    assert t.loc["ratio", "value_h"] == pytest.approx(r["value_h"] / o["value_h"])
    assert t.loc["paid", "members"] == 2 and t.loc["organic", "hazard"] > 0
    assert t.loc["published", ["value_h", "retention_h"]].tolist() == [1.16, 1.18]
    m.population.F[0, L.F_REVENUE] = 1600.0           # the table follows the state
    assert at.referred_vs_other(m, 365).loc["ratio", "value_h"] > t.loc["ratio", "value_h"]


# -- small runs --------------------------------------------------------------------------------

BASE = {"population.n": 3_000, "seeding.initial_members": 40, "ads.daily_budget": [60.0],
        "koc.count": 4, "koc.followers": 200.0, "sharing.p_share": 0.1}


@pytest.fixture(scope="module")
def no_rejoin():
    """No re-joins, so each person's record is their only join."""
    sc = gs.Scenario().with_overrides({**BASE, "conversion.rejoin_factor": 0.0})
    m = gs.GrowthModel(sc, seed=5)
    m.run(days=150)
    return m


@pytest.fixture(scope="module")
def with_rejoin():
    sc = gs.Scenario().with_overrides({**BASE, "conversion.rejoin_factor": 1.0,
                                       "churn.base_hazard": 0.02, "sharing.p_share": 0.3})
    m = gs.GrowthModel(sc, seed=6)
    m.run(days=150)
    return m


def test_channel_counts_equal_metric_sums(no_rejoin, with_rejoin):
    for m in (no_rejoin, with_rejoin):
        df = m.metrics
        t = at.by_channel(m, period=30)
        assert list(t.index) == [1, 2, 3, 4, 5] and t["days"].tolist() == [30] * 5
        for c, col in (("organic", "new_organic"), ("paid", "new_paid"), ("wom", "new_wom"),
                       ("koc", "new_koc"), ("koc_signed", "kocs_signed"), ("notes", "new_notes")):
            assert t[c].sum() == df[col].sum()
            assert t.loc[2, c] == df[col].iloc[30:60].sum()
        assert t["total"].sum() == df["cum_members"].iloc[-1]
        assert t.loc[1, "seed"] == 40 and t["seed"].sum() == 40
        assert np.allclose(t[[f"share_{c}" for c in at.CHANNELS]].sum(axis=1), 1.0)
    assert min(at.by_channel(no_rejoin)[list(at.CHANNELS[1:])].sum()) > 0  # all channels used


def test_channel_events_equal_people_without_rejoins(no_rejoin):
    I = no_rejoin.population.I
    ever = I[:, L.I_JOINED] >= 0
    t = at.by_channel(no_rejoin, period=50)
    for c in at.CHANNELS:
        code = L.ACQ_NAMES.index(c)
        sel = ever & (I[:, L.I_ACQ] == code)
        people = np.bincount(I[sel, L.I_JOINED] // 50, minlength=3)
        assert t[c].tolist() == people.tolist(), c


def test_rejoins_make_events_exceed_people(with_rejoin):
    I = with_rejoin.population.I
    events = at.by_channel(with_rejoin)["total"].sum()
    assert events > np.count_nonzero(I[:, L.I_JOINED] >= 0)
    v = at.viral(with_rejoin)
    referrals = (with_rejoin.metrics["new_wom"] + with_rejoin.metrics["new_koc"]).sum()
    assert I[:, L.I_REFERRALS].sum() == referrals      # every referral counted once
    assert v.attrs["unlinked_referrals"] == referrals - v.loc["all", "cohort_referrals"]
    assert v.attrs["unlinked_referrals"] > 0


def test_generations_agree_with_recorded_generation(no_rejoin, with_rejoin):
    for m in (no_rejoin, with_rejoin):
        I = m.population.I
        root, depth = at.referral_roots(I)
        ok = root >= 0
        assert np.array_equal(depth[ok], I[ok, L.I_GENERATION])
        assert np.all(I[root[ok], L.I_REFERRER] < 0)
    t = at.by_generation(no_rejoin)
    assert t["unknown"].sum() == 0 and t.attrs["max_generation"] >= 2
    assert t.loc[1:, "koc"].sum() > 0                 # KOC -> friend chains exist


def members_at_end_of(I, d):
    joined, churn = I[:, L.I_JOINED], I[:, L.I_CHURN_DAY]
    alive = (I[:, L.I_STAGE] == L.MEMBER) | (churn > d)
    return np.count_nonzero((joined >= 0) & (joined <= d) & alive)


def test_k_and_cycle_time_match_a_hand_computation(no_rejoin):
    m, P = no_rejoin, 50
    I = m.population.I
    v = at.viral(m, period=P)
    assert list(v.index) == [1, 2, 3, "all"]
    referred = np.flatnonzero(I[:, L.I_REFERRER] >= 0)
    for p in (1, 2, 3):
        days = range((p - 1) * P, p * P)
        member_days = sum(members_at_end_of(I, d) for d in days)
        mine = [i for i in referred if (p - 1) * P <= I[i, L.I_JOINED] < p * P]
        lags = [I[i, L.I_JOINED] - I[I[i, L.I_REFERRER], L.I_JOINED] for i in mine]
        row = v.loc[p]
        assert row["member_days"] == member_days
        assert row["referrals"] == len(mine)
        assert row["cycle_time"] == pytest.approx(np.mean(lags))
        assert row["k"] == pytest.approx(len(mine) / member_days * np.mean(lags))
        cohort = [i for i in range(m.n) if (p - 1) * P <= I[i, L.I_JOINED] < p * P]
        made = sum(1 for i in referred if I[i, L.I_REFERRER] in set(cohort))
        assert (row["cohort"], row["cohort_referrals"]) == (len(cohort), made)
        assert row["k_cohort"] == pytest.approx(made / len(cohort))
    assert v.loc["all", "referrals"] == len(referred)
    assert v.loc["all", "cycle_time"] == pytest.approx(
        np.mean(I[referred, L.I_JOINED] - I[I[referred, L.I_REFERRER], L.I_JOINED]))


def test_cycle_time_and_k_factor_equal_the_metrics(no_rejoin):
    df = no_rejoin.metrics
    v = at.viral(no_rejoin, period=30)
    for p in (2, 3, 4, 5):
        last = 30 * p - 1
        assert v.loc[p, "cycle_time"] == pytest.approx(df["cycle_time"].iloc[last])
        assert df["k_factor"].iloc[last] == pytest.approx(v.loc[p, "k"])


def test_summary_is_consistent_with_the_tables(no_rejoin):
    s = at.summary(no_rejoin)
    df = no_rejoin.metrics
    assert s["wom_share"] == pytest.approx((df["new_wom"] + df["new_koc"]).sum()
                                           / df["new_members"].sum())
    assert s["k"] == pytest.approx(at.viral(no_rejoin).loc["all", "k"])
    t = at.referred_vs_other(no_rejoin, 365)
    assert s["retention_ratio"] == pytest.approx(t.loc["ratio", "retention_h"], nan_ok=True)
    assert s["max_generation"] == at.by_generation(no_rejoin).attrs["max_generation"]
    assert s["published_value_ratio"] == 1.16


# -- plots ---------------------------------------------------------------------------------------

def test_plots_draw_one_bar_per_period_channel_and_generation_root(no_rejoin, chains):
    ch = at.by_channel(no_rejoin, period=30)
    used = sum(ch[c].sum() > 0 for c in at.CHANNELS)
    ax = rep.plot_channels(ch)
    assert len(ax.patches) == used * len(ch)
    gen = at.by_generation(chains)
    ax = rep.plot_generations(gen, log=False)
    assert len(ax.patches) == 4 * len(gen)           # koc, organic, paid, unknown roots
    heights = [p.get_height() for p in ax.patches[:len(gen)]]
    assert heights == gen["koc"].tolist()
    ax = rep.plot_referred_vs_other(at.referred_vs_other(no_rejoin, 60))
    assert len(ax.patches) == 6
    import matplotlib.pyplot as plt
    plt.close("all")


def test_the_core_does_not_import_the_report():
    import subprocess
    import sys

    code = "import sys, growthsim.attribution; print('growthsim.report' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_empty_and_bad_input():
    m = blank(5, day=0)
    assert at.by_channel(m).empty
    with pytest.raises(ValueError, match="period"):
        at.by_channel(m, period=0)
    with pytest.raises(ValueError, match="run at least one day"):
        at.viral(m)
    assert at.by_generation(m).attrs["people"] == 0
    assert isinstance(at.by_generation(m), pd.DataFrame)
