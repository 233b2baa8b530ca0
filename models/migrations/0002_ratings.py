from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import Channel, OutboxStatus, RatingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PadSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('window', fields.ForeignKeyField('models.Window', source_field='window_id', db_constraint=True, to_field='id', related_name='pads', on_delete=OnDelete.RESTRICT)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('paired_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pad_session', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.RESTRICT)),
                ('act_id', fields.CharField(db_index=True, max_length=36)),
                ('target', fields.CharField(max_length=24)),
                ('level', fields.SmallIntField()),
                ('category', fields.CharField(max_length=12)),
                ('tags', fields.TextField(unique=False)),
                ('comment', fields.TextField(null=True, unique=False)),
                ('channel', fields.CharEnumField(description='PAD: PAD\nQR: QR\nKIOSK: KIOSK\nSMS: SMS\nWEB: WEB\nAPP: APP\nHOTLINE: HOTLINE\nPAPER: PAPER\nDEFAULT: DEFAULT', enum_type=Channel, max_length=8)),
                ('rater_role', fields.CharField(max_length=16)),
                ('rater_key', fields.CharField(null=True, max_length=100)),
                ('rated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('effective', fields.BooleanField()),
                ('held_for_review', fields.BooleanField(default=False)),
                ('rules_version', fields.CharField(max_length=100)),
                ('fired_rules', fields.TextField(unique=False)),
            ],
            options={'table': 'rating', 'app': 'models', 'indexes': [Index(fields=['case_id', 'rated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RatingRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rater_key', fields.CharField(max_length=100)),
                ('client_request_id', fields.CharField(max_length=64)),
                ('response', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating_request', 'app': 'models', 'unique_together': (('rater_key', 'client_request_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='sms', on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharField(max_length=24)),
                ('phone_enc', fields.TextField(unique=False)),
                ('key_id', fields.CharField(max_length=32)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED', enum_type=OutboxStatus, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'sms_outbox', 'app': 'models', 'unique_together': (('case_id', 'purpose'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='effective_rating_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Case',
            name='rating_status',
            field=fields.CharEnumField(default=RatingStatus.UNRATED, description='UNRATED: UNRATED\nRATED: RATED\nDEFAULTED: DEFAULTED\nEXPIRED: EXPIRED', db_default=RatingStatus.UNRATED, enum_type=RatingStatus, max_length=12),
        ),
        ops.AddField(
            model_name='Case',
            name='reminded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['rating_status', 'completed_at']),
        ),
    ]
