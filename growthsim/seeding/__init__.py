"""KOC seeding: which k people to sign so that word of mouth spreads furthest.

:func:`select` chooses k people by one of :data:`STRATEGIES`; :func:`spread` estimates the
independent-cascade spread of a seed set by Monte Carlo.

Cascade convention (for ``celf``, ``imm``, ``degree_discount`` and :func:`spread`): an
independent cascade (Kempe, Kleinberg & Tardos 2003) in which a newly active person ``u`` gets
one chance to activate each ``v`` in its CSR row (``u``'s shares reach ``v``) with probability
``p``; ``p=None`` means the *weighted cascade*, ``p_uv = 1 / in_degree(v)`` with parallel edges
counted (Kempe et al. 2003; IMM's default, Tang, Shi & Xiao 2015). ``m`` parallel edges combine
as ``1 - (1 - p_uv) ** m``. Follow edges and tie strengths play no part in this model of spread
(PageRank alone weighs ties by strength). On a complete (mean-field) graph, which stores no
edges, every strategy falls back to ``random``.

Randomness: every stochastic function takes ``seed`` (an int >= 0, or None for a fresh one).
Cascades and RR sets draw counter-based random numbers keyed by (seed, world or RR set, edge or
row), so results do not depend on the number of numba threads.

References
----------
Kempe, Kleinberg & Tardos (2003), Maximizing the spread of influence through a social network,
KDD. Leskovec, Krause, Guestrin, Faloutsos, VanBriesen & Glance (2007), Cost-effective outbreak
detection in networks, KDD. Chen, Wang & Yang (2009), Efficient influence maximization in social
networks, KDD. Tang, Shi & Xiao (2015), Influence maximization in near-linear time: a martingale
approach, SIGMOD. Chen (2018), An issue in the martingale analysis of the influence maximization
algorithm IMM, arXiv:1808.09363. Page, Brin, Motwani & Winograd (1999), The PageRank citation
ranking. Batagelj & Zaversnik (2003), An O(m) algorithm for cores decomposition of networks,
arXiv:cs/0310049. Raghavan, Albert & Kumara (2007), Near linear time algorithm to detect
community structures in large-scale networks, Phys. Rev. E 76.
"""

import numbers

import numpy as np

from growthsim.scenario.schema import SEED_STRATEGIES

from . import _strategies as _S

__all__ = ["STRATEGIES", "select", "spread", "pagerank", "core_number"]

#: Seeding strategies, the same tuple as ``koc.strategy`` and ``seeding.strategy`` accept.
STRATEGIES = ("random", "degree", "pagerank", "kcore", "community", "degree_discount", "celf",
              "imm")
assert STRATEGIES == SEED_STRATEGIES, "growthsim.seeding.STRATEGIES drifted from the schema"


