"""Step 2 - activity: who was active today; silence and weekly interaction rate.

A member is active on day d when reads_i + interactions_i > 0. Active members
set last_active = d (silence = d - last_active). The weekly interaction rate is
an exponential moving average with a one-week memory:
weekly_i += (7 * interactions_i - weekly_i) / 7.
"""

from numba import njit, prange

from growthsim.kernels import layout as L


@njit(inline="always", cache=True)
def activity_member(day, i, I, F):
    """Step 2 for member i (numba)."""
    r = I[i, L.I_READS_TODAY]
    x = I[i, L.I_INTER_TODAY]
    F[i, L.F_WEEKLY] += (7.0 * x - F[i, L.F_WEEKLY]) / 7.0
    if r + x > 0:
        I[i, L.I_ACTIVE_TODAY] = 1
        I[i, L.I_LAST_ACTIVE] = day
        I[i, L.I_ACTIVE_DAYS] += 1
        I[i, L.I_READS] += r
        I[i, L.I_INTERACTIONS] += x
    else:
        I[i, L.I_ACTIVE_TODAY] = 0


@njit(parallel=True, cache=True)
def activity_step(day, members, n_members, I, F):
    """Update activity state of every member from today's reads and interactions."""
    for k in prange(n_members):
        activity_member(day, members[k], I, F)
