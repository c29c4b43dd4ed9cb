"""What the dashboard shows and runs, without any user interface.

The controls are generated from the scenario schema (:func:`controls`), the
scenario a run uses is built from a scenario file, named lever designs and the
controls' values (:func:`build`), a live run steps a model in chunks
(:class:`LiveRun`), a neighbourhood is sampled from the social graph
(:func:`ego_network`) and the A/B mode's bands and paired differences are
computed from replications (:func:`ab_compare`, :func:`ab_bands`,
:func:`ab_difference`). Nothing here imports Solara, so it is tested directly.

Nothing here evaluates text: scenario files are read with
:func:`growthsim.load_scenario` and every value is a typed number or a choice.
"""

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from growthsim import levers
from growthsim.errors import GrowthsimError
from growthsim.kernels import layout as L
from growthsim.scenario.schema import Scenario, item_type

#: The lever keys shown as controls, with their labels, in display order.
LEVERS = (
    ("population.n", "People"),
    ("run.days", "Horizon"),
    ("koc.count", "KOC count"),
    ("koc.strategy", "KOC strategy"),
    ("content.mix_value", "Value posts"),
    ("content.mix_interaction", "Interaction posts"),
    ("content.mix_promo", "Promo posts"),
    ("content.posts", "Content volume"),
    ("ads.daily_budget", "Ad budget"),
    ("sharing.p_share", "Share chance"),
)
#: Upper ends the app puts below the schema's own, to keep a run light on a laptop: at most
#: five years, 200,000 people, 5,000 KOCs and 100,000 yuan of ads a day.
UI_MAX = {"run.days": 1826, "population.n": 200_000, "koc.count": 5_000,
          "ads.daily_budget": 100_000.0}
#: Slider steps (the schema gives ranges, not resolutions).
STEPS = {"population.n": 1_000, "run.days": 1, "koc.count": 10, "ads.daily_budget": 100.0,
         "content.posts": 0.1}
#: Values the app starts from whatever the file says: a light market and one year.
DEFAULTS = {"population.n": 20_000, "run.days": 365}
#: The designs of growthsim.levers a variant can pick, by kind.
DESIGNS = {"ladder": levers.LADDERS, "koc": levers.KOC_PLANS, "cadence": levers.CADENCES}
AS_IN_FILE = "as in the scenario file"
MIX = ("content.mix_value", "content.mix_interaction", "content.mix_promo")
#: Stage names of layout's stage codes, for the neighbourhood view.
STAGES = ("unaware", "aware", "member", "churned")


@dataclass(frozen=True)
class Control:
    """One control, as the schema declares its field.

    ``kind`` is ``"int"``, ``"float"``, ``"choice"`` or ``"scale"`` (a multiplier of a
    per-weekday tuple). ``lo``/``hi`` are the schema's bounds (``hi`` capped by
    :data:`UI_MAX`), ``unit`` and ``help`` its text, ``choices`` its options.

    Examples
    --------
    >>> days, = controls(["run.days"])
    >>> days.kind, days.lo, days.hi, days.unit, days.value_in(Scenario())
    ('int', 1, 1826, 'days', 1826)
    """

    key: str
    label: str
    kind: str
    lo: float = None
    hi: float = None
    step: float = None
    unit: str = ""
    help: str = ""
    choices: tuple = ()

    def value_in(self, scenario):
        """The control's value in ``scenario`` (the first year's budget, volume 1.0)."""
        if self.kind == "scale":
            return 1.0
        value = _get(scenario, self.key)
        return value[0] if isinstance(value, tuple) else value


def field_meta(key):
    """Type and metadata of the scenario field a dotted key names.

    Examples
    --------
    >>> tp, meta = field_meta("sharing.p_share")
    >>> tp.__name__, meta["lo"], meta["hi"]
    ('float', 0.0, 1.0)
    """
    from growthsim.experiment.sweep import _field

    return _field(key, None, "dashboard")


def controls(keys=None):
    """The :class:`Control` of each lever key (default :data:`LEVERS`), from the schema.

    Examples
    --------
    >>> c = {c.key: c for c in controls()}
    >>> c["sharing.p_share"].lo, c["sharing.p_share"].hi, c["sharing.p_share"].unit
    (0.0, 1.0, 'probability per active member-day')
    >>> c["koc.strategy"].choices[:3]
    ('random', 'degree', 'pagerank')
    >>> c["population.n"].lo, c["population.n"].hi
    (1000, 200000)
    """
    labels = dict(LEVERS)
    keys = [k for k, _ in LEVERS] if keys is None else list(keys)
    return [_control(k, labels.get(k, k)) for k in keys]


