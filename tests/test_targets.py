"""Targets declared in scenarios: evaluation of one run and success rates over replications."""

import math

import pandas as pd
import pytest

import growthsim as gs
from growthsim import targets
from growthsim.errors import ScenarioError
from growthsim.metrics import YEARLY_COLUMNS
from growthsim.scenario.schema import TARGET_METRICS


def with_targets(*ts, **over):
    return gs.Scenario().with_overrides({"targets": list(ts), **over})


def test_every_target_metric_is_a_yearly_column():
    assert set(TARGET_METRICS) <= set(YEARLY_COLUMNS)


def test_evaluate_absolute_relative_upper_and_unreached():
    sc = with_targets(
        {"name": "a", "metric": "members_end", "year": 1, "value": 100},
        {"name": "b", "metric": "revenue_per_member", "year": 2, "value": 1.8,
         "relative_to_year": 1},
        {"name": "c", "metric": "churn_rate", "year": 2, "op": "<=", "value": 0.2},
        {"name": "d", "metric": "members_end", "year": 3, "value": 1},
        {"name": "e", "metric": "tier_7", "year": 1, "value": 1})
    yearly = pd.DataFrame({"year": [1, 2], "members_end": [99, 500],
                           "revenue_per_member": [10.0, 19.0], "churn_rate": [0.1, 0.2]})
    out = targets.evaluate(sc, yearly).set_index("target")
    assert out.loc["a", "met"] == False and out.loc["a", "actual"] == 99  # noqa: E712
    assert out.loc["b", "actual"] == pytest.approx(1.9) and out.loc["b", "met"]
    assert out.loc["c", "met"]  # <= is inclusive
    assert math.isnan(out.loc["d", "actual"]) and not out.loc["d", "met"]
    assert out.loc["e", "actual"] == 0 and not out.loc["e", "met"]


def test_success_rates_count_runs_and_bound_the_rate():
    sc = with_targets({"name": "a", "metric": "members_end", "year": 1, "value": 100})
    yearly = pd.DataFrame({"rep": range(10), "year": 1,
                           "members_end": [150] * 7 + [50] * 3})
    out = targets.success_rates(sc, yearly).iloc[0]
    assert (out["runs"], out["met"], out["rate"]) == (10, 7, 0.7)
    assert 0.3 < out["ci_low"] < 0.7 < out["ci_high"] < 0.97


def test_relative_year_must_come_first():
    with pytest.raises(ScenarioError, match=r"targets\[0\].relative_to_year"):
        with_targets({"name": "x", "metric": "revenue", "year": 2, "relative_to_year": 2})


def test_unknown_metric_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"targets\[0\].metric.*members_end"):
        with_targets({"name": "x", "metric": "happiness", "year": 1})


def test_targets_of_a_real_run():
    sc = with_targets({"name": "some members", "metric": "members_end", "year": 1, "value": 10},
                      {"name": "a million", "metric": "members_end", "year": 1,
                       "value": 1_000_000},
                      **{"population.n": 3_000, "seeding.initial_members": 100,
                         "run.days": 366})
    df = gs.GrowthModel(sc, seed=1).run()
    out = targets.evaluate(sc, gs.metrics.yearly(df))
    assert out["met"].tolist() == [True, False]


def test_the_plan_declares_its_targets(repo_root):
    sc = gs.load_scenario(repo_root / "scenarios" / "five_year_plan.toml")
    assert len(sc.targets) >= 8
    assert {t.year for t in sc.targets} >= {1, 2, 5}
    assert all(t.source for t in sc.targets)
    assert sc.ads.revenue_share == (0.08, 0.12, 0.10, 0.10, 0.09)


def test_revenue_share_adds_to_the_ad_budget():
    over = {"population.n": 3_000, "seeding.initial_members": 300, "run.days": 60}
    plain = gs.GrowthModel(gs.Scenario().with_overrides(over), seed=1).run()
    shared = gs.GrowthModel(gs.Scenario().with_overrides(
        {**over, "ads.revenue_share": [0.5]}), seed=1).run()
    extra = shared["ad_cost"] - plain["ad_cost"]
    assert extra.iloc[0] == 0  # no revenue yet on day 0
    # day d's extra budget is half the mean daily revenue of the 30 days before it
    rev = shared["revenue"].to_numpy()
    d = 45
    assert extra.iloc[d] == pytest.approx(0.5 * rev[d - 30:d].mean())
