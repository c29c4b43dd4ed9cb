"""``python -m growthsim``: the main job's summary and its handling of bad input."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, "-m", "growthsim", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_summary_of_a_small_run(tmp_path):
    f = tmp_path / "small.toml"
    f.write_text('extends = "%s"\nname = "small"\n[population]\nn = 3000\n'
                 '[run]\ndays = 400\n' % (ROOT / "scenarios" / "baseline.toml").as_posix())
    out = run(str(f), "--set", "koc.count=5", "--seed", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("small:")
    header = next(line for line in lines if "members" in line and "LTV/CAC" in line)
    assert "wom+koc %" in header
    years = [line.split()[0] for line in lines if line[:1].isdigit() and "simulated" not in line]
    assert years == ["1", "2"]
    assert "400 days simulated" in lines[-1]


def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sharing]\np_share = 3\n")
    cases = [
        ((str(bad),), f"{bad}: sharing.p_share: must be a number in [0, 1]"),
        ((str(tmp_path / "missing.toml"),), "no such scenario file"),
        (("scenarios/baseline.toml", "--set", "koc.cnt=3"), "koc.cnt: unknown key"),
        (("scenarios/baseline.toml", "--set", "oops"), "--set expects KEY=VALUE"),
    ]
    for args, fragment in cases:
        out = run(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr
        err = out.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("growthsim: error:") and fragment in err[0]
        assert out.stdout == ""
