"""The classical diffusion models as ordinary scenarios of the same kernels.

Each preset switches the brand-community mechanics off (fatigue, trust
dynamics, churn, rewards, ads, KOCs) and sets the sharing and conversion rules
so that :class:`growthsim.GrowthModel` reproduces the classical model. There
is no separate code path: the same kernels run. The analytic predictions the
presets are tested against are here too (:func:`bass_adoption`,
:func:`final_size`).
"""

import math

import numpy as np

from growthsim.scenario import Scenario

_MAX_DAYS = 36_500


def _bare(name, n, days):
    """A scenario with every brand-community mechanic switched off."""
    return Scenario().with_overrides({
        "name": name,
        "population.n": n,
        "population.segments": [{"name": "everyone"}],
        "run.days": days,
        "channels.on_private": 1.0, "channels.on_video": 0.0, "channels.on_notes": 0.0,
        "channels.weight_private": 1.0, "channels.weight_video": 0.0,
        "channels.weight_notes": 0.0, "channels.conversion_private": 1.0,
        "content.fatigue": False, "content.trust_dynamics": False,
        "content.posts": [0.0] * 7, "content.ugc_propensity": 0.0,
        "conversion.trust_weight": 0.0, "conversion.exposure_decay": 1.0,
        "conversion.tie_strength_exponent": 0.0, "conversion.rejoin_factor": 0.0,
        "organic.p_discover": 0.0, "ads.daily_budget": [0.0],
        "rewards.enabled": False, "koc.count": 0, "interventions.wakeup": False,
        "churn.enabled": False, "purchases.p_purchase": 0.0, "events": [],
        "seeding.initial_members": 0,
    })


def independent_cascade(graph, p, seeds, *, weighted=False):
    """Independent cascade on ``graph``: each new member tries each neighbour once.

    Seeds are members on day 0. On the day after joining, every member makes
    one attempt on each neighbour, which succeeds with probability
    ``1 - (1 - p * w) ** c`` for a tie of strength ``w`` (1 unless
    ``weighted``) and multiplicity ``c``. The run stops once no new member
    is left to try, and ``metrics["members"].iloc[-1]`` is the cascade size.

    Parameters
    ----------
    graph : SocialGraph
        Attached to the returned scenario (``GrowthModel`` uses it).
    p : float
        Per-edge transmission probability in [0, 1].
    seeds : sequence of int
        People active on day 0.
    weighted : bool
        Multiply ``p`` by the tie strength (weighted-cascade files).

    Returns
    -------
    Scenario

    Examples
    --------
    >>> import growthsim as gs
    >>> from growthsim.graphs import ring
    >>> sc = independent_cascade(ring(50, 2), p=1.0, seeds=[0])
    >>> int(gs.GrowthModel(sc, seed=1).run()["members"].iloc[-1])
    50
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"independent_cascade: p must be in [0, 1]; got {p}")
    seeds = [int(s) for s in seeds]
    if any(not 0 <= s < graph.n for s in seeds):
        raise ValueError(f"independent_cascade: seeds must be people 0..{graph.n - 1}")
    sc = _bare("independent_cascade", graph.n, min(_MAX_DAYS, graph.n + 1)).with_overrides({
        "run.stop_when_quiet": True,
        "sharing.share_when": "on_join", "sharing.p_share": 1.0,
        "channels.reach_private": 1.0,
        "conversion.p_convert": float(p),
        "conversion.tie_strength_exponent": 1.0 if weighted else 0.0,
        "seeding.ids": sorted(set(seeds)),
    })
    return _attach(sc, graph)


def bass(n, p, q, days):
    """Bass diffusion on the complete-graph mean field.

    Nobody is a member on day 0. Each day a non-member joins unaided with
    probability ``p / 365`` (innovation) and every member contacts
    Poisson(``q / 365``) people drawn at random, each of whom joins
    (imitation), so the adoption curve follows
    ``F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t))`` with t in
    years (:func:`bass_adoption`).

    Parameters
    ----------
    n : int
        Market size.
    p, q : float
        Innovation and imitation coefficients per year.
    days : int
        Horizon.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> sc = bass(10_000, p=0.03, q=0.38, days=365)
    >>> sc.sharing.share_when, sc.organic.p_discover
    ('daily', 0.03)
    """
    from growthsim.graphs import complete

    if p <= 0 or q < 0:
        raise ValueError(f"bass: need p > 0 and q >= 0; got p={p}, q={q}")
    sc = _bare("bass", int(n), int(days)).with_overrides({
        "population.graph": "complete",
        "sharing.share_when": "daily", "sharing.p_share": 1.0,
        "channels.reach_private": min(1.0, q / 365.0 / (n - 1)),
        "conversion.p_convert": 1.0,
        "organic.p_discover": float(p),
    })
    return _attach(sc, complete(int(n)))


def erdos_renyi_cascade(n, mean_degree, T, n_seeds=1, seed=None):
    """Independent cascade with transmissibility ``T`` on an Erdős–Rényi graph.

    The final share of a large outbreak solves ``S = 1 - exp(-c T S)``
    (:func:`final_size`); below ``c T = 1`` there is no large outbreak.

    Parameters
    ----------
    n : int
    mean_degree : float
        c, the mean degree.
    T : float
        Per-edge transmission probability.
    n_seeds : int
        Randomly chosen initial members.
    seed : int, optional
        Seed of the graph and of the seed choice.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> sc = erdos_renyi_cascade(2_000, 4.0, 0.5, seed=3)
    >>> sc.graph.n, sc.conversion.p_convert
    (2000, 0.5)
    """
    from growthsim.graphs import erdos_renyi

    graph = erdos_renyi(int(n), float(mean_degree), seed=seed)
    gen = np.random.default_rng(seed)
    seeds = gen.choice(int(n), size=int(n_seeds), replace=False)
    sc = independent_cascade(graph, T, seeds)
    return sc.with_overrides({"name": "erdos_renyi_cascade"})


def bass_adoption(t, p, q):
    """Bass model adoption share F(t) at time t (years).

    Examples
    --------
    >>> round(float(bass_adoption(5.0, 0.03, 0.38)), 4)
    0.3312
    """
    t = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def final_size(c, T):
    """Final outbreak share S solving ``S = 1 - exp(-c T S)`` (0 when c T <= 1).

    Examples
    --------
    >>> round(final_size(4.0, 0.5), 4)
    0.7968
    >>> final_size(2.0, 0.4)
    0.0
    """
    r = c * T
    if r <= 1.0:
        return 0.0
    from scipy.optimize import brentq

    return float(brentq(lambda s: s - 1.0 + math.exp(-r * s), 1e-12, 1.0))


def _attach(scenario, graph):
    import dataclasses

    return dataclasses.replace(scenario, graph=graph)


__all__ = ["bass", "bass_adoption", "erdos_renyi_cascade", "final_size",
           "independent_cascade"]
