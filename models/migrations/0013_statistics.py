from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# Statistics (models/stats.py). Every write that changes what a case counts as marks the
# case's cell of its day in stat_dirty, by trigger in the writing transaction: the case
# itself (completed, moved, rated, defaulted), a rating held or released or whose appeal
# was upheld, and its work items (every step they take updates the item). The refresh
# (models/stores/stats.py) recounts the marked cells. The day is the case's completion day
# in Beijing (UTC+8, no daylight saving), cut to the second.
_COLUMNS = "day, region_id, department_id, window_id, staff_id, matter_id, marked_at"
_PG_DAY = "((({t}.completed_at AT TIME ZONE 'UTC') + interval '8 hours')::date)"
_PG_CELL = (
    _PG_DAY + ", {t}.region_id, {t}.department_id, COALESCE({t}.window_id, 0), "
    "COALESCE({t}.staff_id, 0), {t}.matter_id, now()"
)
_SQLITE_DAY = "date(substr({t}.completed_at, 1, 19), '+8 hours') AS day"
_SQLITE_CELL = (
    _SQLITE_DAY + ", {t}.region_id AS region_id, {t}.department_id AS department_id, "
    "COALESCE({t}.window_id, 0) AS window_id, COALESCE({t}.staff_id, 0) AS staff_id, "
    "{t}.matter_id AS matter_id, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS marked_at"
)
_CASE_COLUMNS = (
    "completed_at, region_id, department_id, window_id, staff_id, matter_id, "
    "effective_rating_id, rating_status"
)
_PG_INSERT = f"INSERT INTO stat_dirty ({_COLUMNS}) "
_PG = [
    "CREATE FUNCTION stat_mark_case(p_case bigint) RETURNS void LANGUAGE sql AS $$ "
    + _PG_INSERT + "SELECT " + _PG_CELL.format(t="c") + " FROM case_record c "
    "WHERE c.id = p_case AND c.completed_at IS NOT NULL ON CONFLICT DO NOTHING $$",
    "CREATE FUNCTION stat_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.completed_at IS NOT NULL AND (OLD.completed_at, OLD.region_id, "
    "OLD.department_id, OLD.window_id, OLD.staff_id, OLD.matter_id) IS DISTINCT FROM "
    "(NEW.completed_at, NEW.region_id, NEW.department_id, NEW.window_id, NEW.staff_id, "
    "NEW.matter_id) THEN "
    + _PG_INSERT + "SELECT " + _PG_CELL.format(t="OLD") + " ON CONFLICT DO NOTHING; END IF; "
    "IF NEW.completed_at IS NOT NULL THEN "
    + _PG_INSERT + "SELECT " + _PG_CELL.format(t="NEW") + " ON CONFLICT DO NOTHING; END IF; "
    "RETURN NULL; END $$",
    f"CREATE TRIGGER stat_case_changed AFTER INSERT OR UPDATE OF {_CASE_COLUMNS} ON case_record "
    "FOR EACH ROW EXECUTE FUNCTION stat_case_changed()",
    "CREATE FUNCTION stat_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM stat_mark_case(NEW.case_id); RETURN NULL; END $$",
    "CREATE TRIGGER stat_rating_held AFTER INSERT ON rating FOR EACH ROW "
    "WHEN (NEW.held_for_review) EXECUTE FUNCTION stat_row_changed()",
    "CREATE TRIGGER stat_rating_changed AFTER UPDATE OF held_for_review, appeal_upheld ON rating "
    "FOR EACH ROW EXECUTE FUNCTION stat_row_changed()",
    "CREATE TRIGGER stat_work_item_changed AFTER INSERT OR UPDATE ON work_item "
    "FOR EACH ROW EXECUTE FUNCTION stat_row_changed()",
    _PG_INSERT + "SELECT DISTINCT " + _PG_CELL.format(t="c")
    + " FROM case_record c WHERE c.completed_at IS NOT NULL",
]
# SQLite: a trigger's INSERT OR IGNORE gives way to the conflict policy of the statement
# that fired it (an upsert's ABORT), so a cell already marked is skipped by NOT EXISTS
# instead (SQLite has one writer at a time: no race).
def _sqlite_mark(select: str) -> str:
    return (
        f"INSERT INTO stat_dirty ({_COLUMNS}) SELECT * FROM ({select}) AS n WHERE NOT EXISTS "
        "(SELECT 1 FROM stat_dirty d WHERE d.day = n.day AND d.region_id = n.region_id AND "
        "d.department_id = n.department_id AND d.window_id = n.window_id AND "
        "d.staff_id = n.staff_id AND d.matter_id = n.matter_id);"
    )


