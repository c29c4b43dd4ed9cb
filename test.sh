#!/usr/bin/env bash
# The full test suite: tests/ plus the package's doctests. Arguments go to pytest; naming a
# test file or folder runs just that (with doctests still enabled for any module named).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/_env.sh"
growthsim_setup

# The dashboard's browser test drives Debian's chromium (Playwright never downloads a browser)
# and fetches Solara's page assets with npm: install whichever is missing.
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
    sudo=(); ((EUID == 0)) || sudo=(sudo -n)
    if ! { "${sudo[@]}" apt-get update -qq && \
           "${sudo[@]}" apt-get install -y -qq "${need[@]}"; } >/dev/null 2>&1; then
        echo "test.sh: could not install ${need[*]}; install it (apt-get install ${need[*]}) and rerun" >&2
        exit 1
    fi
fi

args=(-q -ra --doctest-modules)
paths=(growthsim tests)
for a in "$@"; do
    if [[ "$a" != -* && -e "${a%%::*}" ]]; then paths=(); break; fi
done

set +e
.venv/bin/python -m pytest "${args[@]}" "$@" "${paths[@]}"
rc=$?
set -e
if ((rc == 5)); then
    echo "test.sh: pytest collected no tests; that is a failure, not a pass." >&2
    exit 1
fi
exit "$rc"
