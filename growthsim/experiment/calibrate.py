"""Calibration: fit scenario parameters to observed daily or weekly series.

:func:`calibrate` takes a scenario, observed series (a DataFrame or a CSV file
with a ``day`` or ``week`` column and columns named like model metrics, e.g.
``members``, ``new_wom``, ``new_paid``, ``dau``) and the dotted keys of the
parameters to fit. It searches the parameters' box (the schema's bounds, or
narrower ones) for the values whose simulated series, the mean of a few
replications under common random numbers, come closest to the observations,
then measures the estimate's uncertainty with a linearised parametric
bootstrap. docs/calibration.md explains the objective, the optimiser and what
the interval means.
"""

import dataclasses
import difflib
import math
import numbers
from pathlib import Path

import numpy as np
import pandas as pd

from growthsim import metrics as M
from growthsim.errors import GrowthsimError, ScenarioError
from growthsim.experiment.executors import get_executor
from growthsim.experiment.replications import check_reps, replication_seeds
from growthsim.experiment.sweep import _field
from growthsim.scenario import Scenario

#: How a daily metric becomes a weekly one: flows (events of the day, money spent or earned)
#: are summed over the week; ``dau`` (people active on a day) is the week's average day;
#: stocks (members, to-date totals, people in a state) are taken on the week's last day.
FLOWS = ("new_members", "new_wom", "new_koc", "new_paid", "new_organic", "new_notes",
         "kocs_signed", "churned", "nwom_emitters", "exposures", "reached", "referral_lag_sum",
         "ad_cost", "koc_cost", "newcomer_reward_cost", "intervention_cost", "exposures_koc",
         "ad_impressions", "checkin_cost", "reads", "interactions", "ugc_posts", "shares",
         "shares_private", "shares_video", "shares_notes", "wakeups", "wakeups_success",
         "reward_cost_ladder", "revenue", "buyers", "checkins", "reward_cost",
         "acquisition_cost")
DAILY_MEANS = ("dau",)
#: Ratios and averages of the daily table: not fitted (give the counts they are made of).
RATIOS = ("dau_mau", "wom_share", "share_rate", "activity_per_member_week", "cycle_time",
          "k_factor", "cac", "cac_paid", "ltv", "ltv_cac", "weekly_interactions",
          "trust_mean", "fatigue_mean", "habituation_mean")
STOCKS = tuple(c for c in M.COLUMNS
               if c not in ("day", "weekday", *FLOWS, *DAILY_MEANS, *RATIOS))
#: Weekly aggregation of every metric that can be observed: "sum", "mean" or "last".
AGGREGATION = {**{c: "sum" for c in FLOWS}, **{c: "mean" for c in DAILY_MEANS},
               **{c: "last" for c in STOCKS}}
TIME_COLUMNS = {"day": 1, "week": 7}
#: A range with a positive lower bound wider than this factor is searched on a log scale.
LOG_RATIO = 20.0


class CalibrationError(GrowthsimError, ValueError):
    """Bad input to :func:`calibrate`: observed data, fit keys or bounds.

    ``where`` names the file (and column) or the argument at fault.

    Examples
    --------
    >>> str(CalibrationError("no such file", where="obs.csv"))
    'obs.csv: no such file'
    """

    def __init__(self, message, *, where=None, option=None):
        self.where, self.message, self.option = where, message, option
        super().__init__(f"{where}: {message}" if where else message)


# -- observed data --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Observed:
    """Checked observations (:func:`read_observed`).

    Attributes
    ----------
    unit : {"day", "week"}
        The time column; week ``w`` is days ``7w .. 7w + 6`` (day 0 = the run's first day).
    time : numpy.ndarray of int
        Consecutive days or weeks.
    series : dict of str to numpy.ndarray
        Observed values per metric.
    source : str
        The file, or ``"observed"`` for a DataFrame.

    Examples
    --------
    >>> obs = read_observed(pd.DataFrame({"week": [0, 1], "members": [50, 80]}))
    >>> obs.unit, obs.days, obs.source
    ('week', 14, 'observed')
    >>> obs.frame()
       week  members
    0     0     50.0
    1     1     80.0
    """

    unit: str
    time: np.ndarray
    series: dict
    source: str

    @property
    def days(self):
        """Days a run must simulate to cover every observation."""
        return int(self.time[-1] + 1) * TIME_COLUMNS[self.unit]

    def frame(self):
        """The observations as a DataFrame (time column first)."""
        return pd.DataFrame({self.unit: self.time, **self.series})


def read_observed(observed):
    """Read and check observed series.

    Parameters
    ----------
    observed : pandas.DataFrame, str or Path
        A table (or CSV file) with one time column, ``day`` or ``week``
        (consecutive integers from any start >= 0), and one or more columns
        named like daily metrics (:data:`AGGREGATION`), non-negative numbers.

    Returns
    -------
    Observed

    Raises
    ------
    CalibrationError
        Naming the file and column: missing or unreadable file, no time
        column, unknown or ratio columns, non-numeric, missing or negative
        values, repeated days, gaps.

    Examples
    --------
    >>> obs = read_observed(pd.DataFrame({"week": [0, 1, 2], "members": [50, 80, 120]}))
    >>> obs.unit, obs.days, list(obs.series)
    ('week', 21, ['members'])
    >>> read_observed(pd.DataFrame({"day": [0, 2], "members": [5, 6]}))
    Traceback (most recent call last):
    ...
    growthsim.experiment.calibrate.CalibrationError: observed: column 'day': gap: day 2 follows day 0 (the rows must cover consecutive days)
    """
    if isinstance(observed, pd.DataFrame):
        return _checked(observed.copy(), "observed", line0=0)
    path = Path(observed)
    if path.is_dir():
        raise CalibrationError("is a folder; expected a CSV file", where=str(path))
    if not path.is_file():
        raise CalibrationError("no such file", where=str(path))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CalibrationError(f"not a readable CSV file ({detail})", where=str(path)) from None
    df.columns = [str(c).strip() for c in df.columns]
    return _checked(df, str(path), line0=2)