_SQLITE_MARK = _sqlite_mark(
    "SELECT " + _SQLITE_CELL.format(t="c") + " FROM case_record c "
    "WHERE c.id = NEW.case_id AND c.completed_at IS NOT NULL"
)
_SQLITE = [
    "CREATE TRIGGER stat_case_inserted AFTER INSERT ON case_record "
    "WHEN NEW.completed_at IS NOT NULL BEGIN "
    + _sqlite_mark("SELECT " + _SQLITE_CELL.format(t="NEW"))
    + " END",
    f"CREATE TRIGGER stat_case_updated AFTER UPDATE OF {_CASE_COLUMNS} ON case_record BEGIN "
    + _sqlite_mark(
        "SELECT " + _SQLITE_CELL.format(t="OLD") + " WHERE OLD.completed_at IS NOT NULL"
    )
    + " "
    + _sqlite_mark(
        "SELECT " + _SQLITE_CELL.format(t="NEW") + " WHERE NEW.completed_at IS NOT NULL"
    )
    + " END",
    "CREATE TRIGGER stat_rating_held AFTER INSERT ON rating WHEN NEW.held_for_review BEGIN "
    + _SQLITE_MARK + " END",
    "CREATE TRIGGER stat_rating_changed AFTER UPDATE OF held_for_review, appeal_upheld ON rating "
    "BEGIN " + _SQLITE_MARK + " END",
    "CREATE TRIGGER stat_work_item_inserted AFTER INSERT ON work_item BEGIN " + _SQLITE_MARK + " END",
    "CREATE TRIGGER stat_work_item_updated AFTER UPDATE ON work_item BEGIN " + _SQLITE_MARK + " END",
    f"INSERT INTO stat_dirty ({_COLUMNS}) SELECT DISTINCT " + _SQLITE_CELL.format(t="c")
    + " FROM case_record c WHERE c.completed_at IS NOT NULL",
]


async def _mark_and_watch(apps, schema_editor):
    client = schema_editor.client
    statements = _PG if str(client.capabilities.dialect) == "postgres" else _SQLITE
    for statement in statements:
        await client.execute_script(statement)

