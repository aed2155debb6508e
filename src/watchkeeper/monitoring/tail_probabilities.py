"""Survival functions of the chi-square and Kolmogorov distributions, in plain Python.

Just the two tails the drift tests need, computed as in *Numerical Recipes* (series and
continued fraction for the incomplete gamma function; Jacobi-theta forms for Kolmogorov), so
that ``watchkeeper drift`` does not import scipy at all (about 0.15 s of start-up). Both are
checked against ``scipy.stats.chi2.sf`` and ``scipy.special.kolmogorov`` in the tests.

>>> round(chi_square_survival(3.841458820694124, 1), 6)
0.05
>>> round(kolmogorov_survival(1.3580986393225505), 6)
0.05
"""

from __future__ import annotations

import math

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


__all__ = ["chi_square_survival", "kolmogorov_survival", "regularized_upper_gamma"]
