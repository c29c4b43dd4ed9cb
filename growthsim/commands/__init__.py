"""Commands of the ``growthsim`` command line that live in modules of their own.

Each module ``growthsim/commands/<name>.py`` defines ``command``, a click command;
:mod:`growthsim.cli` adds every such module's command to the ``growthsim`` group. Like
``cli.py``, they parse and check input, call the library, and write outputs; the work itself
is in the library (e.g. :mod:`growthsim.experiment`).
"""

from pathlib import Path

import click

from growthsim.store import DEFAULT_PATH


def batch_options(default_out):
    """The options of a command that runs many stored runs: --executor, --workers, --store,
    --out (default ``default_out``), --force and --quiet, in that order (sweep, sensitivity,
    optimize). Decorates a click command whose function takes them as keywords.

    Examples
    --------
    >>> @click.command()
    ... @batch_options("results/x")
    ... def demo(**opts):
    ...     pass
    >>> [p.name for p in demo.params]
    ['executor', 'workers', 'store_path', 'out', 'force', 'quiet']
    """
    options = (
        click.option("--executor", default="processes", show_default=True, metavar="WHERE",
                     help="processes, serial, dask (a local Dask cluster) or dask://host:port "
                          "(a running scheduler). Results do not depend on it."),
        click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
                     help="Worker processes (default: one per CPU)."),
        click.option("--store", "store_path", type=click.Path(path_type=Path),
                     default=DEFAULT_PATH, show_default=True, metavar="PATH",
                     help="Results store (DuckDB file)."),
        click.option("--out", "out", type=click.Path(path_type=Path), metavar="DIR",
                     help=f"Output folder [default: {default_out}]."),
        click.option("--force", is_flag=True, help="Recompute runs the store already holds."),
        click.option("--quiet", "-q", is_flag=True, help="No progress."),
    )

    def wrap(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn
    return wrap