class Migration(migrations.Migration):
    dependencies = [('models', '0012_work_item_confirmed')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatDaily',
            fields=[
                ('region_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('window_id', fields.IntField()),
                ('channel', fields.CharField(max_length=8)),
                ('cases', fields.IntField(default=0)),
                ('excluded', fields.IntField(default=0)),
                ('held', fields.IntField(default=0)),
                ('upheld', fields.IntField(default=0)),
                ('r1', fields.IntField(default=0)),
                ('r2', fields.IntField(default=0)),
                ('r3', fields.IntField(default=0)),
                ('r4', fields.IntField(default=0)),
                ('r5', fields.IntField(default=0)),
                ('f1', fields.IntField(default=0)),
                ('f2', fields.IntField(default=0)),
                ('f3', fields.IntField(default=0)),
                ('f4', fields.IntField(default=0)),
                ('f5', fields.IntField(default=0)),
                ('w_any', fields.IntField(default=0)),
                ('w_open', fields.IntField(default=0)),
                ('w_called_back', fields.IntField(default=0)),
                ('w_appealed', fields.IntField(default=0)),
                ('w_appeal_decided', fields.IntField(default=0)),
                ('w_appeal_upheld', fields.IntField(default=0)),
                ('w_rating_changed', fields.IntField(default=0)),
                ('w_rectified', fields.IntField(default=0)),
                ('w_spot_checked', fields.IntField(default=0)),
                ('w_closed', fields.IntField(default=0)),
                ('w_follow_up_good', fields.IntField(default=0)),
                ('w_overdue', fields.IntField(default=0)),
                ('w_closed_in_time', fields.IntField(default=0)),
                ('staff_id', fields.IntField()),
                ('matter_id', fields.IntField()),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
            ],
            options={'table': 'stat_daily', 'app': 'models', 'unique_together': (('day', 'region_id', 'department_id', 'window_id', 'staff_id', 'matter_id', 'channel'),), 'indexes': [Index(fields=['region_id', 'day']), Index(fields=['department_id', 'day'])], 'pk_attr': 'id'},
            bases=['_FineCounters'],
        ),
        ops.CreateModel(
            name='StatDailyWindow',
            fields=[
                ('region_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('window_id', fields.IntField()),
                ('channel', fields.CharField(max_length=8)),
                ('cases', fields.IntField(default=0)),
                ('excluded', fields.IntField(default=0)),
                ('held', fields.IntField(default=0)),
                ('upheld', fields.IntField(default=0)),
                ('r1', fields.IntField(default=0)),
                ('r2', fields.IntField(default=0)),
                ('r3', fields.IntField(default=0)),
                ('r4', fields.IntField(default=0)),
                ('r5', fields.IntField(default=0)),
                ('f1', fields.IntField(default=0)),
                ('f2', fields.IntField(default=0)),
                ('f3', fields.IntField(default=0)),
                ('f4', fields.IntField(default=0)),
                ('f5', fields.IntField(default=0)),
                ('w_any', fields.IntField(default=0)),
                ('w_open', fields.IntField(default=0)),
                ('w_called_back', fields.IntField(default=0)),
                ('w_appealed', fields.IntField(default=0)),
                ('w_appeal_decided', fields.IntField(default=0)),
                ('w_appeal_upheld', fields.IntField(default=0)),
                ('w_rating_changed', fields.IntField(default=0)),
                ('w_rectified', fields.IntField(default=0)),
                ('w_spot_checked', fields.IntField(default=0)),
                ('w_closed', fields.IntField(default=0)),
                ('w_follow_up_good', fields.IntField(default=0)),
                ('w_overdue', fields.IntField(default=0)),
                ('w_closed_in_time', fields.IntField(default=0)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
            ],
            options={'table': 'stat_daily_window', 'app': 'models', 'unique_together': (('day', 'region_id', 'department_id', 'window_id', 'channel'),), 'indexes': [Index(fields=['region_id', 'day']), Index(fields=['department_id', 'day'])], 'pk_attr': 'id'},
            bases=['_Counters'],
        ),
        ops.CreateModel(
            name='StatDirty',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('region_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('window_id', fields.IntField()),
                ('staff_id', fields.IntField()),
                ('matter_id', fields.IntField()),
                ('marked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stat_dirty', 'app': 'models', 'unique_together': (('day', 'region_id', 'department_id', 'window_id', 'staff_id', 'matter_id'),), 'indexes': [Index(fields=['marked_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatMonthly',
            fields=[
                ('region_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('window_id', fields.IntField()),
                ('channel', fields.CharField(max_length=8)),
                ('cases', fields.IntField(default=0)),
                ('excluded', fields.IntField(default=0)),
                ('held', fields.IntField(default=0)),
                ('upheld', fields.IntField(default=0)),
                ('r1', fields.IntField(default=0)),
                ('r2', fields.IntField(default=0)),
                ('r3', fields.IntField(default=0)),
                ('r4', fields.IntField(default=0)),
                ('r5', fields.IntField(default=0)),
                ('f1', fields.IntField(default=0)),
                ('f2', fields.IntField(default=0)),
                ('f3', fields.IntField(default=0)),
                ('f4', fields.IntField(default=0)),
                ('f5', fields.IntField(default=0)),
                ('w_any', fields.IntField(default=0)),
                ('w_open', fields.IntField(default=0)),
                ('w_called_back', fields.IntField(default=0)),
                ('w_appealed', fields.IntField(default=0)),
                ('w_appeal_decided', fields.IntField(default=0)),
                ('w_appeal_upheld', fields.IntField(default=0)),
                ('w_rating_changed', fields.IntField(default=0)),
                ('w_rectified', fields.IntField(default=0)),
                ('w_spot_checked', fields.IntField(default=0)),
                ('w_closed', fields.IntField(default=0)),
                ('w_follow_up_good', fields.IntField(default=0)),
                ('w_overdue', fields.IntField(default=0)),
                ('w_closed_in_time', fields.IntField(default=0)),
                ('staff_id', fields.IntField()),
                ('matter_id', fields.IntField()),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
            ],
            options={'table': 'stat_monthly', 'app': 'models', 'unique_together': (('month', 'region_id', 'department_id', 'window_id', 'staff_id', 'matter_id', 'channel'),), 'indexes': [Index(fields=['region_id', 'month']), Index(fields=['department_id', 'month'])], 'pk_attr': 'id'},
            bases=['_FineCounters'],
        ),
        ops.CreateModel(
            name='StatMonthlyWindow',
            fields=[
                ('region_id', fields.IntField()),
                ('department_id', fields.IntField()),
                ('window_id', fields.IntField()),
                ('channel', fields.CharField(max_length=8)),
                ('cases', fields.IntField(default=0)),
                ('excluded', fields.IntField(default=0)),
                ('held', fields.IntField(default=0)),
                ('upheld', fields.IntField(default=0)),
                ('r1', fields.IntField(default=0)),
                ('r2', fields.IntField(default=0)),
                ('r3', fields.IntField(default=0)),
                ('r4', fields.IntField(default=0)),
                ('r5', fields.IntField(default=0)),
                ('f1', fields.IntField(default=0)),
                ('f2', fields.IntField(default=0)),
                ('f3', fields.IntField(default=0)),
                ('f4', fields.IntField(default=0)),
                ('f5', fields.IntField(default=0)),
                ('w_any', fields.IntField(default=0)),
                ('w_open', fields.IntField(default=0)),
                ('w_called_back', fields.IntField(default=0)),
                ('w_appealed', fields.IntField(default=0)),
                ('w_appeal_decided', fields.IntField(default=0)),
                ('w_appeal_upheld', fields.IntField(default=0)),
                ('w_rating_changed', fields.IntField(default=0)),
                ('w_rectified', fields.IntField(default=0)),
                ('w_spot_checked', fields.IntField(default=0)),
                ('w_closed', fields.IntField(default=0)),
                ('w_follow_up_good', fields.IntField(default=0)),
                ('w_overdue', fields.IntField(default=0)),
                ('w_closed_in_time', fields.IntField(default=0)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
            ],
            options={'table': 'stat_monthly_window', 'app': 'models', 'unique_together': (('month', 'region_id', 'department_id', 'window_id', 'channel'),), 'indexes': [Index(fields=['region_id', 'month']), Index(fields=['department_id', 'month'])], 'pk_attr': 'id'},
            bases=['_Counters'],
        ),
        ops.RunSQL(
            "CREATE INDEX idx_case_department_completed ON case_record (department_id, completed_at)",
            reverse_sql="DROP INDEX idx_case_department_completed",
        ),
        ops.RunPython(_mark_and_watch),
    ]