def _checked(df, source, line0):
    """line0: the file line of the first row (2 below a header), 0 for a DataFrame (rows)."""
    where_row = (lambda i: f"line {i + line0}") if line0 else (lambda i: f"row {i}")
    times = [c for c in TIME_COLUMNS if c in df.columns]
    if not times:
        raise CalibrationError("no time column: expected 'day' (daily) or 'week' (weekly); "
                               f"columns: {', '.join(map(str, df.columns)) or 'none'}",
                               where=source)
    if len(times) > 1:
        raise CalibrationError("both 'day' and 'week' columns: give one time column",
                               where=source)
    unit = times[0]
    names = [c for c in df.columns if c != unit]
    if len(set(df.columns)) < len(df.columns):
        raise CalibrationError("repeated column names", where=source)
    if not names:
        raise CalibrationError("no series column besides the time column (e.g. members, "
                               "new_wom, new_paid, dau)", where=source)
    for name in names:
        _check_name(name, source)
    if len(df) == 0:
        raise CalibrationError("no rows", where=source)
    values = {c: _numbers(df[c], source, c, where_row) for c in df.columns}
    time = values[unit]
    bad = np.flatnonzero(time != np.floor(time))
    if len(bad):
        shown = df[unit].iloc[bad[0]]
        raise CalibrationError(f"{where_row(bad[0])}: not a whole number: {shown!r}",
                               where=f"{source}: column {unit!r}")
    order = np.argsort(time, kind="stable")
    time = time[order].astype(np.int64)
    steps = np.diff(time)
    if len(steps) and steps.min() == 0:
        k = int(np.flatnonzero(steps == 0)[0])
        raise CalibrationError(f"{unit} {time[k]} appears twice",
                               where=f"{source}: column {unit!r}")
    if len(steps) and steps.max() > 1:
        k = int(np.flatnonzero(steps > 1)[0])
        raise CalibrationError(f"gap: {unit} {time[k + 1]} follows {unit} {time[k]} (the rows "
                               f"must cover consecutive {unit}s)",
                               where=f"{source}: column {unit!r}")
    series = {c: values[c][order] for c in names}
    return Observed(unit=unit, time=time, series=series, source=source)


def _check_name(name, source):
    if name in AGGREGATION:
        return
    where = f"{source}: column {name!r}"
    if name in RATIOS:
        raise CalibrationError("is a ratio or an average; give the counts it is made of "
                               "(docs/model.md defines it)", where=where)
    guess = difflib.get_close_matches(name, list(AGGREGATION), n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    raise CalibrationError(f"not a daily metric of the model{hint} (e.g. members, "
                           "new_members, new_wom, new_koc, new_paid, new_organic, churned, "
                           "dau, mau; docs/calibration.md lists them)", where=where)


def _numbers(column, source, name, where_row):
    where = f"{source}: column {name!r}"
    raw = column.to_numpy()
    out = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(out))
    if len(bad):
        shown = raw[bad[0]]
        what = "missing value" if shown is None or str(shown).strip() == "" or \
            (isinstance(shown, float) and math.isnan(shown)) else f"not a number: {shown!r}"
        raise CalibrationError(f"{where_row(bad[0])}: {what}", where=where)
    neg = np.flatnonzero(out < 0)
    if len(neg):
        raise CalibrationError(f"{where_row(neg[0])}: negative value {raw[neg[0]]!r}",
                               where=where)
    return out


def on_grid(daily, obs):
    """Daily values (days x series, columns in ``obs.series`` order) on the observations' grid.

    Examples
    --------
    >>> obs = read_observed(pd.DataFrame({"week": [0, 1], "members": [1, 2],
    ...                                   "new_members": [1, 1]}))
    >>> on_grid(np.column_stack([np.arange(14), np.ones(14)]), obs).tolist()
    [[6.0, 7.0], [13.0, 7.0]]
    """
    step = TIME_COLUMNS[obs.unit]
    start, stop = int(obs.time[0]) * step, obs.days
    part = daily[start:stop]
    if step == 1:
        return part.copy()
    weeks = part.reshape(len(obs.time), step, part.shape[1])
    out = np.empty((len(obs.time), part.shape[1]))
    for j, name in enumerate(obs.series):
        how = AGGREGATION[name]
        out[:, j] = weeks[:, :, j].sum(axis=1) if how == "sum" else \
            weeks[:, :, j].mean(axis=1) if how == "mean" else weeks[:, -1, j]
    return out


# -- parameters -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class FitParam:
    """One fitted parameter: its key, search range and scale.

    ``u`` in [0, 1] maps to ``lo + u (hi - lo)`` (or geometrically on a log
    scale); integer parameters are rounded.

    Examples
    --------
    >>> p = FitParam("organic.p_discover", 0.01, 1.0, float, log=True)
    >>> round(p.value(0.5), 6), round(p.unit(0.1), 6)
    (0.1, 0.5)
    """

    key: str
    lo: float
    hi: float
    tp: type
    log: bool = False

    def value(self, u):
        u = min(max(float(u), 0.0), 1.0)
        x = self.lo * (self.hi / self.lo) ** u if self.log else self.lo + u * (self.hi - self.lo)
        return int(round(x)) if self.tp is int else float(x)

    def unit(self, x):
        x = min(max(float(x), self.lo), self.hi)
        if self.log:
            return math.log(x / self.lo) / math.log(self.hi / self.lo)
        return (x - self.lo) / (self.hi - self.lo)

    @property
    def step(self):
        """Smallest unit-cube step that changes the value (one unit of an integer)."""
        return 1.0 / (self.hi - self.lo) if self.tp is int and not self.log else 0.0


