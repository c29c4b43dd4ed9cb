"""The growthsim dashboard: a Solara app to run scenarios live and compare two variants.

Start it with ``growthsim dashboard`` (docs/dashboard.md). The package is a face of the
library, never a dependency of it: ``import growthsim`` does not import it, nor Solara.

- :mod:`growthsim.dashboard.state`: controls from the schema, building scenarios, live
  runs, neighbourhoods, A/B statistics and downloads (no Solara).
- :mod:`growthsim.dashboard.charts`: the matplotlib figures.
- :mod:`growthsim.dashboard.components`: the Solara components and a session's state.
- :mod:`growthsim.dashboard.app`: the page ``solara run`` serves.
"""

import os
from pathlib import Path


def assets_dir():
    """Folder holding Solara's page assets (JS/CSS it would fetch from a CDN), if fetched.

    ``$GROWTHSIM_SOLARA_CDN``, default ``~/.cache/growthsim/solara-cdn``; laid out as the
    CDN is (``<npm package>@<version>/<file>``). ``growthsim dashboard`` serves from it when
    it exists, so the app works on a machine that cannot reach the CDN; the browser test
    fills it with ``npm pack`` (docs/dashboard.md).

    Examples
    --------
    >>> assets_dir().name
    'solara-cdn'
    """
    return Path(os.environ.get("GROWTHSIM_SOLARA_CDN")
                or Path.home() / ".cache" / "growthsim" / "solara-cdn")
