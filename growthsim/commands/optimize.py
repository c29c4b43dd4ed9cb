"""``growthsim optimize``: search lever settings for the best objective within a budget."""

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from growthsim import __version__
from growthsim.commands import batch_options

# growthsim.cli imports this module while it registers its commands: its helpers are imported
# inside the functions, as importing growthsim.cli here fails when this module comes first.

#: What an optimisation writes into --out (best.toml only when a candidate fits the budget).
OUTPUTS = ("candidates.csv", "best.toml", "summary.json", "figures")


@click.command("optimize", context_settings={"max_content_width": 100})
@click.argument("opt_file", metavar="OPT.toml")
@batch_options("results/optimize/<name>")
@click.pass_context
def command(ctx, opt_file, executor, workers, store_path, out, force, quiet):
    """Search reward ladders, KOC plans, cadences or any parameter for the best objective
    within a budget.

    Candidates are raced by successive halving under common random numbers: all of
    them with a few replications, the best fraction with more, the finalists with
    the full number. Prints the finalists with 95% intervals and a verdict (is the
    best clearly ahead of the runner-up?). Runs go into the store as they finish; the
    same command after an interruption (even a kill) computes only what is missing.
    Writes candidates.csv, best.toml (a scenario extending the base), summary.json and
    figures/optimize.png. docs/optimize.md describes the file.

    \b
    Examples:
      growthsim optimize experiments/optimize/quick.toml --workers 2
      growthsim optimize experiments/optimize/levers.toml --out results/levers
      growthsim optimize experiments/optimize/levers.toml --executor dask --workers 2
    """
    from growthsim.cli import _check_out, _check_store, _publish, _safe_path
    from growthsim.experiment.executors import get_executor
    from growthsim.experiment.optimize import load_optimization

    spec = load_optimization(opt_file)
    get_executor(executor, workers)  # a bad --executor fails before anything is created
    out = _check_out(out or Path("results") / "optimize" / _safe_path(spec.name))
    store_path = _check_store(store_path)
    result = _search(spec, store_path, executor, workers, force, quiet)
    _publish(out, lambda tmp: _write(tmp, out, result, store_path, ctx.obj["argv"]),
             names=OUTPUTS)
    _print(result, out, store_path)
    return 0


def _search(spec, store_path, executor, workers, force, quiet):
    from growthsim.cli import _store_for_runs
    from growthsim.experiment.optimize import optimize

    def lines(done, total):
        click.echo(f"growthsim: optimize {spec.name}: {done}/{total} runs stored", err=True)

    progress = False if quiet else (True if sys.stderr.isatty() else lines)
    with _store_for_runs(store_path, "; run the same command again to continue the search") \
            as st:
        return optimize(spec, store=st, executor=executor, workers=workers, force=force,
                        progress=progress)


def _write(folder, final, result, store_path, argv):
    """The outputs into ``folder``; ``final`` is where they will be (best.toml's extends)."""
    from growthsim.experiment.optimize import OPTIMIZE_SCHEMA
    from growthsim.store import code_version

    table = result.candidates.copy()
    for col in result.spec.levers:  # lists (e.g. a budget per year) as TOML-like text
        table[col] = table[col].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    table.to_csv(folder / "candidates.csv", index=False)
    text = result.best_toml(final)
    if text is not None:
        (folder / "best.toml").write_text(text, encoding="utf-8")
    summary = {"schema": OPTIMIZE_SCHEMA, "growthsim_version": __version__,
               "code_version": code_version(), "command": "optimize", "argv": list(argv),
               "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "store": str(Path(store_path).resolve()), **result.summary()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    (folder / "figures").mkdir()
    result.plot().savefig(folder / "figures" / "optimize.png", dpi=110)


def _print(result, out, store_path):
    spec = result.spec
    stages = " -> ".join(f"{s['candidates']} x {s['replications']}" for s in result.stages)
    click.echo(f"{spec.name}: {len(spec)} candidates; stages (candidates x replications): "
               f"{stages}")
    click.echo("")
    click.echo(result.finalists_text())
    click.echo("")
    click.echo(click.wrap_text(result.verdict(), width=100))
    click.echo("")
    written = [n for n in OUTPUTS if n != "best.toml" or result.best is not None]
    click.echo(f"Outputs: {out}/ ({', '.join(written)})")
    click.echo(f"Store: {store_path} ({result.computed} run(s) computed, {result.reused} "
               "reused)")