def fit_params(scenario, fit, bounds=None):
    """The parameters to fit, checked against the schema.

    Parameters
    ----------
    scenario : Scenario
    fit : sequence of str
        Dotted keys of numeric scalar parameters (not ``run.*``, not lists,
        choices, booleans or strings).
    bounds : dict of str to (lo, hi), optional
        Narrower ranges; default the schema's ``lo``/``hi``.

    Returns
    -------
    list of FitParam

    Examples
    --------
    >>> ps = fit_params(Scenario(), ["sharing.p_share", "organic.p_discover"],
    ...                 {"organic.p_discover": (0.01, 2.0)})
    >>> [(p.key, p.lo, p.hi, p.log) for p in ps]
    [('sharing.p_share', 0.0, 1.0, False), ('organic.p_discover', 0.01, 2.0, True)]
    >>> fit_params(Scenario(), ["sharing.share_when"])
    Traceback (most recent call last):
    ...
    growthsim.experiment.calibrate.CalibrationError: fit: sharing.share_when: is a choice (active, daily, on_join), not a number; only numeric parameters can be fitted
    """
    if isinstance(fit, str):
        fit = [fit]
    fit = list(fit or [])
    if not fit:
        raise CalibrationError("name at least one parameter to fit", where="fit", option="fit")
    if len(set(fit)) < len(fit):
        raise CalibrationError("a parameter is named twice", where="fit", option="fit")
    bounds = dict(bounds or {})
    for key in bounds:
        if key not in fit:
            raise CalibrationError(f"{key}: not among the fitted parameters "
                                   f"({', '.join(fit)})", where="bounds", option="bounds")
    out = []
    for key in fit:
        tp, meta = _numeric_field(key)
        lo, hi = meta.get("lo"), meta.get("hi")
        if key in bounds:
            lo, hi = _bound(key, bounds[key], meta, tp)
        if lo is None or hi is None or not lo < hi:
            raise CalibrationError(f"{key}: the schema gives no range; pass bounds",
                                   where="bounds", option="bounds")
        log = lo > 0 and hi / lo > LOG_RATIO
        out.append(FitParam(key, float(lo), float(hi), tp, log))
    for corner in (0.0, 1.0):  # cross-field rules (e.g. a mix summing to 1) fail here, not later
        over = {p.key: p.value(corner) for p in out}
        try:
            scenario.with_overrides(over)
        except ScenarioError as exc:
            raise CalibrationError(f"the box's {'lower' if corner == 0 else 'upper'} corner "
                                   f"{over} is not a valid scenario: {exc}", where="bounds",
                                   option="bounds") from None
    return out


def _numeric_field(key):
    if not isinstance(key, str) or not key.strip():
        raise CalibrationError(f"not a parameter key: {key!r}", where="fit", option="fit")
    if key.split(".")[0] == "run":
        raise CalibrationError(f"{key}: run settings cannot be fitted", where="fit",
                               option="fit")
    try:
        tp, meta = _field(key, None, "fit")
    except ScenarioError as exc:
        raise CalibrationError(f"{key}: {exc.message}", where="fit", option="fit") from None
    if meta.get("choices"):
        raise CalibrationError(f"{key}: is a choice ({', '.join(map(str, meta['choices']))}), "
                               "not a number; only numeric parameters can be fitted",
                               where="fit", option="fit")
    if tp not in (int, float):
        what = "a list" if getattr(tp, "__origin__", None) is tuple else tp.__name__
        raise CalibrationError(f"{key}: is {what}, not a number; only numeric scalar "
                               "parameters can be fitted", where="fit", option="fit")
    return tp, meta


def _bound(key, value, meta, tp):
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
        for v in value)
    if not ok or not value[0] < value[1]:
        raise CalibrationError(f"{key}: must be a range (lo, hi) with lo < hi; got {value!r}",
                               where="bounds", option="bounds")
    lo, hi = float(value[0]), float(value[1])
    slo, shi = meta.get("lo"), meta.get("hi")
    if (slo is not None and lo < slo) or (shi is not None and hi > shi):
        raise CalibrationError(f"{key}: range {lo:g}:{hi:g} leaves the parameter's bounds "
                               f"[{slo}, {shi}]", where="bounds", option="bounds")
    if tp is int and not (lo.is_integer() and hi.is_integer()):
        raise CalibrationError(f"{key}: an integer parameter needs whole-number bounds; got "
                               f"{lo:g}:{hi:g}", where="bounds", option="bounds")
    return lo, hi


# -- simulation and objective ---------------------------------------------------------------------

def _simulate(shared, task):
    """One run's daily values of the observed metrics, ``(days, series)``; top-level for workers."""
    from growthsim.model import GrowthModel

    scenario, columns = shared
    overrides, seed = task
    sc = scenario.with_overrides(dict(overrides)) if overrides else scenario
    daily = GrowthModel(sc, seed=seed).run()
    return daily[list(columns)].to_numpy(dtype=float)


