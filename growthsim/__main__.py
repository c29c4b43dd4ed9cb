"""``python -m growthsim``: the ``growthsim`` command line (:mod:`growthsim.cli`, docs/cli.md)."""

from growthsim.cli import main, parse_value, yearly_summary  # noqa: F401 - kept importable here

if __name__ == "__main__":
    main()
