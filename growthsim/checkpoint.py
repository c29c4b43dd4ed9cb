"""Checkpoints: a model's whole state in one file, to resume a run exactly.

:func:`save` writes everything a :class:`growthsim.GrowthModel` carries from
one day to the next; :func:`load` rebuilds the model, and running it on gives
bit for bit the metrics and state arrays an uninterrupted run gives.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, readable with
``numpy.load(path, allow_pickle=False)``) plus a JSON member ``header.json``.
Nothing is pickled, so loading a file cannot run code. What is stored:

- the population matrices ``I`` and ``F``; the parameter arrays ``P``,
  ``SEG``, ``LEV``; the member list, the pending-joiner and touched scratch
  arrays and the kernels' day buffers;
- the metric rows recorded so far (the ``metrics`` table is rebuilt from them);
- the KOC audience (follow CSR) when signing KOCs created one;
- the social graph's CSR arrays and labels (so a run from an edge-list file
  resumes even if the file has moved), and a graph attached to the scenario;
- in the header: the scenario (``Scenario.to_dict()``, reloaded through the
  scenario loader's validation, and its ``source_file``), the day counter,
  notes stock, yesterday's UGC count and habituation mean, ``running``, Mesa's
  clock (``steps``, ``time``, agent id counter) and both of Mesa's random
  generators' states, the column layout and the code version.

Compatibility: a file of another checkpoint format version is refused
(:class:`CheckpointError`). A file written by other growthsim code
(:func:`growthsim.store.code_version` differs) loads with a
:class:`CheckpointWarning`, because a resumed run may then differ from an
uninterrupted one; ``strict=True`` makes that an error. A file whose state
columns no longer match the code's layout is always refused.

Writes are atomic (a temporary file in the same folder, then ``os.replace``)
and deterministic: saving the same state twice gives the same bytes.
"""

import contextlib
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from growthsim.errors import GrowthsimError

FORMAT = "growthsim.checkpoint"
VERSION = 1

_HEADER = "header.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that equal states give equal bytes
_GRAPH_ARRAYS = ("indptr", "indices", "weight", "multiplicity", "follow_indptr",
                 "follow_indices", "group", "segment", "node_ids")


class CheckpointError(GrowthsimError):
    """A checkpoint file is missing, damaged, of another format, or inconsistent.

    The message names the file.

    Examples
    --------
    >>> str(CheckpointError("run.npz", "not a checkpoint"))
    'run.npz: not a checkpoint'
    """

    def __init__(self, path, message):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class CheckpointWarning(UserWarning):
    """A checkpoint written by other growthsim code was loaded.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("written by growthsim 0.0.0+000000000000", CheckpointWarning)
    >>> caught[0].category.__name__
    'CheckpointWarning'
    """


