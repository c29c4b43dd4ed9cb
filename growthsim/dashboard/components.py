"""Solara components of the dashboard and the per-session :class:`AppState` they share.

The controls are generated from the scenario schema (:func:`growthsim.dashboard.state.controls`);
runs happen in a worker thread (``solara.use_thread``) that steps the model a chunk of days at
a time and publishes a :class:`~growthsim.dashboard.state.Snapshot` after each chunk, so the
charts follow the run and Stop takes effect within a chunk.
"""

import html
import threading
import time
from pathlib import Path

import solara

from growthsim import metrics as M
from growthsim.dashboard import charts, state as S
from growthsim.errors import GrowthsimError

#: Daily metrics the A/B mode can plot (columns of growthsim.metrics.COLUMNS).
AB_METRICS = ("members", "cum_members", "new_members", "dau_mau", "mau", "revenue",
              "cum_revenue", "acquisition_cost", "reward_cost", "ltv_cac", "k_factor",
              "trust_mean", "fatigue_mean")
#: Yearly figures of the A/B difference table.
AB_TABLE = ("members_end", "cum_members_end", "joins", "wom_share", "dau_mau", "revenue",
            "acquisition_cost", "ltv_cac_end")
EXECUTORS = ("serial", "processes")
#: Replications of the A/B mode: not a scenario parameter; two are the fewest with an interval.
AB_REPS = (2, 30)
LEVER_KEYS = tuple(k for k, _ in S.LEVERS)
SHARED_AB_KEYS = ("population.n", "run.days")  # A and B are paired: same market and horizon
MIN_UPDATE_SECONDS = 0.5
VIEWS = ("Live run", "A/B comparison")
DESIGN_LABELS = {"ladder": "Reward ladder", "koc": "KOC plan", "cadence": "Content cadence"}


class AppState:
    """One browser session's state, as reactive values.

    Parameters
    ----------
    root : str or Path, optional
        Folder whose ``**/*.toml`` files the scenario picker lists
        (default :func:`growthsim.dashboard.state.default_root`).
    initial : str, optional
        File picked first (relative to ``root`` or a path; default ``baseline.toml``).

    Examples
    --------
    >>> st = AppState()
    >>> st.file.value, st.run_values.value["population.n"]
    ('baseline.toml', 20000)
    """

    def __init__(self, root=None, initial=None):
        self.root = Path(root) if root else S.default_root()
        self.files = S.scenario_files(self.root)
        first = "baseline.toml" if "baseline.toml" in self.files else (self.files or [""])[0]
        if initial:  # a file of the folder by its listed name, else listed by its full path
            path = Path(initial) if Path(initial).is_absolute() else self.root / initial
            try:
                first = path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                first = str(path.resolve())
            if first not in self.files:
                self.files.append(first)
        self.file = solara.reactive(first)
        self.run_designs = solara.reactive({})
        self.run_values = solara.reactive(dict(S.DEFAULTS))
        self.snapshot = solara.reactive(None)
        self.status = solara.reactive("idle")  # idle, building, running, done, stopped, error
        self.message = solara.reactive("")
        self.run_id = solara.reactive(0)
        self.run_scenario = None
        self.stop = threading.Event()
        self.ab_shared = solara.reactive(dict(S.DEFAULTS))
        self.ab_designs = (solara.reactive({}), solara.reactive({"ladder": "two_sided"}))
        self.ab_values = (solara.reactive({}), solara.reactive({}))
        self.ab_reps = solara.reactive(5)
        self.ab_executor = solara.reactive("serial")
        self.ab_metric = solara.reactive("members")
        self.ab_result = solara.reactive(None)
        self.ab_status = solara.reactive("idle")
        self.ab_message = solara.reactive("")
        self.ab_id = solara.reactive(0)
        self.ab_scenarios = None

    def base(self):
        """``(Scenario, error)`` of the picked file (see :func:`growthsim.dashboard.state.load`)."""
        return S.load(self.root, self.file.value) if self.file.value else \
            (None, f"{self.root}: no scenario files")

    def start_run(self):
        """Build the run's scenario from the picked file and controls, and start it.

        A bad combination of values is shown as a one-line error; nothing runs.
        """
        base, err = self.base()
        if err:
            self.status.value, self.message.value = "error", err
            return
        try:
            self.run_scenario = S.build(base, self.run_designs.value, self.run_values.value)
        except GrowthsimError as exc:
            self.status.value, self.message.value = "error", _line(exc)
            return
        self.stop.clear()
        self.message.value = ""
        self.status.value = "building"
        self.run_id.value += 1

    def stop_run(self):
        """Ask the running model to stop after its current chunk of days."""
        self.stop.set()

    def live(self, cancel=None):
        """Run :attr:`run_scenario` to its horizon, publishing a snapshot after each chunk."""
        cancel = cancel or threading.Event()
        try:
            live = S.LiveRun(self.run_scenario)
            self.snapshot.value = live.snapshot()
            self.status.value = "running"
            chunk, shown = S.chunk_days(live.days), time.monotonic()
            while not live.done:
                if self.stop.is_set() or cancel.is_set():
                    self.snapshot.value = live.snapshot()
                    self.status.value = "stopped"
                    return
                live.advance(chunk)
                # Drawing the charts takes a while: at most about two updates a second.
                if live.done or time.monotonic() - shown >= MIN_UPDATE_SECONDS:
                    self.snapshot.value = live.snapshot()
                    shown = time.monotonic()
            self.status.value = "done"
        except Exception as exc:  # noqa: BLE001 - shown in the app, never a dead thread
            self.status.value, self.message.value = "error", _line(exc)

    def start_ab(self):
        """Build variants A and B (shared people and horizon) and start their replications."""
        base, err = self.base()
        if err:
            self.ab_status.value, self.ab_message.value = "error", err
            return
        try:
            self.ab_scenarios = [
                S.build(base, d.value, {**v.value, **self.ab_shared.value})
                for d, v in zip(self.ab_designs, self.ab_values)]
        except GrowthsimError as exc:
            self.ab_status.value, self.ab_message.value = "error", _line(exc)
            return
        self.ab_message.value = ""
        self.ab_status.value = "running"
        self.ab_id.value += 1

    def ab(self):
        """Run the A/B replications (:func:`growthsim.dashboard.state.ab_compare`)."""
        try:
            a, b = self.ab_scenarios
            self.ab_result.value = S.ab_compare(a, b, self.ab_reps.value,
                                                executor=self.ab_executor.value)
            self.ab_status.value = "done"
        except Exception as exc:  # noqa: BLE001 - shown in the app
            self.ab_status.value, self.ab_message.value = "error", _line(exc)


