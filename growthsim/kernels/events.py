"""Step 10 - scheduled events.

Campaigns multiply the day's content volume, share propensity and conversion
for their window (set in the day context by the model). A crisis on day d
lowers everyone's trust at the end of that day, trust *= 1 - shock * (1 -
mitigation if handled openly), and multiplies negative WOM during its window.
"""

from numba import njit, prange

from growthsim.kernels import layout as L


@njit(parallel=True, cache=True)
def crisis_shock(F, shock):
    """Scale everyone's trust by (1 - shock).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> before = F[:, L.F_TRUST].copy()
    >>> crisis_shock(F, 0.2)
    >>> bool(np.allclose(F[:, L.F_TRUST], 0.8 * before))
    True
    """
    keep = 1.0 - shock
    for i in prange(F.shape[0]):
        F[i, L.F_TRUST] *= keep
