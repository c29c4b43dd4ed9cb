"""The lever optimiser: its file, a known answer under a budget, a lever that does not matter,
reproducibility, resume through the store, and `growthsim optimize` with good and bad input.

Candidates are tiny variants of the baseline (400 people, 40 days, no ads) so that a run takes
about a second; a search is 5-20 runs.
"""

import dataclasses
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import cli, store as gstore
from growthsim.errors import ScenarioError
from growthsim.experiment.optimize import OPTIMIZE_SCHEMA, Budget, load_optimization, optimize
from growthsim.store import scenario_hash

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
EXAMPLES = ROOT / "experiments" / "optimize"

HEAD = f'''
base = "{BASELINE}"
days = 40

[set]
population.n = 400
seeding.initial_members = 10
"ads.daily_budget" = [0.0]
"koc.fee" = 300.0
"koc.strategy" = "random"

[objective]
metric = "members_end"
'''
# A KOC joins when signed and shares three times as much: more KOCs, more members. Each costs
# 300 yuan per 30 days, 400 over the 40 days: the budget pays for 25 of them, not 50.
KOCS = HEAD + '''
[budget]
metric = "koc_cost"
max = 12000

[search]
"koc.count" = [0, 5, 10, 25, 50]
replications = 3
start_replications = 2
finalists = 3
seed = 3
'''


