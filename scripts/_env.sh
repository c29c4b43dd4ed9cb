# shellcheck shell=bash
# Shared set-up for ./run.sh and ./test.sh: find Python >= 3.12, then create or refresh .venv
# from the pinned lock file. Source it, then call growthsim_setup.
#
# Run directly, `bash scripts/_env.sh --check-python` prints the interpreter it would use, or
# the one-line error and exit code 2 (tests/test_packaging.py checks both).
#
# Uses bash builtins only until an interpreter is found, so it works with a bare PATH.

GROWTHSIM_REPO=${BASH_SOURCE[0]%/*}
if [[ "$GROWTHSIM_REPO" == "${BASH_SOURCE[0]}" ]]; then GROWTHSIM_REPO=.; fi  # plain "_env.sh"
GROWTHSIM_REPO=$(cd "$GROWTHSIM_REPO/.." && pwd -P)
GROWTHSIM_LOCK=requirements/lock.txt

# Print "X.Y.Z" and succeed if $1 runs and is Python >= 3.12; print the version (if it has
# one) and fail otherwise. pyenv shims for versions that are not selected exit 127: a failure.
growthsim_python_version() {
    "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 12))' \
        2>/dev/null
}

# Print the path of the first Python >= 3.12, searching in this order:
#   $GROWTHSIM_PYTHON (if set, it is the only candidate), python3.13, python3.12, python3 on
#   PATH, ~/.pyenv/versions/3.1[2-9]*/bin/python, then $(pyenv root)/versions/*/bin/python.
# Without one, print the error to stderr and return 2.
growthsim_find_python() {
    local candidates=() seen=() cand path ver root
    if [[ -n "${GROWTHSIM_PYTHON:-}" ]]; then
        candidates=("$GROWTHSIM_PYTHON")
    else
        for cand in python3.13 python3.12 python3; do
            if path=$(command -v "$cand" 2>/dev/null); then candidates+=("$path"); fi
        done
        candidates+=("${HOME:-/nonexistent}"/.pyenv/versions/3.1[2-9]*/bin/python)
        if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
            candidates+=("$root"/versions/3.1[2-9]*/bin/python)
        fi
    fi
    for cand in "${candidates[@]}"; do
        [[ -x "$cand" || "$cand" != */* ]] || continue   # unmatched glob, or not there
        if ver=$(growthsim_python_version "$cand"); then
            printf '%s\n' "$cand"
            return 0
        fi
        if [[ -n "$ver" ]]; then seen+=("Python $ver (${GROWTHSIM_PYTHON:+GROWTHSIM_PYTHON=}$cand)"); fi
    done
    local found="no Python on PATH or under ~/.pyenv"
    if [[ -n "${GROWTHSIM_PYTHON:-}" ]]; then found="a non-working GROWTHSIM_PYTHON=$GROWTHSIM_PYTHON"; fi
    if ((${#seen[@]})); then
        found=$(IFS=,; printf '%s' "${seen[*]}")
        found=${found//,/, }
    fi
    printf 'growthsim needs Python >= 3.12; found only %s. Install 3.12+ or set GROWTHSIM_PYTHON=/path/to/python\n' \
        "$found" >&2
    return 2
}

# cd to the repo root; make sure .venv runs Python >= 3.12 (the version of $GROWTHSIM_PYTHON,
# if set) and holds exactly the pinned dependencies plus an editable growthsim. Reinstalls only
# when the lock file, pyproject.toml or the venv's Python changed since the last successful
# install (stamp in .venv).
growthsim_setup() {
    cd "$GROWTHSIM_REPO"
    local py=.venv/bin/python base ver stamp want
    ver=$(growthsim_python_version "$py") || ver=""
    if [[ -z "$ver" || -n "${GROWTHSIM_PYTHON:-}" &&
          "$(growthsim_python_version "$GROWTHSIM_PYTHON")" != "$ver" ]]; then
        base=$(growthsim_find_python) || exit 2
        ver=$(growthsim_python_version "$base")
        printf 'setting up .venv with Python %s (pinned, ~1 min)…\n' "$ver" >&2
        rm -rf .venv
        "$base" -m venv .venv
    fi
    stamp=.venv/.growthsim-installed
    want="$ver $(cat "$GROWTHSIM_LOCK" pyproject.toml | sha256sum)"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        if [[ -f "$stamp" ]]; then
            printf 'updating .venv to the pinned dependencies (Python %s)…\n' "$ver" >&2
        fi
        rm -f "$stamp"
        # -qq: errors only (this machine's pip config prints a warning per missing mirror dir).
        local pip=("$py" -m pip -qq --disable-pip-version-check --no-input)
        "${pip[@]}" install -r "$GROWTHSIM_LOCK"
        "${pip[@]}" install --no-deps --no-build-isolation -e .
        printf '%s\n' "$want" >"$stamp"
    fi
    # numba's on-disk JIT cache, kept between runs (ignored by git); growthsim keys a folder
    # below it on the source of every jitted module (growthsim/_jitcache.py).
    export GROWTHSIM_CACHE_DIR="${GROWTHSIM_CACHE_DIR:-$GROWTHSIM_REPO/.numba_cache}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
        --check-python) growthsim_find_python ;;
        *) printf 'usage: bash %s --check-python  (otherwise source it and call growthsim_setup)\n' "$0" >&2
           exit 64 ;;
    esac
fi
