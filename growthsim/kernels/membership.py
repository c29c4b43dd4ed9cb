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
    """Make person j a member today; returns the new pending count."""
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
    """Drop churned people from the member list and append today's joiners."""
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
    """Today's joiners start at habituation h (a reward everyone knows is no surprise)."""
    for k in range(n_pending):
        F[pending[k], L.F_HABITUATION] = h