class _Evaluator:
    """The objective at points of the unit cube, each evaluated once (cached) in batches.

    The residuals of a point are ``(observed - mean of the runs) / (s * sqrt(T))`` per
    series, ``s`` the series' root mean square; the runs use the same seeds at every point.
    """

    def __init__(self, scenario, obs, params, seeds, executor, bar, counter=None):
        self.scenario, self.obs, self.params, self.seeds = scenario, obs, params, tuple(seeds)
        self.executor, self.bar = executor, bar
        self.counter = [0] if counter is None else counter  # runs, shared with sub-fits
        self.target = np.column_stack([obs.series[c] for c in obs.series])
        rms = np.sqrt(np.mean(self.target ** 2, axis=0))
        self.scale = np.where(rms > 0, rms, 1.0)
        self.norm = self.scale * math.sqrt(len(obs.time))
        self.cache, self.history = {}, []

    def overrides(self, u):
        return tuple((p.key, p.value(x)) for p, x in zip(self.params, u))

    def runs(self, u, seeds):
        """Daily arrays of runs at ``u`` under ``seeds`` (not cached), in seed order."""
        over = self.overrides(u)
        return self._run([(over, s) for s in seeds])

    def _run(self, tasks):
        """Daily arrays of ``(overrides, seed)`` tasks, in task order (counted, on the bar)."""
        self.counter[0] += len(tasks)
        out = [None] * len(tasks)
        for i, daily in self.executor.imap(_simulate, (self.scenario, tuple(self.obs.series)),
                                           tasks):
            out[i] = daily
            if self.bar is not None:
                self.bar.update(1)
        return out

    def evaluate(self, points, phase):
        """Records (dicts: u, values, resid, objective, runs, ...) of ``points``.

        Points not evaluated yet run as one batch; ``phase`` labels them in the history.
        """
        keys = [self._key(u) for u in points]
        phases = dict(zip(keys[::-1], ([phase] * len(keys) if isinstance(phase, str)
                                       else list(phase))[::-1]))
        new = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if new:
            over = [self.overrides(k) for k in new]
            results = self._run([(o, s) for o in over for s in self.seeds])
            r = len(self.seeds)
            for j, k in enumerate(new):
                runs = np.stack(results[j * r:(j + 1) * r])
                grid = on_grid(runs.mean(axis=0), self.obs)
                resid = ((self.target - grid) / self.norm).ravel(order="F")
                rec = {"u": np.array(k), "values": dict(over[j]), "grid": grid,
                       "resid": resid, "objective": float(resid @ resid), "runs": runs,
                       "phase": phases[k], "eval": len(self.history)}
                self.cache[k] = rec
                self.history.append(rec)
        return [self.cache[k] for k in keys]

    def scaled(self, grid):
        """A grid of series as the objective's scaled vector (for the bootstrap)."""
        return (grid / self.norm).ravel(order="F")

    def steps(self, u, h):
        """Forward-difference points around ``u`` (backward at the upper edge) and their steps."""
        pts, hs = [], []
        for i, p in enumerate(self.params):
            hi = max(h, p.step)
            step = hi if u[i] + hi <= 1.0 else -hi
            v = np.array(u, dtype=float)
            v[i] = min(max(v[i] + step, 0.0), 1.0)
            pts.append(v)
            hs.append(v[i] - u[i])
        return pts, hs

    def gradient(self, u, h):
        """d(scaled simulated mean)/du at ``u``: columns per parameter."""
        pts, hs = self.steps(u, h)
        base, *others = self.evaluate([u, *pts], "jacobian")
        return np.column_stack([(base["resid"] - o["resid"]) / dh  # resid = y - m: minus dm
                                for o, dh in zip(others, hs)])

    @staticmethod
    def _key(u):
        return tuple(float(x) for x in np.round(np.asarray(u, dtype=float), 12))


def _search(ev, u0, h, max_iter):
    """Least squares in the unit cube from ``u0`` (SciPy's trust-region reflective method)."""
    from scipy.optimize import least_squares

    def fun(u):
        pts, _ = ev.steps(u, h)  # the Jacobian's points go in the same batch (parallel runs)
        return ev.evaluate([u, *pts], ["search"] + ["jacobian"] * len(pts))[0]["resid"]

    def jac(u):
        return -ev.gradient(u, h)

    least_squares(fun, np.asarray(u0, dtype=float), jac=jac, bounds=(0.0, 1.0), method="trf",
                  xtol=1e-3, ftol=1e-2, gtol=1e-8, max_nfev=max_iter)
    return min(ev.history, key=lambda rec: (rec["objective"], rec["eval"]))["u"]


def _design(d):
    """Offsets of a local design: the 2^d corners (at most 16, a Sobol subset beyond),
    the 2d axial points and the centre, in [-1, 1]^d."""
    if d <= 4:
        corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * d)).reshape(d, -1).T
    else:
        from scipy.stats import qmc

        corners = 2 * qmc.Sobol(d, scramble=False).random(16) - 1
    axial = np.vstack([np.eye(d), -np.eye(d)])
    return np.vstack([np.zeros((1, d)), corners, axial])


def _quadratic_pairs(d, n_points):
    """The second-order terms a local design of ``n_points`` supports: all products
    ``z_i z_j`` (i <= j) when there are points to spare, else the squares alone."""
    full = [(i, j) for i in range(d) for j in range(i, d)]
    return full if n_points >= 1 + d + len(full) + 2 else [(i, i) for i in range(d)]


def _features(z, pairs):
    """Rows ``1, z_1..z_d, z_i z_j (pairs)`` of a quadratic model at offsets ``z``."""
    z = np.atleast_2d(z)
    return np.column_stack([np.ones(len(z)), z, *(z[:, i] * z[:, j] for i, j in pairs)])


def _feature_slopes(z, pairs):
    """d(features)/dz at one offset ``z``: (terms, d)."""
    d = len(z)
    rows = [np.zeros(d), *np.eye(d)]
    for i, j in pairs:
        g = np.zeros(d)
        g[i] += z[j]
        g[j] += z[i]
        rows.append(g)
    return np.array(rows)


#: Refinement rounds at most, and the step (in design half-widths) below which it stops.
REFINE_ROUNDS, REFINE_TOL = 4, 0.25


def _refine(ev, u, width):
    """The estimate: local quadratic models, re-centred until the minimiser stops moving.

    Each round fits a model around the current point (:func:`_refine_step`) and moves
    to its minimiser; when the move is within ``REFINE_TOL`` design half-widths in
    every coordinate (or after ``REFINE_ROUNDS`` rounds) the last model's minimiser
    is the estimate. One round from where the search stopped was measured to leave
    the estimate up to a design width short of the minimum. Returns ``(u, G)``.
    """
    u = np.asarray(u, dtype=float)
    for _ in range(REFINE_ROUNDS):
        new, grad = _refine_step(ev, u, width)
        moved = np.max(np.abs(new - u)) / width
        u = new
        if moved <= REFINE_TOL:
            break
    return u, grad


