"""Commands of the ``growthsim`` command line that live in modules of their own.

Each module ``growthsim/commands/<name>.py`` defines ``command``, a click command;
:mod:`growthsim.cli` adds every such module's command to the ``growthsim`` group. Like
``cli.py``, they parse and check input, call the library, and write outputs; the work itself
is in the library (e.g. :mod:`growthsim.experiment`).
"""
