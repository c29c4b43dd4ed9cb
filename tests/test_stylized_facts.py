"""The defaults reproduce the stylized facts of FACTS.md: each test runs the engine and measures.

The facts are industry anecdotes from reports on Chinese brand communities, not controlled
studies, so each target is a band around the reported figure rather than a point: wide
enough for the looseness of an anecdote (and, secondarily, for sampling noise), narrow
enough that a wrong mechanism or a mis-set parameter falls outside it
(``test_perturbed_defaults_leave_the_band`` shows that for the cheap measurements). Every
test states its measurement, its target and tolerance and the FACTS id; docs/model.md,
"Calibration", lists the parameters calibrated and the values achieved.

Worlds are small (30,000 people on the default circles graph, 3,000 seed members, the ad
budget scaled to the market), seeds are fixed, and horizons run from a week to a year and
a half; runs that are compared use the same seed (common random numbers). Content designs
come from :data:`growthsim.levers.CADENCES`, so the tests check the designs strategists use.
"""

import numpy as np
import pytest

import growthsim as gs
from growthsim import levers
from growthsim.kernels import layout as L

WORLD = {"population.n": 30_000, "seeding.initial_members": 3_000,
         # 100 yuan a day buys 2,500 impressions: ads stay a minor channel in a small market
         "ads.daily_budget": [100.0]}


def world(cadence=None, **over):
    """The small world with the schema defaults, a cadence design and overrides."""
    overrides = dict(WORLD)
    if cadence is not None:
        overrides.update(levers.CADENCES[cadence]["overrides"])
    overrides.update(over)
    return gs.Scenario().with_overrides(overrides)


def run(days, seed=5, cadence=None, **over):
    model = gs.GrowthModel(world(cadence, **over), seed=seed)
    return model, model.run(days=days)


def churn_per_member_year(df):
    """Members who left per member-year: churned / mean members, per 365 days."""
    return df["churned"].sum() / df["members"].mean() * 365 / len(df)


@pytest.fixture(scope="module")
def default_year():
    """One year of the default world (the 721 mix), shared by C2 and C6."""
    return run(365)


# -- W1 / W2: conversion per exposure by channel ------------------------------------------
def conversion_per_exposure(seed=5, **over):
    """Realised joins per exposure of WOM and KOC shares, relative to joins per ad impression.

    KOC shares are those of the KOCs signed on day 0; WOM shares are everyone else's.
    """
    _, df = run(365, seed=seed, **{"koc.count": 60, **over})
    ad = df["new_paid"].sum() / df["ad_impressions"].sum()
    wom = df["new_wom"].sum() / (df["exposures"] - df["exposures_koc"]).sum()
    koc = df["new_koc"].sum() / df["exposures_koc"].sum()
    return wom / ad, koc / ad, df


def test_w1_w2_referrals_convert_4x_and_kocs_6x_better_than_ads():
    """W2: word-of-mouth new users convert 4x better than paid ads; W1: KOC referrals 6x.

    Measurement: over one year with 60 KOCs, (new_wom / non-KOC exposures) and
    (new_koc / exposures_koc), each divided by (new_paid / ad_impressions).
    Target 4 and 6, tolerance +-20% (WOM ratio in [3.2, 4.8], KOC ratio in [4.8, 7.2]): the
    reports give single round numbers, and a year of this world has ~1,000 WOM, ~200 KOC
    and ~650 paid joins, so sampling alone moves the KOC ratio by ~8%.
    """
    wom, koc, df = conversion_per_exposure()
    print(f"W2 WOM/ad = {wom:.2f}, W1 KOC/ad = {koc:.2f} "
          f"(joins: wom {df['new_wom'].sum()}, koc {df['new_koc'].sum()}, "
          f"paid {df['new_paid'].sum()})")
    assert df["new_koc"].sum() > 100 and df["new_paid"].sum() > 300
    assert 3.2 <= wom <= 4.8
    assert 4.8 <= koc <= 7.2


# -- C3: homogeneous content tires new members within a week --------------------------------
def first_week(cadence=None, seed=11, **over):
    """Mean reads and interactions per seed member (still a member) on days 0 and 7.

    The 5,000 seeds join on day 0 (a Monday) with no fatigue: a cohort of new members.
    Day 7 is the same weekday, so the weekly cadence does not enter the comparison.
    """
    model = gs.GrowthModel(world(cadence, **{"seeding.initial_members": 5_000, **over}),
                           seed=seed)
    seeds = model.member_ids()
    I = model.population.I
    daily = []
    for _ in range(8):
        model.step()
        alive = seeds[I[seeds, L.I_STAGE] == L.MEMBER]
        daily.append((I[alive, L.I_READS_TODAY].mean(), I[alive, L.I_INTER_TODAY].mean()))
    (r0, x0), (r7, x7) = daily[0], daily[7]
    return dict(reads0=r0, reads7=r7, inter0=x0, inter7=x7,
                reads_fall=1 - r7 / r0, inter_fall=1 - x7 / x0)


