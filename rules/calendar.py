"""Working days in China: weekends and public holidays off, adjusted weekends (调休) on.

`chinesecalendar` knows 2004-2026; the policy's `calendar:` section adds holidays and
adjusted working days on top. For a year neither knows, weekends-only is assumed and a
warning is logged once per year, so a deadline never crashes and never passes silently.

Counting convention (docs/rules.md): the day of the triggering event does not count;
"N working days" ends at 23:59:59 Asia/Shanghai of the Nth working day after it; "N natural
days" and "N hours" count from the event's timestamp.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import chinese_calendar

from rules.durations import Duration, Unit

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger("hcp.rules.calendar")


class WorkingCalendar:
    def __init__(self, holidays: Iterable[dt.date] = (), working_days: Iterable[dt.date] = ()):
        self.holidays = frozenset(holidays)
        self.working_days = frozenset(working_days)
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self._warn_once(day.year)
            return day.weekday() < 5

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime:
        """When a period of `duration` that starts at `start` ends."""
        if duration.unit is Unit.MINUTES:
            return start + dt.timedelta(minutes=duration.amount)
        if duration.unit is Unit.HOURS:
            return start + dt.timedelta(hours=duration.amount)
        if duration.unit is Unit.NATURAL_DAYS:
            return start + dt.timedelta(days=duration.amount)
        return self._end_of_working_days(start, duration.amount)

    def cutoff(self, now: dt.datetime, duration: Duration) -> dt.datetime:
        """The bound B such that every period of `duration` that started before B has
        ended by `now` (and none that started at B or later has): a sweep selects the
        events with `started < B` as due."""
        if duration.unit is not Unit.WORKING_DAYS:
            return now - (self.add(now, duration) - now)
        day = now.astimezone(BUSINESS_TZ).date()
        while self._end_of_working_days(_start_of(day), duration.amount) >= now:
            day -= dt.timedelta(days=1)
        return _start_of(day + dt.timedelta(days=1)).astimezone(now.tzinfo or dt.UTC)

    def _end_of_working_days(self, start: dt.datetime, count: int) -> dt.datetime:
        day = start.astimezone(BUSINESS_TZ).date()
        found = 0
        while found < count:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=BUSINESS_TZ)
        return end.astimezone(start.tzinfo or dt.UTC)

    def _warn_once(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        log.warning(
            "no holiday data for %s: counting weekends only; add the year's holidays and "
            "adjusted working days under calendar: in the rules file",
            year,
        )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=BUSINESS_TZ)
