"""Where numba keeps compiled kernels: a folder keyed on the source of every jitted module.

numba checks a cached kernel against its own file only, but kernels inline functions and
constants from other files (``kernels/layout.py``'s column numbers, ``kernels/rng.py``, the
per-member steps fused in ``kernels/tick.py``). After an edit to one of those, numba would load
stale machine code. Keying the cache folder on a hash of all jitted sources makes any edit
start a fresh cache. ``NUMBA_CACHE_DIR``, when set, is left alone.
"""

import hashlib
import os
from pathlib import Path

JIT_PACKAGES = ("kernels", "graphs", "seeding")


def source_key():
    """Hex digest of every module of the jitted subpackages (names and contents)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for pkg in JIT_PACKAGES:
        for path in sorted((here / pkg).glob("*.py")):
            h.update(f"{pkg}/{path.name}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def configure():
    """Point numba's cache at ``<base>/<source_key()>`` unless NUMBA_CACHE_DIR is set.

    ``<base>`` is ``$GROWTHSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/growthsim/numba``, else
    ``~/.cache/growthsim/numba``. Must run before any jitted module is imported.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    import numba

    base = os.environ.get("GROWTHSIM_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "growthsim" / "numba"
    numba.config.CACHE_DIR = str(Path(base) / source_key())
