"""The social graph as CSR arrays, and the builder every graph source goes through."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit, prange

__all__ = ["SocialGraph", "from_edges", "MAX_PEOPLE"]

#: Largest population a graph can hold: while building, a neighbour id and a direction bit share
#: one int32 (``v << 1 | flag``), which keeps the build at 4 bytes per stored edge.
MAX_PEOPLE = 2**30 - 1

_WEIGHT_SHIFT = 33  # weighted builds pack (v, float32 bits, flag) into one int64 key


@dataclass(frozen=True, eq=False, repr=False)
class SocialGraph:
    """People and their ties, stored as compressed sparse rows.

    Row ``u`` of ``indices[indptr[u]:indptr[u+1]]`` lists the people ``u``'s shares reach, sorted,
    without self-loops or duplicates. Undirected ties are stored in both rows. Build graphs with
    :func:`from_edges`, a generator, a reader or :func:`from_networkx` rather than by hand; the
    constructor checks shapes and dtypes only, :meth:`validate` checks everything.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n + 1,)
        Row offsets into `indices`.
    indices : ndarray of int32
        Neighbour ids, sorted within each row.
    weight : ndarray of float32, optional
        Tie strength in (0, 1] aligned with `indices`; all 1.0 when omitted.
    multiplicity : ndarray of int32, optional
        Number of parallel edges aligned with `indices`, or None when every edge is simple.
        A cascade with per-edge probability p uses ``1 - (1 - p) ** multiplicity``.
    directed : bool
        If True, ``u -> v`` means ``u``'s shares reach ``v``.
    follow_indptr, follow_indices : ndarray, optional
        Directed "follow" edges as CSR: row ``u`` lists the people who follow ``u`` (``u``'s
        audience beyond friends). Use :meth:`with_follows`.
    group : ndarray of int32, optional
        Interest circle per person, -1 for none.
    segment : ndarray of int8, optional
        Segment per person.
    node_ids : ndarray of int64, optional
        Original labels, strictly increasing; None means person ``i`` is labelled ``i``.
    name : str
        Shown in ``repr``.
    complete : bool
        Mean-field graph: everyone is tied to everyone, no edge is stored (see
        :func:`growthsim.graphs.complete`). Kernels mix at random instead of reading rows.

    Examples
    --------
    >>> from growthsim.graphs import from_edges
    >>> g = from_edges(3, [0, 1], [1, 2], name="path")
    >>> g
    SocialGraph('path', n=3, edges=2, undirected, mean degree 1.3)
    >>> g.neighbors(1)
    array([0, 2], dtype=int32)
    """

    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray | None = None
    multiplicity: np.ndarray | None = None
    directed: bool = False
    follow_indptr: np.ndarray | None = None
    follow_indices: np.ndarray | None = None
    group: np.ndarray | None = None
    segment: np.ndarray | None = None
    node_ids: np.ndarray | None = None
    name: str = ""
    complete: bool = False

    def __post_init__(self):
        # Coerce once here so every kernel sees the same dtypes (and compiles once).
        def coerce(field, dtype, length=None):
            a = getattr(self, field)
            if a is None:
                return
            a = np.ascontiguousarray(a, dtype=dtype)
            if a.ndim != 1 or (length is not None and len(a) != length):
                raise ValueError(f"SocialGraph: {field} must be 1-D of length {length}; "
                                 f"got shape {a.shape}")
            object.__setattr__(self, field, a)

        coerce("indptr", np.int64)
        if len(self.indptr) == 0:
            raise ValueError("SocialGraph: indptr must have length n + 1 >= 1")
        n, nnz = len(self.indptr) - 1, int(self.indptr[-1])
        coerce("indices", np.int32, nnz)
        if self.weight is None:
            object.__setattr__(self, "weight", np.ones(nnz, np.float32))
        coerce("weight", np.float32, nnz)
        coerce("multiplicity", np.int32, nnz)
        if (self.follow_indptr is None) != (self.follow_indices is None):
            raise ValueError("SocialGraph: give both follow_indptr and follow_indices, or neither")
        coerce("follow_indptr", np.int64, n + 1)
        if self.follow_indptr is not None:
            coerce("follow_indices", np.int32, int(self.follow_indptr[-1]))
        coerce("group", np.int32, n)
        coerce("segment", np.int8, n)
        coerce("node_ids", np.int64, n)
        object.__setattr__(self, "directed", bool(self.directed))
        object.__setattr__(self, "complete", bool(self.complete))
        object.__setattr__(self, "name", str(self.name))

    # -- size and degree -------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        """Distinct edges, each undirected tie counted once (parallel edges count once)."""
        if self.complete:
            return self.n * (self.n - 1) // 2
        return len(self.indices) if self.directed else len(self.indices) // 2

    def degree(self) -> np.ndarray:
        """Distinct neighbours per person (out-degree if directed; n - 1 if complete).

        Returns
        -------
        ndarray of int64, shape (n,)

        Examples
        --------
        >>> from growthsim.graphs import from_edges
        >>> from_edges(4, [0, 0, 0], [1, 2, 2]).degree()    # the repeated 0-2 counts once
        array([2, 1, 1, 0])
        """
        if self.complete:
            return np.full(self.n, max(self.n - 1, 0), np.int64)
        return np.diff(self.indptr)

    @property
    def mean_degree(self) -> float:
        """Mean of :meth:`degree`."""
        if self.n == 0:
            return 0.0
        return float(self.n - 1) if self.complete else len(self.indices) / self.n

    def neighbors(self, i: int) -> np.ndarray:
        """Person `i`'s neighbours, sorted.

        Parameters
        ----------
        i : int
            Person id, in [0, n-1].

        Returns
        -------
        ndarray of int32
            A view into `indices` (a new array of n - 1 ids for a complete graph).

        Examples
        --------
        >>> from growthsim.graphs import complete, ring
        >>> ring(8, 4).neighbors(0), complete(4).neighbors(1)
        (array([1, 2, 6, 7], dtype=int32), array([0, 2, 3], dtype=int32))
        """
        if self.complete:
            return np.delete(np.arange(self.n, dtype=np.int32), i)
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    @property
    def has_multiedges(self) -> bool:
        """True if some tie is made of parallel edges."""
        return self.multiplicity is not None

    @property
    def nbytes(self) -> int:
        """Bytes held by the graph's arrays."""
        return sum(a.nbytes for a in self._arrays().values() if a is not None)

    def _arrays(self) -> dict:
        names = ("indptr", "indices", "weight", "multiplicity", "follow_indptr",
                 "follow_indices", "group", "segment", "node_ids")
        return {k: getattr(self, k) for k in names}

    def __repr__(self):
        kind = "complete (mean field)" if self.complete else (
            ("directed" if self.directed else "undirected")
            + (" multigraph" if self.has_multiedges else ""))
        follows = "" if self.follow_indices is None else f", {len(self.follow_indices):,} follows"
        name = f"{self.name!r}, " if self.name else ""
        return (f"SocialGraph({name}n={self.n:,}, edges={self.n_edges:,}, {kind}, "
                f"mean degree {self.mean_degree:.1f}{follows})")

    # -- derived graphs --------------------------------------------------------------------
    def with_labels(self, group=None, segment=None) -> SocialGraph:
        """Return a copy with interest circles and/or segments set (None keeps the current).

        Parameters
        ----------
        group : array_like of int, optional
            Interest circle per person, -1 for none.
        segment : array_like of int, optional
            Segment per person, in [0, 127].

        Returns
        -------
        SocialGraph

        Examples
        --------
        >>> from growthsim.graphs import ring
        >>> ring(4, 2).with_labels(group=[0, 0, 1, -1]).group
        array([ 0,  0,  1, -1], dtype=int32)
        """
        group = self.group if group is None else np.asarray(group)
        segment = self.segment if segment is None else np.asarray(segment)
        if group is not None and len(group) and (group.min() < -1 or group.max() > 2**31 - 1):
            raise ValueError("with_labels: group must hold integers in [-1, 2**31-1]")
        if segment is not None and len(segment) and (segment.min() < 0 or segment.max() > 127):
            raise ValueError("with_labels: segment must hold integers in [0, 127]")
        return replace(self, group=group, segment=segment)

    def with_follows(self, src, dst) -> SocialGraph:
        """Return a copy in which each ``dst[i]`` also follows ``src[i]``.

        Follows add to those already present; self-follows and repeats are dropped.

        Parameters
        ----------
        src : array_like of int
            The people followed (whose public posts are seen).
        dst : array_like of int
            Their followers.

        Returns
        -------
        SocialGraph

        Examples
        --------
        >>> from growthsim.graphs import ring
        >>> g = ring(5, 2).with_follows([0, 0], [2, 3])
        >>> g.follow_indices[g.follow_indptr[0]:g.follow_indptr[1]]
        array([2, 3], dtype=int32)
        """
        src, dst = np.asarray(src), np.asarray(dst)
        if self.follow_indptr is not None:
            old_src = np.repeat(np.arange(self.n), np.diff(self.follow_indptr))
            src = np.concatenate([old_src, src])
            dst = np.concatenate([self.follow_indices, dst])
        f = from_edges(self.n, src, dst, directed=True)
        return replace(self, follow_indptr=f.indptr, follow_indices=f.indices)

    def to_networkx(self):
        """Convert to a networkx graph (MultiGraph/MultiDiGraph if there are parallel edges).

        Nodes are labelled with `node_ids` when present; each edge carries ``weight``.
        Only for small graphs: a complete graph is refused above 2,000 people.

        Returns
        -------
        networkx.Graph, DiGraph, MultiGraph or MultiDiGraph

        Examples
        --------
        >>> from growthsim.graphs import from_edges
        >>> sorted(from_edges(3, [0, 1], [1, 2]).to_networkx().edges(data="weight"))
        [(0, 1, 1.0), (1, 2, 1.0)]
        """
        import networkx as nx

        if self.complete:
            if self.n > 2000:
                raise ValueError(f"to_networkx: refusing to build all {self.n_edges:,} edges of "
                                 f"a complete graph with n={self.n:,} > 2,000")
            G = nx.complete_graph(self.n)
            nx.set_edge_attributes(G, 1.0, "weight")
        else:
            cls = {(False, False): nx.Graph, (True, False): nx.DiGraph,
                   (False, True): nx.MultiGraph, (True, True): nx.MultiDiGraph}
            G = cls[self.directed, self.has_multiedges]()
            G.add_nodes_from(range(self.n))
            src = np.repeat(np.arange(self.n), np.diff(self.indptr))
            keep = slice(None) if self.directed else src < self.indices
            reps = 1 if self.multiplicity is None else self.multiplicity[keep]
            u, v = np.repeat(src[keep], reps), np.repeat(self.indices[keep], reps)
            w = np.repeat(self.weight[keep], reps)
            G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
        G.graph["name"] = self.name
        if self.node_ids is not None:
            G = nx.relabel_nodes(G, dict(enumerate(self.node_ids.tolist())), copy=True)
        return G

    # -- invariants ------------------------------------------------------------------------
    def validate(self) -> SocialGraph:
        """Check every invariant; raise ValueError naming the first one broken.

        Returns
        -------
        SocialGraph
            self, so that ``g = build(...).validate()`` reads naturally.

        Examples
        --------
        >>> from growthsim.graphs import ring
        >>> ring(6, 2).validate().n
        6
        """
        def fail(msg):
            raise ValueError(f"SocialGraph {self.name!r} is invalid: {msg}")

        n, nnz = self.n, len(self.indices)
        if self.indptr[0] != 0 or np.any(np.diff(self.indptr) < 0):
            fail("indptr must start at 0 and never decrease")
        if nnz and not (np.all(self.weight > 0) and np.all(self.weight <= 1)):
            fail("weights must lie in (0, 1]")
        if self.complete:
            if nnz or self.multiplicity is not None:
                fail("a complete graph stores no edges")
        else:
            code, row = _check_rows(self.indptr, self.indices, self.weight,
                                    _or_empty(self.multiplicity), not self.directed)
            if code:
                fail(_ROW_PROBLEMS[code] + f" (row {row})")
        if self.multiplicity is not None and (self.multiplicity.min(initial=2) < 1
                                              or not np.any(self.multiplicity > 1)):
            fail("multiplicity must be >= 1, and None when every edge is simple")
        if self.follow_indptr is not None:
            fp = self.follow_indptr
            if fp[0] != 0 or np.any(np.diff(fp) < 0):
                fail("follow_indptr must start at 0 and never decrease")
            code, row = _check_rows(fp, self.follow_indices, np.ones(0, np.float32),
                                    np.ones(0, np.int32), False)
            if code:
                fail("follows: " + _ROW_PROBLEMS[code] + f" (row {row})")
        if self.group is not None and n and self.group.min() < -1:
            fail("group must be >= -1")
        if self.segment is not None and n and self.segment.min() < 0:
            fail("segment must be >= 0")
        if self.node_ids is not None and np.any(np.diff(self.node_ids) <= 0):
            fail("node_ids must be strictly increasing")
        return self


