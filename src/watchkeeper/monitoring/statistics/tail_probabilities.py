"""Survival functions of the chi-square and Kolmogorov distributions, in plain Python.

Just the tails the drift tests need, so that ``watchkeeper drift`` on large files does not
import ``scipy.stats`` (about 0.6 s of start-up): chi-square as in *Numerical Recipes* (series
and continued fraction for the incomplete gamma function) with its upper quantile (for the
rows a small window needs before it is judged), Kolmogorov's limiting distribution
(Jacobi-theta forms), and the two-sided one-sample KS distribution of ``n`` values for
``n > 140``, by the choice of methods of Simard and L'Ecuyer (2011) that scipy's
``kstwo.sf`` makes (Durbin's matrix, Pelz-Good, and Smirnov's one-sided sum for the far tail).
All are checked against scipy in the tests (``kstwo.sf`` to a relative 1e-7).

>>> round(chi_square_survival(3.841458820694124, 1), 6)
0.05
>>> round(kolmogorov_survival(1.3580986393225505), 6)
0.05
>>> round(kolmogorov_smirnov_survival(0.0136, 10_000), 4)
0.049
"""

from __future__ import annotations

import math

import numpy as np

_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 100_000


def chi_square_survival(statistic: float, degrees_of_freedom: int) -> float:
    """``P(X >= statistic)`` for ``X`` chi-square with the given degrees of freedom.

    >>> chi_square_survival(0.0, 3)
    1.0
    """
    if degrees_of_freedom <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {degrees_of_freedom})")
    if statistic <= 0:
        return 1.0
    return regularized_upper_gamma(degrees_of_freedom / 2.0, statistic / 2.0)


def chi_square_upper_quantile(tail: float, degrees_of_freedom: int) -> float:
    """The ``x`` with ``P(X >= x) = tail`` for ``X`` chi-square (``scipy.stats.chi2.isf``),
    by bisection on :func:`chi_square_survival` to a relative 1e-9.

    >>> round(chi_square_upper_quantile(0.05, 1), 4)
    3.8415
    """
    if not 0 < tail < 1:
        raise ValueError(f"the tail probability must be between 0 and 1 (got {tail})")
    low, high = 0.0, float(degrees_of_freedom)
    while chi_square_survival(high, degrees_of_freedom) > tail:
        low, high = high, 2.0 * high
    while high - low > 1e-9 * high:
        middle = (low + high) / 2.0
        if chi_square_survival(middle, degrees_of_freedom) > tail:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def regularized_upper_gamma(shape: float, x: float) -> float:
    """``Q(a, x) = Γ(a, x) / Γ(a)``: by its series below ``a + 1``, by a continued fraction above.

    >>> round(regularized_upper_gamma(1.0, 2.0), 12) == round(math.exp(-2.0), 12)
    True
    """
    if x <= 0:
        return 1.0
    log_prefactor = -x + shape * math.log(x) - math.lgamma(shape)
    if x < shape + 1.0:
        term = total = 1.0 / shape
        denominator = shape
        for _ in range(_MAX_ITERATIONS):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * _EPSILON:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefactor))
    b = x + 1.0 - shape
    c = 1.0 / _TINY
    d = 1.0 / b
    fraction = d
    for step in range(1, _MAX_ITERATIONS):
        a_n = -step * (step - shape)
        b += 2.0
        d = a_n * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + a_n / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < _EPSILON:
            break
    return min(1.0, math.exp(log_prefactor) * fraction)


def kolmogorov_survival(z: float) -> float:
    """``P(K > z)`` for Kolmogorov's limiting distribution of ``sqrt(n) * D``.

    >>> kolmogorov_survival(0.0), round(kolmogorov_survival(3.0), 9)
    (1.0, 3e-08)
    """
    if z <= 0.0:
        return 1.0
    if z < 1.18:
        scale = -(math.pi**2) / (8.0 * z * z)
        total = sum(math.exp(scale * (2 * j - 1) ** 2) for j in range(1, 8))
        return min(1.0, max(0.0, 1.0 - math.sqrt(2.0 * math.pi) / z * total))
    total = sum(float((-1) ** (j - 1)) * math.exp(-2.0 * j * j * z * z) for j in range(1, 101))
    return min(1.0, max(0.0, 2.0 * total))


SMALLEST_PLAIN_SIZE = 141
"""Below this many values the KS distribution needs Pomeranz's recursion: ask scipy."""

_PI_SQUARED = math.pi**2
_SQRT_TWO_PI = math.sqrt(2.0 * math.pi)
_SCALE = 2.0**128


def kolmogorov_smirnov_survival(statistic: float, size: int) -> float:
    """``P(D_n >= statistic)`` for the two-sided one-sample KS statistic of ``size`` values,
    as ``scipy.stats.kstwo.sf``; ``size`` must be at least :data:`SMALLEST_PLAIN_SIZE`.

    >>> kolmogorov_smirnov_survival(0.0, 500), kolmogorov_smirnov_survival(1.0, 500)
    (1.0, 0.0)
    """
    if size < SMALLEST_PLAIN_SIZE:
        raise ValueError(f"size must be at least {SMALLEST_PLAIN_SIZE} (got {size})")
    d, n = float(statistic), int(size)
    if d >= 1.0:
        return 0.0
    if d <= 0.0:
        return 1.0
    t = n * d
    if t <= 0.5:
        return 1.0
    if t <= 1.0:  # Ruben-Gambino
        return _clip(1.0 - math.exp(_log_factorial_over_power(n) + n * math.log(2.0 * t - 1.0)))
    if t >= n - 1:
        return _clip(2.0 * (1.0 - d) ** n)
    squared = t * d
    if d < 0.5 and squared >= 370.0:
        return 0.0
    if d >= 0.5 or squared >= 2.2:
        return _clip(2.0 * _smirnov(n, d))
    if n <= 100_000 and n * d**1.5 <= 1.4:
        return _clip(1.0 - _durbin_cdf(n, d))
    return _clip(1.0 - _pelz_good_cdf(n, d))


