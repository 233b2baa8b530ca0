from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ApplicantKind, CaseStatus, MatterType, ServedVia
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Applicant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('id_number_hash', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharEnumField(description='PERSON: PERSON\nCOMPANY: COMPANY', enum_type=ApplicantKind, max_length=8)),
                ('name_enc', fields.TextField(unique=False)),
                ('id_number_enc', fields.TextField(unique=False)),
                ('phone_enc', fields.TextField(null=True, unique=False)),
                ('key_id', fields.CharField(max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'applicant', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Batch',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch_no', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'batch', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IntegratedService',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service_no', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=256)),
            ],
            options={'table': 'integrated_service', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Matter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=256)),
                ('type', fields.CharEnumField(description='LICENSING: LICENSING\nCONFIRMATION: CONFIRMATION\nPAYMENT: PAYMENT\nAWARD: AWARD\nADJUDICATION: ADJUDICATION\nOTHER_POWER: OTHER_POWER\nPUBLIC_SERVICE: PUBLIC_SERVICE', enum_type=MatterType, max_length=16)),
            ],
            options={'table': 'matter', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('parent', fields.ForeignKeyField('models.Region', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'region', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Department',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='departments', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'department', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Hall',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', null=True, db_constraint=True, to_field='id', related_name='halls', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'hall', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'staff', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Window',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('hall', fields.ForeignKeyField('models.Hall', source_field='hall_id', null=True, db_constraint=True, to_field='id', related_name='windows', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='windows', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'service_window', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Case',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_no', fields.CharField(unique=True, max_length=64)),
                ('matter', fields.ForeignKeyField('models.Matter', source_field='matter_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('window', fields.ForeignKeyField('models.Window', source_field='window_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('applicant', fields.ForeignKeyField('models.Applicant', source_field='applicant_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('served_via', fields.CharEnumField(description='WINDOW: WINDOW\nONLINE: ONLINE\nKIOSK: KIOSK\nPHONE: PHONE', enum_type=ServedVia, max_length=8)),
                ('status', fields.CharEnumField(description='ACCEPTED: ACCEPTED\nCOMPLETED: COMPLETED', enum_type=CaseStatus, max_length=16)),
                ('accepted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('batch', fields.ForeignKeyField('models.Batch', source_field='batch_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('integrated_service', fields.ForeignKeyField('models.IntegratedService', source_field='integrated_service_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_record', 'app': 'models', 'indexes': [Index(fields=['applicant_id', 'accepted_at', 'id']), Index(fields=['department_id', 'accepted_at']), Index(fields=['region_id', 'accepted_at']), Index(fields=['window_id', 'completed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
