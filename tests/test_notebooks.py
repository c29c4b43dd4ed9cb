"""The notebooks in notebooks/ run top to bottom, end with a figure, and are committed stripped.

Each notebook is executed with nbclient in a fresh ``python3`` kernel of the interpreter
running the tests (a kernelspec written to a temporary JUPYTER_PATH, so a ``python3``
kernelspec installed elsewhere on the machine cannot be picked up instead). The working
folder is ``notebooks/``, as when a notebook is opened in Jupyter or VS Code, and
``GROWTHSIM_NOTEBOOK_OUT`` points the files a notebook writes (results store, exports) at
the test's temporary folder instead of ``results/notebooks/``. The kernel inherits the
environment, so ``GROWTHSIM_CACHE_DIR`` keeps the compiled kernels cached across notebooks.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
STRIP_TOOL = ROOT / "scripts" / "strip_notebooks.py"
FIX = "run `.venv/bin/python scripts/strip_notebooks.py` and commit the result"
CELL_TIMEOUT = 600  # seconds per cell: generous, the machine may be shared with big runs
# Notebooks that take more than ~20 s (they still run in CI; `-m "not slow"` skips them).
SLOW = {"02_reward_ladders", "03_koc_seeding", "04_content_cadence",
        "05_sensitivity_calibration", "06_results_store"}
EXPECTED = {"01_quick_start", "02_reward_ladders", "03_koc_seeding", "04_content_cadence",
            "05_sensitivity_calibration", "06_results_store"}


def _strip_tool():
    spec = importlib.util.spec_from_file_location("strip_notebooks", STRIP_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kernel_path(tmp_path_factory):
    """A JUPYTER_PATH whose ``python3`` kernel is this interpreter's ipykernel."""
    base = tmp_path_factory.mktemp("jupyter")
    spec_dir = base / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (growthsim tests)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return base


def _executed(path, out, kernel_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
        [str(kernel_path), *filter(None, [os.environ.get("JUPYTER_PATH")])]))
    monkeypatch.setenv("GROWTHSIM_NOTEBOOK_OUT", str(out))
    # A backend forced by the environment (Agg in headless CI) would draw no inline images.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, out / path.name)  # the executed copy, to look at after a failure
    return nb


def _images(cell):
    return [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]


def _last_code_cell(nb):
    return [c for c in nb.cells if c.cell_type == "code"][-1]


def test_the_notebooks_of_the_issue_are_there():
    names = {p.stem for p in NOTEBOOKS}
    assert EXPECTED <= names, f"missing notebooks: {sorted(EXPECTED - names)}"
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert path.name in readme, f"notebooks/README.md does not describe {path.name}"


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW else [])
    for p in NOTEBOOKS])
def test_notebook_runs_and_ends_with_a_figure(path, tmp_path, kernel_path, monkeypatch):
    before = _files()
    nb = _executed(path, tmp_path, kernel_path, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "not every cell ran"
    assert _images(_last_code_cell(nb)), \
        f"{path.name}: the last code cell drew no figure (no image/png output)"
    assert _files() == before, f"{path.name} wrote into the repository"


def _files():
    """Files (and their modification times) where a careless notebook would write."""
    return {p: p.stat().st_mtime_ns for folder in (NOTEBOOK_DIR, ROOT / "results" / "notebooks")
            if folder.is_dir() for p in folder.rglob("*") if p.is_file()}


def test_harness_runs_this_interpreter_and_sees_a_missing_figure(tmp_path, kernel_path,
                                                                  monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "%matplotlib inline\nimport sys\nimport matplotlib.pyplot as plt",
        "plt.plot([0, 1], [1, 0]);",
        "print(sys.executable)")]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    out.mkdir()
    ran = _executed(path, out, kernel_path, monkeypatch)
    assert _images(ran.cells[1]), "a cell that plots has an image/png output"
    last = _last_code_cell(ran)
    assert not _images(last), "a cell that does not plot has no image"
    assert last.outputs[0]["text"].strip() == sys.executable


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in NOTEBOOKS])
def test_committed_notebook_is_stripped(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    found = _strip_tool().problems(nb)
    assert not found, f"{path.relative_to(ROOT)} is not stripped ({'; '.join(found)}): {FIX}"
    nbformat.validate(nb)


def test_strip_tool_finds_and_removes_what_a_run_leaves(tmp_path):
    tool = _strip_tool()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("1 + 1")]
    assert tool.problems(nb) == []
    run = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    run.cells[1].execution_count = 3
    run.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                   execution_count=3)]
    run.cells[1].metadata["execution"] = {"iopub.status.idle": "2026-11-24T14:00:00Z"}
    run.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    run.metadata["language_info"] = {"name": "python", "version": "3.12.3"}
    found = tool.problems(run)
    assert len(found) == 5, found
    path = tmp_path / "run.ipynb"
    nbformat.write(run, path)
    assert tool.main(["--check", str(path)]) == 1
    assert tool.main([str(path)]) == 0
    assert tool.main(["--check", str(path)]) == 0
    stripped = nbformat.read(path, as_version=4)
    assert tool.problems(stripped) == []
    assert [c.source for c in stripped.cells] == ["# title", "1 + 1"]
    assert stripped.metadata["language_info"] == {"name": "python"}