_ROW_PROBLEMS = {1: "neighbour id out of range", 2: "self-loop", 3: "row not strictly sorted "
                 "(unsorted or duplicate neighbour)", 4: "undirected edge missing its reverse",
                 5: "undirected edge's reverse has a different weight or multiplicity"}


def _or_empty(a):
    return np.ones(0, np.int32) if a is None else a


@njit(cache=True)
def _check_rows(indptr, indices, weight, mult, symmetric):
    n = len(indptr) - 1
    for u in range(n):
        a, b = indptr[u], indptr[u + 1]
        for j in range(a, b):
            v = indices[j]
            if v < 0 or v >= n:
                return 1, u
            if v == u:
                return 2, u
            if j > a and indices[j - 1] >= v:
                return 3, u
            if symmetric:
                lo, hi = indptr[v], indptr[v + 1]
                k = lo + np.searchsorted(indices[lo:hi], u)
                if k == hi or indices[k] != u:
                    return 4, u
                if weight[k] != weight[j] or (len(mult) and mult[k] != mult[j]):
                    return 5, u
    return 0, -1


# -- building CSR from edge arrays ----------------------------------------------------------
# Every stored edge becomes one integer key: the neighbour id in the high bits, then (weighted
# builds only) the float32 bits of its weight, then one bit saying whether the entry is the
# mirror of an undirected line. Sorting keys within a row groups duplicates, orders a group's
# weights identically in both rows (so merged means agree bit for bit), and lets the direction
# bits decide whether an undirected input lists each edge both ways.

