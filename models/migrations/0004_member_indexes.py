from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_applicant_phone_hash')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['batch_id']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['integrated_service_id']),
        ),
    ]