def _refine_step(ev, u, width):
    """The minimiser of a local quadratic model of the simulated series.

    The simulated mean under common seeds is rough at small scales (a small change
    of a parameter re-draws some events), so its exact minimiser jitters. A
    quadratic model of the scaled simulated mean, fitted by regression over a
    design of half-width ``width`` around ``u`` (centre, corners, axial points),
    averages that roughness out; its curvature keeps the minimiser unbiased where
    the series bend (a linear model fitted over the design is off by its
    curvature). The model's slope at the minimiser ``G`` serves the bootstrap.
    Returns ``(new u, G)``; the minimiser stays within twice the design's reach.
    """
    from scipy.optimize import least_squares

    u = np.asarray(u, dtype=float)
    d = len(u)
    pts = np.clip(u + width * _design(d), 0.0, 1.0)
    recs = ev.evaluate(list(pts), "refine")
    target = ev.scaled(ev.target)
    sims = np.stack([target - rec["resid"] for rec in recs])  # scaled simulated means
    z = (pts - u) / width
    pairs = _quadratic_pairs(d, len(np.unique(np.round(z, 12), axis=0)))
    coef, *_ = np.linalg.lstsq(_features(z, pairs), sims, rcond=None)

    def slope(zv):  # d(model)/du: (series values, d)
        return (_feature_slopes(zv, pairs).T @ coef).T / width

    moves = np.linalg.norm(slope(np.zeros(d)), axis=0) > 1e-9
    if not moves.any():
        return u, np.zeros((len(target), d))
    lo = np.maximum(-2.0, -u / width)
    hi = np.minimum(2.0, (1.0 - u) / width)
    lo[~moves], hi[~moves] = -1e-12, 1e-12  # a parameter without effect stays put
    fit = least_squares(lambda zv: _features(zv, pairs)[0] @ coef - target,
                        np.zeros(d), jac=lambda zv: slope(zv) * width, bounds=(lo, hi),
                        method="trf", xtol=1e-10, ftol=1e-12, gtol=1e-12)
    step = np.where(moves, fit.x, 0.0)
    grad = slope(step)
    grad[:, ~moves] = 0.0  # not rounding noise: these parameters do not move the series
    return np.clip(u + width * step, 0.0, 1.0), grad


# -- calibrate ------------------------------------------------------------------------------------

BOOTSTRAP_METHODS = ("linear", "refit")


def calibrate(scenario, observed, fit, *, bounds=None, replications=2, seed=1, days=None,
              executor="serial", workers=None, progress=False, bootstrap=30,
              bootstrap_method="linear", seed_sets=8, n_start=None, start=None, fd_step=0.03,
              max_iter=20, level=0.95, truth=None):
    """Fit scenario parameters to observed series.

    Parameters
    ----------
    scenario : Scenario
        Every parameter not fitted keeps its value.
    observed : pandas.DataFrame, str or Path
        Daily or weekly series (:func:`read_observed`).
    fit : sequence of str
        Dotted keys of the parameters to estimate (numeric scalars).
    bounds : dict of str to (lo, hi), optional
        Search ranges; default the schema's bounds. A range with a positive
        lower bound spanning more than a factor :data:`LOG_RATIO` is
        searched on a log scale.
    replications : int
        Runs averaged at every evaluation, always under the same seeds
        ``replication_seeds(seed, replications)`` (common random numbers).
    seed : int
        Base seed of every run (evaluations and bootstrap).
    days : int, optional
        Overrides ``run.days``; the observations must lie within it. Runs
        simulate only up to the last observed day.
    executor, workers
        Where runs happen (:func:`growthsim.experiment.get_executor`); the
        result does not depend on it.
    progress : bool
        A progress bar over runs.
    bootstrap : int
        Bootstrap draws for the intervals (0: no interval).
    bootstrap_method : {"linear", "refit"}
        ``"linear"``: each draw is a run at the estimate with a fresh seed,
        mapped to a parameter draw through the fit's Jacobian (one run per
        draw), plus the calibration's own seed noise measured with
        ``seed_sets``. ``"refit"``: each draw is refitted from the estimate
        under fresh common seeds (tens of runs per draw).
    seed_sets : int
        For ``"linear"``: times the last refinement is repeated against the
        observed data under fresh sets of common seeds; the spread of those
        estimates is the part of the uncertainty that comes from the
        calibration's own runs. 0 assumes it is ``1/R`` of the data's part
        instead (cheaper, and measured too narrow: docs/calibration.md).
    n_start : int, optional
        Points of the scrambled Sobol design the search starts from (the
        best one); default ``8 * len(fit)`` rounded up to a power of 2.
        Ignored when ``start`` is given.
    start : dict of str to float, optional
        Start the local search here instead.
    fd_step : float
        Finite-difference step in the unit cube (a fraction of each range):
        large enough to rise above the runs' randomness.
    max_iter : int
        Iterations of the least-squares search.
    level : float
        Level of the intervals.
    truth : dict of str to float, optional
        Known values (a recovery test): shown in :attr:`CalibrationResult.estimates`.

    Returns
    -------
    CalibrationResult

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "run.days": 28,
    ...                                    "seeding.initial_members": 20})
    >>> obs = pd.DataFrame({"week": range(4), "members": [30, 40, 50, 60]})
    >>> res = calibrate(sc, obs, ["organic.p_discover"], bounds={"organic.p_discover": (0.1, 5)},
    ...                 replications=1, n_start=4, max_iter=3, bootstrap=5)
    >>> list(res.estimates.columns)
    ['param', 'estimate', 'low', 'high', 'lo', 'hi', 'scale', 'identified']
    >>> bool(0.1 <= res.estimates.loc[0, "estimate"] <= 5)
    True
    """
    if not isinstance(scenario, Scenario):
        raise CalibrationError(f"expected a growthsim Scenario; got {type(scenario).__name__}",
                               where="scenario")
    obs = read_observed(observed)
    horizon = scenario.run.days if days is None else days
    if obs.days > horizon:
        last = f"{obs.unit} {int(obs.time[-1])}" + (f" (day {obs.days - 1})"
                                                    if obs.unit == "week" else "")
        raise CalibrationError(f"column {obs.unit!r}: the data run to {last} but the scenario "
                               f"simulates {horizon} days (run.days)", where=obs.source)
    sc = scenario.with_overrides({"run.days": obs.days, "run.stop_when_quiet": False})
    params = fit_params(sc, fit, bounds)
    reps = check_reps(replications)
    _check_options(bootstrap, bootstrap_method, n_start, fd_step, max_iter, level, seed_sets)
    truth = _values(truth, params, "truth")
    start = _values(start, params, "start")
    ex = get_executor(executor, workers)
    bar = _bar(progress)
    # One session: the search evaluates a few points at a time, and worker processes
    # (or a Dask cluster) start once for all of its batches instead of once per batch.
    try:
        with ex:
            seeds = replication_seeds(seed, reps)
            ev = _Evaluator(sc, obs, params, seeds, ex, bar)
            u0 = _start(ev, params, start, n_start, seed)
            u_hat, grad = _refine(ev, _search(ev, u0, fd_step, max_iter), 2 * fd_step)
            best = ev.evaluate([u_hat], "estimate")[0]
            bseeds = replication_seeds(seed, reps + bootstrap)[reps:]
            boot_runs = ev.runs(u_hat, bseeds) if bootstrap else []
            interval = spread = None
            if bootstrap and bootstrap_method == "refit":
                draws = _refit_draws(ev, u_hat, boot_runs, seed, reps, fd_step, max_iter)
            else:
                spread = (_seed_spread(ev, u_hat, 2 * fd_step, seed, reps, bootstrap,
                                       seed_sets) if bootstrap and seed_sets else None)
                draws, *interval = _linear_draws(ev, u_hat, grad, boot_runs, spread)
    finally:
        if bar is not None:
            bar.close()
    return CalibrationResult._build(sc, obs, params, ev, best, grad, draws, boot_runs,
                                    bootstrap_method, level, truth, seed, interval or None,
                                    seed_sets if spread is not None else 0)


