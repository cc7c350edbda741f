from django.conf import settings
from django.db import migrations


def load(apps, schema_editor):
    from eschool.org.reference import GRADES, PUBLIC_REGION, SUBJECTS

    Grade = apps.get_model("org", "Grade")
    Subject = apps.get_model("org", "Subject")
    Region = apps.get_model("org", "Region")
    for level, name, stage in GRADES:
        Grade.objects.update_or_create(level=level, defaults={"name": name, "stage": stage})
    for position, name in enumerate(SUBJECTS, start=1):
        Subject.objects.update_or_create(name=name, defaults={"position": position})
    Region.objects.get_or_create(name=settings.ESCHOOL_HOME_REGION, defaults={"kind": "home"})
    Region.objects.get_or_create(name=PUBLIC_REGION, defaults={"kind": "public"})


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
