from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import CallOutcome, ReminderCallReason, ReminderCallStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_callbacks_and_audit_log')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReminderCall',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.OneToOneField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='reminder_call', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='reminder_calls', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharEnumField(description='DUE: DUE\nSMS_FAILED: SMS_FAILED', enum_type=ReminderCallReason, max_length=12)),
                ('status', fields.CharEnumField(default=ReminderCallStatus.OPEN, description='OPEN: OPEN\nCLOSED: CLOSED', enum_type=ReminderCallStatus, max_length=8)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('last_outcome', fields.CharEnumField(null=True, description='REACHED: REACHED\nNO_ANSWER: NO_ANSWER\nWRONG_NUMBER: WRONG_NUMBER\nCANCELLED: CANCELLED', enum_type=CallOutcome, max_length=12)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reminder_call', 'app': 'models', 'indexes': [Index(fields=['department_id', 'status', 'opened_at']), Index(fields=['status', 'opened_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
