"""Edge-list and node-label files, and conversion from networkx.

The parser is a numba kernel over the file's bytes: one pass, the same rules for every file,
and the exact line of the first problem (no second, slower parser to locate it).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from numba import njit

from ._csr import MAX_PEOPLE, from_edges

__all__ = ["GraphFormatError", "read_edgelist", "read_node_labels", "write_edgelist",
           "from_networkx"]


class GraphFormatError(ValueError):
    """A graph or label file that cannot be read; the message names ``file:line``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "edges.txt"
    >>> _ = path.write_text("0 1\\n1 two\\n")
    >>> try:
    ...     read_edgelist(path)
    ... except GraphFormatError as err:
    ...     print(str(err).split(":")[-2].strip())
    2
    """


# -- byte-level parsing ---------------------------------------------------------------------
_SPACE, _TAB, _CR, _LF, _COMMA, _HASH, _PERCENT, _DOT = 32, 9, 13, 10, 44, 35, 37, 46
_OK, _BAD_LINE, _BAD_WEIGHT, _NO_DATA = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _is_space(c):
    return c == _SPACE or c == _TAB or c == _CR


@njit(cache=True)
def _split(buf, a, b, starts, ends):
    """Split line buf[a:b] into fields separated by blanks and/or one comma; record the first
    len(starts). Return the field count, or -1 for an empty field (",," or a trailing comma)."""
    i, k = a, 0
    while i < b and _is_space(buf[i]):
        i += 1
    if i < b and buf[i] == _COMMA:
        return -1
    while i < b:
        s = i
        while i < b and not _is_space(buf[i]) and buf[i] != _COMMA:
            i += 1
        if k < len(starts):
            starts[k], ends[k] = s, i
        k += 1
        while i < b and _is_space(buf[i]):
            i += 1
        if i < b and buf[i] == _COMMA:
            i += 1
            while i < b and _is_space(buf[i]):
                i += 1
            if i == b or buf[i] == _COMMA:
                return -1
    return k


@njit(cache=True)
def _int(buf, s, e):
    """Non-negative decimal integer in buf[s:e], or -1."""
    if e <= s or e - s > 18:
        return -1
    x = 0
    for i in range(s, e):
        d = buf[i] - 48
        if d < 0 or d > 9:
            return -1
        x = 10 * x + d
    return x


@njit(cache=True)
def _float(buf, s, e):
    """Decimal number in buf[s:e] ("0.5", "5e-1", "+1"), or NaN."""
    i, neg, mant, exp10, digits, sig = s, False, 0, 0, 0, 0
    if i < e and (buf[i] == 43 or buf[i] == 45):
        neg = buf[i] == 45
        i += 1
    seen_dot = False
    while i < e:
        c = buf[i]
        if c == _DOT and not seen_dot:
            seen_dot = True
        elif 48 <= c <= 57:
            digits += 1
            if sig < 18:  # keep 18 significant digits; later ones cannot change a float32
                mant = 10 * mant + (c - 48)
                sig += mant > 0
                exp10 -= seen_dot
            else:
                exp10 += not seen_dot
        else:
            break
        i += 1
    if digits == 0:
        return np.nan
    if i < e and (buf[i] == 101 or buf[i] == 69):  # e, E
        i += 1
        sign = 1
        if i < e and (buf[i] == 43 or buf[i] == 45):
            sign = -1 if buf[i] == 45 else 1
            i += 1
        x = _int(buf, i, e) if e - i <= 4 else -1
        if x < 0:
            return np.nan
        exp10 += sign * x
        i = e
    if i != e:
        return np.nan
    v = mant * 10.0**exp10 if exp10 >= 0 else mant / 10.0**-exp10
    return -v if neg else v


@njit(cache=True)
def _numeric(buf, starts, ends, nf, want_w):
    if nf < 2 or _int(buf, starts[0], ends[0]) < 0 or _int(buf, starts[1], ends[1]) < 0:
        return False
    return not (want_w and nf >= 3 and np.isnan(_float(buf, starts[2], ends[2])))


@njit(cache=True)
def _line_end(buf, a):
    b = a
    while b < len(buf) and buf[b] != _LF:
        b += 1
    return b


@njit(cache=True)
def _skippable(buf, a, b):
    i = a
    while i < b and _is_space(buf[i]):
        i += 1
    return i == b or buf[i] == _HASH or buf[i] == _PERCENT


@njit(cache=True)
def _parse(buf, want_w):
    """Parse "u v [w ...]" lines.

    Returns (u, v, w, line, status, bad_line, bad_start, bad_end): per data line the two ids,
    the third column (1.0 if absent) and the 1-based line number; status _OK or the problem
    found on line `bad_line`, which spans buf[bad_start:bad_end].
    """
    n_lines = 1
    for c in buf:
        n_lines += c == _LF
    u = np.empty(n_lines, np.int64)
    v = np.empty(n_lines, np.int64)
    w = np.ones(n_lines if want_w else 0, np.float32)
    line = np.empty(n_lines, np.int64)
    starts, ends = np.empty(3, np.int64), np.empty(3, np.int64)

    # Header: the first non-comment line, if it is not numeric or its field count differs from
    # the next line's (NetHEPT's "15233 58891" above "u v w" lines).
    first, first_nf, header, a, lineno = 0, 0, 0, 0, 0
    while a <= len(buf):
        b = _line_end(buf, a)
        lineno += 1
        if not _skippable(buf, a, b):
            nf = _split(buf, a, b, starts, ends)
            if first == 0:
                first, first_nf = lineno, nf
                if not _numeric(buf, starts, ends, nf, want_w):
                    header = first
                    break
            else:
                header = first if nf != first_nf else 0
                break
        a = b + 1

    k, a, lineno = 0, 0, 0
    while a <= len(buf):
        b = _line_end(buf, a)
        lineno += 1
        if lineno != header and not _skippable(buf, a, b):
            nf = _split(buf, a, b, starts, ends)
            x = _int(buf, starts[0], ends[0]) if nf >= 2 else -1
            y = _int(buf, starts[1], ends[1]) if nf >= 2 else -1
            if x < 0 or y < 0:
                return u[:0], v[:0], w[:0], line[:0], _BAD_LINE, lineno, a, b
            if want_w and nf >= 3:
                t = np.float32(_float(buf, starts[2], ends[2]))
                if not (0.0 < t <= 1.0):  # tested after rounding: 1e-50 would become 0
                    return u[:0], v[:0], w[:0], line[:0], _BAD_WEIGHT, lineno, a, b
                w[k] = t
            u[k], v[k], line[k] = x, y, lineno
            k += 1
        a = b + 1
    status = _OK if k else _NO_DATA
    return u[:k], v[:k], w[:k], line[:k], status, 0, 0, 0


def _read_bytes(path):
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GraphFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise GraphFormatError(f"{path}: is a directory, not a file") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise GraphFormatError(f"{path}: not a valid gzip file ({exc})") from None
    if raw[:3] == b"\xef\xbb\xbf":  # UTF-8 byte-order mark
        raw = raw[3:]
    return np.frombuffer(raw, np.uint8)


def _parse_file(path, want_w, expected):
    buf = _read_bytes(path)
    u, v, w, line, status, bad, a, b = _parse(buf, want_w)
    if status == _NO_DATA:
        raise GraphFormatError(f"{path}: no {expected} lines found (the file is empty or "
                               "holds only comments and a header)")
    if status != _OK:
        text = buf[a:b].tobytes().decode("utf-8", "replace").rstrip("\r")
        if status == _BAD_WEIGHT:
            raise GraphFormatError(f"{path}:{bad}: tie strength (third column) must be a number "
                                   f"in (0, 1]; got {text!r}")
        raise GraphFormatError(f"{path}:{bad}: expected {expected} with integer node ids; "
                               f"got {text!r}")
    return u, v, w, line


def _relabel(u, v):
    """Compact ids 0..n-1 in sorted order of the original labels."""
    hi = int(max(u.max(), v.max()))
    if hi < 4 * (len(u) + len(v)) + 1024:  # dense ids: a lookup table beats sorting
        seen = np.zeros(hi + 1, np.bool_)
        seen[u] = seen[v] = True
        node_ids = np.flatnonzero(seen)
        lut = np.cumsum(seen, dtype=np.int64) - 1
        cu, cv = lut[u], lut[v]
    else:
        node_ids, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
        cu, cv = inverse[:len(u)], inverse[len(u):]
    return node_ids, cu.astype(np.int32), cv.astype(np.int32)


def _stem(path):
    name = Path(path).name
    name = name[:-3] if name.endswith(".gz") else name
    return Path(name).stem


def read_edgelist(path, directed=False, *, name=None):
    """Read an edge list: one ``u v [w]`` line per edge (plain or gzip).

    Fields are separated by spaces, tabs or a comma. Lines starting with ``#`` or ``%`` and
    blank lines are skipped; CRLF endings are accepted. The first non-comment line is a header
    and skipped if it is not numeric (``node_1,node_2``) or has a different number of fields
    than the next line (``15233 58891`` above ``u v w`` lines). An optional third column is the
    tie strength, in (0, 1]; further columns are ignored. Node ids are non-negative integers,
    renumbered 0..n-1 in sorted order (kept in ``node_ids``). Self-loops are dropped, but a node
    seen only in a self-loop is kept. Repeated edges become parallel edges (see
    :func:`from_edges`).

    Parameters
    ----------
    path : str or path-like
    directed : bool, default False
        If True, a line ``u v`` means u's shares reach v.
    name : str, optional
        Defaults to the file name without extensions.

    Returns
    -------
    SocialGraph

    Raises
    ------
    GraphFormatError
        Missing or empty file, or a bad line (the message gives ``path:line`` and the line).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.csv"
    >>> _ = path.write_text("source,target\\n10,20\\n20,30\\n30,10\\n")
    >>> g = read_edgelist(path)
    >>> g
    SocialGraph('tiny', n=3, edges=3, undirected, mean degree 2.0)
    >>> g.node_ids
    array([10, 20, 30])
    """
    u, v, w, _ = _parse_file(path, True, "'u v [w]'")
    node_ids, cu, cv = _relabel(u, v)
    if len(node_ids) > MAX_PEOPLE:
        raise GraphFormatError(f"{path}: {len(node_ids):,} nodes exceed {MAX_PEOPLE:,}")
    identity = node_ids[-1] == len(node_ids) - 1
    weight = None if np.all(w == 1) else w
    g = from_edges(len(node_ids), cu, cv, weight, directed=directed,
                   name=_stem(path) if name is None else name)
    return g if identity else replace(g, node_ids=node_ids)


def read_node_labels(path, graph):
    """Read ``node label`` lines (space or comma separated, optional header) for `graph`.

    Parameters
    ----------
    path : str or path-like
        Plain or gzip; comments and header as for :func:`read_edgelist`.
    graph : SocialGraph
        Node ids in the file are matched against ``graph.node_ids``.

    Returns
    -------
    ndarray of int32
        One label per person in `graph`, -1 where the file gives none. Pass it on with
        ``graph.with_labels(group=labels)``.

    Raises
    ------
    GraphFormatError
        A bad line, a node not in the graph, or a node given two different labels.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from growthsim.graphs import ring
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = path.write_text("node dept\\n0 7\\n2 3\\n")
    >>> read_node_labels(path, ring(4, 2))
    array([ 7, -1,  3, -1], dtype=int32)
    """
    node, label, _, line = _parse_file(path, False, "'node label'")
    ids = np.arange(graph.n) if graph.node_ids is None else graph.node_ids
    idx = np.searchsorted(ids, node)
    known = idx < graph.n
    known[known] = ids[idx[known]] == node[known]
    if not known.all():
        i = int(np.argmin(known))
        raise GraphFormatError(f"{path}:{line[i]}: node {node[i]} is not in the graph")
    if label.max() > 2**31 - 1:
        i = int(np.argmax(label))
        raise GraphFormatError(f"{path}:{line[i]}: label {label[i]} does not fit in int32")
    order = np.argsort(idx, kind="stable")  # a node's lines in file order
    s_idx, s_label = idx[order], label[order]
    clash = (s_idx[1:] == s_idx[:-1]) & (s_label[1:] != s_label[:-1])
    if clash.any():
        i = int(order[1:][clash].min())
        raise GraphFormatError(f"{path}:{line[i]}: node {node[i]} is given a second, different "
                               "label")
    out = np.full(graph.n, -1, np.int32)
    out[idx] = label
    return out


def write_edgelist(graph, path):
    """Write `graph` as ``u v [w]`` lines that :func:`read_edgelist` reads back identically.

    Ids are the original labels (`node_ids`). The weight column is written only when some tie
    strength differs from 1. An undirected tie is written once (u < v); a tie with multiplicity
    c is written c times. A person without ties is written as a self-loop line ``u u``, which
    the reader turns back into an isolated person. Follows and labels are not written.
    The file is gzip-compressed if `path` ends with ``.gz``.

    Parameters
    ----------
    graph : SocialGraph
        Not a complete (mean-field) graph: it has no edge list.
    path : str or path-like

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from growthsim.graphs import ring
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ring.txt.gz"
    >>> write_edgelist(ring(5, 2), path)
    >>> read_edgelist(path)
    SocialGraph('ring', n=5, edges=5, undirected, mean degree 2.0)
    """
    if graph.complete:
        raise ValueError("write_edgelist: a complete (mean-field) graph has no edge list; "
                         "store its size n instead")
    src = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(graph.indptr))
    keep = slice(None) if graph.directed else src < graph.indices
    reps = 1 if graph.multiplicity is None else graph.multiplicity[keep]
    u, v = np.repeat(src[keep], reps), np.repeat(graph.indices[keep], reps).astype(np.int64)
    w = np.repeat(graph.weight[keep], reps).astype(np.float64)
    seen = np.zeros(graph.n, bool)
    seen[u] = seen[v] = True
    lonely = np.flatnonzero(~seen)
    u, v = np.concatenate([u, lonely]), np.concatenate([v, lonely])
    w = np.concatenate([w, np.ones(len(lonely))])
    if graph.node_ids is not None:
        u, v = graph.node_ids[u], graph.node_ids[v]
    weighted = bool(np.any(w != 1))
    line = "{} {} {:.9g}\n" if weighted else "{} {}\n"  # %.9g round-trips float32 exactly
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", newline="\n") as fh:
        fh.write(f"# {graph!r}\n")
        for s in range(0, len(u), 1 << 18):
            cols = [c[s:s + (1 << 18)].tolist() for c in ((u, v, w) if weighted else (u, v))]
            fh.write("".join(map(line.format, *cols)))


def from_networkx(G, weight="weight"):
    """Convert a networkx graph (any of the four classes) to a :class:`SocialGraph`.

    Nodes are renumbered 0..n-1: in sorted order, kept in ``node_ids``, when every label is
    an integer; otherwise in ``G``'s node order. Directed graphs stay directed; parallel edges
    of a multigraph become `multiplicity`; self-loops are dropped.

    Parameters
    ----------
    G : networkx graph
    weight : str or None, default "weight"
        Edge attribute holding the tie strength, in (0, 1]; edges without it get 1.0.
        None ignores attributes.

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> import networkx as nx
    >>> g = from_networkx(nx.path_graph(["a", "b", "c"]))
    >>> g, g.node_ids
    (SocialGraph(n=3, edges=2, undirected, mean degree 1.3), None)
    >>> from_networkx(nx.DiGraph([(5, 9)])).node_ids
    array([5, 9])
    """
    nodes = list(G)
    ints = all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in nodes)
    node_ids = None
    if ints and nodes:
        nodes = sorted(nodes)
        if nodes != list(range(len(nodes))):
            node_ids = np.array(nodes, np.int64)
    index = {x: i for i, x in enumerate(nodes)}
    edges = list(G.edges(data=weight, default=1.0)) if weight else list(G.edges())
    src = np.fromiter((index[e[0]] for e in edges), np.int64, len(edges))
    dst = np.fromiter((index[e[1]] for e in edges), np.int64, len(edges))
    w = None
    if weight:
        w = np.array([e[2] for e in edges], np.float64)
        bad = ~((w > 0) & (w <= 1))
        if bad.any():
            e = edges[int(np.argmax(bad))]
            raise ValueError(f"from_networkx: edge attribute {weight!r} must be a tie strength "
                             f"in (0, 1]; got {e[2]!r} on edge ({e[0]!r}, {e[1]!r})")
        w = None if np.all(w == 1) else w
    g = from_edges(len(nodes), src, dst, w, directed=G.is_directed(),
                   name=G.graph.get("name", ""), symmetric_listing=False)
    return g if node_ids is None else replace(g, node_ids=node_ids)
