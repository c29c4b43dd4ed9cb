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
    """Step 2 for member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> I[i, L.I_READS_TODAY], I[i, L.I_INTER_TODAY] = 3, 1
    >>> activity_member(5, i, I, F)
    >>> int(I[i, L.I_ACTIVE_TODAY]), int(I[i, L.I_LAST_ACTIVE]), int(I[i, L.I_READS])
    (1, 5, 3)
    """
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
    """Update activity state of every member from today's reads and interactions.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> I[:, L.I_READS_TODAY] = 0
    >>> I[:, L.I_INTER_TODAY] = 0
    >>> I[members[:10], L.I_READS_TODAY] = 2        # ten members read today, the rest did not
    >>> activity_step(1, m.members, m.n_members, I, F)
    >>> int(I[members, L.I_ACTIVE_TODAY].sum())
    10
    """
    for k in prange(n_members):
        activity_member(day, members[k], I, F)
