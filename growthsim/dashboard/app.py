"""The page ``solara run growthsim.dashboard.app`` serves (``growthsim dashboard`` starts it).

Two environment variables, set by ``growthsim dashboard``, choose what the scenario picker
lists: ``GROWTHSIM_DASHBOARD_ROOT`` (a folder; its ``**/*.toml`` files) and
``GROWTHSIM_DASHBOARD_SCENARIO`` (the file picked first). The app only reads those files;
no text typed in the page is ever run as code.
"""

import os

import solara

from growthsim.dashboard.components import AppState, Dashboard

ROOT_ENV, SCENARIO_ENV = "GROWTHSIM_DASHBOARD_ROOT", "GROWTHSIM_DASHBOARD_SCENARIO"


def session_state():
    """A new session's :class:`AppState`, from the environment.

    Examples
    --------
    >>> session_state().file.value
    'baseline.toml'
    """
    return AppState(os.environ.get(ROOT_ENV) or None, os.environ.get(SCENARIO_ENV) or None)


@solara.component
def Page():
    """One browser session: its own state, the whole dashboard."""
    app = solara.use_memo(session_state, [])
    Dashboard(app)