def _check_options(bootstrap, method, n_start, fd_step, max_iter, level, seed_sets=0):
    def integer(name, value, lo, allow_none=False):
        if value is None and allow_none:
            return
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
            raise CalibrationError(f"must be an integer >= {lo}; got {value!r}", where=name,
                                   option=name)

    integer("bootstrap", bootstrap, 0)
    if bootstrap == 1:
        raise CalibrationError("one draw gives no interval: use 0 (none) or at least 2",
                               where="bootstrap", option="bootstrap")
    integer("n_start", n_start, 1, allow_none=True)
    integer("seed_sets", seed_sets, 0)
    if seed_sets == 1:
        raise CalibrationError("one set gives no spread: use 0 (assume it) or at least 2",
                               where="seed_sets", option="seed_sets")
    integer("max_iter", max_iter, 1)
    if method not in BOOTSTRAP_METHODS:
        raise CalibrationError(f"must be one of {', '.join(BOOTSTRAP_METHODS)}; got {method!r}",
                               where="bootstrap_method", option="bootstrap_method")
    if not isinstance(fd_step, numbers.Real) or not 0 < fd_step <= 0.5:
        raise CalibrationError(f"must be in (0, 0.5]; got {fd_step!r}", where="fd_step",
                               option="fd_step")
    if not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise CalibrationError(f"must be in (0, 1); got {level!r}", where="level",
                               option="level")