def _line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


# -- controls -------------------------------------------------------------------------------------

def _shown(control, value):
    if control.kind == "choice":
        return control.label
    number = f"{value:,.0f}" if control.kind == "int" or abs(value) >= 100 else f"{value:.3g}"
    unit = control.unit.split(",")[0]
    return f"{control.label}: {number} {unit}".rstrip()


@solara.component
def LeverControl(control, value, on_value):
    """One schema-generated control: a slider within the field's range, or a choice."""
    label = _shown(control, value)
    with solara.Tooltip(control.help or control.label):
        with solara.Column(gap="0px", classes=["lever", control.key.replace(".", "-")]):
            if control.kind == "choice":
                solara.Select(label=label, values=list(control.choices), value=value,
                              on_value=on_value, dense=True)
            elif control.kind == "int":
                solara.SliderInt(label, value=int(value), min=int(control.lo),
                                 max=int(control.hi), step=int(control.step), on_value=on_value)
            else:
                solara.SliderFloat(label, value=float(value), min=float(control.lo),
                                   max=float(control.hi), step=float(control.step),
                                   on_value=on_value)


@solara.component
def LeverPanel(base, designs, values, keys=LEVER_KEYS, defaults=None, title=None):
    """Design pickers (ladder, KOC plan, cadence) and a control for each lever key.

    ``designs`` and ``values`` are reactive dicts holding only what the user chose; a
    control shows the file's value (after the designs) until it is moved.
    """
    try:
        current = S.build(base, designs.value, {})
    except GrowthsimError as exc:
        solara.Error(_line(exc))
        current = base
    with solara.Column(gap="4px"):
        if title:
            solara.Text(title, style={"font-weight": "bold"})
        for kind, table in S.DESIGNS.items():
            chosen = designs.value.get(kind, S.AS_IN_FILE)
            solara.Select(label=DESIGN_LABELS[kind], values=[S.AS_IN_FILE, *table], value=chosen,
                          dense=True, on_value=lambda v, k=kind: designs.set(
                              {**designs.value, k: v}))
            if chosen in table:
                solara.Text(table[chosen]["description"], style={"font-size": "0.75em"})
        for control in S.controls(keys):
            value = values.value.get(control.key, control.value_in(current))
            LeverControl(control, value, on_value=lambda v, k=control.key: values.set(
                {**values.value, k: v}))
        solara.Button("Reset levers", text=True, on_click=lambda: (
            designs.set({}), values.set(dict(defaults or {}))))