SINGLE_KIND = {"content.mix_value": 1.0, "content.mix_interaction": 0.0,
               "content.mix_promo": 0.0}


def test_c3_homogeneous_content_cuts_reads_and_interactions_by_70_percent_in_a_week():
    """C3: within 7 days of joining, reads fall from 3 to 0.8 a day and interactions from 2
    to 0.5 (-73% and -75%) when the content is homogeneous.

    Measurement: a cohort's mean reads and interactions per member on its first day and
    seven days later (:func:`first_week`), under single-kind content (sameness 1: only
    value posts, so promotion plays no part) and under the 721 mix.
    Target: falls of 70-75%; tolerance: both falls in [0.65, 0.80], first-day reads in
    [2.4, 3.6] (3 a day +-20%). The 721 mix must fall clearly less (by at least 10 points):
    varied content is what C3's complaint is about.
    """
    same = first_week(**SINGLE_KIND)
    mixed = first_week("721")
    print("C3 single kind:", {k: round(v, 3) for k, v in same.items()})
    print("C3 721 mix:    ", {k: round(v, 3) for k, v in mixed.items()})
    assert 2.4 <= same["reads0"] <= 3.6
    assert 0.65 <= same["reads_fall"] <= 0.80
    assert 0.65 <= same["inter_fall"] <= 0.80
    assert mixed["reads_fall"] <= same["reads_fall"] - 0.10
    assert mixed["inter_fall"] <= same["inter_fall"] - 0.10


# -- C2: promotion-heavy content doubles churn ------------------------------------------------
def test_c2_promotion_heavy_content_doubles_churn(default_year):
    """C2: with 70% of content promotions and product pushes, churn reaches 35%.

    Measurement: churn per member-year (churned / mean members) over one year, with the
    promo_heavy design (70% promo) against the 721 design, same seed.
    Target: "churn as high as 35%" against the 721 community's ordinary churn, i.e.
    roughly double; tolerance: ratio in [1.6, 2.6], promo-heavy churn in [0.25, 0.60]
    a year (the fact's 35%, and up to 60% for promotion-only communities).
    """
    _, base = default_year
    _, promo = run(365, cadence="promo_heavy")
    c721, cpromo = churn_per_member_year(base), churn_per_member_year(promo)
    print(f"C2 churn per member-year: 721 {c721:.3f}, promo_heavy {cpromo:.3f}, "
          f"ratio {cpromo / c721:.2f}")
    assert 1.6 <= cpromo / c721 <= 2.6
    assert 0.25 <= cpromo <= 0.60


# -- C5: key posts on weekday evenings ---------------------------------------------------------
def interactions_per_member(cadence, weeks=12, warmup=28, **over):
    """Interactions per member over ``weeks`` weeks after a 4-week warm-up."""
    _, df = run(warmup + 7 * weeks, seed=7, cadence=cadence, **over)
    part = df.iloc[warmup:]
    return part["interactions"].sum() / part["members"].mean()


def test_c5_key_posts_on_weekday_evenings_raise_interaction_by_23_percent():
    """C5: interaction drops on weekends; moving key content to weekday evenings raised
    overall interaction by 23%.

    Measurement: interactions per member over 12 weeks (after a 4-week warm-up), the
    weekday_evening design against the weekend design: the same 19 posts a week and the
    same mix, 9 key posts moved from Saturday and Sunday to weekday evenings.
    Target +23%; tolerance: ratio in [1.17, 1.30].
    """
    ratio = interactions_per_member("weekday_evening") / interactions_per_member("weekend")
    print(f"C5 weekday_evening / weekend interactions per member = {ratio:.3f}")
    assert 1.17 <= ratio <= 1.30


# -- E1: activity and retention ------------------------------------------------------------
def retention_by_activity(ref_day=180, follow=365, seed=3):
    """Retention of members grouped by their interactions a week at a reference day.

    Members at ``ref_day`` are classified by their interactions over the 4 weeks before it
    (per week); retention is the share of each group still a member ``follow`` days later.
    """
    model = gs.GrowthModel(world(), seed=seed)
    model.run(days=ref_day - 28)
    I = model.population.I
    before = I[:, L.I_INTERACTIONS].copy()
    model.run(days=28)
    members = model.member_ids()
    per_week = (I[members, L.I_INTERACTIONS] - before[members]) / 4.0
    high, low = members[per_week > 5], members[per_week < 3]
    model.run(days=follow)
    stage = I[:, L.I_STAGE]
    return (float(np.mean(stage[high] == L.MEMBER)), float(np.mean(stage[low] == L.MEMBER)),
            len(high), len(low), len(members))


