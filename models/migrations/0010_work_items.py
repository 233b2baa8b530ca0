from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import WorkItemCloseReason, WorkItemStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The callback grows into the work item of the bad-rating loop (差评工单). Open callbacks
# carry over at their one step, the callback, with no due time (they were opened before
# the loop had deadlines: due at the store's NO_DEADLINE); closed ones keep their history.
# The timeline is append-only in the database itself, like the audit log (0005).
# idx_work_item_due: the overdue sweep reads only the open items not yet marked overdue, by
# due time. The open worklists (a department's, a region's, everyone's) page by (due_at,
# id) on partial indexes; written in SQL, as a PartialIndex's condition would come out in a
# form the queries' `status = 'OPEN'` does not match on SQLite.
_CARRY_OVER = (
    "INSERT INTO work_item (case_id, department_id, region_id, rating_id, rated_staff_id, "
    "status, step, step_started_at, due_at, overdue, escalated, opened_at, closed_at, "
    "close_reason) "
    "SELECT k.case_id, k.department_id, c.region_id, k.rating_id, c.staff_id, k.status, "
    "CASE WHEN k.status = 'OPEN' THEN 'callback' END, k.opened_at, "
    "'9999-12-31 00:00:00+00:00', FALSE, FALSE, "
    "k.opened_at, k.closed_at, k.close_reason FROM callback k "
    "JOIN case_record c ON c.id = k.case_id ORDER BY k.id"
)
_APPEND_ONLY = {
    "postgres": [
        "CREATE FUNCTION work_item_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'work_item_event is append-only'; END $$",
        "CREATE TRIGGER work_item_event_append_only BEFORE UPDATE OR DELETE ON work_item_event "
        "FOR EACH ROW EXECUTE FUNCTION work_item_event_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER work_item_event_no_update BEFORE UPDATE ON work_item_event "
        "BEGIN SELECT RAISE(ABORT, 'work_item_event is append-only'); END",
        "CREATE TRIGGER work_item_event_no_delete BEFORE DELETE ON work_item_event "
        "BEGIN SELECT RAISE(ABORT, 'work_item_event is append-only'); END",
    ],
}


async def _carry_over_and_protect(apps, schema_editor):
    client = schema_editor.client
    await client.execute_script(_CARRY_OVER)
    for statement in _APPEND_ONLY[str(client.capabilities.dialect)]:
        await client.execute_script(statement)

class Migration(migrations.Migration):
    dependencies = [('models', '0009_reference_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='work_items', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='work_items', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', null=True, db_constraint=True, to_field='id', related_name='work_items', on_delete=OnDelete.RESTRICT)),
                ('rating_id', fields.BigIntField()),
                ('rated_staff_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=WorkItemStatus.OPEN, description='OPEN: OPEN\nCLOSED: CLOSED', enum_type=WorkItemStatus, max_length=8)),
                ('step', fields.CharField(null=True, max_length=24)),
                ('step_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('overdue', fields.BooleanField(default=False)),
                ('escalated', fields.BooleanField(default=False)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('close_reason', fields.CharEnumField(null=True, description='RATING_CHANGED: RATING_CHANGED\nRESOLVED: RESOLVED\nAPPEAL_UPHELD: APPEAL_UPHELD\nFOLLOW_UP_GOOD: FOLLOW_UP_GOOD\nFOLLOW_UP_BAD: FOLLOW_UP_BAD\nNO_FOLLOW_UP: NO_FOLLOW_UP', enum_type=WorkItemCloseReason, max_length=16)),
            ],
            options={'table': 'work_item', 'app': 'models', 'indexes': [Index(fields=['case_id', 'status']), Index(fields=['department_id', 'due_at', 'id']), Index(fields=['region_id', 'due_at', 'id']), Index(fields=['due_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Evidence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('models.WorkItem', source_field='work_item_id', null=True, db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('uploaded_by', fields.CharField(max_length=100)),
                ('file_name', fields.CharField(max_length=120)),
                ('content_type', fields.CharField(max_length=48)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('data', fields.BinaryField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evidence', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkItemEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('models.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_role', fields.CharField(max_length=16)),
                ('actor_subject', fields.CharField(max_length=100)),
                ('action', fields.CharField(max_length=24)),
                ('step', fields.CharField(null=True, max_length=24)),
                ('outcome', fields.CharField(null=True, max_length=24)),
                ('note', fields.TextField(null=True, unique=False)),
                ('evidence_ids', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'work_item_event', 'app': 'models', 'indexes': [Index(fields=['work_item_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Rating',
            name='appeal_upheld',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.RunPython(_carry_over_and_protect),
        ops.RunSQL(
            "CREATE INDEX idx_work_item_due ON work_item (due_at) "
            "WHERE status = 'OPEN' AND NOT overdue",
            reverse_sql="DROP INDEX idx_work_item_due",
        ),
        ops.RunSQL(
            "CREATE INDEX idx_work_item_open_department ON work_item (department_id, due_at, id) "
            "WHERE status = 'OPEN'",
            reverse_sql="DROP INDEX idx_work_item_open_department",
        ),
        ops.RunSQL(
            "CREATE INDEX idx_work_item_open_region ON work_item (region_id, due_at, id) "
            "WHERE status = 'OPEN'",
            reverse_sql="DROP INDEX idx_work_item_open_region",
        ),
        ops.RunSQL(
            "CREATE INDEX idx_work_item_open ON work_item (due_at, id) WHERE status = 'OPEN'",
            reverse_sql="DROP INDEX idx_work_item_open",
        ),
        ops.DeleteModel(name='Callback'),
    ]