def _check_seed(seed):
    if seed is None:
        return int(np.random.default_rng().integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be None or an integer in [0, 2**64); got {seed!r}")
    return int(seed)


def _check_p(p):
    if p is None:
        return None
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 < p <= 1.0:
        raise ValueError(f"p must be None (weighted cascade) or a probability in (0, 1]; "
                         f"got {p!r}")
    return float(p)


def _check_int(name, x, lo):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < lo:
        raise ValueError(f"{name} must be an integer >= {lo}; got {x!r}")
    return int(x)


def select(graph, k, strategy="degree", p=None, seed=None, *, epsilon=0.1, ell=1.0,
           n_sims=1000):
    """Choose k distinct people to seed (sign as KOCs) by `strategy`.

    Parameters
    ----------
    graph : SocialGraph
    k : int
        How many; clipped to ``graph.n``.
    strategy : str, default "degree"
        One of :data:`STRATEGIES`:

        * ``random`` -- uniformly without replacement (NumPy generator), returned sorted by id.
        * ``degree`` -- highest out-degree (distinct neighbours), ties to the lower id.
        * ``pagerank`` -- highest :func:`pagerank` (damping 0.85, tie strengths as weights).
        * ``kcore`` -- highest :func:`core_number`, ties by degree, then lower id.
        * ``community`` -- k spread over the interest circles ``graph.group`` in proportion to
          circle size (largest remainder), highest degree first within each circle; people
          outside every circle (-1) are used only if k exceeds the circles' total. A graph
          without circles is first partitioned by label propagation (Raghavan et al. 2007)
          over its undirected view, visiting people in a random order drawn from `seed`.
          Returned round by round: every circle's first pick, then second picks, ...
        * ``degree_discount`` -- DegreeDiscountIC of Chen, Wang & Yang (2009) with `p` (for
          ``p=None``, the mean weighted-cascade probability over stored edges). On a
          directed graph the discount goes to the chosen person's out-neighbours.
        * ``celf`` -- lazy greedy (Leskovec et al. 2007) on the spread estimated over
          `n_sims` live-edge worlds (the worlds of :func:`spread` with the same seed).
          Cost: about n * n_sims cascades for the first pass.
        * ``imm`` -- IMM (Tang, Shi & Xiao 2015): with probability at least
          ``1 - n**-ell`` the spread is at least ``(1 - 1/e - epsilon)`` times the optimum.
          The final node selection uses fresh RR sets (Chen 2018).
    p : float in (0, 1], optional
        Cascade probability per tie for celf, imm and degree_discount; None means the
        weighted cascade (see the module docstring).
    seed : int, optional
        For random, community (label-propagation order), celf and imm.
    epsilon : float, default 0.1
        IMM's approximation slack, in (0, 1].
    ell : float, default 1.0
        IMM's confidence: success probability ``1 - n**-ell``; > 0.
    n_sims : int, default 1000
        CELF's live-edge worlds.

    Returns
    -------
    ndarray of int64, shape (min(k, n),)
        Distinct person ids in the order the strategy chose them (sorted ids for random).

    Raises
    ------
    ValueError
        Unknown strategy (the message lists the valid ones), negative k, p outside (0, 1],
        epsilon outside (0, 1], ell <= 0, n_sims < 1 or a bad seed.
    MemoryError
        IMM would need more than ~6 GB of RR sets (a spread tiny against n with a small
        epsilon); the message says how many.

    Examples
    --------
    >>> from growthsim.graphs import from_edges
    >>> star = from_edges(6, [0, 0, 0, 0, 4], [1, 2, 3, 4, 5])   # a hub, and a spoke 4 - 5
    >>> select(star, 2, "degree")
    array([0, 4])
    >>> select(star, 2, "imm", p=0.5, seed=1)
    array([0, 5])
    >>> select(star, 2, "magic")
    Traceback (most recent call last):
    ...
    ValueError: unknown seeding strategy 'magic'; choose one of random, degree, pagerank, \
kcore, community, degree_discount, celf, imm
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown seeding strategy {strategy!r}; choose one of "
                         f"{', '.join(STRATEGIES)}")
    k = min(_check_int("k", k, 0), graph.n)
    p = _check_p(p)
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) \
            or not 0.0 < epsilon <= 1.0:
        raise ValueError(f"epsilon must be a number in (0, 1]; got {epsilon!r}")
    if isinstance(ell, bool) or not isinstance(ell, numbers.Real) or not ell > 0:
        raise ValueError(f"ell must be a number > 0; got {ell!r}")
    n_sims = _check_int("n_sims", n_sims, 1)
    if k == 0:
        return np.zeros(0, np.int64)
    if strategy == "random" or graph.complete:
        # kept exactly as GrowthModel always drew it (a pinned digest depends on it)
        return np.sort(np.random.default_rng(seed).choice(graph.n, size=k, replace=False))
    if strategy == "degree":
        return np.argsort(-graph.degree(), kind="stable")[:k]
    if strategy == "pagerank":
        return _S.by_pagerank(graph, k)
    if strategy == "kcore":
        return _S.by_kcore(graph, k)
    if strategy == "degree_discount":
        return _S.by_degree_discount(graph, k, p)
    seed = _check_seed(seed)
    if strategy == "community":
        return _S.by_community(graph, k, seed)
    if strategy == "celf":
        return _S.celf(graph, k, p, n_sims, seed)[0]
    return _S.imm(graph, k, p, seed, float(epsilon), float(ell))[0]


def spread(graph, seeds, p=None, n_sims=1000, seed=None):
    """Monte-Carlo estimate of the independent-cascade spread of `seeds`.

    Each of `n_sims` simulations is a live-edge world: every edge is live independently with
    its cascade probability, decided by counter-based random numbers of (seed, simulation,
    edge or row); the cascade size is the number of people reachable from the seeds over live
    edges (seeds included). Simulations run in parallel.

    Parameters
    ----------
    graph : SocialGraph
        Not a complete (mean-field) graph: it stores no edges to simulate on.
    seeds : array_like of int
        Person ids (repeats count once).
    p : float in (0, 1], optional
        Per-tie probability; None means the weighted cascade.
    n_sims : int, default 1000
    seed : int, optional

    Returns
    -------
    mean : float
        Mean cascade size.
    sem : float
        Its standard error (sample standard deviation / sqrt(n_sims); 0 for one simulation).

    Examples
    --------
    >>> from growthsim.graphs import from_edges
    >>> path = from_edges(3, [0, 1], [1, 2], directed=True)
    >>> spread(path, [0], p=1.0, n_sims=10, seed=1)           # everyone, every time
    (3.0, 0.0)
    >>> m, se = spread(path, [0], p=0.5, n_sims=20_000, seed=1)   # 1 + 0.5 + 0.25
    >>> abs(m - 1.75) < 3 * se
    True
    """
    sizes = _sizes(graph, seeds, p, n_sims, seed)
    sem = float(sizes.std(ddof=1) / np.sqrt(len(sizes))) if len(sizes) > 1 else 0.0
    return float(sizes.mean()), sem


def _sizes(graph, seeds, p=None, n_sims=1000, seed=None):
    """Cascade size in each simulation (for :func:`spread` and tests)."""
    if graph.complete:
        raise ValueError("spread: a complete (mean-field) graph stores no edges to simulate on")
    seeds = np.unique(np.asarray(seeds, dtype=np.int64).ravel())
    if len(seeds) and (seeds[0] < 0 or seeds[-1] >= graph.n):
        raise ValueError(f"spread: seeds must be person ids in [0, {graph.n - 1}]")
    n_sims = _check_int("n_sims", n_sims, 1)
    return _S.sizes(graph, seeds, _check_p(p), n_sims, _check_seed(seed))


def pagerank(graph, alpha=0.85, tol=1e-10, max_iter=1000):
    """PageRank of every person (Page et al. 1999), by power iteration on the CSR.

    The walk follows influence backwards: from a person to those whose shares reach them, with
    probability proportional to tie strength (``graph.weight``); so a person ranks high when
    their shares reach people who rank high. On an undirected graph this is plain PageRank.
    People with no way onward jump uniformly, as do all with probability ``1 - alpha``.

    Parameters
    ----------
    graph : SocialGraph
    alpha : float, default 0.85
        Damping factor.
    tol : float, default 1e-10
        Stop when the L1 change of a sweep is below ``n * tol``.
    max_iter : int, default 1000

    Returns
    -------
    ndarray of float64, shape (n,)
        Scores summing to 1.

    Examples
    --------
    >>> from growthsim.graphs import from_edges
    >>> pr = pagerank(from_edges(4, [0, 0, 0], [1, 2, 3]))
    >>> int(pr.argmax()), round(float(pr.sum()), 12)
    (0, 1.0)
    """
    if graph.complete:
        return np.full(graph.n, 1.0 / graph.n) if graph.n else np.zeros(0)
    return _S.pagerank(graph, alpha, tol, max_iter)


def core_number(graph):
    """Core number of every person (Batagelj & Zaversnik 2003, O(n + m) bucket peeling).

    The k-core is the largest subgraph in which everyone has at least k neighbours; a person's
    core number is the largest k whose core holds them. Directed graphs count in- plus
    out-neighbours, as ``networkx.core_number`` does.

    Returns
    -------
    ndarray of int64, shape (n,)

    Examples
    --------
    >>> from growthsim.graphs import from_edges
    >>> core_number(from_edges(5, [0, 0, 1, 2], [1, 2, 2, 3]))   # a triangle and a tail
    array([2, 2, 2, 1, 0])
    """
    if graph.complete:
        return np.full(graph.n, max(graph.n - 1, 0), np.int64)
    return _S.core_number(graph)