@solara.component
def ScenarioPicker(app):
    """The scenario files of the app's folder; a bad file shows its one-line error."""
    solara.Select(label="Scenario file", values=app.files, value=app.file, dense=True)
    base, err = app.base()
    if err:
        solara.Error(err, classes=["scenario-error"])
    elif base.description:
        solara.Text(base.description, style={"font-size": "0.8em"})


# -- the live run ---------------------------------------------------------------------------------

@solara.component
def RunPanel(app):
    """Controls, Run/Stop, live charts, the neighbourhood and the downloads of one run."""
    def work(cancel):
        if app.run_id.value:
            app.live(cancel)

    solara.use_thread(work, dependencies=[app.run_id.value], intrusive_cancel=False)
    base, _ = app.base()
    busy = app.status.value in ("building", "running")
    with solara.Columns([1, 3]):
        with solara.Column():
            with solara.Row():
                solara.Button("Run", color="primary", on_click=app.start_run,
                              disabled=busy or base is None)
                solara.Button("Stop", on_click=app.stop_run, disabled=not busy)
            RunStatus(app)
            snap = app.snapshot.value
            if snap is not None and app.status.value not in ("building", "running"):
                Downloads(snap.metrics, _stem(app.run_scenario.name))
            if base is not None:
                LeverPanel(base, app.run_designs, app.run_values, defaults=S.DEFAULTS)
        with solara.Column():
            RunCharts(app.snapshot.value)


def _stem(name):
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "run"


@solara.component
def RunStatus(app):
    """Day counter and status line of the live run."""
    snap, status = app.snapshot.value, app.status.value
    day = f"Day {snap.day:,} of {snap.days:,}" if snap is not None else "Not run yet"
    solara.Text(f"{day} · {status}", classes=["run-status"])
    if status == "building":
        solara.ProgressLinear(True)
    if status == "error":
        solara.Error(app.message.value, classes=["run-error"])


@solara.component
def RunCharts(snap):
    """The six live panels and the neighbourhood view of a snapshot."""
    if snap is None:
        solara.Info("Pick a scenario, set the levers and press Run.")
    else:
        Figure(charts.run_figure, snap, redraw=snap.serial)
        if snap.ego is None:
            solara.Info("The graph is complete: there is no neighbourhood to show.")
        else:
            Figure(charts.neighbourhood_figure, snap.ego, redraw=snap.serial)


@solara.component
def Figure(make, arg, redraw):
    """``make(arg)`` (a matplotlib figure) as a PNG, drawn again when ``redraw`` changes."""
    fig = solara.use_memo(lambda: make(arg), [redraw])
    solara.FigureMatplotlib(fig, dependencies=[redraw], format="png", dpi=80)


@solara.component
def Downloads(frame, stem):
    """CSV and Parquet downloads of a daily metrics table."""
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: S.to_csv(frame), filename=f"{stem}-daily.csv",
                            label="Daily metrics (CSV)", mime_type="text/csv")
        solara.FileDownload(lambda: S.to_parquet(frame), filename=f"{stem}-daily.parquet",
                            label="Daily metrics (Parquet)")


# -- A/B mode -------------------------------------------------------------------------------------

@solara.component
def ABPanel(app):
    """Two variants, N replications each, their 95% bands and the paired difference."""
    def work():
        if app.ab_id.value:
            app.ab()

    solara.use_thread(work, dependencies=[app.ab_id.value], intrusive_cancel=False)
    base, _ = app.base()
    if base is None:
        return
    running = app.ab_status.value == "running"
    with solara.Row(style={"flex-wrap": "wrap", "gap": "24px"}):
        with solara.Column(style={"min-width": "260px"}):
            solara.Text("Both variants", style={"font-weight": "bold"})
            for control in S.controls(SHARED_AB_KEYS):
                value = app.ab_shared.value.get(control.key, control.value_in(base))
                LeverControl(control, value, on_value=lambda v, k=control.key: app.ab_shared.set(
                    {**app.ab_shared.value, k: v}))
            solara.SliderInt(f"Replications: {app.ab_reps.value}", value=app.ab_reps,
                             min=AB_REPS[0], max=AB_REPS[1])
            solara.Select("Executor", values=list(EXECUTORS), value=app.ab_executor, dense=True)
            solara.Select("Metric", values=list(AB_METRICS), value=app.ab_metric, dense=True)
            solara.Text(M.COLUMNS[app.ab_metric.value], style={"font-size": "0.75em"})
            solara.Button("Run A/B", color="primary", on_click=app.start_ab,
                          disabled=running)
            if running:
                solara.ProgressLinear(True)
            if app.ab_status.value == "error":
                solara.Error(app.ab_message.value, classes=["ab-error"])
        for label, designs, values in zip(("Variant A", "Variant B"), app.ab_designs,
                                          app.ab_values):
            with solara.Column(style={"min-width": "260px"}):
                LeverPanel(base, designs, values,
                           keys=tuple(k for k in LEVER_KEYS if k not in SHARED_AB_KEYS),
                           title=label)
    if app.ab_result.value is not None:
        ABResults(app.ab_result.value, app.ab_metric.value)


