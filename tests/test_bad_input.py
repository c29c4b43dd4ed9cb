"""Bad input stops at the command line: one line, exit status 2, nothing left behind.

Every case of ``tests/data/bad/cases.toml`` runs ``growthsim run FILE ARGS --out OUT --store
STORE`` from an empty working folder and must print exactly one line ``growthsim: error: ...``
naming the file and the field, exit with status 2, show no traceback, and create neither OUT
nor STORE nor anything else in that folder.

Starting Python and importing growthsim costs more than a second, so the cases run in a few
subprocesses, each calling ``growthsim.cli.main`` once per case with its own stdout/stderr
(anything escaping ``main`` is recorded as its traceback). The cases marked ``store = true``
also run end to end, one fresh ``python -m growthsim`` process each, against a store that
already holds a run, whose row counts must not change.
"""

import json
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
CASES = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))["case"]
BY_ID = {c["id"]: c for c in CASES}
STORE_CASES = [c for c in CASES if c.get("store")]
OUT_PLACEHOLDER = "not a directory\n"
PARALLEL = 2  # subprocesses at once (the machine has two cores)

# Runs `growthsim.cli.main(argv)` for each (argv, cwd) read from stdin, as a fresh process
# would: its own stdout/stderr, warnings shown once per case, an escaping exception printed
# as a traceback (exit status 1), SystemExit's code as the exit status.
BATCH = r"""
import contextlib, io, json, os, sys, traceback, warnings
from growthsim.cli import main

results = []
for argv, cwd in json.load(sys.stdin):
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("default")
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append({"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
json.dump(results, sys.__stdout__)
"""


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "growthsim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, errors="replace", timeout=300)


def scenario_file(case):
    return BAD / case.get("file", f"{case['id']}.toml")


def argv_of(case, folder, store=None):
    """The case's command line; an out_is_file case first gets its --out file."""
    out = folder / "out"
    if case.get("out_is_file"):
        out.write_text(OUT_PLACEHOLDER)
    return ["run", str(scenario_file(case)), *case.get("args", []), "--out", str(out),
            "--store", str(store or folder / "s.duckdb")]


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def run_batch(jobs):
    """[(argv, cwd)] -> one result dict per job, and the batch process's own stderr."""
    proc = subprocess.run([sys.executable, "-c", BATCH], input=json.dumps(jobs), cwd=ROOT,
                          capture_output=True, text=True, errors="replace", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def row_counts(path):
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [t for (t,) in con.execute(
            "select table_name from information_schema.tables order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """The selected cases, each in its own folder: id -> (result, folder, before, after)."""
    wanted = sorted({item.callspec.params["case"]["id"] for item in request.session.items
                     if getattr(item, "module", None) is request.module
                     and hasattr(item, "callspec")
                     and "case" in item.callspec.params})
    folders = {cid: tmp_path_factory.mktemp(cid) for cid in wanted}
    jobs = {cid: (argv_of(BY_ID[cid], folders[cid]), str(folders[cid])) for cid in wanted}
    before = {cid: listing(folders[cid]) for cid in wanted}
    chunks = [wanted[k::PARALLEL] for k in range(PARALLEL)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        batches = list(pool.map(lambda ids: run_batch([jobs[c] for c in ids]), chunks))
    leaked = "".join(err for _, err in batches)
    assert not leaked, f"written to stderr outside any command: {leaked}"
    results = {cid: r for ids, (rs, _) in zip(chunks, batches) for cid, r in zip(ids, rs)}
    return {cid: (results[cid], folders[cid], before[cid], listing(folders[cid]))
            for cid in wanted}


def check_error_line(case, returncode, stdout, stderr, out):
    assert "Traceback" not in stderr + stdout, stderr
    assert returncode == 2, (returncode, stderr)
    line = stderr.rstrip("\n")
    assert stderr == line + "\n" and "\n" not in line, f"not one line: {stderr!r}"
    assert line.startswith("growthsim: error: ") and line[len("growthsim: error: "):].strip()
    expected = list(case["expect"])
    if case.get("names_file", True):
        expected.append(scenario_file(case).name)
    for fragment in expected:
        options = [fragment] if isinstance(fragment, str) else fragment
        options = [f.replace("{out}", str(out)) for f in options]
        assert any(f in line for f in options), f"none of {options} in: {line}"


def check_nothing_written(case, folder, before, after):
    out = folder / "out"
    if case.get("out_is_file"):
        assert out.read_text() == OUT_PLACEHOLDER, "the --out file was changed"
    else:
        assert not out.exists(), "an output folder was created"
    assert after == before, f"left behind: {sorted(set(after) - set(before))}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(case, outcomes):
    result, folder, before, after = outcomes[case["id"]]
    check_error_line(case, result["returncode"], result["stdout"], result["stderr"],
                     folder / "out")
    assert not (folder / "s.duckdb").exists(), "a store was created"
    check_nothing_written(case, folder, before, after)


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory):
    """A store holding one tiny good run, and its row counts."""
    folder = tmp_path_factory.mktemp("store")
    store = folder / "s.duckdb"
    proc = cli("run", BAD / "good_small.toml", "--days", "3", "--replications", "1",
               "--workers", "1", "--no-report", "--out", folder / "out0", "--store", store,
               cwd=folder)
    assert proc.returncode == 0, proc.stderr
    counts = row_counts(store)
    assert sum(counts.values()) > 0, counts
    return store, counts


@pytest.mark.parametrize("case", STORE_CASES, ids=[c["id"] for c in STORE_CASES])
def test_end_to_end_bad_input_adds_no_rows_to_an_existing_store(case, filled_store, tmp_path):
    store, counts = filled_store
    argv = argv_of(case, tmp_path, store=store)
    before = listing(tmp_path)
    proc = cli(*argv, cwd=tmp_path)
    check_error_line(case, proc.returncode, proc.stdout, proc.stderr, tmp_path / "out")
    assert row_counts(store) == counts
    check_nothing_written(case, tmp_path, before, listing(tmp_path))


def test_corpus_is_complete_and_its_bases_are_valid():
    """Enough distinct cases, every file present, and the bases they perturb load and build."""
    import growthsim as gs
    from growthsim.build import build_graph

    assert len(CASES) >= 30 and len(BY_ID) == len(CASES) and STORE_CASES
    for case in CASES:
        assert set(case) <= {"id", "file", "args", "expect", "names_file", "out_is_file",
                             "store", "missing", "why"}, case["id"]
        assert scenario_file(case).exists() != bool(case.get("missing")), case["id"]
        assert case["expect"] and case["why"], case["id"]
    used = {scenario_file(c).name for c in CASES}
    helpers = {"cases.toml", "good_small.toml", "good_edges.toml", "good_edges.txt",
               "base_bad_value.toml", "extends_cycle_b.toml"}
    stray = {p.name for p in BAD.iterdir() if not p.name.startswith("edges_")} - used - helpers
    assert not stray, f"files no case uses: {stray}"
    small = gs.load_scenario(BAD / "good_small.toml")
    assert (small.population.n, small.run.days) == (2000, 20)
    edges = gs.load_scenario(BAD / "good_edges.toml")
    assert build_graph(edges, seed=1).n == 4
