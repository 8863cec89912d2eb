"""The one clock every part of the service reads "now" from, so that tests can set it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Current time in UTC (timezone-aware)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Asia/Shanghai, the zone deadlines are counted in."""
    return now().astimezone(SHANGHAI).date()


def set_now(value: datetime | None) -> None:
    """Freeze the clock at `value` (aware datetime), or release it with None."""
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware datetime")
    _frozen = value.astimezone(UTC) if value is not None else None


@contextmanager
def moved_to(value: datetime) -> Iterator[None]:
    """Run a block at `value` (loaders back-dating what they record), then put the clock back as it was."""
    global _frozen
    before = _frozen
    set_now(value)
    try:
        yield
    finally:
        _frozen = before
