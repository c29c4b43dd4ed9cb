"""Counter-based random numbers keyed by (seed, day, person, purpose, counter).

Every random decision in a daily tick is a pure function of its key, so the
result never depends on the order in which people are visited, on the number
of threads, or on which executor ran the replication; and the plain-Python
twin (:func:`uniform_py`) draws exactly the same numbers as the numba kernels.

The mixer is SplitMix64's finaliser applied to a running 64-bit state: each
key component is folded in with a distinct odd constant and re-mixed, which
passes the usual avalanche checks and costs a handful of multiplications.
"""

import numpy as np
from numba import njit

# Purposes: one per kind of decision, so two decisions about the same person on
# the same day never share a draw.
READ = 1
INTERACT = 2
POST = 3
SHARE = 4
CHANNEL = 5
REACH = 6
CONVERT = 7
STRANGER = 8
STRANGER_N = 9
ORGANIC = 10
ORGANIC_N = 11
AD = 12
AD_N = 13
NOTE_N = 14
NOTE = 15
WAKEUP = 16
CHURN = 17
NWOM = 18
BUY = 19
INIT = 20
VARIED = 21
FOLLOW = 22
NWOM_N = 23
CHECKIN = 24

_M64 = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_K_DAY = 0xD6E8FEB86659FD93
_K_PERSON = 0xA0761D6478BD642F
_K_PURPOSE = 0xE7037ED1A0B428DB
_K_COUNTER = 0x8EBC6AF09C88C6E3
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_C1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_C2)
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def hash64(seed, day, person, purpose, counter):
    """64-bit hash of a draw's key (numba).

    Examples
    --------
    >>> int(hash64(1, 0, 42, SHARE, 0)) == hash64_py(1, 0, 42, SHARE, 0)
    True
    >>> hash64(1, 0, 42, SHARE, 0) != hash64(1, 0, 42, SHARE, 1)    # the counter changes the draw
    True
    """
    h = _mix(np.uint64(seed) + np.uint64(_GOLDEN))
    h = _mix(h ^ (np.uint64(np.int64(day)) * np.uint64(_K_DAY)))
    h = _mix(h ^ (np.uint64(np.int64(person)) * np.uint64(_K_PERSON)))
    h = _mix(h ^ (np.uint64(purpose) * np.uint64(_K_PURPOSE)))
    h = _mix(h ^ (np.uint64(np.int64(counter)) * np.uint64(_K_COUNTER)))
    return h


@njit(inline="always", cache=True)
def uniform(seed, day, person, purpose, counter):
    """A uniform draw in [0, 1) for the key (numba).

    Examples
    --------
    >>> u = uniform(1, 0, 42, SHARE, 0)
    >>> 0.0 <= u < 1.0, u == uniform(1, 0, 42, SHARE, 0), u == uniform_py(1, 0, 42, SHARE, 0)
    (True, True, True)
    """
    return np.float64(hash64(seed, day, person, purpose, counter) >> np.uint64(11)) * _INV53


@njit(inline="always", cache=True)
def poisson(lam, seed, day, person, purpose, counter):
    """A Poisson(lam) draw by inversion of one uniform (numba).

    Inversion keeps one key per draw; it is exact and cheap for the small
    means a daily tick needs. Large means (over 30) use a rounded normal
    approximation fed by a second uniform, which is accurate to well under a
    percent at that size.

    Examples
    --------
    >>> draws = [poisson(3.0, 1, 0, i, READ, 0) for i in range(4_000)]
    >>> round(float(np.mean(draws)), 1), poisson(0.0, 1, 0, 0, READ, 0)
    (3.0, 0)
    """
    if lam <= 0.0:
        return 0
    u = uniform(seed, day, person, purpose, counter)
    if lam > 30.0:
        u2 = uniform(seed, day, person, purpose, counter + 7919)
        z = np.sqrt(-2.0 * np.log(1.0 - u)) * np.cos(2.0 * np.pi * u2)
        k = int(np.floor(lam + np.sqrt(lam) * z + 0.5))
        return k if k > 0 else 0
    p = np.exp(-lam)
    c = p
    k = 0
    while u >= c and k < 1000:
        k += 1
        p *= lam / k
        c += p
    return k


# --- the plain-Python twin -------------------------------------------------


def _mix_py(z):
    z = ((z ^ (z >> 30)) * _C1) & _M64
    z = ((z ^ (z >> 27)) * _C2) & _M64
    return z ^ (z >> 31)


def hash64_py(seed, day, person, purpose, counter):
    """Plain-Python twin of :func:`hash64` (bit-identical).

    Examples
    --------
    >>> hash64_py(1, 0, 42, SHARE, 0) == int(hash64(1, 0, 42, SHARE, 0))
    True
    >>> 0 <= hash64_py(2**53, -5, 10**9, CHECKIN, 7) < 2**64
    True
    """
    h = _mix_py((int(seed) + _GOLDEN) & _M64)
    h = _mix_py(h ^ ((int(day) & _M64) * _K_DAY & _M64))
    h = _mix_py(h ^ ((int(person) & _M64) * _K_PERSON & _M64))
    h = _mix_py(h ^ ((int(purpose) & _M64) * _K_PURPOSE & _M64))
    h = _mix_py(h ^ ((int(counter) & _M64) * _K_COUNTER & _M64))
    return h


def uniform_py(seed, day, person, purpose, counter):
    """Plain-Python twin of :func:`uniform`.

    Examples
    --------
    >>> u = uniform_py(1, 0, 42, SHARE, 0)
    >>> 0.0 <= u < 1.0
    True
    >>> u == uniform(1, 0, 42, SHARE, 0)
    True
    """
    return (hash64_py(seed, day, person, purpose, counter) >> 11) * _INV53


def poisson_py(lam, seed, day, person, purpose, counter):
    """Plain-Python twin of :func:`poisson`.

    Examples
    --------
    >>> [poisson_py(2.5, 1, 3, i, READ, 0) for i in range(8)] == \\
    ...     [poisson(2.5, 1, 3, i, READ, 0) for i in range(8)]
    True
    """
    import math

    if lam <= 0.0:
        return 0
    u = uniform_py(seed, day, person, purpose, counter)
    if lam > 30.0:
        u2 = uniform_py(seed, day, person, purpose, counter + 7919)
        z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * u2)
        k = int(math.floor(lam + math.sqrt(lam) * z + 0.5))
        return k if k > 0 else 0
    p = math.exp(-lam)
    c = p
    k = 0
    while u >= c and k < 1000:
        k += 1
        p *= lam / k
        c += p
    return k
