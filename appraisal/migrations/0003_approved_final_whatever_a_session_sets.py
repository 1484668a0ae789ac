# The approved-is-final rule moves from a pgtrigger trigger (which any session could skip with
# SET pgtrigger.ignore) to portal.protections, installed after every migrate; the reopening that
# authorizes a way back is stamped with its transaction.

import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appraisal', '0002_statement_level_history'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='rating',
            name='approved_is_final',
        ),
        migrations.AddField(
            model_name='reopening',
            name='transaction_id',
            field=models.BigIntegerField(editable=False, null=True, verbose_name='database transaction'),
        ),
    ]
