#!/usr/bin/env bash
# The main job: a five-year comparison of three shipped strategies (the baseline's 1/3/10
# share ladder, honour-only badges, and 100 KOCs chosen by influence maximisation) in a
# 1M-person market, 2 replications each under common random numbers, with a report in
# results/five-year/report.html and every run kept in growthsim-results.duckdb (a rerun
# reuses them). With arguments, they go to the `growthsim` command line instead, e.g.
# ./run.sh run scenarios/baseline.toml --days 365
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/_env.sh"
growthsim_setup
if (($# == 0)); then
    set -- compare scenarios/baseline.toml scenarios/ladders/badges_only.toml \
        scenarios/koc/imm_100.toml --replications 2 --out results/five-year
fi
exec .venv/bin/python -m growthsim "$@"
