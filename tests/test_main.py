"""``python -m growthsim`` is the ``growthsim`` command line (tests/test_cli.py covers it fully)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "growthsim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_yearly_summary_of_a_small_run(tmp_path):
    f = tmp_path / "small.toml"
    f.write_text('extends = "%s"\nname = "small"\n[population]\nn = 3000\n'
                 '[run]\ndays = 400\n' % (ROOT / "scenarios" / "baseline.toml").as_posix())
    out = run("run", f, "--set", "koc.count=5", "--seed", "3", "--replications", "2",
              "--workers", "1", "--no-report", "--out", tmp_path / "out",
              "--store", tmp_path / "s.duckdb")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("small:")
    assert "2 replications, 400 days, base seed 3" in lines[1]
    at = next(i for i, line in enumerate(lines) if "members" in line and "LTV/CAC" in line)
    assert "wom+koc %" in lines[at]
    years = [line.split()[0] for line in lines[at:] if line[:1].isdigit() and "±" in line]
    assert years == ["1", "2"]
    assert "2 run(s) computed, 0 reused" in lines[-1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cohorts.parquet", "metrics.parquet", "summary.json"]


def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sharing]\np_share = 3\n")
    cases = [
        (("run", bad), f"{bad}: sharing.p_share: must be a number in [0, 1]"),
        (("run", tmp_path / "missing.toml"), "no such scenario file"),
        (("run", "scenarios/baseline.toml", "--set", "koc.cnt=3"), "koc.cnt: unknown key"),
        (("run", "scenarios/baseline.toml", "--set", "oops"), "--set expects KEY=VALUE"),
    ]
    for args, fragment in cases:
        out = run(*args, "--store", tmp_path / "s.duckdb", "--out", tmp_path / "out")
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr
        err = out.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("growthsim: error:") and fragment in err[0]
        assert out.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]
