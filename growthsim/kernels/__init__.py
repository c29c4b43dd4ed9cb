"""Numba kernels that advance the population one day.

Each module is one step of the daily tick, in order: content, activity,
sharing, conversion, acquisition, rewards, interventions, churn, purchases,
events; ``census`` counts the day's figures. Kernels import only numpy and
numba and know nothing of scenarios, files or the model: they read packed
parameter vectors (see :mod:`growthsim.kernels.layout`) and the state
matrices ``I`` (int32) and ``F`` (float64), one row per person.
"""
