"""``growthsim sensitivity``: global sensitivity analysis of a scenario (Sobol' or Morris).

The work is :func:`growthsim.experiment.sensitivity.sensitivity`; this module parses and
checks the options, runs it through the results store and writes the outputs.
"""

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from growthsim import __version__
from growthsim.commands import batch_options
from growthsim.experiment.sensitivity import DEFAULT_METRICS, METHODS, SensitivityError
from growthsim.experiment.sweep import MAX_REPLICATIONS
from growthsim.scenario.schema import Run
from growthsim.store import DEFAULT_PATH as DEFAULT_STORE  # noqa: F401 - the commands' default

# growthsim.cli imports this module while it registers commands, so its helpers are imported
# inside the functions: importing growthsim.cli here would fail when this module comes first.
_RUN = {f.name: f.metadata for f in __import__("dataclasses").fields(Run)}
_DAYS_LO, _DAYS_HI, _SEED_HI = _RUN["days"]["lo"], _RUN["days"]["hi"], _RUN["seed"]["hi"]

#: What a sensitivity analysis writes into --out.
OUTPUTS = ("indices.csv", "samples.parquet", "summary.json", "figures")
#: ``schema`` of its summary.json.
SCHEMA = "growthsim.sensitivity/1"
#: The option to blame for each argument of the analysis.
_OPTION = {"params": "--param", "ranges": "--param", "n": "--n", "metrics": "--metric",
           "method": "--method", "year": "--year", "replications": "--replications"}


@click.command("sensitivity", context_settings={"max_content_width": 100})
@click.argument("scenario", metavar="SCENARIO.toml")
@click.option("--param", "params", multiple=True, required=True, metavar="KEY[=LO:HI]",
              help="A numeric parameter to vary, over the schema's range or LO:HI within it "
                   "(repeatable).")
@click.option("--method", type=click.Choice(METHODS), default="sobol", show_default=True,
              help="sobol: variance shares S1, ST (N a power of two, N(d+2) runs); morris: "
                   "elementary effects mu_star, sigma (N trajectories, N(d+1) runs).")
@click.option("--n", "n", type=int, metavar="N",
              help="Sobol' base sample size or Morris trajectories [default: 64 / 10].")
@click.option("--metric", "metrics", multiple=True, metavar="M",
              help=f"Yearly figure to explain (repeatable) [default: "
                   f"{', '.join(DEFAULT_METRICS)}].")
@click.option("--year", type=click.IntRange(1), metavar="Y",
              help="Year whose figures are explained [default: the last simulated year].")
@click.option("--replications", "-r", type=click.IntRange(1, MAX_REPLICATIONS), default=1,
              show_default=True, metavar="R", help="Runs per point (common seeds); the outcome "
                                                   "is their mean.")
@click.option("--days", type=click.IntRange(_DAYS_LO, _DAYS_HI), metavar="D",
              help="Days to simulate (overrides run.days).")
@click.option("--seed", type=click.IntRange(0, _SEED_HI), metavar="S",
              help="Seed of the design, the replications and the bootstrap [default: run.seed].")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a fixed parameter, e.g. --set population.n=20000 (repeatable).")
@batch_options("results/sensitivity/<scenario name>")
@click.pass_context
def command(ctx, scenario, params, method, n, metrics, year, replications, days, seed, sets,
            executor, workers, store_path, out, force, quiet):
    """Which parameters move the outcomes? Global sensitivity analysis with SALib.

    Varies the --param parameters together over their ranges, runs every sampled
    point (through the store: an interrupted analysis resumes where it stopped),
    and prints each parameter's indices with 95% bootstrap intervals. Writes
    indices.csv, samples.parquet (the design and each point's outcomes),
    summary.json and figures/sensitivity.png. docs/sensitivity.md explains the
    indices.

    \b
    Examples:
      growthsim sensitivity scenarios/baseline.toml --set population.n=5000 --days 365 \\
          --param sharing.p_share=0.01:0.1 --param ads.daily_budget=0:4000 \\
          --param churn.base_hazard=0.0001:0.001 --n 16
      growthsim sensitivity scenarios/baseline.toml --method morris --n 8 \\
          --param sharing.p_share --param koc.fee --metric members_end --workers 2
    """
    import growthsim as gs
    from growthsim.cli import _check_graph_file, _check_out, _check_store, _parse_sets, \
        _publish, _safe_path
    from growthsim.experiment.executors import get_executor

    sc = gs.load_scenario(scenario)
    overrides = _parse_sets(sets)
    if days is not None:
        overrides["run.days"] = days
    if overrides:
        sc = sc.with_overrides(overrides)
    _check_graph_file(sc)
    keys, ranges = _parse_params(params)
    seed = sc.run.seed if seed is None else seed
    kwargs = dict(method=method, n=n, metrics=list(metrics) or list(DEFAULT_METRICS),
                  ranges=ranges, year=year, replications=replications, seed=seed)
    _blamed(_dry_run, sc, keys, **kwargs)
    get_executor(executor, workers)  # a bad --executor fails before anything is created
    out = _check_out(out or Path("results") / "sensitivity" / _safe_path(sc.name))
    store_path = _check_store(store_path)
    res = _analyse(sc, keys, kwargs, store_path, executor, workers, force, quiet)
    _publish(out, lambda tmp: _write(tmp, res, scenario, store_path, ctx.obj["argv"]),
             names=OUTPUTS)
    click.echo(repr(res))
    click.echo(f"\nOutputs: {out}/ ({', '.join(OUTPUTS)})")
    click.echo(f"Store: {store_path} ({res.computed} run(s) computed, {res.reused} reused)")
    return 0