def _smirnov(n: int, d: float) -> float:
    """One-sided ``P(D_n+ >= d)`` by the Birnbaum-Tingey sum, in logarithms."""
    last = math.floor(n * (1.0 - d))
    v = np.arange(last + 1, dtype=np.float64)
    log_binomial = np.concatenate(([0.0], np.cumsum(np.log((n - v[1:] + 1.0) / v[1:]))))
    above = d + v / n
    with np.errstate(divide="ignore"):
        logs = log_binomial + (v - 1.0) * np.log(above) + (n - v) * np.log(1.0 - above)
    top = float(logs.max())
    return d * math.exp(top) * float(np.sum(np.exp(logs - top)))


def _durbin_cdf(n: int, d: float) -> float:
    """``P(D_n <= d)`` by Durbin's matrix (Marsaglia, Tsang and Wang 2003)."""
    k = math.ceil(n * d)
    h = k - n * d
    m = 2 * k - 1
    v = 1.0 - h ** np.arange(1, m + 1, dtype=np.float64)
    w = np.empty(m)
    factorial = 1.0
    for j in range(1, m + 1):
        w[j - 1] = factorial
        factorial /= j
        v[j - 1] *= factorial
    v[-1] = (1.0 + max(2.0 * h - 1.0, 0.0) ** m - 2.0 * h**m) * factorial
    matrix = np.zeros((m, m))
    for i in range(1, m):
        matrix[i - 1 :, i] = w[: m - i + 1]
    matrix[:, 0] = v
    matrix[-1, :] = v[::-1]
    power, exponent, matrix_exponent, remaining = np.eye(m), 0, 0, n
    while remaining > 0:
        if remaining % 2:
            power = power @ matrix
            exponent += matrix_exponent
        matrix = matrix @ matrix
        matrix_exponent *= 2
        if abs(matrix[k - 1, k - 1]) > _SCALE:
            matrix /= _SCALE
            matrix_exponent += 128
        remaining //= 2
    value = float(power[k - 1, k - 1])
    if value <= 0.0:
        return 0.0
    return math.exp(math.log(value) + exponent * math.log(2.0) + _log_factorial_over_power(n))


def _pelz_good_cdf(n: int, d: float) -> float:
    """``P(D_n <= d)`` by Pelz and Good's expansion (1976) in ``1 / sqrt(n)``."""
    z = math.sqrt(n) * d
    z2, z3, z4, z6 = z**2, z**3, z**4, z**6
    q_log = -_PI_SQUARED / 8.0 / z2
    if q_log < -708.0:
        return 0.0
    q = math.exp(q_log)
    pi4, pi6 = math.pi**4, math.pi**6
    k1 = (-z2, _PI_SQUARED / 4.0)
    k2 = (6 * z6 + 2 * z4, (2 * z4 - 5 * z2) * _PI_SQUARED / 4.0, pi4 * (1 - 2 * z2) / 16.0)
    k3 = (
        -30 * z6 - 90 * z**8,
        _PI_SQUARED * (135 * z4 - 96 * z6) / 4.0,
        pi4 * (-60 * z2 + 212 * z4) / 16.0,
        pi6 * (5 - 30 * z2) / 64.0,
    )
    terms = [0.0, 0.0, 0.0, 0.0]
    largest = math.ceil(16.0 * z / math.pi)
    for j in range(largest, 0, -1):  # Horner's scheme in q ** (8j)
        m2 = (2 * j - 1) ** 2
        factor = q ** (8 * j)
        coefficients = (
            1.0,
            k1[0] + k1[1] * m2,
            k2[0] + k2[1] * m2 + k2[2] * m2**2,
            k3[0] + k3[1] * m2 + k3[2] * m2**2 + k3[3] * m2**3,
        )
        terms = [term * factor + c for term, c in zip(terms, coefficients, strict=True)]
    divisors = (z, 6 * z4, 72 * z**7, 6480 * z**10)
    terms = [
        term * q * _SQRT_TWO_PI / divisor for term, divisor in zip(terms, divisors, strict=True)
    ]
    squares = np.arange(largest, 0, -1, dtype=np.float64) ** 2
    powers = math.exp(-_PI_SQUARED / 2.0 / z2) ** squares
    terms[2] += float(np.sum(squares * powers)) * _PI_SQUARED * _SQRT_TWO_PI / (-36.0 * z3)
    shifted = 3.0 * z2 - _PI_SQUARED * squares
    terms[3] += (
        float(np.sum(shifted * squares * powers)) * _PI_SQUARED * _SQRT_TWO_PI / (216.0 * z6)
    )
    return float(sum(term / n ** (order / 2.0) for order, term in enumerate(terms)))


def _log_factorial_over_power(n: int) -> float:
    return math.lgamma(n + 1.0) - n * math.log(n)


def _clip(probability: float) -> float:
    return min(1.0, max(0.0, probability))


__all__ = [
    "SMALLEST_PLAIN_SIZE",
    "chi_square_survival",
    "chi_square_upper_quantile",
    "kolmogorov_smirnov_survival",
    "kolmogorov_survival",
    "regularized_upper_gamma",
]
