"""The project's own plumbing: a light core import, the set-up scripts, and the README."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_SH = REPO_ROOT / "scripts" / "_env.sh"
BASH = shutil.which("bash")


def test_core_import_loads_no_plotting_or_dashboard():
    code = (
        "import sys, growthsim; "
        "print(' '.join(m for m in ('matplotlib', 'solara') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"'import growthsim' loads {out.stdout.strip()}"


@pytest.mark.parametrize("script", ["run.sh", "test.sh", ".ci/run", "scripts/_env.sh", "scripts/lock.sh"])
def test_scripts_are_executable(script):
    assert os.access(REPO_ROOT / script, os.X_OK), f"chmod +x {script}"


def _python_version(exe) -> tuple[int, ...]:
    out = subprocess.run(
        [exe, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True, text=True, timeout=60,
    )
    return tuple(int(x) for x in out.stdout.split(".")) if out.returncode == 0 else ()


@pytest.fixture(scope="module")
def old_python(tmp_path_factory) -> str:
    """A Python older than 3.12: a real one if the machine has it, else a stand-in script that
    answers the version check as Python 3.11.9 would."""
    real = sorted(Path.home().glob(".pyenv/versions/3.1[01]*/bin/python")) + [Path("/usr/bin/python3")]
    for exe in real:
        if exe.is_file() and () < _python_version(exe) < (3, 12):
            return str(exe)
    stub = tmp_path_factory.mktemp("oldpy") / "python3"
    stub.write_text("#!/bin/sh\necho 3.11.9\nexit 1\n")
    stub.chmod(0o755)
    return str(stub)


def _check_python(tmp_path, path_dirs=(), **env):
    """Run `_env.sh --check-python` with a bare PATH and an empty HOME, so only what the test
    puts there can be found."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    full_env = {"PATH": os.pathsep.join(map(str, path_dirs)) or str(tmp_path / "empty"), "HOME": str(home), **env}
    return subprocess.run(
        [BASH, str(ENV_SH), "--check-python"],
        capture_output=True, text=True, env=full_env, stdin=subprocess.DEVNULL, timeout=60,
    )


MESSAGE = re.compile(
    r"^growthsim needs Python >= 3\.12; found only Python 3\.1[01]\.\d+ \(.+\)\..*"
    r"Install 3\.12\+ or set GROWTHSIM_PYTHON=/path/to/python$"
)


def test_find_python_rejects_old_growthsim_python(tmp_path, old_python):
    out = _check_python(tmp_path, GROWTHSIM_PYTHON=old_python)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert MESSAGE.match(lines[0]), lines[0]
    assert f"(GROWTHSIM_PYTHON={old_python})." in lines[0]


def test_find_python_rejects_old_python3_on_path(tmp_path, old_python):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(old_python)
    out = _check_python(tmp_path, [bin_dir])
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and MESSAGE.match(lines[0]), out.stderr
    assert str(bin_dir / "python3") in lines[0]


def test_find_python_accepts_growthsim_python(tmp_path):
    out = _check_python(tmp_path, GROWTHSIM_PYTHON=sys.executable)
    assert (out.returncode, out.stdout, out.stderr) == (0, sys.executable + "\n", "")


def test_find_python_falls_back_to_pyenv_versions(tmp_path, old_python):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(old_python)
    pyenv_bin = tmp_path / "home" / ".pyenv" / "versions" / "3.12.99" / "bin"
    pyenv_bin.mkdir(parents=True)
    (pyenv_bin / "python").symlink_to(sys.executable)
    out = _check_python(tmp_path, [bin_dir])
    assert (out.returncode, out.stdout) == (0, f"{pyenv_bin / 'python'}\n"), out.stderr


def test_ci_runs_only_the_readme_test_command():
    lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    commands = [line for line in lines[1:] if line.strip() and not line.lstrip().startswith("#")]
    assert commands == ['exec "$(dirname "$0")/../test.sh"']


def test_readme_quick_start_is_run_and_test():
    text = (REPO_ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", section.group(1), re.M | re.S)
    assert [lang for lang, _ in blocks] == ["bash"]
    commands = [line.split("#")[0].strip() for line in blocks[0][1].splitlines()]
    assert [c for c in commands if c] == ["./run.sh", "./test.sh"]


def test_jit_cache_folder_is_keyed_on_every_jitted_source(tmp_path):
    """A stale kernel can't load after an edit to layout.py or rng.py: the folder changes."""
    from growthsim import _jitcache

    code = ("import numba, growthsim, growthsim._jitcache as j; "
            "print(numba.config.CACHE_DIR); print(j.source_key())")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["GROWTHSIM_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == str(tmp_path / "cache" / out[1])
    # the key follows the inlined helpers' files too, not only the kernel's own
    copy = tmp_path / "growthsim"
    shutil.copytree(Path(_jitcache.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    key = _key_of(copy)
    assert key == _jitcache.source_key()
    (copy / "kernels" / "layout.py").write_text(
        (copy / "kernels" / "layout.py").read_text() + "\n# edit\n")
    assert _key_of(copy) != key


def _key_of(package_dir):
    import importlib.util

    spec = importlib.util.spec_from_file_location("_jc", package_dir / "_jitcache.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.source_key()