def test_e1_over_5_interactions_a_week_retain_70_percent_under_3_churn_sharply():
    """E1: under 3 interactions a week, churn rises sharply; over 5 a week, retention
    reaches 70%+.

    Measurement: one-year retention of the members with more than 5 and fewer than 3
    interactions a week over the 4 weeks before day 180 (:func:`retention_by_activity`),
    and the ratio of their mean churn hazards, ln(retention_low) / ln(retention_high).
    Target and tolerance: high group retention >= 0.70; hazard ratio >= 2 ("sharply").
    """
    high, low, n_high, n_low, n = retention_by_activity()
    ratio = np.log(low) / np.log(high)
    print(f"E1 one-year retention: >5/week {high:.3f} ({n_high} of {n}), "
          f"<3/week {low:.3f} ({n_low}); hazard ratio {ratio:.2f}")
    assert n_high >= 200 and n_low >= 200
    assert high >= 0.70
    assert ratio >= 2.0


# -- C6: few members post; check-in tasks are rarely completed --------------------------------
def test_c6_a_fifth_of_posters_make_80_percent_of_posts(default_year):
    """C6: about 20% of members produce about 80% of posts; only ~20% of members ever post.

    Measurement: over a year, among everyone who was a member, the share of all member posts
    made by the top 20% of posters, and the share of members who posted at least once.
    Target 0.8 with tolerance [0.72, 0.88]; ever posting: ~20%, tolerance [0.12, 0.30].
    """
    model, df = default_year
    I = model.population.I
    ever = I[:, L.I_JOINED] >= 0
    posts = np.sort(I[ever, L.I_POSTS])[::-1]
    posters = posts[posts > 0]
    top = posters[:max(1, round(0.2 * len(posters)))].sum() / posters.sum()
    share_posting = len(posters) / ever.sum()
    print(f"C6 top 20% of posters make {top:.3f} of posts; {share_posting:.3f} of members "
          f"ever posted ({posters.sum()} posts)")
    assert posters.sum() == df["ugc_posts"].sum()
    assert 0.72 <= top <= 0.88
    assert 0.12 <= share_posting <= 0.30


def test_c6_check_in_completion_under_15_percent_and_what_it_buys():
    """C6: check-in task completion is under 15%.

    Measurement: with the daily_checkin design, check-ins per member-day (checkins /
    members, averaged over six months). Target: under 15%, and not negligible (>= 3%).
    The check-ins are interactions, so the design also raises weekly interactions and
    lowers churn against the 721 design (E1), at a cost counted in reward_cost.
    """
    _, base = run(182, cadence="721")
    _, ci = run(182, cadence="daily_checkin")
    rate = (ci["checkins"] / ci["members"]).mean()
    print(f"C6 check-in completion {rate:.3f} per member-day; weekly interactions "
          f"{base['weekly_interactions'].mean():.2f} -> {ci['weekly_interactions'].mean():.2f}"
          f"; churn {churn_per_member_year(base):.3f} -> {churn_per_member_year(ci):.3f}; "
          f"cost {ci['checkin_cost'].sum():,.0f} yuan")
    assert 0.03 <= rate < 0.15
    assert ci["weekly_interactions"].mean() > base["weekly_interactions"].mean() + 0.2
    assert churn_per_member_year(ci) < churn_per_member_year(base)
    assert ci["checkin_cost"].sum() == pytest.approx(ci["checkins"].sum() * 0.2)
    assert (ci["reward_cost"] >= ci["checkin_cost"]).all()


# -- the bands discriminate ---------------------------------------------------------------------
@pytest.mark.parametrize("what,over", [
    ("C3", {"content.fatigue_sameness": 0.04}),
    ("C3", {"content.fatigue_recovery": 0.15}),
    ("C5", {"content.evening_boost": 1.0}),
    ("C5", {"content.weekend_factor": 1.0}),
])
def test_perturbed_defaults_leave_the_band(what, over):
    """A calibrated default moved to a plausible other value takes the figure out of its
    band: the bands are narrow enough to test the calibration."""
    if what == "C3":
        fall = first_week(**SINGLE_KIND, **over)["reads_fall"]
        print(f"C3 with {over}: reads fall {fall:.3f}")
        assert not 0.65 <= fall <= 0.80
    else:
        ratio = interactions_per_member("weekday_evening", **over) \
            / interactions_per_member("weekend", **over)
        print(f"C5 with {over}: ratio {ratio:.3f}")
        assert not 1.17 <= ratio <= 1.30


