"""Sequential looks: how much of the run's alpha a verdict may use at each look.

A run that is judged, extended and judged again has looked twice; testing each look at the full
alpha inflates the false-alarm rate (with many looks, towards certainty). An alpha-spending function
(Lan & DeMets 1983) fixes how much alpha has been spent by information fraction t (samples so far
over samples planned); the O'Brien-Fleming-type spending function spends almost nothing early and
nearly all of alpha at the planned end, so a verdict that is clear early (a real fault) still stops
the run, and the final look keeps almost the power of a single test.

Each look tests at the alpha increment spent since the previous look. Using the increment as the
look's nominal level (rather than the exact group-sequential boundary, which needs the joint law of
the looks' statistics) is conservative by Bonferroni: the chance of any false alarm over all looks
is at most the sum of the increments, which is alpha, whatever the dependence between looks.

scipy is imported inside the functions that use it (why: kassi_app.judge.stats).
"""

from __future__ import annotations

from dataclasses import dataclass

_FLOOR = 1e-12
"""A look with no alpha left still runs the tests (for the figures), at a level nothing passes."""


def obrien_fleming_spent(alpha: float, t: float) -> float:
    """Alpha spent by information fraction ``t`` (one-sided): 2 (1 - Phi(z_{1-alpha/2} / sqrt t))."""
    from scipy import stats  # at first use: see the module docstring
    if t <= 0:
        return 0.0
    if t >= 1:
        return alpha
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    return float(2.0 * stats.norm.sf(z / t**0.5))


@dataclass(frozen=True)
class Look:
    """A look at the run after ``done`` blocks of ``planned`` (the run's rounds plus its allowed
    extensions), the previous look having been after ``previous`` blocks (0 for the first).

    ``interim`` marks a look taken before the run's own rounds are all driven: there only a clear
    alarm with every deciding route judged ends the run (it passed its tests at this look's small
    alpha); anything else waits for the planned rounds, because a HEALTHY verdict promises the
    power of the planned sample size and an alarm should name every route the fault reaches.
    """

    done: int
    planned: int
    previous: int = 0
    interim: bool = False

    def alpha(self, alpha: float) -> float:
        """This look's level: the alpha spent between the previous look and this one."""
        spent = obrien_fleming_spent(alpha, self.done / self.planned)
        before = obrien_fleming_spent(alpha, self.previous / self.planned)
        return max(spent - before, _FLOOR)

    def describe(self, alpha: float) -> str:
        kind = "interim look" if self.interim else "sequential look"
        return (
            f"{kind} after {self.done} of {self.planned} planned blocks: alpha {self.alpha(alpha):.2g} "
            f"of {alpha:g} (O'Brien-Fleming spending)"
        )
