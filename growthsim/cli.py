"""The ``growthsim`` command line: run, compare, validate and report (docs/cli.md).

Every command checks all of its input (scenario files, ``--set`` values,
ranges, paths) before it creates anything. A mistake is one line on stderr,
``growthsim: error: <where>: <what>``, and exit status 2; an interruption
(Ctrl-C) is exit status 130 and keeps the runs already in the store. Results
go to a results store (DuckDB, :mod:`growthsim.store`) as runs finish, and the
output folder appears only once complete: it is written beside its final place
and renamed into it.
"""

import contextlib
import json
import os
import shutil
import sys
import tempfile
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import click

from growthsim import __version__
from growthsim.commands import batch_options
from growthsim.errors import GrowthsimError, ScenarioError
from growthsim.store import DEFAULT_PATH

#: Exit statuses besides 0: a check failed, bad input, interrupted.
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
SUMMARY_SCHEMA = "growthsim.summary/1"
DEFAULT_STORE = DEFAULT_PATH  # the results store the commands use unless told
#: What a run or compare writes into --out (``report`` rewrites the last two).
OUTPUTS = ("summary.json", "metrics.parquet", "cohorts.parquet", "report.html", "figures")
MAX_REPLICATIONS = 10_000

#: Columns of the yearly table printed by ``run``: (heading, yearly figure, scale, format).
YEARLY_DISPLAY = (
    ("members", "members_end", 1, "{:,.0f}"),
    ("joined", "joins", 1, "{:,.0f}"),
    ("wom+koc %", "wom_share", 100, "{:.1f}"),
    ("paid %", "paid_share", 100, "{:.1f}"),
    ("churned", "churned", 1, "{:,.0f}"),
    ("DAU/MAU %", "dau_mau", 100, "{:.1f}"),
    ("revenue ¥k", "revenue", 1e-3, "{:,.1f}"),
    ("rewards ¥k", "reward_cost", 1e-3, "{:,.1f}"),
    ("ads ¥k", "ad_cost", 1e-3, "{:,.1f}"),
    ("LTV/CAC", "ltv_cac_end", 1, "{:.2f}"),
)
#: Yearly figures of the printed comparison table (summary.json holds them all).
COMPARE_DISPLAY = ("members_end", "cum_members_end", "joins", "wom_share", "dau_mau",
                   "churn_rate", "revenue", "acquisition_cost", "cac", "ltv_cac_end")


class CliError(GrowthsimError, ValueError):
    """A bad command-line value: an option, a path or a results folder.

    Examples
    --------
    >>> invoke(["run", "scenarios/baseline.toml", "--days", "0", "--quiet"])
    2
    >>> issubclass(CliError, GrowthsimError)
    True
    """


class Interrupted(Exception):
    """Ctrl-C during a command, after its cleanup; ``main`` turns it into exit status 130.

    Examples
    --------
    >>> issubclass(Interrupted, GrowthsimError), issubclass(Interrupted, KeyboardInterrupt)
    (False, False)
    """


# -- entry point ----------------------------------------------------------------------------------

def main(argv=None):
    """Run the command line (``growthsim`` and ``python -m growthsim``) and exit.

    User errors print one line and exit 2, never a traceback.

    Examples
    --------
    >>> try:
    ...     main(["--version"])
    ... except SystemExit as done:
    ...     print("exit status", done.code)
    growthsim, version ...
    exit status 0
    """
    sys.exit(invoke(argv))


