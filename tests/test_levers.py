"""Named lever designs (growthsim.levers), the scenario library, and the reward mechanics they use."""

import numpy as np
import pytest

import growthsim as gs
from growthsim import levers
from growthsim.kernels import layout as L


def small(**over):
    base = {"population.n": 4_000, "seeding.initial_members": 400, "run.days": 90,
            "sharing.p_share": 0.2}
    return gs.Scenario().with_overrides({**base, **over})


def test_library_files_match_the_designs(repo_root):
    stale = levers.write_library(repo_root / "scenarios", check=True)
    assert stale == [], f"run `python -m growthsim.levers scenarios`: {stale}"


@pytest.mark.parametrize("kind,name", [(k, n) for k, t in levers.KINDS.items() for n in t])
def test_every_library_file_is_the_baseline_with_the_design(repo_root, kind, name):
    path = repo_root / "scenarios" / levers.FOLDERS[kind] / f"{name}.toml"
    sc = gs.load_scenario(path)
    base = gs.load_scenario(repo_root / "scenarios" / "baseline.toml")
    want = levers.apply(base, **{kind: name}, name=f"{levers.FOLDERS[kind]}/{name}")
    assert sc == want.with_overrides({"description": sc.description})
    assert sc.description and levers.design(kind, name)["description"] == sc.description


def test_the_issue_names_every_design():
    assert set(levers.LADDERS) >= {"none", "fixed_cash", "ladder_1_3_10", "badges_only",
                                   "partner", "invite_3_unlock", "two_sided", "surprise"}
    assert set(levers.KOC_PLANS) >= {"none", "random_100", "degree_100", "imm_100"}
    assert set(levers.CADENCES) >= {"721", "promo_heavy", "weekend", "weekday_evening",
                                    "daily_checkin"}


def test_unknown_design_and_kind_are_clear_errors():
    with pytest.raises(ValueError, match="unknown ladder design 'gold'.*fixed_cash"):
        levers.apply(gs.Scenario(), ladder="gold")
    with pytest.raises(ValueError, match="unknown lever kind"):
        levers.design("colour", "red")


@pytest.mark.parametrize("ladder", list(levers.LADDERS))
def test_every_ladder_runs_and_pays_what_it_promises(ladder):
    sc = levers.apply(small(**{"sharing.p_share": 0.5}), ladder=ladder)
    df = gs.GrowthModel(sc, seed=3).run()
    paid = df["reward_cost"].sum()
    if ladder == "none":
        assert paid == 0 and df["habituation_mean"].max() == 0
    else:
        assert paid > 0


def test_per_referral_and_newcomer_rewards_cost_exactly_what_they_say():
    sc = levers.apply(small(), ladder="two_sided")
    df = gs.GrowthModel(sc, seed=5).run()
    referred = (df["new_wom"] + df["new_koc"]).sum()
    assert referred > 20
    # the referrer is paid on the day the friend joins; the newcomer too
    assert df["reward_cost_ladder"].sum() == pytest.approx(20.0 * referred)
    assert df["newcomer_reward_cost"].sum() == pytest.approx(20.0 * referred)


def test_cash_habituates_faster_than_honour_rewards():
    ladder = [{"threshold": t, "kind": "cash", "value": 5.0, "cost": 5.0, "share_boost": 0.5}
              for t in (1, 2, 4, 8)]
    hab = {}
    for kind in ("cash", "badge"):
        levels = [{**lv, "kind": kind} for lv in ladder]
        m = gs.GrowthModel(small(**{"rewards.levels": levels}), seed=2)
        df = m.run()
        hab[kind] = df["habituation_mean"].iloc[-1]
    assert hab["cash"] > 2 * hab["badge"] > 0


def test_newcomers_inherit_the_communitys_habituation():
    """A reward everyone takes for granted is no surprise to a newcomer (norm_habituation)."""
    over = {"rewards.levels": [], "rewards.per_share_cash": 1.0, "rewards.per_share_boost": 5.0}
    out = {}
    for norm in (0.0, 1.0):
        m = gs.GrowthModel(small(**over, **{"rewards.norm_habituation": norm}), seed=4)
        m.run()
        I, F = m.population.I, m.population.F
        late = m.member_ids()[I[m.member_ids(), L.I_JOINED] == m.day - 1]
        out[norm] = F[late, L.F_HABITUATION]
    assert len(out[1.0]) > 0 and len(out[0.0]) > 0
    assert np.all(out[0.0] == 0) and out[1.0].mean() > 0.3


def test_crowding_out_lowers_sharing_of_habituated_members():
    over = {"rewards.levels": [], "rewards.per_share_cash": 1.0, "rewards.per_share_boost": 3.0,
            "run.days": 120}
    shares = {}
    for crowd in (0.0, 0.9):
        df = gs.GrowthModel(small(**over, **{"rewards.crowding_out": crowd}), seed=6).run()
        shares[crowd] = df["shares"].iloc[60:].sum() / df["members"].iloc[60:].sum()
    assert shares[0.9] < 0.8 * shares[0.0]
