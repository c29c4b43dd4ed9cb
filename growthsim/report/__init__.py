"""Figures and tables drawn from result tables (never from a model).

The modules here import matplotlib at their top; ``import growthsim`` does not
import this package, so the core stays free of plotting. :mod:`verdict` needs
only pandas (command-line tables use it without matplotlib).

- :mod:`~growthsim.report.attribution`: plots of the attribution tables.
- :mod:`~growthsim.report.figures`: daily metrics of replicated runs with
  interval bands (``band``, ``plot_members_by_channel``, ``plot_dau_mau``,
  ``plot_tiers``, ``plot_retention``, ``plot_ltv_cac``, ``plot_difference``).
- :mod:`~growthsim.report.verdict`: plain-language verdicts on paired
  differences (``verdict``, ``verdicts``, ``HIGHER_IS_BETTER``).
- :mod:`~growthsim.report.html`: ``write_report``, the HTML report with its figures.
"""

__all__ = ["attribution", "figures", "html", "verdict"]