def _parse_params(items):
    """``KEY`` or ``KEY=LO:HI`` options -> keys in order and the given ranges."""
    from growthsim.cli import CliError, parse_value

    keys, ranges = [], {}
    for item in items:
        key, sep, rng = item.partition("=")
        key = key.strip()
        if not key:
            raise CliError(f"--param expects KEY or KEY=LO:HI; got {item!r}")
        keys.append(key)
        if not sep:
            continue
        lo, colon, hi = rng.partition(":")
        lo, hi = parse_value(lo.strip()), parse_value(hi.strip())
        if not colon or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                for v in (lo, hi)):
            raise CliError(f"--param {key}: expected a range LO:HI of two numbers, e.g. "
                           f"{key}=0.01:0.1; got {rng!r}")
        ranges[key] = (lo, hi)
    return keys, ranges


def _blamed(fn, *args, **kwargs):
    """Call ``fn``; a :class:`SensitivityError` names the option it came from."""
    from growthsim.cli import CliError

    try:
        return fn(*args, **kwargs)
    except SensitivityError as exc:
        option = _OPTION.get(exc.argument, exc.argument)
        where = f"{option} {exc.key}" if exc.key is not None else option
        if exc.argument == "n":
            where = f"--n {kwargs.get('n')}" if kwargs.get("n") is not None else "--n"
        raise CliError(f"{where}: {exc.message}") from None


def _dry_run(sc, keys, *, method, n, metrics, ranges, year, replications, seed):
    """Every check of the analysis, without running: problem, size, metrics, year, points."""
    from growthsim.experiment.sensitivity import MAX_POINTS, _check, _year, points_needed, \
        problem

    n, metrics = _check(method, n, metrics, replications)
    prob = problem(sc, keys, ranges)
    total = points_needed(method, n, prob["num_vars"])
    if total > MAX_POINTS:
        raise SensitivityError(f"gives {total:,} points; at most {MAX_POINTS:,}", argument="n")
    _year(sc, year)


def _analyse(sc, keys, kwargs, store_path, executor, workers, force, quiet):
    from growthsim.cli import _store_for_runs
    from growthsim.experiment.sensitivity import sensitivity

    def lines(done, total):
        click.echo(f"growthsim: sensitivity {sc.name}: {done}/{total} runs stored", err=True)

    progress = False if quiet else (True if sys.stderr.isatty() else lines)
    with _store_for_runs(store_path, "; run the same command again to complete the analysis") \
            as st:
        return _blamed(sensitivity, sc, keys, store=st, executor=executor, workers=workers,
                       force=force, progress=progress, **kwargs)


def _write(folder, res, scenario_file, store_path, argv):
    from growthsim.store import code_version

    res.indices.to_csv(folder / "indices.csv", index=False)
    res.samples.to_parquet(folder / "samples.parquet", index=False)
    summary = {"schema": SCHEMA, "growthsim_version": __version__,
               "code_version": code_version(), "command": "sensitivity", "argv": list(argv),
               "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "store": str(Path(store_path).resolve()), "file": str(scenario_file),
               **res.summary()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    (folder / "figures").mkdir()
    res.plot().savefig(folder / "figures" / "sensitivity.png", dpi=110)
