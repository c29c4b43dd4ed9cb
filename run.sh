#!/usr/bin/env bash
# Five-year baseline scenario with a printed summary; arguments go to `python -m growthsim`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/_env.sh"
growthsim_setup
exec .venv/bin/python -m growthsim "$@"