@njit(cache=True)
def _indptr(n, src, dst, directed):
    counts = np.zeros(n + 1, np.int64)
    for i in range(len(src)):
        if src[i] != dst[i]:
            counts[src[i] + 1] += 1
            if not directed:
                counts[dst[i] + 1] += 1
    return np.cumsum(counts)


@njit(cache=True)
def _scatter(src, dst, wbits, directed, indptr, keys, shift):
    cursor = indptr[:-1].copy()
    for i in range(len(src)):
        u, v = np.int64(src[i]), np.int64(dst[i])
        if u == v:
            continue
        wb = np.int64(wbits[i]) << 1 if len(wbits) else np.int64(0)
        keys[cursor[u]] = (v << shift) | wb
        cursor[u] += 1
        if not directed:
            keys[cursor[v]] = (u << shift) | wb | 1
            cursor[v] += 1


@njit(cache=True)
def _sort(keys, a, b):
    if b - a > 24:
        keys[a:b].sort()
        return
    for i in range(a + 1, b):  # most rows are short: insertion sort is ~3x numba's quicksort
        x, j = keys[i], i - 1
        while j >= a and keys[j] > x:
            keys[j + 1] = keys[j]
            j -= 1
        keys[j + 1] = x


@njit(cache=True, parallel=True)
def _sort_rows(indptr, keys, shift):
    """Sort each row; return distinct neighbours per row and the number of pairs whose lines
    are not balanced between the two directions."""
    n = len(indptr) - 1
    distinct = np.zeros(n + 1, np.int64)
    unbalanced = 0
    for r in prange(n):
        a, b = indptr[r], indptr[r + 1]
        _sort(keys, a, b)
        j, d = a, 0
        while j < b:
            v, mirrored, total = keys[j] >> shift, 0, 0
            while j < b and keys[j] >> shift == v:
                mirrored += keys[j] & 1
                total += 1
                j += 1
            d += 1
            if 2 * mirrored != total:
                unbalanced += 1
        distinct[r + 1] = d
    return distinct, unbalanced