def write(tmp_path, text, name="opt.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def call(capsys, *args):
    rc = cli.invoke([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def kocs(tmp_path_factory):
    d = tmp_path_factory.mktemp("kocs")
    spec = load_optimization(write(d, KOCS))
    with gstore.open(d / "s.duckdb") as st:
        res = optimize(spec, store=st, executor="serial")
    return spec, res, d / "s.duckdb"


# -- the file -----------------------------------------------------------------------------------

def test_examples_load():
    quick = load_optimization(EXAMPLES / "quick.toml")
    assert len(quick) == 12 and quick.levers == ("ladder", "koc.count")
    levers = load_optimization(EXAMPLES / "levers.toml")
    assert levers.base.population.n == 20_000 and levers.objective.year == 5
    assert levers.planned_runs() == sum(n * (r - p) for (n, r), p in zip(
        levers.schedule(), [0] + [r for _, r in levers.schedule()[:-1]]))


def test_designs_expand_and_identical_scenarios_merge(tmp_path):
    text = HEAD + '''
[search]
ladder = ["none", "two_sided"]
"koc.count" = [0, 5]
"koc.strategy" = ["random", "degree"]
'''
    opt = load_optimization(write(tmp_path, text.replace('"koc.strategy" = "random"\n', "")))
    # koc.count = 0 under both strategies is one scenario: 2 x (1 + 2) candidates, 2 merged
    assert (len(opt), opt.merged, opt.space) == (6, 2, 8)
    two = [c for c in opt.candidates if c.settings["ladder"] == "two_sided"][0]
    assert two.overrides["rewards.per_referral_cash"] == 20.0
    assert opt.scenario(two).rewards.newcomer_reward == 20.0
    assert len({scenario_hash(opt.scenario(c)) for c in opt.candidates}) == 6


def test_large_products_are_sampled_without_repeats_and_ranges_by_latin_hypercube(tmp_path):
    text = HEAD + '''
[search]
"sharing.p_share" = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16]
"koc.count" = [1, 2, 3, 4, 5, 6]
candidates = 10
sample_seed = 4
'''
    opt = load_optimization(write(tmp_path, text))
    pairs = [tuple(c.settings.values()) for c in opt.candidates]
    assert len(pairs) == 10 and len(set(pairs)) == 10 and opt.space == 48
    assert load_optimization(write(tmp_path, text, "again.toml")).candidates[3].settings == \
        opt.candidates[3].settings
    ranged = HEAD + '''
[search]
candidates = 13
[search.ranges]
"koc.count" = [0, 12]
"sharing.p_share" = [0.1, 0.3]
'''
    opt = load_optimization(write(tmp_path, ranged, "ranged.toml"))
    counts = sorted(c.settings["koc.count"] for c in opt.candidates)
    assert counts == list(range(13)) and opt.space is None
    p = np.array([c.settings["sharing.p_share"] for c in opt.candidates])
    assert sorted(np.floor((p - 0.1) / 0.2 * 13).astype(int)) == list(range(13))


def test_halving_schedule():
    opt = load_optimization(EXAMPLES / "quick.toml")
    assert opt.schedule() == [(12, 2), (4, 4)]
    assert dataclasses.replace(opt, replications=12).schedule() == [(12, 2), (4, 6), (3, 12)]
    assert dataclasses.replace(opt, method="full").schedule() == [(12, 4)]
    assert opt.planned_runs() == 12 * 2 + 4 * 2


LEVERS = HEAD + '''
[search]
"koc.count" = [0, 4]
'''
BAD = {
    "unknown_top_key": ("objectiv = 1\n" + LEVERS, "objectiv", "did you mean 'objective'"),
    "no_search": (HEAD, "search", "missing"),
    "no_objective": (LEVERS.replace('metric = "members_end"', ""), "objective.metric",
                     "missing"),
    "objective_not_yearly": (LEVERS.replace('"members_end"', '"members"'), "objective.metric",
                             "must be one of"),
    "objective_year_beyond_run": (LEVERS.replace('metric = "members_end"',
                                                 'metric = "members_end"\nyear = 2'),
                                  "objective.year", "[1, 1]"),
    "bad_direction": (LEVERS.replace('metric = "members_end"',
                                     'metric = "members_end"\ndirection = "up"'),
                      "objective.direction", "'max', 'min'"),
    "budget_unknown_spend": (LEVERS + '[budget]\nmetric = "revenue"\n', "budget.metric",
                             "spend figure"),
    "budget_double_counts": (LEVERS + '[budget]\nmetric = ["acquisition_cost", "ad_cost"]\n',
                             "budget.metric", "twice"),
    "budget_negative": (LEVERS + '[budget]\nmax = -1\n', "budget.max", ">= 0"),
    "unknown_design": (LEVERS + 'ladder = ["two_sided", "triple"]\n', "search.ladder",
                       "unknown design 'triple'"),
    "lever_typo": (LEVERS + 'cadance = ["721"]\n', "search.cadance", "did you mean 'cadence'"),
    "unknown_parameter": (LEVERS + '"koc.cout" = [1]\n', "search.koc.cout",
                          "unknown parameter"),
    "value_out_of_bounds": (LEVERS.replace("[0, 4]", "[0, -4]"), "search.koc.count", "-4"),
    "not_a_list": (LEVERS.replace("[0, 4]", "4"), "search.koc.count", "non-empty list"),
    "range_out_of_bounds": (LEVERS + '[search.ranges]\n"sharing.p_share" = [0.1, 1.5]\n',
                            "search.ranges.sharing.p_share", "bounds"),
    "range_of_a_name": (LEVERS + '[search.ranges]\n"koc.strategy" = [0, 1]\n',
                        "search.ranges.koc.strategy", "cannot be sampled"),
    "lever_also_in_set": (LEVERS.replace('"koc.fee" = 300.0', '"koc.count" = 3'),
                          "set.koc.count", "fixed in [set]"),
    "design_and_parameter": (LEVERS + 'ladder = ["two_sided"]\n'
                                      '"rewards.per_referral_cash" = [5.0]\n',
                             "search.rewards.per_referral_cash", "set both by ladder"),
    "zero_replications": (LEVERS + "replications = 0\n", "search.replications", "[1, 1000]"),
    "keep_not_fraction": (LEVERS + "keep = 1.5\n", "search.keep", "fraction"),
    "bad_method": (LEVERS + 'method = "anneal"\n', "search.method", "'halving'"),
    "no_levers": (HEAD + "[search]\nreplications = 2\n", "search", "no levers"),
    "toml_syntax": (LEVERS + "x = = 1\n", None, "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_naming_file_and_field(tmp_path, case):
    text, field, words = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_optimization(path)
    msg = str(err.value)
    assert "\n" not in msg and words in msg, msg
    assert msg.startswith(f"{path}: {field}: " if field else f"{path}: "), msg


# -- searching ----------------------------------------------------------------------------------

def test_picks_the_largest_affordable_koc_count(kocs):
    spec, res, _ = kocs
    assert res.best["settings"] == {"koc.count": 25}
    # 25 KOCs x 300 yuan per 30 days x 40 days, less the fees of KOCs who leave
    assert 0.9 * 10_000 < res.best["spend"]["mean"] <= 10_000
    assert res.best["objective"]["n"] == 3 and res.best["budget_sure"]
    # 50 KOCs break the budget on every run: dropped after the first stage
    first = res.candidates[res.candidates["stage"] == 0].set_index("koc.count")
    assert first.loc[50, "budget_status"] == "over" and not first.loc[50, "advanced"]
    assert first.loc[50, "objective_mean"] > first.loc[25, "objective_mean"]
    assert [s["candidates"] for s in res.stages] == [5, 3]
    assert res.runner_up["settings"] == {"koc.count": 10}
    assert res.comparison["distinguishable"] and res.comparison["ci_low"] > 0
    assert "a clear difference" in res.verdict()
    assert len(res.runs) == 5 * 2 + 3 * 1 and res.computed == 13


def test_without_the_budget_the_answer_changes(kocs, tmp_path):
    spec, res, store = kocs
    free = dataclasses.replace(spec, budget=Budget(("koc_cost",)))
    with gstore.open(store) as st:
        loose = optimize(free, store=st, executor="serial")
    assert loose.best["settings"] == {"koc.count": 50}
    assert loose.computed == 1  # the third replication of 50; the rest was in the store
    cheap = dataclasses.replace(spec, budget=Budget(("koc_cost",), 100.0))
    with gstore.open(store) as st:
        none = optimize(cheap, store=st, executor="serial")
    # only 0 KOCs fit: the third replication of c000 is new
    assert none.best["settings"] == {"koc.count": 0} and none.computed == 1
    assert [s["candidates"] for s in none.stages] == [5, 1]


def test_a_lever_that_does_not_matter_is_reported_indistinguishable(tmp_path):
    rng = np.random.default_rng(0)
    a, b = (sorted(rng.choice(400, 10, replace=False).tolist()) for _ in range(2))
    text = HEAD + f'''
[search]
"seeding.ids" = [{a}, {b}]
"purchases.margin" = [0.3, 0.6]
replications = 4
finalists = 4
'''
    spec = load_optimization(write(tmp_path, text))
    with gstore.open(tmp_path / "s.duckdb") as st:
        res = optimize(spec, store=st, executor="serial")
    # 4 candidates, all finalists; margin changes revenue, never members: exact ties
    f = res.finalists.set_index("candidate")
    assert len(f) == 4 and f["tied"].all()
    cmp = res.comparison
    assert not cmp["distinguishable"] and cmp["ci_low"] <= 0 <= cmp["ci_high"]
    assert "cannot be told apart" in res.verdict() and "indistinguishable" in repr(res)
    by_ids = res.runs.merge(pd.DataFrame(
        [{"candidate": c.id, "ids": str(c.settings["seeding.ids"])} for c in spec.candidates]))
    per_ids = by_ids.groupby(["ids", "replication"])["objective"].nunique()
    assert (per_ids == 1).all()  # margin: no effect at all
    assert by_ids.groupby("replication")["objective"].nunique().max() > 1  # ids: noise only


@pytest.mark.slow
def test_same_seed_same_result_and_processes_equal_serial(kocs, tmp_path):
    spec, res, _ = kocs
    with gstore.open(tmp_path / "a.duckdb") as st:
        again = optimize(spec, store=st, executor="processes", workers=2)
    pd.testing.assert_frame_equal(again.candidates, res.candidates)
    pd.testing.assert_frame_equal(again.runs, res.runs)
    assert again.best == res.best and again.comparison == res.comparison
    other = dataclasses.replace(spec, seed=spec.seed + 1)
    with gstore.open(tmp_path / "b.duckdb") as st:
        moved = optimize(other, store=st, executor="serial")
    assert not moved.runs["objective"].equals(res.runs["objective"])


def test_rerun_computes_nothing_and_an_interrupted_search_resumes(kocs, tmp_path):
    spec, res, store = kocs
    with gstore.open(store) as st:
        again = optimize(spec, store=st, executor="serial")
    assert (again.computed, again.reused) == (0, 13)
    pd.testing.assert_frame_equal(again.candidates, res.candidates)

    def stop_after_seven(done, total):
        if done == 7:
            raise KeyboardInterrupt

    path = tmp_path / "r.duckdb"
    with gstore.open(path) as st, pytest.raises(KeyboardInterrupt):
        optimize(spec, store=st, executor="serial", progress=stop_after_seven)
    with gstore.open(path) as st:
        resumed = optimize(spec, store=st, executor="serial")
    assert (resumed.computed, resumed.reused) == (13 - 7, 7)
    pd.testing.assert_frame_equal(resumed.candidates, res.candidates)


def test_plot_marks_best_and_budget(kocs):
    fig = kocs[1].plot()
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "best (c003)" in labels and "budget" in labels
    assert ax.lines[-1].get_xdata()[0] == 12_000


# -- the command line ---------------------------------------------------------------------------

def test_cli_writes_outputs_and_best_toml_loads_as_the_best_scenario(kocs, tmp_path, capsys):
    spec, res, _ = kocs
    path = write(tmp_path, KOCS)
    out, store = tmp_path / "out", tmp_path / "s.duckdb"
    shutil.copy(kocs[2], store)  # the runs are in the store already: none computed again
    rc, stdout, err = call(capsys, "optimize", path, "--executor", "serial", "--store", store,
                           "--out", out)
    assert rc == 0, err
    assert "13/13 runs stored" in err  # off a terminal: progress as lines
    assert "0 run(s) computed, 13 reused" in stdout
    assert "a clear difference" in " ".join(stdout.split())
    assert "koc.count" in stdout and "c003" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["best.toml", "candidates.csv", "figures",
                                                     "summary.json"]
    best = gs.load_scenario(out / "best.toml")
    assert best.koc.count == 25 and best.population.n == 400 and best.run.days == 40
    assert scenario_hash(best) == scenario_hash(spec.scenario(res.best["candidate"]))
    assert best.run.seed == spec.seed  # `growthsim run best.toml` repeats the search's runs
    table = pd.read_csv(out / "candidates.csv")
    assert len(table) == 8 and table["stage"].tolist() == [0] * 5 + [1] * 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == OPTIMIZE_SCHEMA and summary["best"]["candidate"] == "c003"
    assert summary["comparison"]["distinguishable"] is True
    assert (out / "figures" / "optimize.png").stat().st_size > 10_000
    rc, stdout, _ = call(capsys, "optimize", path, "--executor", "serial", "--store", store,
                         "--out", out, "-q")
    assert rc == 0 and "0 run(s) computed, 13 reused" in stdout


def test_cli_writes_no_best_toml_when_nothing_fits(tmp_path, capsys):
    path = write(tmp_path, HEAD + '[budget]\nmetric = "koc_cost"\nmax = 10\n'
                                  '[search]\n"koc.count" = [4, 8]\nreplications = 1\n')
    rc, stdout, err = call(capsys, "optimize", path, "--executor", "serial", "--store",
                           tmp_path / "s.duckdb", "--out", tmp_path / "out", "-q")
    assert rc == 0, err
    assert "No finalist keeps within the budget" in stdout
    assert not (tmp_path / "out" / "best.toml").exists()
    assert (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("args, words", [
    (["--executor", "threads"], "unknown executor 'threads'"),
    (["--executor", "serial", "--workers", "2"], "needs executor='processes'"),
    (["--store", "{tmp}"], "is a folder"),
])
def test_cli_bad_options_are_one_line_and_leave_nothing(tmp_path, capsys, args, words):
    path = write(tmp_path, KOCS)
    out, store = tmp_path / "out", tmp_path / "s.duckdb"
    args = [a.format(tmp=tmp_path) for a in args]
    rc, _, err = call(capsys, "optimize", path, "--store", store, "--out", out, *args)
    assert rc == 2 and err.startswith("growthsim: error: ") and err.count("\n") == 1, err
    assert words in err and not out.exists() and not store.exists()


@pytest.mark.parametrize("case", ["unknown_design", "objective_year_beyond_run",
                                  "lever_also_in_set", "toml_syntax"])
def test_cli_bad_file_is_one_line(tmp_path, capsys, case):
    text, field, words = BAD[case]
    path = write(tmp_path, text)
    rc, _, err = call(capsys, "optimize", path, "--store", tmp_path / "s.duckdb",
                      "--out", tmp_path / "out")
    assert rc == 2 and err.count("\n") == 1 and words in err
    assert err.startswith(f"growthsim: error: {path}: " + (f"{field}: " if field else ""))
    assert not (tmp_path / "s.duckdb").exists() and not (tmp_path / "out").exists()


def test_help_shows_examples_and_every_option(capsys):
    rc, out, err = call(capsys, "optimize", "--help")
    assert rc == 0 and err == ""
    assert "growthsim optimize experiments/optimize/" in out.split("Examples:")[1]
    docs = (ROOT / "docs" / "optimize.md").read_text(encoding="utf-8")
    for option in ("--executor", "--workers", "--store", "--out", "--force", "--quiet"):
        assert option in out and option in docs


def test_best_toml_of_a_base_without_file_lists_every_parameter(kocs, tmp_path):
    spec, res, _ = kocs
    from growthsim.experiment.optimize import OptimizationResult

    bare = dataclasses.replace(spec, base=gs.Scenario().with_overrides(
        {"population.n": 400, "run.days": 40}))
    text = OptimizationResult(bare, res.candidates, res.runs, res.stages).best_toml(tmp_path)
    assert "extends" not in tomllib.loads(text)
    (tmp_path / "b.toml").write_text(text)
    sc = gs.load_scenario(tmp_path / "b.toml")
    assert sc.koc.count == 25 and sc.population.n == 400