# -- rewards (R2, R6) -----------------------------------------------------------------------
def _referred_by_month(ladder, seed):
    """Referred joins in months 1 and 2 after a programme starts in an established community.

    A closed community (no ads, no unaided discovery) of 5,000 members in a 50k market, so
    that, as in R2's case, referred joins are the programme's (and members' own) doing.
    """
    sc = levers.apply(gs.Scenario(), ladder=ladder).with_overrides({
        "population.n": 50_000, "seeding.initial_members": 5_000, "run.days": 60,
        "ads.daily_budget": [0.0], "organic.p_discover": 0.0})
    df = gs.GrowthModel(sc, seed=seed).run()
    referred = (df["new_wom"] + df["new_koc"]).to_numpy()
    return referred[:30].sum(), referred[30:60].sum()


def test_r2_fixed_cash_back_referrals_fall_85_percent_in_month_two():
    """R2: a fixed share-for-cash programme: 20,000 referred joins in month 1, 3,000 in month 2
    (-85%). Measured: the fall of referred joins from month 1 to month 2 under the fixed_cash
    design, pooled over two seeds. Target 85%, tolerance [70%, 92%]. Honour rewards (badges)
    habituate slowly and must fall far less (the test can fail both ways)."""
    cash = np.sum([_referred_by_month("fixed_cash", s) for s in (1, 2)], axis=0)
    badges = np.sum([_referred_by_month("badges_only", s) for s in (1, 2)], axis=0)
    fall_cash = 1 - cash[1] / cash[0]
    fall_badges = 1 - badges[1] / badges[0]
    assert 0.70 <= fall_cash <= 0.92, (cash, fall_cash)
    assert fall_badges < fall_cash - 0.3, (badges, fall_badges)
    assert cash[0] > 2 * badges[0]  # the cash programme's first month is a real burst


@pytest.mark.slow
def test_r6_loss_aversion_demotion_raises_participation_27_percent():
    """R6: demoting inactive members' level raised participation by 27%. Measured:
    interactions per member-day over days 60-240 with the 1/3/10 ladder, demotion on vs off,
    common random numbers, two seeds pooled. Target +27%, tolerance [+20%, +35%]."""
    ratios = []
    for seed in (1, 2):
        rate = {}
        for on in (False, True):
            sc = gs.Scenario().with_overrides({
                "population.n": 30_000, "seeding.initial_members": 3_000, "run.days": 240,
                "rewards.loss_aversion": on})
            df = gs.GrowthModel(sc, seed=seed).run().iloc[60:]
            rate[on] = (df["interactions"] / df["members"]).mean()
        ratios.append(rate[True] / rate[False])
    uplift = float(np.mean(ratios)) - 1
    assert 0.20 <= uplift <= 0.35, ratios


# -- referred members (Schmitt, Skiera & Van den Bulte 2011) ------------------------------------
def _referred_vs_other(seed, **over):
    from growthsim import attribution as at

    sc = gs.Scenario().with_overrides({"population.n": 100_000, **over})
    model = gs.GrowthModel(sc, seed=seed)
    model.run(days=730)
    t = at.referred_vs_other(model, horizon=365)
    return t.loc["referred", "churn_h"], t.loc["other", "churn_h"]


@pytest.mark.slow
def test_referred_members_churn_18_percent_less_in_their_first_year():
    """Referred customers are ~18% less likely to leave (Schmitt, Skiera & Van den Bulte 2011;
    not in FACTS.md, the issue's benchmark). Measured: first-year churn of members who joined
    by word of mouth or a KOC over that of paid and organic joiners (joined in the first year
    of two, 100k people), four seeds pooled (seed-to-seed SD of the ratio about 0.02).
    Target 0.82, tolerance [0.74, 0.90]. With the referrer bond switched off (same seeds)
    the ratio must be about 1 ([0.92, 1.06]; selection alone gives about 0.97) and at least
    0.06 above: the gap is the mechanism's doing, not selection."""
    on = np.array([_referred_vs_other(s) for s in (1, 2, 3, 4)])
    off = np.array([_referred_vs_other(s, **{"churn.referrer_bond": 1.0}) for s in (1, 2, 3, 4)])
    ratio_on = on[:, 0].mean() / on[:, 1].mean()
    ratio_off = off[:, 0].mean() / off[:, 1].mean()
    print(f"churn ratio with bond {ratio_on:.3f}, without {ratio_off:.3f}")
    assert 0.74 <= ratio_on <= 0.90, on
    assert 0.92 <= ratio_off <= 1.06, off
    assert ratio_off - ratio_on >= 0.06