@njit(cache=True, parallel=True)
def _merge_rows(indptr, keys, shift, wvals, symmetric, new_indptr, indices, mult, weight):
    for r in prange(len(indptr) - 1):
        j, b, o = indptr[r], indptr[r + 1], new_indptr[r]
        while j < b:
            v, mirrored, total, wsum = keys[j] >> shift, 0, 0, 0.0
            while j < b and keys[j] >> shift == v:
                mirrored += keys[j] & 1
                total += 1
                if len(wvals):
                    wsum += wvals[j]
                j += 1
            indices[o] = v
            mult[o] = max(mirrored, total - mirrored) if symmetric else total
            if len(wvals):
                weight[o] = wsum / total
            o += 1


def _as_ids(a, n, what):
    a = np.asarray(a)
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
        raise ValueError(f"from_edges: {what} must be a 1-D array of integers")
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(f"from_edges: {what} must hold ids in [0, n-1] = [0, {n - 1}]; "
                         f"got values in [{a.min()}, {a.max()}]")
    return np.ascontiguousarray(a, dtype=np.int32)  # one dtype: the kernels compile once


def from_edges(n, src, dst, weight=None, *, directed=False, name="", symmetric_listing="auto"):
    """Build a :class:`SocialGraph` from edge arrays.

    Self-loops are dropped, neighbour lists sorted, and repeated edges merged into one edge whose
    `multiplicity` counts them and whose weight is their mean. For undirected input, a *symmetric
    listing* (every ordered pair appears as often as its reverse, as in SNAP's ca-GrQc, which
    lists each edge both ways) gives ``multiplicity{u,v} = count(u,v)``; any other listing (a
    multigraph such as NetHEPT, one line per co-authorship) gives ``count(u,v) + count(v,u)``.
    Time and memory are O(n + edges); this is the builder the generators use at 10M people.

    Parameters
    ----------
    n : int
        Number of people, in [0, 2**30 - 1]; ids run from 0 to n - 1.
    src, dst : array_like of int
        Edge endpoints; for directed graphs ``src[i]``'s shares reach ``dst[i]``.
    weight : array_like of float, optional
        Tie strength per edge, in (0, 1]; 1.0 if omitted.
    directed : bool, default False
    name : str, default ""
    symmetric_listing : {"auto", True, False}, default "auto"
        How to count repeated undirected edges (see above). "auto" detects a symmetric listing;
        True counts ``max(count(u,v), count(v,u))``; False counts the sum. Ignored if directed.

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> g = from_edges(3, [0, 1, 1, 2, 2], [1, 0, 2, 1, 2])   # each edge both ways, a loop
    >>> g.n_edges, g.multiplicity is None
    (2, True)
    >>> g = from_edges(3, [0, 0, 1], [1, 1, 2], weight=[0.2, 0.4, 1.0])
    >>> g.multiplicity[:1], g.weight[:1]     # two parallel 0-1 edges, mean weight
    (array([2], dtype=int32), array([0.3], dtype=float32))
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 0 <= n <= MAX_PEOPLE:
        raise ValueError(f"from_edges: n must be an integer in [0, {MAX_PEOPLE}]; got {n!r}")
    if symmetric_listing not in ("auto", True, False):
        raise ValueError("from_edges: symmetric_listing must be 'auto', True or False; "
                         f"got {symmetric_listing!r}")
    n = int(n)
    if symmetric_listing != "auto":
        symmetric_listing = bool(symmetric_listing)
    src, dst = _as_ids(src, n, "src"), _as_ids(dst, n, "dst")
    if len(src) != len(dst):
        raise ValueError(f"from_edges: src and dst differ in length ({len(src)} != {len(dst)})")
    if weight is None:
        wbits, shift = np.zeros(0, np.uint32), 1
    else:
        w = np.ascontiguousarray(weight, dtype=np.float32)
        if w.shape != src.shape:
            raise ValueError(f"from_edges: weight must have one value per edge ({len(src)}); "
                             f"got shape {w.shape}")
        bad = ~((w > 0) & (w <= 1))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"from_edges: weights must lie in (0, 1]; got {float(w[i])!r} "
                             f"on edge ({src[i]}, {dst[i]})")
        wbits, shift = w.view(np.uint32), _WEIGHT_SHIFT
    directed = bool(directed)

    indptr = _indptr(n, src, dst, directed)
    keys = np.empty(int(indptr[-1]), np.int32 if shift == 1 else np.int64)
    _scatter(src, dst, wbits, directed, indptr, keys, shift)
    distinct, unbalanced = _sort_rows(indptr, keys, shift)
    symmetric = not directed and (symmetric_listing is True
                                  or (symmetric_listing == "auto" and unbalanced == 0))
    new_indptr = np.cumsum(distinct)
    if new_indptr[-1] == len(keys):  # nothing to merge: decode in place, no second copy
        mult = None
        if shift == 1:
            indices = np.right_shift(keys, 1, out=keys)
            weight = None
        else:
            indices = (keys >> shift).astype(np.int32)
            weight = ((keys >> 1) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
    else:
        m = int(new_indptr[-1])
        wvals = (np.zeros(0, np.float32) if shift == 1
                 else ((keys >> 1) & 0xFFFFFFFF).astype(np.uint32).view(np.float32))
        indices, mult = np.empty(m, np.int32), np.empty(m, np.int32)
        weight = np.empty(m if shift != 1 else 0, np.float32)
        _merge_rows(indptr, keys, shift, wvals, symmetric, new_indptr, indices, mult, weight)
        del keys, wvals
        indptr, weight = new_indptr, (weight if shift != 1 else None)
        if not np.any(mult > 1):
            mult = None
    return SocialGraph(indptr=indptr, indices=indices, weight=weight, multiplicity=mult,
                       directed=directed, name=name)