# -- saving ---------------------------------------------------------------------------------------
def save(model, path, *, compress=False):
    """Write ``model``'s complete state to ``path`` (atomically).

    Parameters
    ----------
    model : GrowthModel
        Any day, including day 0 and a finished run.
    path : str or Path
        The file to write (replaced if it exists); ``.npz`` is the customary suffix.
    compress : bool
        Deflate the arrays (smaller file, slower save and load).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, growthsim as gs
    >>> from growthsim.checkpoint import save, load
    >>> sc = gs.Scenario().with_overrides({"population.n": 500, "seeding.initial_members": 20})
    >>> a, b = gs.GrowthModel(sc, seed=3), gs.GrowthModel(sc, seed=3)
    >>> _ = a.run(days=10)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save(a, f"{tmp}/day10.npz")
    ...     c = load(f"{tmp}/day10.npz")
    >>> c.day, c.run(days=10).equals(b.run(days=20))
    (10, True)
    """
    header, arrays = _state(model)
    path = Path(path)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CheckpointError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
                with _member(zf, _HEADER, method) as out:
                    out.write(json.dumps(header, sort_keys=True, indent=1).encode())
                for name, arr in arrays.items():
                    with _member(zf, name + ".npy", method) as out:
                        np.lib.format.write_array(out, arr, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users (and workers)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CheckpointError(path, f"cannot write: {exc.strerror or exc}") from None
        raise
    return path


def _member(zf, name, method):
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return zf.open(info, "w", force_zip64=True)


def _state(model):
    """(header dict, {name: array}) of everything the model carries between days."""
    from growthsim import metrics as M
    from growthsim.kernels import layout as L
    from growthsim.store import code_version

    sc = model.scenario
    width = len(M.FLOW_NAMES) + len(M.CENSUS_NAMES)
    conv, acq, cen = model._buffers
    follow_from_graph = model._follow[0] is model.graph.follow_indptr
    arrays = {
        "I": model.population.I, "F": model.population.F,
        "P": model.P, "SEG": model.SEG, "LEV": model.LEV,
        "members": model.members, "pending": model._pending, "touched": model._touched,
        "rows": np.vstack(model._rows) if model._rows else np.zeros((0, width)),
        "buf_conv": conv, "buf_acq": acq, "buf_census": cen,
    }
    if not follow_from_graph:
        arrays["follow_indptr"], arrays["follow_indices"] = model._follow
    graphs = {"graph": _graph_meta(model.graph, arrays, "graph.")}
    if sc.graph is None:
        attached = "none"
    elif sc.graph is model.graph:
        attached = "model"
    else:
        attached = "own"
        graphs["scenario_graph"] = _graph_meta(sc.graph, arrays, "scenario_graph.")
    header = {
        "format": FORMAT, "version": VERSION, "code_version": code_version(),
        "layout": {"I": list(L.I_NAMES), "F": list(L.F_NAMES), "P": L.N_P,
                   "rows": list(M.FLOW_NAMES + M.CENSUS_NAMES)},
        "scenario": sc.to_dict(), "source_file": sc.source_file, "scenario_graph": attached,
        "graphs": graphs,
        "model": {"day": int(model.day), "n": int(model.n), "n_members": int(model.n_members),
                  "notes_stock": float(model.notes_stock),
                  "ugc_yesterday": int(model._ugc_yesterday),
                  "hab_mean": float(model._hab_mean), "running": bool(model.running),
                  "follow_from_graph": bool(follow_from_graph)},
        "mesa": {"steps": int(model.steps), "time": float(model.time),
                 "agent_id_counter": int(model.agent_id_counter),
                 "rng": model.rng.bit_generator.state, "random": model.random.getstate(),
                 "seed": model._seed},
        "arrays": {k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()},
    }
    return header, {k: np.ascontiguousarray(a) for k, a in arrays.items()}


def _graph_meta(graph, arrays, prefix):
    """Put the graph's arrays into ``arrays``; return its scalar fields."""
    present = []
    for name in _GRAPH_ARRAYS:
        a = getattr(graph, name)
        if a is not None:
            arrays[prefix + name] = a
            present.append(name)
    return {"directed": bool(graph.directed), "complete": bool(graph.complete),
            "name": graph.name, "arrays": present}


# -- loading --------------------------------------------------------------------------------------
def read_header(path):
    """The JSON header of a checkpoint (format, code version, scenario, day...).

    Raises
    ------
    CheckpointError
        The file is missing, not a checkpoint, or damaged.

    Examples
    --------
    >>> import tempfile, pathlib, growthsim as gs
    >>> model = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300}), seed=1)
    >>> _ = model.run(days=5)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "day5.npz"
    >>> _ = save(model, path)
    >>> h = read_header(path)
    >>> from growthsim.store import code_version
    >>> h["model"]["day"], h["scenario"]["population"]["n"], h["code_version"] == code_version()
    (5, 300, True)
    """
    with _open(path) as zf:
        return _header(zf, path)


def load(path, *, strict=False, cls=None):
    """Rebuild the model saved in ``path`` by :func:`save`.

    Parameters
    ----------
    path : str or Path
    strict : bool
        Refuse a file written by other growthsim code instead of warning.
    cls : type, optional
        The model class (default :class:`growthsim.GrowthModel`).

    Returns
    -------
    GrowthModel
        At the saved day; ``run`` continues the run.

    Raises
    ------
    CheckpointError
        Missing, damaged or incompatible file (the message names it).

    Warns
    -----
    CheckpointWarning
        The file was written by other growthsim code (unless ``strict``).

    Examples
    --------
    >>> import tempfile, pathlib, growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "seeding.initial_members": 10})
    >>> whole = gs.GrowthModel(sc, seed=2).run(days=20)
    >>> model = gs.GrowthModel(sc, seed=2)
    >>> _ = model.run(days=8)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "day8.npz"
    >>> _ = save(model, path)
    >>> load(path).run(days=12).equals(whole)
    True
    """
    with _open(path) as zf:
        header = _header(zf, path)
        _check_compatible(header, path, strict)
        arrays = {name: _array(zf, name, spec, path) for name, spec in header["arrays"].items()}
    try:
        return _rebuild(header, arrays, path, cls)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CheckpointError(path, f"inconsistent checkpoint ({type(exc).__name__}: {exc})") \
            from None


def _open(path):
    try:
        return zipfile.ZipFile(path, "r")
    except FileNotFoundError:
        raise CheckpointError(path, "no such checkpoint file") from None
    except IsADirectoryError:
        raise CheckpointError(path, "is a directory, not a checkpoint file") from None
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise CheckpointError(path, "not a growthsim checkpoint (not a zip/.npz archive, "
                                    "or truncated)") from None
    except OSError as exc:
        raise CheckpointError(path, f"cannot read: {exc.strerror or exc}") from None


def _header(zf, path):
    try:
        raw = zf.read(_HEADER)
    except KeyError:
        raise CheckpointError(path, "not a growthsim checkpoint (no header.json)") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(path, f"damaged checkpoint header ({exc})") from None
    try:
        header = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(path, f"damaged checkpoint header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(path, "not a growthsim checkpoint (header has no "
                                    f"format {FORMAT!r})")
    if header.get("version") != VERSION:
        raise CheckpointError(path, f"checkpoint format version {header.get('version')!r}; "
                                    f"this growthsim reads version {VERSION}")
    return header


def _check_compatible(header, path, strict):
    from growthsim import metrics as M
    from growthsim.kernels import layout as L
    from growthsim.store import code_version

    layout = header.get("layout", {})
    current = {"I": list(L.I_NAMES), "F": list(L.F_NAMES), "P": L.N_P,
               "rows": list(M.FLOW_NAMES + M.CENSUS_NAMES)}
    for key, want in current.items():
        if layout.get(key) != want:
            raise CheckpointError(path, f"written by growthsim {header.get('code_version')} "
                                        f"whose state layout ({key}) differs from this code's; "
                                        "it cannot be resumed here")
    here = code_version()
    if header.get("code_version") != here:
        message = (f"written by growthsim {header.get('code_version')}, this is {here}: "
                   "a resumed run may differ from an uninterrupted one")
        if strict:
            raise CheckpointError(path, message)
        warnings.warn(f"{path}: {message}", CheckpointWarning, stacklevel=3)


def _array(zf, name, spec, path):
    """One stored array, its CRC verified and its dtype and shape as the header lists."""
    try:
        with zf.open(name + ".npy") as f:
            arr = np.lib.format.read_array(f, allow_pickle=False)
            if f.read(1):  # also reads to the end, where zipfile checks the CRC
                raise ValueError("trailing bytes")
    except KeyError:
        raise CheckpointError(path, f"damaged checkpoint: array {name!r} is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(path, f"damaged checkpoint: array {name!r} ({exc})") from None
    if arr.dtype.str != spec["dtype"] or list(arr.shape) != spec["shape"]:
        raise CheckpointError(path, f"damaged checkpoint: array {name!r} is {arr.dtype.str} "
                                    f"{list(arr.shape)}, header says {spec}")
    return arr


def _scenario(header, arrays, path):
    import dataclasses

    from growthsim.errors import ScenarioError
    from growthsim.scenario.loader import from_dict

    try:
        sc = from_dict(header["scenario"], file=header.get("source_file") or None)
    except ScenarioError as exc:
        raise CheckpointError(path, f"stored scenario is invalid here: {exc}") from None
    return dataclasses.replace(sc, source_file=header.get("source_file", ""))


def _graph(meta, arrays, prefix):
    from growthsim.graphs import SocialGraph

    kw = {name: arrays[prefix + name] for name in meta["arrays"]}
    return SocialGraph(**kw, directed=meta["directed"], complete=meta["complete"],
                       name=meta["name"])


def _rebuild(header, arrays, path, cls):
    """A model with exactly the saved state (no re-initialisation, no re-seeding)."""
    import dataclasses

    import mesa

    from growthsim import model as gm
    from growthsim.population import Population

    cls = gm.GrowthModel if cls is None else cls
    hm, hmesa = header["model"], header["mesa"]
    sc = _scenario(header, arrays, path)
    graph = _graph(header["graphs"]["graph"], arrays, "graph.")
    attached = {"none": None, "model": graph}.get(header["scenario_graph"])
    if header["scenario_graph"] == "own":
        attached = _graph(header["graphs"]["scenario_graph"], arrays, "scenario_graph.")
    sc = dataclasses.replace(sc, graph=attached)
    n, day = hm["n"], hm["day"]
    _check_shapes(arrays, graph, n, day, hm, path)

    model = cls.__new__(cls)
    mesa.Model.__init__(model, rng=sc.run.seed)
    model._scenario = sc
    model.graph = graph
    model.n = n
    model.P, model.SEG, model.LEV = arrays["P"], arrays["SEG"], arrays["LEV"]
    pop = Population.__new__(Population)
    pop.n, pop.I, pop.F = n, arrays["I"], arrays["F"]
    model.population = pop
    model.members, model.n_members = arrays["members"], hm["n_members"]
    model._pending, model._touched = arrays["pending"], arrays["touched"]
    model._graph_arrays = gm._graph_arrays(graph)
    if hm["follow_from_graph"]:
        model._follow = (graph.follow_indptr, graph.follow_indices)
    else:
        model._follow = (arrays["follow_indptr"], arrays["follow_indices"])
    model.day = day
    model.notes_stock = hm["notes_stock"]
    model._ugc_yesterday = hm["ugc_yesterday"]
    model._hab_mean = hm["hab_mean"]
    model._start_weekday = gm._WEEKDAY[sc.run.start_weekday]
    model._rows = list(arrays["rows"])
    model._metrics = None
    model._buffers = (arrays["buf_conv"], arrays["buf_acq"], arrays["buf_census"])
    model.running = hm["running"]
    _restore_mesa(model, hmesa)
    return model


def _check_shapes(arrays, graph, n, day, hm, path):
    from growthsim.kernels import layout as L

    problems = []
    if graph.n != n:
        problems.append(f"graph has {graph.n} people, model {n}")
    if arrays["I"].shape != (n, L.N_I) or arrays["F"].shape != (n, L.N_F):
        problems.append("population arrays do not match n")
    if any(len(arrays[k]) != n for k in ("members", "pending", "touched")):
        problems.append("member arrays do not match n")
    if not 0 <= hm["n_members"] <= n:
        problems.append(f"n_members {hm['n_members']} outside [0, {n}]")
    if len(arrays["rows"]) != day:
        problems.append(f"{len(arrays['rows'])} metric rows for day {day}")
    if problems:
        raise CheckpointError(path, "inconsistent checkpoint: " + "; ".join(problems))


def _restore_mesa(model, h):
    """Mesa's clock, agent counter and random generators as they were when saved."""
    user_step = model._user_step
    model._user_step = lambda: None  # replay the clock's schedule without simulating
    try:
        if h["time"] > model.time:
            model._advance_time(h["time"])
    finally:
        model._user_step = user_step
    model.steps = h["steps"]
    model.agent_id_counter = h["agent_id_counter"]
    model.rng.bit_generator.state = h["rng"]
    version, internal, gauss = h["random"]
    model.random.setstate((version, tuple(internal), gauss))
    model._seed = h["seed"]


__all__ = ["CheckpointError", "CheckpointWarning", "FORMAT", "VERSION", "load", "read_header",
           "save"]
