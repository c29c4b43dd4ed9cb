"""The counter-based generator: twin equality, uniformity, independence of keys."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy import stats

from growthsim.kernels import rng

keys = st.tuples(st.integers(0, 2**62), st.integers(-2, 40_000), st.integers(0, 2**31 - 1),
                 st.integers(0, 64), st.integers(0, 2**60))


@settings(max_examples=300, deadline=None)
@given(keys)
def test_twin_is_bit_identical(key):
    assert int(rng.hash64(*key)) == rng.hash64_py(*key)
    assert rng.uniform(*key) == rng.uniform_py(*key)


@settings(max_examples=100, deadline=None)
@given(keys, st.floats(0.0, 80.0))
def test_poisson_twin(key, lam):
    assert rng.poisson(lam, *key) == rng.poisson_py(lam, *key)


@njit(cache=True)
def _draws(seed, day, n, purpose):
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.uniform(seed, day, i, purpose, 0)
    return out


@njit(cache=True)
def _poissons(seed, n, lam):
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = rng.poisson(lam, seed, 0, i, rng.READ, 0)
    return out


def test_uniformity_and_key_independence():
    u = _draws(1, 5, 200_000, rng.SHARE)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    v = _draws(1, 6, 200_000, rng.SHARE)      # next day
    w = _draws(1, 5, 200_000, rng.CONVERT)    # other purpose
    x = _draws(2, 5, 200_000, rng.SHARE)      # other seed
    for other in (v, w, x):
        assert abs(np.corrcoef(u, other)[0, 1]) < 0.01
        assert not np.array_equal(u, other)
    # successive persons are not correlated either
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_poisson_moments():
    for lam in (0.05, 0.7, 3.0, 12.0, 45.0):
        k = _poissons(3, 200_000, lam)
        se = np.sqrt(lam / len(k))
        assert abs(k.mean() - lam) < 5 * se, lam
        assert abs(k.var() / lam - 1) < 0.03, lam
    assert _poissons(3, 10, 0.0).sum() == 0
