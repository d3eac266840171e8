from django.db import migrations

# code, Vietnamese name, English name, default level ("" = commune), anonymous allowed
CATEGORIES = [
    ("land-housing", "Đất đai, nhà ở", "Land and housing", "", False),
    ("environment", "Môi trường, vệ sinh", "Environment and sanitation", "", True),
    ("transport", "Giao thông, hạ tầng", "Transport and infrastructure", "", True),
    ("social-welfare", "An sinh xã hội", "Social welfare", "", False),
    ("health", "Y tế", "Health", "", True),
    ("education", "Giáo dục", "Education", "", True),
    ("public-order", "An ninh, trật tự", "Public order and safety", "", True),
    ("misconduct", "Tham nhũng, sai phạm của cán bộ", "Corruption and misconduct of officials", "province", False),
    ("admin-procedures", "Thủ tục hành chính", "Administrative procedures", "", True),
    ("other", "Khác", "Other", "", True),
]


def seed(apps, schema_editor):
    Category = apps.get_model("petitions", "Category")
    for position, (code, name, name_en, level, anonymous) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "default_level": level,
                "allows_anonymous": anonymous,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("petitions", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
