"""Synthetic social graphs, generated straight into CSR arrays.

Every stochastic generator takes ``seed``: an int for a reproducible graph, None for a fresh
one, or a ``numpy.random.Generator`` to draw from (it is advanced). The kernels draw from that
generator inside numba, so a seed gives the same graph on every machine and thread count.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from numba import njit

from ._csr import MAX_PEOPLE, SocialGraph, from_edges

__all__ = ["barabasi_albert", "watts_strogatz", "ring", "erdos_renyi", "circles",
           "configuration_model", "complete"]


# -- argument checks ------------------------------------------------------------------------
def _int(fn, name, value, lo, hi, hi_text=None):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or not lo <= value <= hi:
        raise ValueError(f"{fn}: {name} must be an integer in [{lo}, {hi_text or hi}]; "
                         f"got {value!r}")
    return int(value)


def _real(fn, name, value, lo, hi, *, lo_open=False, hi_text=None):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = (lo < value if lo_open else lo <= value) and value <= hi
    if not ok:
        if hi == math.inf:
            allowed = f"{'>' if lo_open else '>='} {lo}"
        else:
            allowed = f"in {'(' if lo_open else '['}{lo}, {hi_text or hi}]"
        raise ValueError(f"{fn}: {name} must be a number {allowed}; got {value!r}")
    return value


def _n(fn, n, lo=1):
    return _int(fn, "n", n, lo, MAX_PEOPLE)


# -- kernels --------------------------------------------------------------------------------
@njit(cache=True)
def _below(rng, k):
    """Uniform integer in [0, k); rng.random() is 4x cheaper than rng.integers() in numba."""
    return min(np.int64(rng.random() * k), k - 1)


@njit(cache=True)
def _ba_edges(n, m, rng):
    # Attachment pool = every edge endpoint so far, read straight from the edge arrays
    # (networkx keeps the same list as `repeated_nodes`), so a node is drawn with probability
    # proportional to its degree without a second 2*m*n array.
    n_e = m * (n - m)
    src, dst = np.empty(n_e, np.int32), np.empty(n_e, np.int32)
    for i in range(m):  # star on nodes 0..m, as networkx starts
        src[i], dst[i] = 0, i + 1
    targets = np.empty(m, np.int32)
    e = m
    for s in range(m + 1, n):
        t = 0
        while t < m:
            x = _below(rng, 2 * e)
            node = src[x >> 1] if x & 1 == 0 else dst[x >> 1]
            fresh = True
            for q in range(t):
                if targets[q] == node:
                    fresh = False
                    break
            if fresh:
                targets[t] = node
                t += 1
        for q in range(m):
            src[e], dst[e] = s, targets[q]
            e += 1
    return src, dst


@njit(cache=True)
def _slot(table, key):
    mask = len(table) - 1
    h = np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask
    while table[h] != -1 and table[h] != key:
        h = (h + 1) & mask
    return h


@njit(cache=True)
def _ws_edges(n, k, p, rng):
    """Rewire the ring lattice in networkx's order (lattice offset j outer, node u inner)."""
    half = k // 2
    n_e = n * half
    src, dst = np.empty(n_e, np.int32), np.empty(n_e, np.int32)
    rewire = np.empty(n_e, np.bool_)
    n_rewire = 0
    for e in range(n_e):
        u, j = e % n, e // n + 1
        src[e], dst[e] = u, (u + j) % n
        rewire[e] = rng.random() < p
        n_rewire += rewire[e]
    # The current graph = lattice edges not yet rewired + the rewired edges (a hash set), so
    # has_edge needs no adjacency lists.
    cap = 16
    while cap < 2 * n_rewire:
        cap *= 2
    table = np.full(cap, -1, np.int64)
    deg = np.full(n, k, np.int64)
    for e in range(n_e):
        if not rewire[e]:
            continue
        u, w = np.int64(src[e]), np.int64(-1)
        if deg[u] >= n - 1:  # u already knows everyone: skip, as networkx does
            rewire[e] = False
            continue
        while True:
            w = _below(rng, n)
            if w == u:
                continue
            d = (w - u) % n
            owner, off = (u, d) if d <= half else (w, n - d)
            if off <= half:
                e2 = (off - 1) * n + owner
                if not (rewire[e2] and e2 < e):  # that lattice edge is still there
                    continue
            key = min(u, w) * n + max(u, w)
            h = _slot(table, key)
            if table[h] == -1:
                table[h] = key
                break
        deg[dst[e]] -= 1
        deg[w] += 1
        dst[e] = w
    return src, dst


