"""Scenario schema and loader: every field's contract, files, overrides, errors."""

import dataclasses
from pathlib import Path

import pytest

import growthsim as gs
from growthsim.errors import ScenarioError
from growthsim.scenario.schema import Scenario, item_type, spec

ROOT = Path(__file__).resolve().parents[1]


def _leaf_fields(cls=Scenario, prefix=""):
    """(dotted key, type, metadata) of every scalar or list field, recursively."""
    for name, tp, meta, default in spec(cls):
        key = f"{prefix}{name}"
        if meta.get("section"):
            yield from _leaf_fields(tp, key + ".")
        else:
            yield key, tp, meta


LEAVES = list(_leaf_fields())


def test_baseline_loads_and_is_realistic():
    sc = gs.load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert sc.population.n == 1_000_000
    assert 100 <= sc.seeding.initial_members <= 1_000
    assert (sc.content.mix_value, sc.content.mix_interaction, sc.content.mix_promo) == \
        (0.7, 0.2, 0.1)
    assert [lv.threshold for lv in sc.rewards.levels] == [1, 3, 10]
    assert 0 < max(sc.ads.daily_budget) <= 10_000
    assert sc.run.days == 1826


def test_every_field_declares_unit_or_help_and_default_is_valid():
    for key, tp, meta in LEAVES:
        assert meta.get("unit") or meta.get("help") or meta.get("choices") or tp is bool \
            or key in ("name", "description"), key
    # the defaults themselves validate
    assert Scenario().with_overrides({}) == Scenario()


@pytest.mark.parametrize("key,tp,meta", [leaf for leaf in LEAVES
                                         if leaf[1] in (int, float) or item_type(leaf[1])
                                         in (int, float)], ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_numeric_field_rejects_out_of_range(key, tp, meta):
    lo, hi = meta.get("lo"), meta.get("hi")
    elem = item_type(tp)
    bad = (lo - 1) if lo is not None else (hi + 1)
    value = bad if elem is None else [bad] * max(1, meta.get("min_len") or 1)
    if elem is int or tp is int:
        value = int(bad) if elem is None else [int(bad)] * len(value)
    with pytest.raises(ScenarioError) as info:
        Scenario().with_overrides({key: value})
    msg = str(info.value)
    assert key in msg and "must be" in msg and "got" in msg


@pytest.mark.parametrize("key,tp,meta", [leaf for leaf in LEAVES if leaf[2].get("choices")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_choice_field_rejects_unknown_option(key, tp, meta):
    with pytest.raises(ScenarioError, match="must be one of"):
        Scenario().with_overrides({key: "no-such-option"})


def test_wrong_type_message_names_file_field_and_range(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[sharing]\np_share = "high"\n')
    with pytest.raises(ScenarioError) as info:
        gs.load_scenario(f)
    assert str(info.value) == (f"{f}: sharing.p_share: must be a number in [0, 1] "
                               "(probability per active member-day); got 'high'")


@pytest.mark.parametrize("text,field,fragment", [
    ("[sharing]\np_sharee = 0.1\n", "sharing.p_sharee", "unknown key"),
    ("[nosuch]\nx = 1\n", "nosuch", "unknown key"),
    ("[content]\nmix_value = 0.5\n", "content.mix_value", "sum to 1"),
    ("[content]\nposts = [1, 2]\n", "content.posts", "exactly 7 entries"),
    ("[population]\nn = 0\n", "population.n", "must be an integer in [2, 100,000,000]"),
    ("[population]\nn = 1.5\n", "population.n", "must be an integer"),
    ("[churn]\nenabled = 1\n", "churn.enabled", "must be true or false"),
    ("[[rewards.levels]]\nthreshold = 3\n[[rewards.levels]]\nthreshold = 2\n",
     "rewards.levels", "increase strictly"),
    ("[population]\ngraph = \"file\"\n", "population.graph_file", "needs"),
    ("[koc]\ncount = 20\n[population]\nn = 10\n", "koc.count", "exceeds"),
    ("[[population.segments]]\nname = \"a\"\nshare = 0.4\n", "population.segments", "sum to 1"),
    ("[[events]]\nkind = \"party\"\n", "events[0].kind", "must be one of"),
    ("run = 3\n", "run", "must be a table"),
])
def test_bad_files(tmp_path, text, field, fragment):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        gs.load_scenario(f)
    assert info.value.field == field
    assert fragment in str(info.value)
    assert str(info.value).startswith(str(f))


def test_missing_empty_and_invalid_toml(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        gs.load_scenario(tmp_path / "nope.toml")
    (tmp_path / "empty.toml").write_text("   \n")
    with pytest.raises(ScenarioError, match="empty"):
        gs.load_scenario(tmp_path / "empty.toml")
    (tmp_path / "broken.toml").write_text("[run\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        gs.load_scenario(tmp_path / "broken.toml")


def test_extends_overrides_key_by_key(tmp_path):
    (tmp_path / "base.toml").write_text('name = "base"\n[sharing]\np_share = 0.1\n'
                                        '[koc]\ncount = 5\n')
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nname = "child"\n'
                                         '[koc]\ncount = 7\n')
    sc = gs.load_scenario(tmp_path / "child.toml")
    assert (sc.name, sc.sharing.p_share, sc.koc.count) == ("child", 0.1, 7)
    (tmp_path / "loop.toml").write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        gs.load_scenario(tmp_path / "loop.toml")


def test_with_overrides():
    sc = Scenario()
    sc2 = sc.with_overrides({"koc.count": 10, "content.posts": (1, 1, 1, 1, 1, 0, 0),
                             "population.segments": [{"name": "all", "share": 1.0}]})
    assert sc2.koc.count == 10 and sc2.content.posts == (1, 1, 1, 1, 1, 0, 0)
    assert sc2.population.segments[0].name == "all"
    assert sc.koc.count == 0  # the original is untouched (frozen)
    with pytest.raises(ScenarioError, match="unknown key"):
        sc.with_overrides({"koc.cnt": 1})
    with pytest.raises(ScenarioError, match="no such section"):
        sc.with_overrides({"kocs.count": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.koc.count = 3


def test_content_hash_is_stable_and_sensitive():
    a, b = Scenario(), Scenario()
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != a.with_overrides({"sharing.p_share": 0.05}).content_hash()


def test_round_trip_through_toml(tmp_path):
    import tomli_w

    sc = gs.load_scenario(ROOT / "scenarios" / "baseline.toml")
    f = tmp_path / "rt.toml"
    f.write_text(tomli_w.dumps(sc.to_dict()))
    assert gs.load_scenario(f) == sc
