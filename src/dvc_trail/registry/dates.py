"""Tag dates: git's `+HHMM` offsets as time zones, and ISO dates made in one pass (as gto prints them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import timezone

    from dvc_trail.registry.state import Event

_TZ: dict[str, timezone] = {}


def tz(offset: str) -> timezone:
    """A git `+HHMM` offset as a timezone (cached: a registry has few distinct offsets)."""
    if offset not in _TZ:
        from datetime import UTC, timedelta, timezone  # here: `trail ls` prints no dates

        match = re.fullmatch(r"([+-])(\d\d)(\d\d)", offset)
        minutes = int(match[2]) * 60 + int(match[3]) if match else 0
        _TZ[offset] = timezone(timedelta(minutes=-minutes if match and match[1] == "-" else minutes)) if match else UTC
    return _TZ[offset]


def iso_dates(events: list[Event]) -> list[str]:
    """Each event's `created_at.isoformat()`, made in one pass (a registry's history has thousands)."""
    from datetime import datetime  # here: `trail ls` prints no dates

    return [datetime.fromtimestamp(e.timestamp, _TZ.get(e.tz_offset) or tz(e.tz_offset)).isoformat() for e in events]
