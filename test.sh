#!/usr/bin/env bash
# The full test suite: tests/ plus the package's doctests. Arguments go to pytest; naming a
# test file or folder runs just that (with doctests still enabled for any module named).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/_env.sh"
growthsim_setup

args=(-q -ra --doctest-modules)
# The Solara dashboard is a face, not a dependency of the core: its modules are not doctested.
if [[ -d growthsim/dashboard ]]; then args+=(--ignore=growthsim/dashboard); fi
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
