"""The dashboard without a browser: schema-generated controls, live runs, A/B, downloads.

Components are rendered with ``solara.render`` into widgets and driven by setting widget
values and clicking buttons, as a browser would; runs are tiny (1,000-2,000 people, 20-40
days). The browser test is tests/test_dashboard_browser.py.
"""

import dataclasses
import io
import subprocess
import sys
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest
import solara
from solara.widgets import HTML

import growthsim as gs
from growthsim import cli
from growthsim.dashboard import charts, components as C, state as S
from growthsim.errors import ScenarioError
from growthsim.experiment.sweep import _field

ROOT = Path(__file__).resolve().parents[1]
TINY = {"population.n": 1_000, "run.days": 30}


def wait_for(predicate, timeout=300):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out waiting for the dashboard")
        time.sleep(0.05)


def render(app):
    box, rc = solara.render(C.Dashboard(app), handle_error=False)
    return rc


def texts(rc, cls=v.Html):
    return [" ".join(str(c) for c in w.widget.children) for w in rc.find(cls)]


def button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def run_sliders(rc):
    """The Run tab's sliders by label prefix (the A/B tab has sliders of the same names)."""
    found = {}
    for w in rc.find(v.Slider):
        found.setdefault(w.widget.label.split(":")[0], []).append(w.widget)
    return found


# -- import hygiene -------------------------------------------------------------------------------

