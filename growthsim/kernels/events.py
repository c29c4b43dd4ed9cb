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
    """Scale everyone's trust by (1 - shock)."""
    keep = 1.0 - shock
    for i in prange(F.shape[0]):
        F[i, L.F_TRUST] *= keep