def invoke(argv=None):
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Examples
    --------
    >>> invoke(["--version"])
    growthsim, version ...
    0
    >>> invoke(["run", "no/such/file.toml", "--quiet"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli.main(args=argv, prog_name="growthsim", standalone_mode=False,
                      obj={"argv": ["growthsim", *argv]})
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help(), err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        return _error(exc.format_message() + hint)
    except click.ClickException as exc:
        return _error(exc.format_message())
    except GrowthsimError as exc:
        return _error(str(exc))
    except (Interrupted, KeyboardInterrupt, click.Abort) as exc:
        detail = str(exc) if isinstance(exc, Interrupted) and str(exc) else "interrupted"
        click.echo(f"growthsim: {detail}", err=True)
        return EXIT_INTERRUPTED
    return rv if isinstance(rv, int) else 0


def _error(message):
    click.echo(f"growthsim: error: {' '.join(str(message).split())}", err=True)
    return EXIT_USAGE


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             no_args_is_help=True)
@click.version_option(__version__, prog_name="growthsim")
def cli():
    """Simulate word-of-mouth growth of a brand community and compare strategies.

    \b
    Examples:
      growthsim run scenarios/baseline.toml --set population.n=50000 --days 730
      growthsim compare scenarios/baseline.toml scenarios/ladders/two_sided.toml
      growthsim validate --quick
      growthsim report results/baseline

    Exit status: 0 done, 1 a validation check failed, 2 bad input, 130 interrupted.
    """


# -- options shared by run and compare ------------------------------------------------------------

def _run_limits():
    from growthsim.scenario.schema import Run

    meta = {f.name: f.metadata for f in __import__("dataclasses").fields(Run)}
    return meta["days"]["lo"], meta["days"]["hi"], meta["seed"]["hi"]


_DAYS_LO, _DAYS_HI, _SEED_HI = _run_limits()


def _common_options(default_out):
    def wrap(fn):
        options = [
            click.option("--days", type=click.IntRange(_DAYS_LO, _DAYS_HI), metavar="N",
                         help="Days to simulate (overrides run.days)."),
            click.option("--replications", "-r", type=click.IntRange(1, MAX_REPLICATIONS),
                         default=3, show_default=True, metavar="R",
                         help="Runs per scenario, with derived seeds."),
            click.option("--seed", type=click.IntRange(0, _SEED_HI), metavar="S",
                         help="Base seed of the replications (default: run.seed)."),
            click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                         help="Override a parameter, e.g. --set koc.count=100 (repeatable; "
                              "values are read as TOML)."),
            click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
                         help=f"Output folder [default: {default_out}]."),
            click.option("--store", "store_path", type=click.Path(path_type=Path),
                         default=DEFAULT_STORE, show_default=True, metavar="PATH",
                         help="Results store (DuckDB file; created if missing)."),
            click.option("--executor", default="processes", show_default=True,
                         metavar="WHERE",
                         help="processes, serial, dask (a local Dask cluster) or "
                              "dask://host:port (a running scheduler)."),
            click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
                         help="Worker processes (default: one per CPU; 1 runs in this "
                              "process). Results do not depend on it."),
            click.option("--force", is_flag=True,
                         help="Recompute runs the store already holds."),
            click.option("--no-report", is_flag=True,
                         help="Skip report.html and its figures."),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn
    return wrap


# -- run ------------------------------------------------------------------------------------------

@cli.command(context_settings={"max_content_width": 100})
@click.argument("scenario", metavar="SCENARIO.toml")
@_common_options("results/<scenario name>")
@click.pass_context
def run(ctx, scenario, **opts):
    """Run one scenario several times and write its results with 95% intervals.

    Prints the yearly figures (mean ± 95% CI half-width over replications)
    and writes summary.json, metrics.parquet, cohorts.parquet and report.html
    (with figures/) into --out. Runs already in the store are reused.

    \b
    Examples:
      growthsim run scenarios/baseline.toml
      growthsim run scenarios/baseline.toml --set population.n=50000 --days 730 -r 5
      growthsim run scenarios/koc/degree_100.toml --seed 7 --out results/koc --workers 2
      growthsim run scenarios/baseline.toml --force --no-report --store /tmp/r.duckdb
    """
    loaded = _load_all([scenario], opts["sets"], opts["days"])
    name = next(iter(loaded))
    out = opts["out"] or Path("results") / _safe_path(name)
    return _execute(ctx, "run", loaded, out, opts)


# -- compare --------------------------------------------------------------------------------------

