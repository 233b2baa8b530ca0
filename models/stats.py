"""Statistics: counters per day and cell, kept current from the raw rows (models.stores.stats).

A cell is where a completed case was served: its region, department, window, staff member
and matter, and the channel of the rating it counts with ('' none). 0 stands for no window
or no staff member, so that the cell is one unique key. Every change to a case, its rating
or its work items marks the case's cell of that day in `stat_dirty` (by trigger, in the
writing transaction: no write path can forget it); the refresh recounts marked cells."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class _Counters(Model):
    region_id = fields.IntField()
    department_id = fields.IntField()
    window_id = fields.IntField()
    channel = fields.CharField(max_length=8)
    cases = fields.IntField(default=0)
    excluded = fields.IntField(default=0)
    held = fields.IntField(default=0)
    upheld = fields.IntField(default=0)
    r1 = fields.IntField(default=0)
    r2 = fields.IntField(default=0)
    r3 = fields.IntField(default=0)
    r4 = fields.IntField(default=0)
    r5 = fields.IntField(default=0)
    f1 = fields.IntField(default=0)
    f2 = fields.IntField(default=0)
    f3 = fields.IntField(default=0)
    f4 = fields.IntField(default=0)
    f5 = fields.IntField(default=0)
    w_any = fields.IntField(default=0)
    w_open = fields.IntField(default=0)
    w_called_back = fields.IntField(default=0)
    w_appealed = fields.IntField(default=0)
    w_appeal_decided = fields.IntField(default=0)
    w_appeal_upheld = fields.IntField(default=0)
    w_rating_changed = fields.IntField(default=0)
    w_rectified = fields.IntField(default=0)
    w_spot_checked = fields.IntField(default=0)
    w_closed = fields.IntField(default=0)
    w_follow_up_good = fields.IntField(default=0)
    w_overdue = fields.IntField(default=0)
    w_closed_in_time = fields.IntField(default=0)

    class Meta:
        abstract = True


class _FineCounters(_Counters):
    staff_id = fields.IntField()
    matter_id = fields.IntField()

    class Meta:
        abstract = True


class StatDaily(_FineCounters):
    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()  # the day the case was completed, in Beijing

    class Meta:
        table = "stat_daily"
        unique_together = (
            ("day", "region_id", "department_id", "window_id", "staff_id", "matter_id", "channel"),
        )
        indexes = (("region_id", "day"), ("department_id", "day"))


# The daily counters summed per month (`month` its first day): a year of figures reads
# twelve rows per cell instead of 365. (Comments, not docstrings, on these tables: Tortoise
# would copy a docstring into the table's comment, where a semicolon splits its script.)
class StatMonthly(_FineCounters):
    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()

    class Meta:
        table = "stat_monthly"
        unique_together = (
            (
                "month",
                "region_id",
                "department_id",
                "window_id",
                "staff_id",
                "matter_id",
                "channel",
            ),
        )
        indexes = (("region_id", "month"), ("department_id", "month"))


# The same without the staff member and the matter (summed over them): the figures of
# regions, departments, windows and channels, most of what a dashboard reads, from a few
# rows per window instead of one per staff member, matter and channel.
class StatDailyWindow(_Counters):
    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()

    class Meta:
        table = "stat_daily_window"
        unique_together = (("day", "region_id", "department_id", "window_id", "channel"),)
        indexes = (("region_id", "day"), ("department_id", "day"))


class StatMonthlyWindow(_Counters):
    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()

    class Meta:
        table = "stat_monthly_window"
        unique_together = (("month", "region_id", "department_id", "window_id", "channel"),)
        indexes = (("region_id", "month"), ("department_id", "month"))


# A cell of a day to recount; marked_at says how far behind the figures are. (No
# docstring: Tortoise would put it in the table's comment, and a semicolon there splits
# the CREATE TABLE script in two.)
class StatDirty(Model):
    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    region_id = fields.IntField()
    department_id = fields.IntField()
    window_id = fields.IntField()
    staff_id = fields.IntField()
    matter_id = fields.IntField()
    marked_at = fields.DatetimeField()

    class Meta:
        table = "stat_dirty"
        unique_together = (
            ("day", "region_id", "department_id", "window_id", "staff_id", "matter_id"),
        )
        indexes = (("marked_at",),)
