"""Joining and the member list: shared by every acquisition path.

The member list holds the indices of current members in a stable order: the
order they joined in, with churners removed at the end of each day. New
members wait in a pending list and enter the member list at the end of the
day, so a person who joins on day d first acts on day d + 1. Seeds and signed
KOCs are the exception: they enter the list before the day's steps and act on
the day they join.

Joiners start with no fatigue and the weekly-interaction average of the E1
threshold. Their reward habituation starts at norm_habituation times the
members' mean habituation of the day before: a reward the community already
takes for granted is no surprise to a newcomer either (R2). Seeds and signed
KOCs start at 0.
"""

from numba import njit

from growthsim.kernels import layout as L

INITIAL_WEEKLY = 3.0  # a newcomer's weekly-interaction average starts at the E1 threshold


@njit(cache=True)
def join(P, I, F, j, day, acq, platform, referrer, pending, n_pending):
    """Make person j a member today; returns the new pending count.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> j = int(np.flatnonzero(I[:, L.I_STAGE] != L.MEMBER)[0])
    >>> pending = np.zeros(m.n, np.int32)
    >>> join(m.P, I, F, j, 3, L.ACQ_WOM, L.PRIVATE, i, pending, 0)       # i referred j on day 3
    1
    >>> int(I[j, L.I_STAGE]) == L.MEMBER, int(I[j, L.I_JOINED]), int(I[j, L.I_REFERRER]) == i
    (True, 3, True)
    >>> int(pending[0]) == j
    True
    """
    I[j, L.I_STAGE] = L.MEMBER
    I[j, L.I_JOINED] = day
    I[j, L.I_LAST_ACTIVE] = day
    I[j, L.I_LAST_REWARD] = L.NEVER
    I[j, L.I_FRESH] = 1
    I[j, L.I_TIER] = 0
    base = I[j, L.I_REFERRALS] if P[L.P_METRIC_REFERRALS] > 0.0 else I[j, L.I_SHARES]
    I[j, L.I_OFFSET] = base
    I[j, L.I_ACQ] = acq
    I[j, L.I_ACQ_PLATFORM] = platform
    I[j, L.I_REFERRER] = referrer
    I[j, L.I_GENERATION] = I[referrer, L.I_GENERATION] + 1 if referrer >= 0 else 0
    F[j, L.F_FATIGUE] = 0.0
    F[j, L.F_HABITUATION] = 0.0
    F[j, L.F_WEEKLY] = INITIAL_WEEKLY
    pending[n_pending] = j
    return n_pending + 1


@njit(cache=True)
def finish_day(members, n_members, pending, n_pending, I):
    """Drop churned people from the member list and append today's joiners.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> j = int(np.flatnonzero(I[:, L.I_STAGE] != L.MEMBER)[0])
    >>> pending = np.array([j], np.int32)              # one joiner today
    >>> I[j, L.I_STAGE] = L.MEMBER
    >>> I[i, L.I_STAGE] = L.CHURNED                    # and one leaver
    >>> n = finish_day(m.members, m.n_members, pending, 1, I)
    >>> n == m.n_members, int(m.members[n - 1]) == j, i in m.members[:n]
    (True, True, False)
    """
    m = 0
    for k in range(n_members):
        i = members[k]
        if I[i, L.I_STAGE] == L.MEMBER:
            members[m] = i
            m += 1
    for k in range(n_pending):
        members[m] = pending[k]
        m += 1
    return m


@njit(cache=True)
def newcomers_habituation(pending, n_pending, F, h):
    """Today's joiners start at habituation h (a reward everyone knows is no surprise).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> pending = np.array([5, 9], np.int32)
    >>> newcomers_habituation(pending, 2, F, 0.25)
    >>> F[[5, 9], L.F_HABITUATION].tolist()
    [0.25, 0.25]
    """
    for k in range(n_pending):
        F[pending[k], L.F_HABITUATION] = h