@njit(cache=True)
def _sbm_edges(starts, sizes, p_in, p_out, group, capacity, rng):
    """Tie each pair inside a block with probability p_in, each pair across blocks with p_out.

    Absent pairs are jumped over with geometric gaps (Batagelj & Brandes 2005), so the cost is
    O(n + edges), never O(n**2). Pass g = len(sizes) covers all pairs and keeps the cross ones.
    Returns e = -1 if more than `capacity` edges came out.
    """
    src, dst = np.empty(capacity, np.int32), np.empty(capacity, np.int32)
    n, e = starts[-1] + sizes[-1], 0
    for g in range(len(sizes) + 1):
        cross = g == len(sizes)
        start, size, p = (0, n, p_out) if cross else (starts[g], sizes[g], p_in)
        if p <= 0.0 or size < 2:
            continue
        log_q, limit = np.log1p(-p), float(size) * size
        v, w = 1, -1
        while v < size:
            gap = 0.0 if p >= 1.0 else np.log1p(-rng.random()) / log_q
            w += 1 + np.int64(min(gap, limit))
            while w >= v and v < size:
                w -= v
                v += 1
            if v < size:
                a, b = start + v, start + w
                if cross and group[a] == group[b]:
                    continue
                if e == capacity:
                    return src, dst, -1
                src[e], dst[e] = a, b
                e += 1
    return src[:e], dst[:e], e


