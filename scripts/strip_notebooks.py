"""Strip outputs from notebooks before they are committed, or check that they are stripped.

    .venv/bin/python scripts/strip_notebooks.py            # strip notebooks/*.ipynb in place
    .venv/bin/python scripts/strip_notebooks.py --check    # list unstripped ones, exit 1 if any
    .venv/bin/python scripts/strip_notebooks.py a.ipynb    # just these files

A stripped notebook has no outputs, every execution_count None, no widget state (tqdm's
progress bars leave some in the notebook's metadata) and no per-cell run metadata
(timings, collapsed/scrolled flags), and its language_info is reduced to the language's
name. Git then sees only the cells' sources change; tests/test_notebooks.py executes every
notebook and checks that the committed ones are stripped.
"""

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled")
NOTEBOOK_KEYS = ("widgets",)


def problems(nb):
    """What is not stripped in a notebook (a list of short descriptions; empty when clean)."""
    out = [f"notebook metadata has {key!r}" for key in NOTEBOOK_KEYS if key in nb.metadata]
    if set(nb.metadata.get("language_info", {})) - {"name"}:
        out.append("language_info has more than the language's name")
    for k, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code":
            if cell.get("outputs"):
                out.append(f"cell {k} has outputs")
            if cell.get("execution_count") is not None:
                out.append(f"cell {k} has an execution_count")
        out += [f"cell {k} metadata has {key!r}" for key in CELL_KEYS if key in cell.metadata]
    return out


def strip(nb):
    """Strip ``nb`` in place (see the module docstring) and return it."""
    for key in NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name",
                                                                                "python")}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in CELL_KEYS:
            cell.metadata.pop(key, None)
    return nb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path,
                    help="notebooks (default: notebooks/*.ipynb of the repository)")
    ap.add_argument("--check", action="store_true",
                    help="change nothing; list notebooks that are not stripped, exit 1 if any")
    args = ap.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = 0
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        found = problems(nb)
        if not found:
            continue
        dirty += 1
        if args.check:
            print(f"{path}: not stripped: {'; '.join(found)}")
        else:
            nbformat.write(strip(nb), path)
            print(f"stripped {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
