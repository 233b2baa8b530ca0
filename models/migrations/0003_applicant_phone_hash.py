from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_ratings')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Applicant',
            name='phone_hash',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
    ]