def _control(key, label):
    tp, meta = field_meta(key)
    unit, help_ = meta.get("unit") or "", meta.get("help") or ""
    if meta.get("choices"):
        return Control(key, label, "choice", unit=unit, help=help_,
                       choices=tuple(meta["choices"]))
    item = item_type(tp) or tp
    if key == "content.posts":  # seven weekday values: one multiplier of the file's week
        return Control(key, label, "scale", 0.0, 3.0, STEPS[key], "x the file's posts",
                       help_ + " Scaled as a whole; each day stays within "
                               f"[{meta['lo']:g}, {meta['hi']:g}].")
    if item not in (int, float):
        raise ValueError(f"{key}: a {item.__name__} field cannot be a slider")
    lo, hi = meta["lo"], min(meta["hi"], UI_MAX.get(key, meta["hi"]))
    step = STEPS.get(key, 1 if item is int else (hi - lo) / 200)
    if item is int and step > 1:  # the first step at or above the schema's lower bound
        lo = -(-lo // step) * step
    if item_type(tp) is not None:
        help_ += " The dashboard sets one value for every year."
    return Control(key, label, "int" if item is int else "float", lo, hi, step, unit, help_)


def _get(scenario, key):
    obj = scenario
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


# -- scenario files -----------------------------------------------------------------------------

def default_root():
    """The scenario folder the app lists: ``./scenarios`` if present, else the repository's.

    Examples
    --------
    >>> default_root().name
    'scenarios'
    """
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def scenario_files(root, extra=()):
    """The ``*.toml`` files below ``root`` (relative, sorted), then ``extra`` files.

    Examples
    --------
    >>> files = scenario_files(default_root())
    >>> "baseline.toml" in files, "ladders/two_sided.toml" in files
    (True, True)
    """
    root = Path(root)
    found = sorted(p.relative_to(root).as_posix() for p in root.glob("**/*.toml"))
    return found + [str(x) for x in extra if str(x) not in found]


def load(root, name):
    """``(Scenario, None)`` for the file ``name`` (below ``root`` or absolute), or
    ``(None, the one-line error)``.

    Examples
    --------
    >>> sc, err = load(default_root(), "baseline.toml")
    >>> sc.name, err
    ('baseline', None)
    >>> load(default_root(), "no_such.toml")[1].endswith("no_such.toml: no such scenario file")
    True
    """
    import growthsim as gs

    path = Path(name) if Path(name).is_absolute() else Path(root) / name
    try:
        return gs.load_scenario(path), None
    except (GrowthsimError, OSError, ValueError) as exc:
        return None, " ".join(str(exc).split())


# -- building the scenario of a run ----------------------------------------------------------

def build(base, designs=None, values=None, name=None):
    """The scenario ``base`` with named designs, then control values, applied.

    Parameters
    ----------
    base : Scenario
    designs : dict, optional
        ``{"ladder": name, "koc": name, "cadence": name}`` from :data:`DESIGNS`;
        :data:`AS_IN_FILE` or a missing kind keeps the file's.
    values : dict, optional
        Lever key -> value. The three content mix shares are weights, normalised to sum
        to 1; ``ads.daily_budget`` is one value for every year; ``content.posts`` multiplies
        the week's posts.
    name : str, optional
        Name of the result (default: the file's name and the designs, joined by '+').

    Returns
    -------
    Scenario
        Validated like a scenario file (a bad value raises :class:`ScenarioError`).

    Examples
    --------
    >>> sc = build(Scenario(), {"ladder": "two_sided"},
    ...            {"population.n": 3_000, "content.mix_promo": 0.2, "content.posts": 2.0})
    >>> sc.name, sc.population.n, sc.rewards.per_referral_cash
    ('scenario+two_sided', 3000, 20.0)
    >>> round(sc.content.mix_promo, 4), sc.content.posts[0]
    (0.1818, 6.0)
    """
    chosen = {k: v for k, v in (designs or {}).items() if v and v != AS_IN_FILE}
    sc = levers.apply(base, **chosen, name=name or "+".join([base.name, *chosen.values()]))
    values = dict(values or {})
    over = {}
    if any(k in values for k in MIX):
        weights = [float(values.get(k, _get(sc, k))) for k in MIX]
        total = sum(weights)
        if total <= 0:
            from growthsim.errors import ScenarioError

            raise ScenarioError("the three post shares are all zero; give one a weight",
                                field="content.mix_value")
        over.update({k: w / total for k, w in zip(MIX, weights)})
    for key, value in values.items():
        if key in MIX:
            continue
        if key == "content.posts":
            over[key] = [round(p * float(value), 6) for p in sc.content.posts]
        elif key == "ads.daily_budget":
            over[key] = [float(value)]
        else:
            over[key] = value
    return sc.with_overrides(over) if over else sc


# -- a live run -----------------------------------------------------------------------------------

def chunk_days(days):
    """Days stepped between two chart updates: 7 to 30, about 50 updates a run.

    Examples
    --------
    >>> chunk_days(90), chunk_days(365), chunk_days(1826)
    (7, 7, 30)
    """
    return int(min(30, max(7, days // 50)))


class LiveRun:
    """A model stepped a few days at a time so charts can follow it.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
        Overrides ``run.seed``.
    ego_size : int
        Nodes of the sampled neighbourhood (:func:`ego_network`).

    Examples
    --------
    >>> sc = Scenario().with_overrides({"population.n": 1_000, "run.days": 20})
    >>> live = LiveRun(sc, seed=3)
    >>> live.advance(7), live.advance(100), live.done
    (7, 13, True)
    >>> snap = live.snapshot()
    >>> snap.day, len(snap.metrics), len(snap.trust) == int(snap.metrics["members"].iloc[-1])
    (20, 20, True)
    """

    def __init__(self, scenario, seed=None, ego_size=200):
        from growthsim.model import GrowthModel

        self.model = GrowthModel(scenario, seed=seed)
        self.days = scenario.run.days
        self.ego = ego_network(self.model, max_nodes=ego_size, seed=self.model.scenario.run.seed)

    @property
    def done(self):
        """The horizon is reached, or the model stopped itself."""
        return self.model.day >= self.days or not self.model.running

    def advance(self, days):
        """Step up to ``days`` days (not past the horizon); return the days stepped."""
        start = self.model.day
        while self.model.day < min(self.days, start + days) and self.model.running:
            self.model.step()
        return self.model.day - start

    def snapshot(self):
        """A :class:`Snapshot` of the model now (copies: the run may go on)."""
        m = self.model
        mem = m.member_ids()
        F, I = m.population.F, m.population.I
        ego = None
        if self.ego is not None:
            nodes = self.ego["nodes"]
            ego = dict(self.ego, stage=I[nodes, L.I_STAGE].copy(), tier=I[nodes, L.I_TIER].copy(),
                       koc=I[nodes, L.I_KOC].copy())
        return Snapshot(m.day, self.days, m.metrics.copy(), F[mem, L.F_TRUST].copy(),
                        F[mem, L.F_FATIGUE].copy(), ego, next(_SERIAL))


@dataclass(frozen=True)
class Snapshot:
    """A run's state for the charts: ``day`` simulated of ``days``, daily ``metrics``,
    members' ``trust`` and ``fatigue``, the neighbourhood ``ego`` with its people's
    current ``stage``, ``tier`` and ``koc`` flag (None on a complete graph), and a
    ``serial`` number unique in this process (charts are redrawn when it changes).

    Examples
    --------
    >>> live = LiveRun(Scenario().with_overrides({"population.n": 500, "run.days": 5}))
    >>> a = live.snapshot(); _ = live.advance(5); b = live.snapshot()
    >>> (a.day, b.day, b.days, len(b.metrics)), b.serial > a.serial
    ((0, 5, 5, 5), True)
    """

    day: int
    days: int
    metrics: object
    trust: np.ndarray
    fatigue: np.ndarray
    ego: dict = None
    serial: int = 0


_SERIAL = itertools.count(1)


def ego_network(model, center=None, max_nodes=200, seed=0):
    """A member's neighbourhood: breadth-first from ``center`` to ``max_nodes`` people.

    Parameters
    ----------
    model : GrowthModel
    center : int, optional
        The person at the middle (default: a member drawn with ``seed``).
    max_nodes : int
    seed : int
        Draws the member and the spring layout, so a seed gives the same picture.

    Returns
    -------
    dict or None
        ``nodes`` (person ids, centre first), ``hops`` (distance from the centre),
        ``edges`` (pairs of positions in ``nodes``), ``weight`` (tie strengths),
        ``pos`` (layout, shape (k, 2)); None on a complete graph (no neighbourhood).

    Examples
    --------
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(Scenario().with_overrides({"population.n": 2_000}), seed=1)
    >>> ego = ego_network(m, max_nodes=50, seed=1)
    >>> len(ego["nodes"]), int(ego["hops"][0]), ego["pos"].shape
    (50, 0, (50, 2))
    """
    import networkx as nx

    g = model.graph
    if g.complete or g.indices is None or g.n == 0:
        return None
    rng = np.random.default_rng(seed)
    if center is None:
        members = model.member_ids()
        center = int(rng.choice(members)) if len(members) else int(rng.integers(g.n))
    order, hops, seen = [int(center)], [0], {int(center): 0}
    k = 0
    while k < len(order) and len(order) < max_nodes:
        u = order[k]
        for v in g.indices[g.indptr[u]:g.indptr[u + 1]]:
            v = int(v)
            if v not in seen and len(order) < max_nodes:
                seen[v] = len(order)
                order.append(v)
                hops.append(hops[k] + 1)
        k += 1
    edges, weight = [], []
    for a, u in enumerate(order):
        lo, hi = g.indptr[u], g.indptr[u + 1]
        for v, w in zip(g.indices[lo:hi], g.weight[lo:hi]):
            b = seen.get(int(v))
            if b is not None and a < b:
                edges.append((a, b))
                weight.append(float(w))
    G = nx.Graph()
    G.add_nodes_from(range(len(order)))
    G.add_edges_from(edges)
    pos = nx.spring_layout(G, seed=int(rng.integers(2**31)), iterations=60)
    return dict(center=int(center), nodes=np.array(order, dtype=np.int64),
                hops=np.array(hops), edges=np.array(edges, dtype=np.int64).reshape(-1, 2),
                weight=np.array(weight), pos=np.array([pos[i] for i in range(len(order))]))


# -- A/B mode -------------------------------------------------------------------------------------

def ab_compare(a, b, reps, *, seed=None, executor="serial", workers=None):
    """Run variants ``a`` and ``b`` ``reps`` times each under common seeds.

    The variants are renamed ``"A: <name>"`` and ``"B: <name>"``; they must share
    ``run.days``. Returns a :class:`growthsim.experiment.Comparison` (A is its baseline).

    Examples
    --------
    >>> a = Scenario().with_overrides({"population.n": 1_000, "run.days": 30})
    >>> cmp = ab_compare(a, a.with_overrides({"sharing.p_share": 0.2}), 2, seed=1)
    >>> cmp.names
    ('A: scenario', 'B: scenario')
    """
    from growthsim.experiment import compare

    if a.run.days != b.run.days:
        raise ValueError(f"A and B must run the same days; got {a.run.days} and {b.run.days}")
    named = [a.with_overrides({"name": f"A: {a.name}"}), b.with_overrides({"name": f"B: {b.name}"})]
    return compare(named, reps, seed=seed, executor=executor, workers=workers)


def ab_bands(comparison, metric, level=0.95):
    """Per variant and day: mean of ``metric`` over replications and its t interval.

    Returns a DataFrame with columns ``scenario, day, mean, ci_low, ci_high, n``.

    Examples
    --------
    >>> a = Scenario().with_overrides({"population.n": 1_000, "run.days": 20})
    >>> bands = ab_bands(ab_compare(a, a, 3, seed=1), "members")
    >>> len(bands), bool((bands["ci_low"] <= bands["mean"]).all())
    (40, True)
    """
    from growthsim.experiment import summarize

    daily = comparison.daily[["scenario", "rep", "day", metric]]
    s = summarize(daily, [metric], by=["scenario", "day"], level=level)
    return s.xs(metric, level="metric").reset_index()


def ab_difference(comparison, metric, level=0.95):
    """Per day: B - A of ``metric``, paired by replication, with its paired-t interval.

    Returns a DataFrame with columns ``day, mean, ci_low, ci_high, n, p_value``.

    Examples
    --------
    >>> a = Scenario().with_overrides({"population.n": 1_000, "run.days": 20})
    >>> d = ab_difference(ab_compare(a, a, 3, seed=1), "members")
    >>> len(d), float(d["mean"].abs().max())
    (20, 0.0)
    """
    from growthsim.experiment import paired_differences

    daily = comparison.daily[["scenario", "rep", "day", metric]]
    d = paired_differences(daily, comparison.names[0], by="day", metrics=[metric], level=level)
    return d.xs((comparison.names[1], metric), level=("scenario", "metric")).reset_index()


# -- downloads ------------------------------------------------------------------------------------

def to_csv(frame):
    """``frame`` as CSV bytes (UTF-8, no index).

    Examples
    --------
    >>> import pandas as pd
    >>> to_csv(pd.DataFrame({"day": [0, 1]}))
    b'day\\n0\\n1\\n'
    """
    return frame.to_csv(index=False).encode("utf-8")


def to_parquet(frame):
    """``frame`` as Parquet bytes.

    Examples
    --------
    >>> import pandas as pd
    >>> pd.read_parquet(io.BytesIO(to_parquet(pd.DataFrame({"day": [0, 1]}))))["day"].tolist()
    [0, 1]
    """
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


__all__ = ["AS_IN_FILE", "Control", "DEFAULTS", "DESIGNS", "LEVERS", "LiveRun", "Snapshot",
           "ab_bands", "ab_compare", "ab_difference", "build", "chunk_days", "controls",
           "default_root", "ego_network", "field_meta", "load", "scenario_files", "to_csv",
           "to_parquet"]