@cli.command(context_settings={"max_content_width": 100})
@click.argument("scenarios", nargs=-1, required=True, metavar="BASE.toml OTHER.toml...")
@_common_options("results/compare")
@click.pass_context
def compare(ctx, scenarios, **opts):
    """Compare scenarios against the first one, under common random numbers.

    Replication r of every scenario uses the same seed, so differences are
    measured pair by pair. Prints each scenario's final-year difference from
    the base with its paired 95% interval and a plain-language verdict, and
    writes the same outputs as `run`, with the comparison in summary.json.

    \b
    Examples:
      growthsim compare scenarios/baseline.toml scenarios/ladders/two_sided.toml
      growthsim compare scenarios/ladders/none.toml scenarios/ladders/*.toml -r 10
      growthsim compare a.toml b.toml --set population.n=50000 --days 730 --out results/ab
    """
    if len(scenarios) < 2:
        raise click.UsageError("compare needs at least two scenario files (the first is the "
                               "base)", ctx=ctx)
    loaded = _load_all(scenarios, opts["sets"], opts["days"])
    days = {sc.run.days for sc, _ in loaded.values()}
    if len(days) > 1:
        detail = ", ".join(f"{f}: {sc.run.days}" for sc, f in loaded.values())
        raise ScenarioError(f"the scenarios simulate different horizons ({detail}); pass "
                            "--days N to compare them over the same days", field="run.days")
    out = opts["out"] or Path("results") / "compare"
    return _execute(ctx, "compare", loaded, out, opts)


# -- the shared pipeline of run and compare -------------------------------------------------------

def _execute(ctx, command, loaded, out, opts):
    from growthsim.experiment.stored import base_seed_of

    scenarios = {name: sc for name, (sc, _) in loaded.items()}
    seed = opts["seed"] if opts["seed"] is not None else base_seed_of(scenarios, None)
    _check_executor(opts["executor"], opts["workers"])
    out = _check_out(out)
    store_path = _check_store(opts["store_path"])
    results = _run_in_store(scenarios, store_path, seed, opts)
    files = {name: str(f) for name, (_, f) in loaded.items()}
    summary, comparison = _summary(command, results, files, store_path, ctx.obj["argv"])
    _publish(out, lambda tmp: _write_outputs(tmp, results, summary, comparison,
                                             report=not opts["no_report"]))
    _print_results(command, results, comparison, out, store_path, opts["no_report"])
    return 0


def _check_executor(executor, workers):
    """A bad --executor fails before anything is created (a CliError naming the option)."""
    from growthsim.experiment.executors import get_executor

    try:
        get_executor(executor, workers)
    except GrowthsimError as exc:
        raise CliError(f"--executor: {exc}") from None


def _run_in_store(scenarios, store_path, seed, opts):
    """Every run through the store; a store created here is removed if nothing got into it."""
    from growthsim.experiment.stored import run_stored

    with _store_for_runs(store_path) as st:
        return run_stored(scenarios, opts["replications"], seed=seed, store=st,
                          executor=opts["executor"], workers=opts["workers"],
                          force=opts["force"],
                          progress=not opts["quiet"] and sys.stderr.isatty())


@contextlib.contextmanager
def _store_for_runs(store_path, resume_hint=""):
    """The store, open for a command's runs. If the command fails and the store was created
    here and holds no run, it is removed; Ctrl-C becomes :class:`Interrupted`."""
    from growthsim import store as gstore

    created = not store_path.exists()
    try:
        with gstore.open(store_path) as st:
            try:
                yield st
            except BaseException:
                if created and st.query("SELECT count(*) AS n FROM runs")["n"].iloc[0] == 0:
                    st.close()
                    _remove_store(store_path)
                raise
    except KeyboardInterrupt:
        kept = f"runs finished so far are kept in {store_path}" if store_path.exists() else \
            "nothing was stored"
        raise Interrupted(f"interrupted; {kept}{resume_hint}") from None


def _remove_store(path):
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _load_all(files, sets, days):
    """name -> (Scenario with --set and --days applied, its file); every file checked."""
    import growthsim as gs

    overrides = _parse_sets(sets)
    if days is not None:
        overrides["run.days"] = days
    loaded = {}
    for f in files:
        sc = gs.load_scenario(f)
        if overrides:
            sc = sc.with_overrides(overrides)
        _check_graph_file(sc)
        if sc.name in loaded:
            raise ScenarioError(f"both {loaded[sc.name][1]} and {f} are named {sc.name!r}; give "
                                "one another name (its `name` key or --set name=...)",
                                file=f, field="name")
        loaded[sc.name] = (sc, f)
    return loaded