def _values(given, params, name):
    """A dict key -> value for fitted keys only, within their ranges (None stays None)."""
    if given is None:
        return None
    keys = {p.key: p for p in params}
    out = {}
    for key, value in dict(given).items():
        if key not in keys:
            raise CalibrationError(f"{key}: not among the fitted parameters", where=name,
                                   option=name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise CalibrationError(f"{key}: must be a number; got {value!r}", where=name,
                                   option=name)
        p = keys[key]
        if name == "start" and not p.lo <= value <= p.hi:
            raise CalibrationError(f"{key}: {value!r} is outside the range [{p.lo:g}, "
                                   f"{p.hi:g}]", where=name, option=name)
        out[key] = float(value)
    return out


def _bar(progress):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(unit="run", desc="calibrate")


def _start(ev, params, start, n_start, seed):
    """The local search's first point: ``start``, or the best point of a Sobol design."""
    if start is not None:
        return np.array([p.unit(start.get(p.key, p.value(0.5))) for p in params])
    from scipy.stats import qmc

    d = len(params)
    n = n_start or 8 * d
    m = max(1, math.ceil(math.log2(n)))
    design = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random_base2(m)
    recs = ev.evaluate(list(design), "start")
    return min(recs, key=lambda rec: (rec["objective"], rec["eval"]))["u"]


def _seed_spread(ev, u_hat, width, seed, reps, bootstrap, sets):
    """Estimates of the last refinement step from ``u_hat`` under ``sets`` fresh sets of
    ``reps`` common seeds, against the observed data: (sets, d) in the unit cube."""
    pool = replication_seeds(seed, reps + bootstrap + sets * reps)[reps + bootstrap:]
    out = []
    for k in range(sets):
        sub = _Evaluator(ev.scenario, ev.obs, ev.params, pool[k * reps:(k + 1) * reps],
                         ev.executor, ev.bar, ev.counter)
        out.append(_refine_step(sub, u_hat, width)[0])
    return np.array(out)


def _linear_draws(ev, u_hat, grad, runs, spread=None):
    """Parameter draws of the linearised parametric bootstrap, and the interval's scale.

    A run at the estimate with a fresh seed is a data set the fitted model could have
    produced; refitting it moves the estimate by ``pinv(G) (y* - mean)`` to first order,
    ``G`` the Jacobian of the scaled simulated mean. The calibration's own runs move the
    estimate too: ``spread`` holds estimates under other sets of common seeds
    (:func:`_seed_spread`), and draw ``b`` adds deviation ``b mod K`` of those from their
    mean (scaled by ``sqrt(K / (K - 1))``). Without ``spread``, that part is assumed to
    be ``1/R`` of the data's: the deviations are scaled by ``sqrt(1 + 1/R)``.

    Returns ``(draws, sd, dof)``: the draws (unit cube, one row per draw), each
    parameter's standard error ``sqrt(s_data^2 + s_seeds^2)`` and its Welch-Satterthwaite
    degrees of freedom (``B - 1`` and ``K - 1`` for the two parts), for a Student-t
    interval ``u_hat +- t sd``.
    """
    d = len(u_hat)
    if not runs:
        return np.empty((0, d)), np.full(d, np.nan), np.full(d, np.nan)
    z = np.stack([ev.scaled(on_grid(run, ev.obs)) for run in runs])
    dev = z - z.mean(axis=0)
    b, r = len(runs), len(ev.seeds)
    dev *= math.sqrt(1 if spread is not None else 1 + 1 / r)
    ok = np.linalg.norm(grad, axis=0) > 1e-9
    delta = np.zeros((b, d))
    if ok.any():
        delta[:, ok] = dev @ np.linalg.pinv(grad[:, ok]).T
    var_d = (delta ** 2).sum(axis=0) / (b - 1)
    var_s, k = np.zeros(d), np.inf
    delta *= math.sqrt(b / (b - 1))
    if spread is not None:
        k = len(spread)
        seeds_part = np.where(ok, spread - spread.mean(axis=0), 0.0)
        var_s = (seeds_part ** 2).sum(axis=0) / (k - 1)
        delta += seeds_part[np.arange(b) % k] * math.sqrt(k / (k - 1))
    var = var_d + var_s
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = var ** 2 / (var_d ** 2 / (b - 1) + var_s ** 2 / (k - 1))
    draws = np.clip(u_hat + delta, 0.0, 1.0)
    draws[:, ~ok] = np.nan  # no effect on the series: not identified
    return draws, np.sqrt(var), np.where(ok, dof, np.nan)


def _refit_draws(ev, u_hat, runs, seed, reps, fd_step, max_iter):
    """Draws of the full parametric bootstrap: each fresh run refitted under fresh common seeds."""
    b = len(runs)
    pool = replication_seeds(seed, reps + b + b * reps)[reps + b:]
    draws = []
    for k, run in enumerate(runs):
        grid = on_grid(run, ev.obs)
        obs = dataclasses.replace(ev.obs, series={c: grid[:, j]
                                                  for j, c in enumerate(ev.obs.series)})
        sub = _Evaluator(ev.scenario, obs, ev.params, pool[k * reps:(k + 1) * reps],
                         ev.executor, ev.bar, ev.counter)
        draws.append(_refine(sub, _search(sub, u_hat, fd_step, max_iter), 2 * fd_step)[0])
    return np.array(draws)


# -- result ---------------------------------------------------------------------------------------

class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    scenario : Scenario
        The scenario as simulated (``run.days`` cut to the observations) with the
        estimates applied.
    observed : Observed
    params : list of FitParam
    estimates : pandas.DataFrame
        One row per parameter: ``param, estimate, low, high`` (the bootstrap
        interval at ``level``: Student-t on the search scale for ``linear``,
        percentiles for ``refit``; NaN without bootstrap), the search range ``lo,
        hi``, its ``scale`` (linear or log), ``identified`` (False if the
        parameter did not move the series: its interval is then its whole
        range), and ``truth`` when given.
    fitted : pandas.DataFrame
        Daily, long: ``series, day, fitted`` (the mean of the runs the objective
        used, at the estimate) and ``low, high`` (the ``level`` band of single
        runs at the estimate: the common-seed runs and the bootstrap runs).
    history : pandas.DataFrame
        Every evaluation: ``eval, phase`` (start, search, jacobian), the
        parameter values, ``objective``.
    draws : pandas.DataFrame
        Bootstrap parameter draws, one row per draw.
    objective : float
        The objective at the estimate (sum over series of the squared error
        relative to each series' root mean square).
    evaluations, runs : int
        Points evaluated by the fit (``history``), and simulation runs in all
        (the fit, the bootstrap, seed sets and refits).
    seed_sets : int
        Seed sets that measured the calibration's own noise (0: assumed).

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.Scenario().with_overrides({"population.n": 300, "run.days": 14,
    ...                                    "seeding.initial_members": 20})
    >>> obs = pd.DataFrame({"week": range(2), "members": [30, 40]})
    >>> res = calibrate(sc, obs, ["organic.p_discover"], bounds={"organic.p_discover": (0.1, 5)},
    ...                 replications=1, n_start=2, max_iter=1, bootstrap=2)
    >>> res.estimates["param"].tolist(), sorted(res.fitted["series"].unique())
    (['organic.p_discover'], ['members'])
    >>> bool(res.objective >= 0)
    True
    """

    @classmethod
    def _build(cls, sc, obs, params, ev, best, grad, draws, boot_runs, method, level, truth,
               seed, interval=None, seed_sets=0):
        self = cls()
        self._u, self._interval, self.seed_sets = best["u"], interval, seed_sets
        values = {p.key: p.value(u) for p, u in zip(params, best["u"])}
        self.scenario = sc.with_overrides(values)
        self.observed, self.params, self.level, self.method = obs, params, level, method
        self.replications, self.seed, self.bootstrap = len(ev.seeds), seed, len(draws)
        self.objective = best["objective"]
        self.evaluations = len(ev.history)
        self.runs = ev.counter[0]
        self.jacobian = grad
        self.history = pd.DataFrame([{"eval": r["eval"], "phase": r["phase"], **r["values"],
                                      "objective": r["objective"]} for r in ev.history])
        self.draws = pd.DataFrame([[p.value(u) if np.isfinite(u) else np.nan
                                    for p, u in zip(params, row)] for row in draws],
                                  columns=[p.key for p in params])
        self.estimates = self._estimates(values, grad, truth)
        self.fitted = self._fitted(best, boot_runs)
        self._grid = best["grid"]
        return self

    def _estimates(self, values, grad, truth):
        a = (1 - self.level) / 2
        rows = []
        for j, p in enumerate(self.params):
            ident = bool(np.linalg.norm(grad[:, j]) > 1e-9)
            col = self.draws[p.key].to_numpy(dtype=float)
            if not len(col):
                low = high = np.nan
            elif not ident:
                low, high = p.lo, p.hi
            elif self._interval is not None:  # linear: t interval on the search scale
                from scipy.stats import t as student_t

                sd, dof = self._interval[0][j], self._interval[1][j]
                half = float(student_t.ppf(1 - a, dof)) * sd
                low, high = p.value(self._u[j] - half), p.value(self._u[j] + half)
            else:  # refit: percentiles of the refits
                low, high = np.quantile(col, [a, 1 - a])
            row = {"param": p.key, "estimate": values[p.key], "low": float(low),
                   "high": float(high), "lo": p.lo, "hi": p.hi,
                   "scale": "log" if p.log else "linear", "identified": ident}
            if truth is not None:
                row["truth"] = truth.get(p.key, np.nan)
            rows.append(row)
        return pd.DataFrame(rows)

    def _fitted(self, best, boot_runs):
        runs = np.concatenate([best["runs"], np.stack(boot_runs)]) if boot_runs else best["runs"]
        self._runs = runs
        a = (1 - self.level) / 2
        mean = best["runs"].mean(axis=0)
        low, high = np.quantile(runs, [a, 1 - a], axis=0)
        days = np.arange(mean.shape[0])
        return pd.concat([pd.DataFrame({"series": name, "day": days, "fitted": mean[:, j],
                                        "low": low[:, j], "high": high[:, j]})
                          for j, name in enumerate(self.observed.series)], ignore_index=True)

    def comparison(self):
        """Observed against fitted on the observations' grid: ``<day|week>, series,
        observed, fitted`` (weekly flows summed, stocks at the week's end)."""
        unit, obs = self.observed.unit, self.observed
        return pd.concat([pd.DataFrame({unit: obs.time, "series": name,
                                        "observed": obs.series[name],
                                        "fitted": self._grid[:, j]})
                          for j, name in enumerate(obs.series)], ignore_index=True)

    def summary(self):
        """A JSON-ready record of the calibration (summary.json of ``growthsim calibrate``)."""
        from growthsim.experiment.stored import jsonable

        return jsonable({
            "scenario": self.scenario.name, "observed": self.observed.source,
            "unit": self.observed.unit, "periods": len(self.observed.time),
            "series": list(self.observed.series), "days": self.scenario.run.days,
            "replications": self.replications, "seed": self.seed,
            "bootstrap": self.bootstrap, "bootstrap_method": self.method,
            "seed_sets": self.seed_sets, "level": self.level,
            "evaluations": self.evaluations, "runs": self.runs, "objective": self.objective,
            "estimates": self.estimates.to_dict("records"),
        })

    def plot(self):
        """Observed against fitted (with the band of single runs) per series, and each
        parameter's bootstrap draws; returns a matplotlib Figure (object API, no pyplot)."""
        from matplotlib.figure import Figure

        names = list(self.observed.series)
        panels = len(names) + (len(self.params) if len(self.draws) else 0)
        cols = min(3, panels)
        rows = math.ceil(panels / cols)
        fig = Figure(figsize=(4.2 * cols, 3.1 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        step = TIME_COLUMNS[self.observed.unit]
        for ax, name in zip(axes, names):
            self._plot_series(ax, name, step)
        for ax, p in zip(axes[len(names):], self.params if len(self.draws) else []):
            self._plot_param(ax, p)
        for ax in axes[panels:]:
            ax.set_visible(False)
        fig.suptitle(f"{self.scenario.name}: calibration to {Path(self.observed.source).name}",
                     fontsize=10)
        return fig

    def _plot_series(self, ax, name, step):
        f = self.fitted[self.fitted["series"] == name]
        band = np.column_stack([f["low"], f["high"], f["fitted"]])
        t = self.observed.time
        if step > 1:  # the band of weekly figures of single runs, and the fit, as observed
            obs = dataclasses.replace(self.observed, series={name: None})
            j = list(self.observed.series).index(name)
            weekly = np.stack([on_grid(run[:, [j]], obs)[:, 0] for run in self._runs])
            a = (1 - self.level) / 2
            band = np.column_stack([*np.quantile(weekly, [a, 1 - a], axis=0),
                                    on_grid(band[:, [2]], obs)[:, 0]])
        else:
            band = band[int(t[0]):]
        ax.fill_between(t, band[:, 0], band[:, 1], color="#4C72B0", alpha=0.2,
                        label=f"{self.level:.0%} of single runs")
        ax.plot(t, band[:, 2], color="#4C72B0", lw=1.4, label="fitted (mean)")
        ax.plot(t, self.observed.series[name], "o", ms=2.5, color="#C44E52",
                label="observed")
        ax.set_title(f"{name} ({AGGREGATION[name]} per {self.observed.unit})"
                     if step > 1 else name, fontsize=9)
        ax.set_xlabel(self.observed.unit)
        ax.legend(fontsize=7, frameon=False)

    def _plot_param(self, ax, p):
        row = self.estimates.set_index("param").loc[p.key]
        draws = self.draws[p.key].dropna()
        if len(draws):
            ax.hist(draws, bins=min(20, max(5, len(draws) // 3)), color="#8C8C8C", alpha=0.6,
                    label="bootstrap draws")
        ax.axvline(row["estimate"], color="#4C72B0", lw=1.5, label="estimate")
        for x in (row["low"], row["high"]):
            if np.isfinite(x):
                ax.axvline(x, color="#4C72B0", ls="--", lw=1)
        if "truth" in row and np.isfinite(row["truth"]):
            ax.axvline(row["truth"], color="#C44E52", lw=1.5, label="truth")
        ax.set_title(f"{p.key}: {self.level:.0%} interval", fontsize=9)
        ax.legend(fontsize=7, frameon=False)

    def __repr__(self):
        obs = self.observed
        head = (f"CalibrationResult({self.scenario.name!r}: {len(self.params)} parameter(s) "
                f"fitted to {len(obs.series)} series x {len(obs.time)} {obs.unit}s; "
                f"{self.evaluations} evaluations x {self.replications} runs, objective "
                f"{self.objective:.4g}, {self.bootstrap} {self.method} bootstrap draws)")
        lines = [head]
        for row in self.estimates.itertuples(index=False):
            text = f"  {row.param} = {row.estimate:.4g}"
            if np.isfinite(row.low):
                text += f"  [{row.low:.4g}, {row.high:.4g}] {self.level:.0%}"
            if not row.identified:
                text += "  (not identified: no effect on the series)"
            if hasattr(row, "truth") and np.isfinite(row.truth):
                text += f"  (truth {row.truth:.4g})"
            lines.append(text)
        return "\n".join(lines)
