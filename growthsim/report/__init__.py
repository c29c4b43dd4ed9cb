"""Figures and tables drawn from result tables (never from a model).

The modules here import matplotlib at their top; ``import growthsim`` does not
import this package, so the core stays free of plotting.
"""