def parse_value(text):
    """A ``--set`` value as TOML would read it (number, bool, string or list).

    Examples
    --------
    >>> parse_value("0.2"), parse_value("true"), parse_value("[1, 2]"), parse_value("circles")
    (0.2, True, [1, 2], 'circles')
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _parse_sets(sets):
    overrides = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set expects KEY=VALUE; got {item!r}")
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def _check_graph_file(sc):
    pop = sc.population
    if pop.graph != "file":
        return
    base = Path(sc.source_file).parent if sc.source_file else Path.cwd()
    path = Path(pop.graph_file)
    path = path if path.is_absolute() else base / path
    if not pop.graph_file or not path.is_file():
        raise ScenarioError(f"no such edge-list file {str(path)!r}", file=sc.source_file or None,
                            field="population.graph_file")


def _check_out(out):
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out}: is a file, not a folder")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise CliError(f"--out {out}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CliError(f"--out {out}: cannot write in {probe}")
    return out


def _check_store(path):
    path = Path(path)
    if path.is_dir():
        raise CliError(f"--store {path}: is a folder; give the results store's file")
    if not path.parent.is_dir():
        raise CliError(f"--store {path}: the folder {path.parent} does not exist")
    if not path.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise CliError(f"--store {path}: cannot create a file in {path.parent}")
    return path


def _safe_path(name):
    """A scenario name as a relative path: ``ladders/two_sided`` stays, odd characters go."""
    parts = ["".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in part)
             for part in str(name).split("/")]
    parts = [p for p in parts if p.strip(".")]
    return Path(*parts) if parts else Path("scenario")


# -- outputs --------------------------------------------------------------------------------------

def _summary(command, results, files, store_path, argv):
    """summary.json's content and, for compare, the differences with verdicts."""
    from growthsim.experiment.stored import jsonable, summary_record
    from growthsim.store import code_version

    summary = {
        "schema": SUMMARY_SCHEMA, "growthsim_version": __version__,
        "code_version": code_version(), "command": command, "argv": list(argv),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "store": str(Path(store_path).resolve()), "base_seed": results.base_seed,
        "replications": len(results.seeds), "computed": results.computed,
        "reused": results.reused, "level": 0.95,
        "scenarios": summary_record(results, files),
    }
    comparison = None
    if command == "compare":
        from growthsim.report.verdict import verdicts

        comparison = verdicts(results.differences(), results.names[0])
        summary["base"] = results.names[0]
        summary["comparison_year"] = results.final_year
        summary["comparison"] = jsonable(comparison[
            ["scenario", "base", "year", "metric", "diff", "ci_low", "ci_high", "n",
             "p_value", "base_mean", "outcome", "verdict"]].to_dict("records"))
    return summary, comparison


def _write_outputs(folder, results, summary, comparison, report=True):
    results.daily.to_parquet(folder / "metrics.parquet", index=False)
    results.cohorts.to_parquet(folder / "cohorts.parquet", index=False)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    if report:
        _render_report(folder, results.daily, results.cohorts, summary, comparison)


def _render_report(folder, daily, cohorts, summary, comparison):
    from growthsim.report.html import write_report

    names = [s["name"] for s in summary["scenarios"]]
    title = names[0] if summary["command"] == "run" else f"{names[0]} vs " + ", ".join(names[1:])
    if comparison is not None:  # summary.json keeps every figure; the page the headline ones
        comparison = comparison[comparison["metric"].isin(COMPARE_DISPLAY)]
    write_report(folder, daily, cohorts, summary=summary, comparison=comparison,
                 title=f"growthsim {summary['command']}: {title}")


