"""The growthsim dashboard: a Solara app to run scenarios live and compare two variants.

Start it with ``growthsim dashboard`` (docs/dashboard.md). The package is a face of the
library, never a dependency of it: ``import growthsim`` does not import it, nor Solara.

- :mod:`growthsim.dashboard.state`: controls from the schema, building scenarios, live
  runs, neighbourhoods, A/B statistics and downloads (no Solara).
- :mod:`growthsim.dashboard.charts`: the matplotlib figures.
- :mod:`growthsim.dashboard.components`: the Solara components and a session's state.
- :mod:`growthsim.dashboard.app`: the page ``solara run`` serves.
"""