@solara.component
def ABResults(comparison, metric):
    """Bands, the paired difference and the final year's differences of an A/B run."""
    bands = solara.use_memo(lambda: S.ab_bands(comparison, metric), [id(comparison), metric])
    diff = solara.use_memo(lambda: S.ab_difference(comparison, metric), [id(comparison), metric])
    fig = solara.use_memo(lambda: charts.ab_figure(bands, diff, metric),
                          [id(comparison), metric])
    solara.FigureMatplotlib(fig, dependencies=[id(comparison), metric], format="png", dpi=80)
    table = ab_table(comparison)
    solara.Text(f"B - A in year {table.attrs['year']} ({comparison.reps} paired replications, "
                "95% intervals)", style={"font-weight": "bold"})
    solara.HTML(tag="table", unsafe_innerHTML=_html_rows(table), classes=["ab-table"])
    Downloads(comparison.daily, "ab")


def ab_table(comparison):
    """The last year's B - A differences of :data:`AB_TABLE` with 95% paired intervals.

    Returns a DataFrame indexed by figure with columns ``diff, ci_low, ci_high``; the
    year is in ``attrs["year"]``.

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> a = Scenario().with_overrides({"population.n": 1_000, "run.days": 20})
    >>> t = ab_table(S.ab_compare(a, a, 2, seed=1))
    >>> t.attrs["year"], t.loc["members_end"].tolist()
    (1, [0.0, 0.0, 0.0])
    """
    d = comparison.differences(metrics=list(AB_TABLE))
    year = int(d.index.get_level_values("year").max())
    part = d.xs(year, level="year").droplevel("scenario").loc[list(AB_TABLE)]
    out = part[["mean", "ci_low", "ci_high"]].rename(columns={"mean": "diff"})
    out.attrs["year"] = year
    return out


def _html_rows(table):
    cells = ["<tr><th>figure</th><th>B - A</th><th>95% interval</th></tr>"]
    for name, row in table.iterrows():
        cells.append(f"<tr><td>{html.escape(str(name))}</td><td>{row['diff']:,.4g}</td>"
                     f"<td>[{row['ci_low']:,.4g}, {row['ci_high']:,.4g}]</td></tr>")
    return "".join(cells)


#: Slider labels above their slider (Vuetify puts them beside it, squeezing the track).
CSS = """
.lever .v-input { grid-template-areas: "prepend" "control" "messages";
                  grid-template-columns: 1fr; }
.lever .v-input__prepend { margin-inline-end: 0; margin-bottom: -6px; }
.lever .v-label { font-size: 0.85em; opacity: 0.9; }
.ab-table td, .ab-table th { padding: 2px 10px; text-align: right; }
"""


@solara.component
def Dashboard(app):
    """The whole app: scenario picker, then the Run and A/B tabs."""
    solara.Title("growthsim dashboard")
    solara.Style(CSS)
    with solara.Column(style={"padding": "12px"}):
        with solara.Row():
            solara.Text("growthsim", style={"font-size": "1.6em", "font-weight": "bold",
                                            "margin-right": "24px"})
            with solara.Column(style={"min-width": "360px"}):
                ScenarioPicker(app)
        # Both views stay mounted (a run goes on while the other view is shown); only the
        # chosen one is displayed.
        view = solara.use_reactive(VIEWS[0])
        solara.ToggleButtonsSingle(value=view, values=list(VIEWS), classes=["views"])
        with solara.Div(style=_display(view.value == VIEWS[0]), classes=["run-view"]):
            RunPanel(app)
        with solara.Div(style=_display(view.value == VIEWS[1]), classes=["ab-view"]):
            ABPanel(app)


def _display(shown):
    return {"display": "block"} if shown else {"display": "none"}