def _publish(out, write, names=OUTPUTS):
    """Write the outputs beside ``out`` and move them in only when all are written.

    Files of ``names`` already in ``out`` are replaced (or removed if not
    written this time); anything else there is left alone. Folders created
    for ``out`` are removed again if writing fails.
    """
    made = _make_parents(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the folder should look made by mkdir
    try:
        write(tmp)
        if not out.exists():
            tmp.rename(out)
            return
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        for name in names:
            if (out / name).exists():
                (out / name).rename(trash / name)
            if (tmp / name).exists():
                (tmp / name).rename(out / name)
        shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _make_parents(folder):
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir()
    return list(reversed(missing))


# -- printing -------------------------------------------------------------------------------------

def yearly_summary(results, scenario=None, level=0.95):
    """The yearly table ``run`` prints: mean ± CI half-width over replications.

    Parameters
    ----------
    results : StoredResults
    scenario : str, optional
        Default: the first.
    level : float

    Returns
    -------
    pandas.DataFrame of str
        Index ``year``; the columns of :data:`YEARLY_DISPLAY`.

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store
    >>> from growthsim.experiment.stored import run_stored
    >>> sc = gs.Scenario().with_overrides({"name": "tiny", "population.n": 300, "run.days": 400})
    >>> with tempfile.TemporaryDirectory() as d, store.open(f"{d}/r.duckdb") as st:
    ...     res = run_stored([sc], 2, seed=1, store=st, executor="serial", progress=False)
    >>> t = yearly_summary(res)
    >>> t.index.tolist(), "±" in t.iloc[0, 0]
    ([1, 2], True)
    """
    import pandas as pd

    scenario = results.names[0] if scenario is None else scenario
    s = results.summary([m for _, m, _, _ in YEARLY_DISPLAY], level=level) \
        .xs(scenario, level="scenario")
    years = sorted(set(s.index.get_level_values("year")))
    rows = {y: {head: _pm(s.loc[(y, m)], scale, fmt) for head, m, scale, fmt in YEARLY_DISPLAY}
            for y in years}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "year"
    return out


def _pm(row, scale, fmt):
    import math

    mean, half = row["mean"] * scale, (row["ci_high"] - row["mean"]) * scale
    if not math.isfinite(mean):
        return "n/a"
    text = fmt.format(mean)
    return text + (" ± " + fmt.format(half) if math.isfinite(half) else "")


def comparison_table(comparison, metrics=COMPARE_DISPLAY):
    """The table ``compare`` prints: per other scenario and figure, base, difference, CI, outcome.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :meth:`StoredResults.differences` with ``outcome`` and ``verdict``
        (:func:`growthsim.report.verdict.verdicts`).
    metrics : sequence of str

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim import store
    >>> from growthsim.experiment.stored import run_stored
    >>> from growthsim.report.verdict import verdicts
    >>> base = gs.Scenario().with_overrides({"name": "base", "population.n": 300,
    ...                                     "run.days": 60})
    >>> more = base.with_overrides({"name": "more", "sharing.p_share": 0.3})
    >>> with tempfile.TemporaryDirectory() as d, store.open(f"{d}/r.duckdb") as st:
    ...     res = run_stored([base, more], 3, seed=1, store=st, executor="serial",
    ...                      progress=False)
    >>> t = comparison_table(verdicts(res.differences(), "base"), metrics=("members_end",))
    >>> t.columns[:3].tolist(), t["scenario"].tolist()
    (['scenario', 'metric', 'base'], ['more'])
    """
    import pandas as pd

    rows = []
    for row in comparison[comparison["metric"].isin(metrics)].itertuples(index=False):
        pct = row.metric in _SHARES
        unit, k = (" pp", 100.0) if pct else ("", 1.0)
        rows.append({"scenario": row.scenario, "metric": row.metric,
                     "base": (f"{100 * row.base_mean:.1f}%" if pct else _num(row.base_mean)),
                     "difference": _num(k * row.diff, True) + unit,
                     "95% CI": (f"[{_num(k * row.ci_low, True)}, {_num(k * row.ci_high, True)}]"
                                f"{unit}" if pd.notna(row.ci_low) else "n/a"),
                     "outcome": row.outcome})
    order = {m: i for i, m in enumerate(metrics)}
    out = pd.DataFrame(rows)
    return out.sort_values(["metric"], key=lambda s: s.map(order), kind="stable") \
        .sort_values("scenario", key=lambda s: s.map(
            {n: i for i, n in enumerate(dict.fromkeys(comparison["scenario"]))}), kind="stable") \
        .reset_index(drop=True)


_SHARES = ("wom_share", "paid_share", "dau_mau", "mau_share", "churn_rate", "share_rate")


def _num(x, signed=False):
    """Whole numbers from 100 up, three significant figures below."""
    import math

    if not math.isfinite(x):
        return "n/a"
    sign = "+" if signed else ""
    return f"{x:{sign},.0f}" if abs(x) >= 100 else f"{x:{sign}.3g}"


def _print_results(command, results, comparison, out, store_path, no_report):
    import pandas as pd

    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.max_colwidth", 200):
        if command == "run":
            name = results.names[0]
            sc = results.scenarios[name]
            click.echo(f"{name}: {sc.description}" if sc.description else name)
            click.echo(f"{len(results.seeds)} replications, {sc.run.days:,} days, base seed "
                       f"{results.base_seed}; mean ± 95% CI half-width over replications\n")
            click.echo(yearly_summary(results).to_string())
        else:
            year = results.final_year
            y = results.yearly()
            days = int(y.loc[y["year"] == year, "days"].min())
            part = f" (a partial year of {days} days)" if days < 365 else ""
            click.echo(f"{len(results.names) - 1} scenario(s) vs base {results.names[0]!r}: "
                       f"year {year} figures{part}, paired over {len(results.seeds)} "
                       "replications (common seeds)\n")
            click.echo(comparison_table(comparison).to_string(index=False))
            click.echo("")
            for row in comparison[comparison["metric"].isin(
                    ("members_end", "wom_share", "revenue", "ltv_cac_end"))].itertuples():
                click.echo(f"- {row.verdict}")
    written = ", ".join(n for n in OUTPUTS[:3 if no_report else 5])
    click.echo(f"\nOutputs: {out}/ ({written})")
    click.echo(f"Store: {store_path} ({results.computed} run(s) computed, {results.reused} "
               "reused)")


# -- sweep ----------------------------------------------------------------------------------------

#: What a sweep writes into --out.
SWEEP_OUTPUTS = ("sweep.parquet", "summary.json", "figures")


@cli.command(context_settings={"max_content_width": 100})
@click.argument("sweep_file", metavar="SWEEP.toml")
@batch_options("results/sweeps/<sweep name>")
@click.pass_context
def sweep(ctx, sweep_file, executor, workers, store_path, out, force, quiet):
    """Run a parameter sweep (a grid or a sample of points, replications of each).

    Runs go into the store as they finish; rerunning the same command after an
    interruption (even a kill) computes only the runs the store lacks. Writes
    sweep.parquet (one row per point and replication: parameters, seed, final
    metrics), summary.json and figures/ (each metric against each parameter).
    docs/sweeps.md describes the sweep file.

    \b
    Examples:
      growthsim sweep experiments/sweeps/p_share.toml --workers 2
      growthsim sweep experiments/sweeps/lhs.toml --executor dask --workers 2
      growthsim sweep experiments/sweeps/lhs.toml --executor dask://127.0.0.1:8786
    """
    from growthsim.experiment.sweep import load_sweep

    spec = load_sweep(sweep_file)
    _check_executor(executor, workers)
    out = _check_out(out or Path("results") / "sweeps" / _safe_path(spec.name))
    store_path = _check_store(store_path)
    results = _sweep_in_store(spec, store_path, executor, workers, force, quiet)
    _publish(out, lambda tmp: _write_sweep(tmp, results, store_path, ctx.obj["argv"]),
             names=SWEEP_OUTPUTS)
    click.echo(f"{spec.name}: {len(spec)} points x {spec.replications} replications")
    click.echo(f"Outputs: {out}/ ({', '.join(SWEEP_OUTPUTS)})")
    click.echo(f"Store: {store_path} ({results.computed} run(s) computed, {results.reused} "
               "reused)")
    return 0


def _sweep_in_store(spec, store_path, executor, workers, force, quiet):
    """As _run_in_store, for a sweep; off a terminal, progress is one line per stored run."""
    from growthsim.experiment.sweep import run_sweep

    def lines(done, total):
        click.echo(f"growthsim: sweep {spec.name}: {done}/{total} runs stored", err=True)

    progress = False if quiet else (True if sys.stderr.isatty() else lines)
    with _store_for_runs(store_path, "; run the same command again to complete the sweep") \
            as st:
        return run_sweep(spec, store=st, executor=executor, workers=workers,
                         force=force, progress=progress)


def _write_sweep(folder, results, store_path, argv):
    from growthsim.experiment.sweep import SWEEP_SCHEMA, plot_sweep, sweep_summary
    from growthsim.store import code_version

    sw = results.sweep
    results.table.to_parquet(folder / "sweep.parquet", index=False)
    summary = {"schema": SWEEP_SCHEMA, "growthsim_version": __version__,
               "code_version": code_version(), "command": "sweep", "argv": list(argv),
               "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "store": str(Path(store_path).resolve()), **sweep_summary(results)}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    plot_sweep(results.table, sw.params, sw.metrics, folder / "figures")


# -- validate -------------------------------------------------------------------------------------

@cli.command(context_settings={"max_content_width": 100})
@click.option("--quick", is_flag=True, help="Smaller populations, fewer runs (seconds).")
def validate(quick):
    """Check the kernels against classical diffusion models: predicted vs simulated.

    Bass diffusion against its adoption curve F(t), the independent cascade on
    Erdős–Rényi graphs against the final-size equation S = 1 - exp(-c T S)
    (and no outbreak below c T = 1), and a sure cascade on a ring. Exit status 1
    if any check is outside its tolerance.

    \b
    Examples:
      growthsim validate --quick
      growthsim validate
    """
    import pandas as pd

    from growthsim.validate import checks

    table = checks(quick=quick)
    shown = table.assign(ok=table["ok"].map({True: "ok", False: "FAILED"}))
    with pd.option_context("display.width", 250, "display.max_colwidth", 80,
                           "display.float_format", "{:.4f}".format):
        click.echo(shown.to_string(index=False))
    failed = int((~table["ok"]).sum())
    click.echo(f"\n{len(table) - failed} of {len(table)} checks passed"
               + (f"; {failed} FAILED" if failed else ""))
    return EXIT_FAILED if failed else 0


# -- report ---------------------------------------------------------------------------------------

@cli.command(context_settings={"max_content_width": 100})
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
def report(folder):
    """Re-render DIR/report.html and DIR/figures/ from DIR's stored results.

    Reads DIR/metrics.parquet, DIR/cohorts.parquet and DIR/summary.json
    (as written by `run` or `compare`); runs nothing.

    \b
    Examples:
      growthsim report results/baseline
      growthsim report results/compare
    """
    import pandas as pd

    daily, cohorts, summary = _read_results(folder)
    comparison = pd.DataFrame(summary["comparison"]) if summary.get("comparison") else None
    _publish(folder, lambda tmp: _render_report(tmp, daily, cohorts, summary, comparison),
             names=("report.html", "figures"))
    click.echo(f"Report: {folder / 'report.html'}")
    return 0


def _read_results(folder):
    import pandas as pd

    if not folder.is_dir():
        raise CliError(f"{folder}: no such results folder")
    need = ("metrics.parquet", "cohorts.parquet", "summary.json")
    missing = [n for n in need if not (folder / n).is_file()]
    if missing:
        raise CliError(f"{folder}: not a results folder of `growthsim run` or `compare` "
                       f"(missing {', '.join(missing)})")
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{folder / 'summary.json'}: not valid JSON ({exc})") from None
    if not isinstance(summary, dict) or summary.get("schema") != SUMMARY_SCHEMA:
        raise CliError(f"{folder / 'summary.json'}: schema: expected {SUMMARY_SCHEMA!r}; got "
                       f"{summary.get('schema') if isinstance(summary, dict) else None!r}")
    frames = []
    for name in need[:2]:
        try:
            frames.append(pd.read_parquet(folder / name))
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
            raise CliError(f"{folder / name}: not a readable Parquet file "
                           f"({type(exc).__name__})") from None
    return frames[0], frames[1], summary


# -- commands in growthsim/commands/ --------------------------------------------------------------

def _register_commands():
    """Add each ``growthsim/commands/<name>.py``'s ``command`` (a click command) to the group.

    Keeps the larger commands (sensitivity, calibrate, optimize, dashboard) in modules of their
    own; they may import this module's helpers, as it is fully defined by now.
    """
    import importlib
    import pkgutil

    from growthsim import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            cli.add_command(importlib.import_module(f"growthsim.commands.{info.name}").command)


_register_commands()