def test_import_growthsim_and_its_cli_do_not_import_solara():
    code = ("import sys, growthsim, growthsim.cli; "
            "assert 'dashboard' in growthsim.cli.cli.commands; "
            "bad = [m for m in ('solara', 'matplotlib', 'growthsim.dashboard') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


# -- controls from the schema ---------------------------------------------------------------------

@pytest.mark.parametrize("key", [k for k, _ in S.LEVERS])
def test_each_control_takes_range_unit_help_and_choices_from_the_schema(key):
    tp, meta = _field(key, None, "test")
    c, = S.controls([key])
    assert c.unit == (meta["unit"] if c.kind != "scale" else c.unit)
    assert c.help.startswith(meta["help"])
    if meta["choices"]:
        assert c.kind == "choice" and c.choices == tuple(meta["choices"])
    elif c.kind == "scale":
        assert c.lo == 0 and max(gs.Scenario().content.posts) * c.hi <= meta["hi"]
    else:
        assert meta["lo"] <= c.lo < meta["lo"] + c.step
        assert c.hi == min(meta["hi"], S.UI_MAX.get(key, meta["hi"]))


def test_controls_follow_a_changed_schema(monkeypatch):
    """Perturbation: the controls read the schema, they hold no copy of its ranges."""
    from growthsim.scenario import schema

    f = {x.name: x for x in dataclasses.fields(schema.Sharing)}["p_share"]
    meta = dict(f.metadata, hi=0.5, unit="per fortnight", help="Changed.")
    monkeypatch.setattr(f, "metadata", meta)
    c, = S.controls(["sharing.p_share"])
    assert (c.hi, c.unit, c.help) == (0.5, "per fortnight", "Changed.")


def test_rendered_sliders_carry_the_schema_ranges_and_help():
    rc = render(C.AppState())
    sliders = run_sliders(rc)
    for c in S.controls():
        if c.kind == "choice":
            continue
        found = sliders[c.label]
        assert all((w.min, w.max, w.step) == (c.lo, c.hi, c.step) for w in found), c.key
    assert sliders["People"][0].label == "People: 20,000 people"
    tips = [w.widget for w in rc.find(v.Tooltip)]
    help_ = {c.key: c.help for c in S.controls()}
    assert any(help_["sharing.p_share"] in str(t.v_slots) or help_["sharing.p_share"]
               in str(t.children) for t in tips)
    strategies = [w.widget for w in rc.find(v.Select) if w.widget.label == "KOC strategy"]
    assert strategies and strategies[0].items == list(S.controls(["koc.strategy"])[0].choices)


def test_build_applies_designs_then_values():
    base = gs.load_scenario(ROOT / "scenarios" / "baseline.toml")
    sc = S.build(base, {"ladder": "none", "koc": "imm_100", "cadence": S.AS_IN_FILE},
                 {"population.n": 4_000, "ads.daily_budget": 250.0, "content.mix_promo": 0.7,
                  "koc.count": 20})
    assert sc.name == "baseline+none+imm_100"
    assert not sc.rewards.enabled and sc.koc.strategy == "imm" and sc.koc.count == 20
    assert sc.ads.daily_budget == (250.0,) and sc.population.n == 4_000
    assert sum(getattr(sc.content, k.split(".")[1]) for k in S.MIX) == pytest.approx(1)
    assert sc.content.mix_promo == pytest.approx(0.7 / (0.7 + 0.2 + 0.7))
    with pytest.raises(ScenarioError, match="population.n"):
        S.build(base, {}, {"population.n": 1})
    with pytest.raises(ScenarioError, match="all zero"):
        S.build(base, {}, dict.fromkeys(S.MIX, 0.0))


def test_a_design_shows_in_the_controls_until_a_control_is_moved():
    app = C.AppState()
    rc = render(app)
    app.run_designs.value = {"cadence": "promo_heavy"}
    assert "Promo posts: 0.7 fraction" in [w.label for w in run_sliders(rc)["Promo posts"]]
    app.run_values.value = {**app.run_values.value, "content.mix_promo": 0.3}
    assert "Promo posts: 0.3 fraction" in [w.label for w in run_sliders(rc)["Promo posts"]]
    for reset in rc.find(v.Btn, children=["Reset levers"]):  # the Run tab's and each variant's
        reset.widget.click()
    assert app.run_values.value == S.DEFAULTS and app.run_designs.value == {}
    assert "Promo posts: 0.1 fraction" in [w.label for w in run_sliders(rc)["Promo posts"]]


# -- the live run ---------------------------------------------------------------------------------

def test_run_steps_the_model_live_and_equals_a_plain_run():
    app = C.AppState()
    rc = render(app)
    people = run_sliders(rc)["People"]
    people[-1].v_model = 2_000  # the Run tab's slider, moved as in a browser
    app.run_values.value = {**app.run_values.value, "run.days": 40}
    assert app.run_values.value["population.n"] == 2_000
    assert not rc.find(widgets.Image)  # no chart before a run
    seen = []
    app.snapshot.subscribe(lambda snap: seen.append(None if snap is None else snap.day))
    button(rc, "Run").click()
    wait_for(lambda: app.status.value in ("done", "error", "stopped"))
    assert app.status.value == "done", app.message.value
    snap = app.snapshot.value
    assert (snap.day, snap.days, len(snap.metrics)) == (40, 40, 40)
    assert seen[0] == 0 and seen[-1] == 40 and len(seen) >= 2  # published while it ran
    sc = app.run_scenario
    assert (sc.population.n, sc.run.days) == (2_000, 40)
    plain = gs.GrowthModel(sc).run()
    pd.testing.assert_frame_equal(snap.metrics, plain)
    assert int(snap.metrics["members"].iloc[-1]) == len(snap.trust) == len(snap.fatigue)
    wait_for(lambda: len(rc.find(widgets.Image)) == 2, timeout=30)  # rendered on its thread
    assert all(w.widget.value[:4] == b"\x89PNG" for w in rc.find(widgets.Image))
    wait_for(lambda: any("Day 40 of 40 · done" in t for t in texts(rc, v.Html)), timeout=30)


def test_stop_ends_a_run_early():
    app = C.AppState()
    rc = render(app)
    app.run_values.value = {"population.n": 1_000, "run.days": 1_826}
    button(rc, "Run").click()
    wait_for(lambda: app.status.value == "running")
    button(rc, "Stop").click()
    wait_for(lambda: app.status.value in ("stopped", "done", "error"))
    assert app.status.value == "stopped"
    assert app.snapshot.value.day < 1_826


def test_a_bad_combination_of_values_is_one_line_and_runs_nothing():
    app = C.AppState()
    rc = render(app)
    app.run_values.value = {**TINY, **dict.fromkeys(S.MIX, 0.0)}
    button(rc, "Run").click()
    assert app.status.value == "error" and app.run_id.value == 0
    assert "post shares are all zero" in app.message.value and "\n" not in app.message.value


def test_live_snapshot_charts_and_neighbourhood():
    live = S.LiveRun(gs.Scenario().with_overrides(TINY), seed=5, ego_size=80)
    live.advance(30)
    snap = live.snapshot()
    ego = snap.ego
    g = live.model.graph
    assert len(ego["nodes"]) == 80 == len(set(ego["nodes"].tolist())) and ego["hops"][0] == 0
    assert ego["nodes"][0] == ego["center"] and live.model.population.I[ego["center"], 0] >= 2
    for a, b in ego["edges"]:  # every drawn tie is a tie of the graph
        assert ego["nodes"][b] in g.indices[g.indptr[ego["nodes"][a]]:g.indptr[ego["nodes"][a] + 1]]
    for k in range(1, len(ego["nodes"])):  # breadth first: a neighbour one hop closer exists
        nbrs = set(g.indices[g.indptr[ego["nodes"][k]]:g.indptr[ego["nodes"][k] + 1]].tolist())
        closer = {int(n) for n, h in zip(ego["nodes"], ego["hops"]) if h == ego["hops"][k] - 1}
        assert nbrs & closer
    np.testing.assert_array_equal(ego["stage"], live.model.population.I[ego["nodes"], 0])
    first, again = (S.LiveRun(gs.Scenario().with_overrides(TINY), seed=5, ego_size=80).ego
                    for _ in range(2))  # a seed gives the same picture
    np.testing.assert_array_equal(first["nodes"], again["nodes"])
    np.testing.assert_array_equal(first["pos"], again["pos"])
    other = S.LiveRun(gs.Scenario().with_overrides(TINY), seed=6, ego_size=80).ego
    assert other["center"] != first["center"]
    fig = charts.run_figure(snap)
    assert [ax.get_title() for ax in fig.axes] == [
        "Members by channel", "DAU / MAU", "Members by tier", "Trust of members (now)",
        "Fatigue of members (now)", "Mean trust and fatigue"]
    stacked = sum(c.get_paths()[0].vertices[:, 1].max() > 0 for c in fig.axes[0].collections)
    assert stacked >= 1
    hist = fig.axes[3].patches
    assert sum(p.get_height() for p in hist) == len(snap.trust)
    charts.neighbourhood_figure(ego)


def test_complete_graph_has_no_neighbourhood():
    sc = gs.Scenario().with_overrides({"population.n": 200, "population.graph": "complete",
                                       "seeding.initial_members": 5, "run.days": 5})
    live = S.LiveRun(sc)
    assert live.ego is None and live.snapshot().ego is None


# -- A/B ------------------------------------------------------------------------------------------

def test_ab_mode_runs_replications_and_shows_bands_and_the_paired_difference():
    app = C.AppState()
    rc = render(app)
    app.ab_shared.value = {"population.n": 1_500, "run.days": 30}
    app.ab_reps.value = 3
    app.ab_designs[0].value = {"ladder": "none"}
    app.ab_values[1].value = {"sharing.p_share": 0.5}
    button(rc, "Run A/B").click()
    wait_for(lambda: app.ab_status.value in ("done", "error"))
    assert app.ab_status.value == "done", app.ab_message.value
    cmp = app.ab_result.value
    assert cmp.names == ("A: baseline+none", "B: baseline+two_sided") and cmp.reps == 3
    a, b = app.ab_scenarios
    assert (a.population.n, b.population.n, a.run.days, b.run.days) == (1_500, 1_500, 30, 30)
    assert b.sharing.p_share == 0.5 and not a.rewards.enabled
    bands = S.ab_bands(cmp, "members")
    assert len(bands) == 60 and (bands["ci_low"] <= bands["mean"]).all() \
        and (bands["mean"] <= bands["ci_high"]).all()
    assert (bands["ci_high"] > bands["ci_low"]).any()  # replications differ: a real band
    diff = S.ab_difference(cmp, "members")
    daily = cmp.daily.set_index(["scenario", "rep", "day"])["members"]
    direct = (daily.xs(cmp.names[1]) - daily.xs(cmp.names[0])).groupby("day").mean()
    np.testing.assert_allclose(diff.set_index("day")["mean"], direct)
    assert diff["mean"].iloc[-1] > 0 and diff["ci_low"].iloc[-1] > 0  # more sharing, more members
    wait_for(lambda: len(rc.find(HTML)) == 1, timeout=30)  # rendered on the run's thread
    assert any(w.widget.value[:4] == b"\x89PNG" for w in rc.find(widgets.Image))
    table = rc.find(HTML).widget.unsafe_innerHTML
    assert table.count("<tr>") == 1 + len(C.AB_TABLE) and "<td>members_end</td>" in table


def test_identical_variants_differ_by_exactly_zero():
    sc = gs.Scenario().with_overrides(TINY)
    cmp = S.ab_compare(sc, sc, 3, seed=2)
    d = S.ab_difference(cmp, "cum_members")
    assert (d["mean"] == 0).all() and (d["ci_low"] == 0).all()
    bands = S.ab_bands(cmp, "cum_members").set_index(["scenario", "day"])
    np.testing.assert_array_equal(bands.xs(cmp.names[0])["mean"], bands.xs(cmp.names[1])["mean"])
    with pytest.raises(ValueError, match="same days"):
        S.ab_compare(sc, sc.with_overrides({"run.days": 20}), 2)


# -- downloads ------------------------------------------------------------------------------------

def test_downloads_contain_the_daily_metrics():
    live = S.LiveRun(gs.Scenario().with_overrides({**TINY, "run.days": 12}))
    live.advance(12)
    df = live.snapshot().metrics
    back = pd.read_csv(io.BytesIO(S.to_csv(df)))
    assert list(back.columns) == list(df.columns) and len(back) == 12
    np.testing.assert_allclose(back.to_numpy(float), df.to_numpy(float), equal_nan=True)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(S.to_parquet(df))), df)
    box, rc = solara.render(C.Downloads(df, "x"), handle_error=False)
    labels = texts(rc, v.Btn)
    assert any("Daily metrics (CSV)" in t for t in labels)
    assert any("Daily metrics (Parquet)" in t for t in labels)


