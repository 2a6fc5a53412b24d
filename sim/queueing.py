"""Queueing theory the engine is checked against, and that sizing can start from.

M/M/c with arrival rate λ, service rate μ per server and c servers; offered load a = λ/μ,
utilisation ρ = a/c < 1 (Erlang C).
"""

from __future__ import annotations

import math


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c with offered load ``a`` [Erlang] (stable recursion)."""
    if c < 0 or a < 0:
        raise ValueError("c and a must be non-negative")
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival to M/M/c has to wait, C(c, a); requires a < c."""
    if a >= c:
        raise ValueError(f"unstable: offered load {a} >= {c} servers")
    blocking = erlang_b(c, a)
    return c * blocking / (c - a * (1.0 - blocking))


def mmc_wait_mean(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue W_q = C(c, a) / (cμ − λ), in the time unit of the rates."""
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def mmc_wait_quantile(arrival_rate: float, service_rate: float, servers: int, q: float) -> float:
    """The q-quantile of the wait: P(W > t) = C·exp(−(cμ − λ)t), so 0 when q <= 1 − C."""
    a = arrival_rate / service_rate
    waiting = erlang_c(servers, a)
    if q <= 1.0 - waiting:
        return 0.0
    return math.log(waiting / (1.0 - q)) / (servers * service_rate - arrival_rate)
