"""``growthsim calibrate``: fit scenario parameters to observed series (docs/calibration.md)."""

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from growthsim import __version__

# growthsim.cli imports this module while it registers commands, so its helpers are imported
# inside the functions: importing growthsim.cli here would fail when this module comes first.

#: What a calibration writes into --out.
OUTPUTS = ("estimates.csv", "fitted.parquet", "summary.json", "figures")
SCHEMA = "growthsim.calibration/1"
#: The API's argument names as the command's options, for error messages.
OPTIONS = {"fit": "--fit", "bounds": "--bounds", "bootstrap": "--bootstrap",
           "seed_sets": "--seed-sets"}


@click.command("calibrate", context_settings={"max_content_width": 100})
@click.argument("scenario", metavar="SCENARIO.toml")
@click.option("--observed", "observed", required=True, metavar="CSV",
              help="Observed series: a 'day' or 'week' column and columns named like daily "
                   "metrics (members, new_wom, new_paid, dau, ...).")
@click.option("--fit", "fit", multiple=True, required=True, metavar="KEY[,KEY...]",
              help="Parameters to estimate (dotted keys; repeatable or comma-separated).")
@click.option("--bounds", "bounds", multiple=True, metavar="KEY=LO:HI",
              help="Search range of a fitted parameter (default: the schema's bounds; "
                   "repeatable).")
@click.option("--replications", "-r", type=click.IntRange(1, 1000), default=2,
              show_default=True, metavar="R",
              help="Runs averaged per evaluation, under the same seeds every time.")
@click.option("--bootstrap", "-b", type=click.IntRange(0, 10_000), default=30,
              show_default=True, metavar="B", help="Bootstrap draws for the intervals (0: none).")
@click.option("--method", "method", type=click.Choice(["linear", "refit"]), default="linear",
              show_default=True,
              help="Bootstrap: linearised (one run per draw) or full refits (costly).")
@click.option("--seed-sets", "seed_sets", type=click.IntRange(0, 1000), default=8,
              show_default=True, metavar="K",
              help="linear: repeat the last refinement under K fresh seed sets to measure "
                   "the calibration's own noise (0: assume it, cheaper but too narrow).")
@click.option("--seed", type=click.IntRange(0, 2**53), metavar="S",
              help="Base seed of every run (default: run.seed).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a fixed parameter (repeatable; values are read as TOML).")
@click.option("--executor", default="serial", show_default=True, metavar="WHERE",
              help="serial, processes, dask or dask://host:port. Results do not depend on it.")
@click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
              help="Worker processes for processes / dask.")
@click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: results/calibration/<scenario name>].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def command(ctx, scenario, observed, fit, bounds, replications, bootstrap, method, seed_sets,
            seed, sets, executor, workers, out, quiet):
    """Fit scenario parameters to observed daily or weekly series.

    Searches the parameters' ranges for the values whose simulated series (the
    mean of R runs under the same seeds) come closest to the observed ones, each
    series weighed by its own size; prints the estimates with bootstrap intervals
    and writes estimates.csv, fitted.parquet (daily fitted series with a band),
    summary.json and figures/fit.png into --out. Weekly data: flows are summed
    over the week, stocks taken on its last day. docs/calibration.md explains it.

    \b
    Examples:
      growthsim calibrate scenarios/baseline.toml --observed weekly.csv \\
          --fit sharing.p_share,organic.p_discover \\
          --bounds sharing.p_share=0.01:0.3 --bounds organic.p_discover=0.02:2
      growthsim calibrate my.toml --observed daily.csv --fit ads.p_convert -r 3 -b 50
      growthsim calibrate my.toml --observed daily.csv --fit ads.p_convert \\
          --set population.n=50000 --executor processes --workers 2
    """
    import growthsim as gs
    from growthsim.cli import CliError, _check_out, _parse_sets, _publish, _safe_path
    from growthsim.experiment.calibrate import CalibrationError, calibrate
    from growthsim.experiment.executors import get_executor

    keys = [k.strip() for item in fit for k in item.split(",") if k.strip()]
    ranges = _parse_bounds(bounds)
    sc = gs.load_scenario(scenario)
    overrides = _parse_sets(sets)
    if overrides:
        sc = sc.with_overrides(overrides)
    get_executor(executor, workers)  # a bad --executor fails before anything runs
    out = _check_out(out or Path("results") / "calibration" / _safe_path(sc.name))
    try:
        res = calibrate(sc, observed, keys, bounds=ranges, replications=replications,
                        seed=sc.run.seed if seed is None else seed, executor=executor,
                        workers=workers, bootstrap=bootstrap, bootstrap_method=method,
                        seed_sets=seed_sets,
                        progress=not quiet and sys.stderr.isatty())
    except CalibrationError as exc:
        if exc.option in OPTIONS:
            raise CliError(f"{OPTIONS[exc.option]}: {exc.message}") from None
        raise
    _publish(out, lambda tmp: _write(tmp, res, ctx.obj["argv"] if ctx.obj else []),
             names=OUTPUTS)
    _print(res, out)
    return 0


def _parse_bounds(items):
    from growthsim.cli import CliError

    out = {}
    for item in items:
        key, sep, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        try:
            value = (float(lo), float(hi))
        except ValueError:
            value = None
        if not sep or not key.strip() or not colon or value is None:
            raise CliError(f"--bounds: expected KEY=LO:HI (e.g. sharing.p_share=0.01:0.3); "
                           f"got {item!r}")
        if key.strip() in out:
            raise CliError(f"--bounds: {key.strip()} is given twice")
        out[key.strip()] = value
    return out


def _write(folder, res, argv):
    from growthsim.store import code_version

    res.estimates.to_csv(folder / "estimates.csv", index=False)
    res.fitted.to_parquet(folder / "fitted.parquet", index=False)
    summary = {"schema": SCHEMA, "growthsim_version": __version__,
               "code_version": code_version(), "command": "calibrate", "argv": list(argv),
               "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               **res.summary()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    (folder / "figures").mkdir()
    res.plot().savefig(folder / "figures" / "fit.png", dpi=110)


def _print(res, out):
    import pandas as pd

    obs = res.observed
    click.echo(f"{res.scenario.name}: {len(obs.series)} series ({', '.join(obs.series)}) x "
               f"{len(obs.time)} {obs.unit}s from {obs.source}")
    click.echo(f"{res.evaluations} evaluations x {res.replications} runs (common seeds), "
               f"objective {res.objective:.4g}; {res.bootstrap} {res.method} bootstrap draws\n")
    level = f"{res.level:.0%}"
    rows = []
    for row in res.estimates.itertuples(index=False):
        interval = f"[{row.low:.4g}, {row.high:.4g}]" if pd.notna(row.low) else "n/a"
        rows.append({"parameter": row.param, "estimate": f"{row.estimate:.4g}",
                     f"{level} interval": interval + ("" if row.identified else
                                                      " (not identified)"),
                     "searched": f"{row.lo:g} .. {row.hi:g} ({row.scale})"})
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        click.echo(pd.DataFrame(rows).to_string(index=False))
    click.echo(f"\nOutputs: {out}/ ({', '.join(OUTPUTS[:3])}, figures/fit.png)")