# -- scenario files -------------------------------------------------------------------------------

def test_the_picker_lists_the_shipped_scenarios():
    app = C.AppState()
    assert app.files == S.scenario_files(ROOT / "scenarios")
    assert {"baseline.toml", "five_year_plan.toml", "koc/imm_100.toml"} <= set(app.files)


def test_the_first_file_is_listed_by_its_name_in_the_folder(tmp_path):
    inside = ROOT / "scenarios" / "ladders" / "two_sided.toml"
    assert C.AppState(initial=str(inside)).file.value == "ladders/two_sided.toml"
    assert C.AppState(initial="koc/imm_100.toml").file.value == "koc/imm_100.toml"
    (tmp_path / "mine.toml").write_text('name = "mine"\n')
    app = C.AppState(initial=str(tmp_path / "mine.toml"))
    assert app.file.value == str(tmp_path / "mine.toml") == app.files[-1]
    assert app.base()[0].name == "mine"


def test_a_bad_scenario_file_shows_its_one_line_error(tmp_path):
    (tmp_path / "good.toml").write_text('name = "good"\n[population]\nn = 2000\n')
    (tmp_path / "bad.toml").write_text('name = "bad"\n[sharing]\np_share = 2.0\n')
    app = C.AppState(root=tmp_path, initial="bad.toml")
    rc = render(app)
    errors = [w.widget for w in rc.find(v.Alert) if "scenario-error" in (w.widget.class_ or "")]
    assert len(errors) == 1
    message = " ".join(map(str, errors[0].children))
    assert f"{tmp_path / 'bad.toml'}: sharing.p_share:" in message and "\n" not in message
    assert button(rc, "Run").disabled
    app.file.value = "good.toml"
    assert not [w for w in rc.find(v.Alert) if "scenario-error" in (w.widget.class_ or "")]
    assert not button(rc, "Run").disabled


def test_the_app_reads_only_listed_files_and_typed_values():
    """No control takes free text: choices come from the schema, the levers and the folder."""
    app = C.AppState()
    rc = render(app)
    assert not rc.find(v.TextField) and not rc.find(v.Textarea)
    picker = [w.widget for w in rc.find(v.Select) if w.widget.label == "Scenario file"][0]
    assert picker.items == app.files


# -- the command ----------------------------------------------------------------------------------

def test_dashboard_help_has_examples_and_options(capsys):
    assert cli.invoke(["dashboard", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--port", "--host", "--scenario", "--scenarios", "Examples:",
                 "growthsim dashboard --port 8800"):
        assert word in out


def test_dashboard_rejects_bad_input_in_one_line(tmp_path, capsys):
    import socket

    bad = tmp_path / "bad.toml"
    bad.write_text("[sharing]\np_share = 2.0\n")
    assert cli.invoke(["dashboard", "--scenario", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"growthsim: error: {bad}: sharing.p_share:")
    assert cli.invoke(["dashboard", "--scenarios", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.invoke(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--port {port}: cannot listen" in err
