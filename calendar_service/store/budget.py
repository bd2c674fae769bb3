"""How much expanding one request may do, summed over every series it touches.

``rules`` bounds one expansion (``rules.limits.MAX_WALK_STEPS``), but a page merges hundreds or
thousands of series, each under that bound: five thousand series of one-minute occurrences
lasting sixteen hours cost a page twenty seconds though each alone costs a few milliseconds.  So
each listing gets a budget of steps (the engine's unit, ``rules.expansion_cost``, about a
microsecond each) that grows with what it lists, not with what is stored, and every read
request one more for all its listings together (``start``, from the web layer, as its
deadline).  A listing pays for a series before expanding it, whether or not the expansion is
cached, so what a page lists depends on the data alone, never on what a worker happened to
compute before; a series it cannot pay for is left out and named, as one too costly on its own.

A pure utility like ``deadline``: no Flask, no database.
"""

from __future__ import annotations

from contextvars import ContextVar

from rules.limits import MAX_WALK_STEPS

# What every listing may spend besides what grows with its size: the most one series may cost
# alone, so a series a listing could show on its own is never left out for the budget.
BASE_STEPS = MAX_WALK_STEPS
# What each occurrence a listing asks for adds to its budget.
STEPS_PER_ITEM = 25
# What one read request may spend in all, over every listing it makes (the "next" link looks
# through pages one after another, the agenda probes a week before its whole span).
REQUEST_STEPS = 1_000_000


class Budget:
    """Steps one listing may still spend; spending also draws on the budget it was made from
    (the request's), so neither can be exceeded."""

    __slots__ = ("left", "parent")

    def __init__(self, steps: int, parent: Budget | None = None) -> None:
        self.left = steps
        self.parent = parent

    def remaining(self) -> int:
        """Steps left here and in every budget above."""
        left = self.left
        if self.parent is not None:
            left = min(left, self.parent.remaining())
        return left

    def pay(self, steps: int) -> bool:
        """Spend ``steps`` when they are left (True), else spend nothing (False)."""
        if steps > self.remaining():
            return False
        budget: Budget | None = self
        while budget is not None:
            budget.left -= steps
            budget = budget.parent
        return True

    def refund(self, steps: int) -> None:
        """Give back what was paid for work that was not done (a walk the engine refused)."""
        budget: Budget | None = self
        while budget is not None:
            budget.left += steps
            budget = budget.parent


_request: ContextVar[Budget | None] = ContextVar("calendar_request_budget", default=None)


def start(steps: int | None = REQUEST_STEPS) -> None:
    """Give this context's listings ``steps`` in all (None or 0: only their own budgets)."""
    _request.set(Budget(steps) if steps else None)


def clear() -> None:
    """Forget the request's budget (the request ended; the thread will serve another)."""
    _request.set(None)


def for_listing(size: int) -> Budget:
    """The budget of one listing of ``size`` occurrences: ``BASE_STEPS`` and ``STEPS_PER_ITEM``
    for each, drawn from the request's budget when there is one."""
    return Budget(BASE_STEPS + STEPS_PER_ITEM * max(size, 0), _request.get())