def _block_model(starts, sizes, p_in, p_out, group, rng):
    pairs_in = float((sizes * (sizes - 1) // 2).sum())
    pairs_out = sizes.sum() * (sizes.sum() - 1) / 2 - pairs_in
    capacity = 64
    for pairs, p in ((pairs_in, p_in), (pairs_out + pairs_in, p_out)):
        capacity += int(pairs * p + 6 * math.sqrt(pairs * p) + 64)
    while True:  # the capacity is 6 sd above the mean: a retry is a one-in-a-billion event
        src, dst, e = _sbm_edges(starts, sizes, p_in, p_out, group, capacity, rng)
        if e >= 0:
            return src, dst
        capacity *= 2


@njit(cache=True)
def _stub_match(degree, rng):
    stubs = np.repeat(np.arange(len(degree), dtype=np.int32), degree)
    for i in range(len(stubs) - 1, 0, -1):  # Fisher-Yates
        j = _below(rng, i + 1)
        stubs[i], stubs[j] = stubs[j], stubs[i]
    return stubs


# -- generators -----------------------------------------------------------------------------
def barabasi_albert(n, m, seed=None):
    """Barabási–Albert preferential attachment.

    Starts, like networkx, from a star on nodes 0..m; each later person joins with m ties to
    distinct people drawn with probability proportional to their degree. The result has
    ``m * (n - m)`` edges and a power-law degree tail with exponent about 3.

    Parameters
    ----------
    n : int
        People, at least 2.
    m : int
        Ties each newcomer makes, in [1, n-1].
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = barabasi_albert(1000, 3, seed=1)
    >>> g.n_edges, int(g.degree().min())
    (2991, 3)
    """
    n = _n("barabasi_albert", n, 2)
    m = _int("barabasi_albert", "m", m, 1, n - 1, "n-1")
    src, dst = _ba_edges(n, m, np.random.default_rng(seed))
    return from_edges(n, src, dst, name=f"barabasi_albert(n={n}, m={m})",
                      symmetric_listing=False)


def ring(n, k):
    """Ring lattice: each person tied to the k nearest (k/2 on each side).

    Parameters
    ----------
    n : int
        People, at least 3.
    k : int
        Even, in [2, n-1].

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> ring(6, 2).neighbors(0)
    array([1, 5], dtype=int32)
    """
    n = _n("ring", n, 3)
    k = _int("ring", "k", k, 2, n - 1, "n-1")
    if k % 2:
        raise ValueError(f"ring: k must be an even integer in [2, n-1]; got {k}")
    src = np.tile(np.arange(n, dtype=np.int32), k // 2)
    dst = (src + np.repeat(np.arange(1, k // 2 + 1, dtype=np.int32), n)) % np.int32(n)
    return from_edges(n, src, dst, name=f"ring(n={n}, k={k})", symmetric_listing=False)


def watts_strogatz(n, k, p, seed=None):
    """Watts–Strogatz small world: a ring lattice whose edges are rewired with probability p.

    Follows networkx's procedure: each lattice edge (u, u+j) is, with probability p, replaced by
    (u, w) for a uniform w that is neither u nor already tied to u. No self-loops or duplicates;
    the edge count stays ``n * k / 2``. With ``p = 0`` the result equals :func:`ring`.

    Parameters
    ----------
    n : int
        People, at least 3.
    k : int
        Even, in [2, n-1]: each person's lattice neighbours.
    p : float
        Rewiring probability, in [0, 1].
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = watts_strogatz(100, 4, 0.1, seed=1)
    >>> g.n_edges
    200
    """
    fn = "watts_strogatz"
    n = _n(fn, n, 3)
    k = _int(fn, "k", k, 2, n - 1, "n-1")
    if k % 2:
        raise ValueError(f"{fn}: k must be an even integer in [2, n-1]; got {k}")
    p = _real(fn, "p", p, 0, 1)
    src, dst = _ws_edges(n, k, p, np.random.default_rng(seed))
    return from_edges(n, src, dst, name=f"watts_strogatz(n={n}, k={k}, p={p:g})",
                      symmetric_listing=False)


def erdos_renyi(n, mean_degree, seed=None):
    """Erdős–Rényi G(n, p) with ``p = mean_degree / (n - 1)``.

    Each of the n(n-1)/2 pairs is a tie independently with probability p. Absent pairs are
    skipped with geometric jumps (Batagelj & Brandes 2005), so time is O(n + edges).

    Parameters
    ----------
    n : int
        People, at least 2.
    mean_degree : float
        Expected degree c, in [0, n-1].
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = erdos_renyi(2000, 6.0, seed=1)
    >>> round(g.mean_degree)
    6
    """
    fn = "erdos_renyi"
    n = _n(fn, n, 2)
    c = _real(fn, "mean_degree", mean_degree, 0, n - 1, hi_text="n-1")
    src, dst = _block_model(np.zeros(1, np.int64), np.array([n], np.int64), c / (n - 1), 0.0,
                            np.zeros(0, np.int32), np.random.default_rng(seed))
    return from_edges(n, src, dst, name=f"erdos_renyi(n={n}, mean_degree={c:g})",
                      symmetric_listing=False)


def circles(n, n_groups, mean_degree, mixing=0.1, group_size_exponent=None, seed=None):
    """Interest circles: a stochastic block model with one block per group.

    Pairs within a circle are tied with probability p_in, pairs across circles with p_out, set
    so that the expected mean degree is `mean_degree` and a fraction `mixing` of the ties cross
    circles. Circles are equal in size (to within one), or, with `group_size_exponent` a, have
    sizes drawn from a Pareto law with density ~ size**-a (each circle has at least one
    person). People of one circle are numbered consecutively; labels are stored in ``.group``.

    Parameters
    ----------
    n : int
        People, at least 2.
    n_groups : int
        Circles, in [1, n].
    mean_degree : float
        Expected degree, > 0; must be reachable with p_in, p_out <= 1.
    mixing : float, default 0.1
        Expected share of ties that cross circles, in [0, 1] (0 if `n_groups` is 1).
    group_size_exponent : float, optional
        Power-law exponent of circle sizes, > 1; None for equal sizes.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = circles(3000, 30, 8.0, mixing=0.1, seed=1)
    >>> int(g.group.max()) + 1, round(g.mean_degree)
    (30, 8)
    """
    fn = "circles"
    n = _n(fn, n, 2)
    n_groups = _int(fn, "n_groups", n_groups, 1, n, "n")
    c = _real(fn, "mean_degree", mean_degree, 0, n - 1, lo_open=True, hi_text="n-1")
    mixing = _real(fn, "mixing", mixing, 0, 1)
    rng = np.random.default_rng(seed)
    if group_size_exponent is None:
        sizes = np.full(n_groups, n // n_groups, np.int64)
        sizes[: n % n_groups] += 1
    else:
        a = _real(fn, "group_size_exponent", group_size_exponent, 1, math.inf, lo_open=True)
        share = rng.pareto(a - 1, n_groups) + 1
        sizes = 1 + rng.multinomial(n - n_groups, share / share.sum()).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    pairs_in = float((sizes * (sizes - 1) // 2).sum())
    pairs_out = n * (n - 1) / 2 - pairs_in
    edges = n * c / 2
    if pairs_out == 0 and mixing > 0:
        raise ValueError(f"{fn}: mixing must be 0 when there is a single circle; got {mixing}")
    p_in = (1 - mixing) * edges / pairs_in if pairs_in else 0.0
    p_out = mixing * edges / pairs_out if pairs_out else 0.0
    if p_in > 1 or p_out > 1 or (pairs_in == 0 and mixing < 1):
        raise ValueError(f"{fn}: mean_degree={c:g} cannot be reached with mixing={mixing:g} "
                         f"and these circle sizes (largest {sizes.max()}); lower mean_degree "
                         "or use fewer, larger circles")
    group = np.repeat(np.arange(n_groups, dtype=np.int32), sizes)
    src, dst = _block_model(starts, sizes, p_in, p_out, group, rng)
    g = from_edges(n, src, dst, name=f"circles(n={n}, n_groups={n_groups}, "
                   f"mean_degree={c:g}, mixing={mixing:g})", symmetric_listing=False)
    return g.with_labels(group=group)


@njit(cache=True)
def _power_law_degrees(base, scale, lo, hi, out):
    """Write clip(round(scale * base), lo, hi) to out; return its mean."""
    total = 0
    for i in range(len(base)):
        out[i] = np.int64(min(max(scale * base[i] + 0.5, lo), hi + 0.5))  # clip before the
        # cast: with exponent near 2 the tail overflows int64
        total += out[i]
    return total / max(len(base), 1)


def configuration_model(n, exponent=2.5, mean_degree=10, min_degree=1, max_degree=None,
                        seed=None):
    """Heavy-tailed random graph: power-law degrees, stub matching, loops and repeats removed.

    Degrees are ``round(X)`` clipped to [min_degree, max_degree], X Pareto with density
    ~ x**-exponent, its scale solved so the drawn degrees average `mean_degree` (the sample
    mean, not just the expectation, which a heavy tail makes unreliable). Stubs are paired at
    random; self-loops and parallel edges are then dropped, which trims the largest hubs, so the
    final mean degree is a little below `mean_degree` (a few percent for exponent 2.5).

    Parameters
    ----------
    n : int
        People, at least 2.
    exponent : float, default 2.5
        Power-law exponent of the degree distribution, > 2.
    mean_degree : float, default 10
        Target mean degree, in [min_degree, max_degree].
    min_degree : int, default 1
        In [0, n-1].
    max_degree : int, optional
        In [min_degree, n-1]; default n-1.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = configuration_model(5000, exponent=2.5, mean_degree=6, seed=1)
    >>> g.has_multiedges, 5.0 < g.mean_degree <= 6.5
    (False, True)
    """
    fn = "configuration_model"
    n = _n(fn, n, 2)
    exponent = _real(fn, "exponent", exponent, 2, math.inf, lo_open=True)
    min_degree = _int(fn, "min_degree", min_degree, 0, n - 1, "n-1")
    max_degree = n - 1 if max_degree is None else _int(fn, "max_degree", max_degree,
                                                       min_degree, n - 1, "n-1")
    c = _real(fn, "mean_degree", mean_degree, min_degree, max_degree,
              hi_text="max_degree" if max_degree < n - 1 else "n-1")
    rng = np.random.default_rng(seed)
    base = (1 - rng.random(n)) ** (-1 / (exponent - 1))  # Pareto with scale 1
    degree = np.empty(n, np.int64)
    lo, hi = 0.0, float(max_degree)
    for _ in range(40):  # bisection on the scale: the mean degree grows with it
        mid = (lo + hi) / 2
        if _power_law_degrees(base, mid, min_degree, max_degree, degree) < c:
            lo = mid
        else:
            hi = mid
    _power_law_degrees(base, hi, min_degree, max_degree, degree)
    del base
    if degree.sum() % 2:  # stubs must pair up
        i = int(rng.integers(n))
        degree[i] += 1 if degree[i] < max_degree else -1
    stubs = _stub_match(degree, rng)
    half = len(stubs) // 2  # pairing slot i with i + half: contiguous halves, no copies
    g = from_edges(n, stubs[:half], stubs[half:], symmetric_listing=False,
                   name=f"configuration_model(n={n}, exponent={exponent:g}, mean_degree={c:g})")
    return replace(g, multiplicity=None)


def complete(n):
    """Mean-field graph: everyone can reach everyone, and no edge is stored.

    Memory is O(n) (``indptr`` is all zeros); ``degree()`` reports n - 1 and ``n_edges``
    n(n-1)/2. Kernels recognise ``graph.complete`` and mix at random.

    Parameters
    ----------
    n : int
        People, in [1, 2**30 - 1].

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> complete(1_000_000)
    SocialGraph('complete', n=1,000,000, edges=499,999,500,000, complete (mean field), ...)
    """
    n = _n("complete", n, 1)
    return SocialGraph(indptr=np.zeros(n + 1, np.int64), indices=np.zeros(0, np.int32),
                       name="complete", complete=True)
