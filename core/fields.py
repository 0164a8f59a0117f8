"""Model fields with the project's defaults."""

from django.db import models


class URLField(models.URLField):
    """A URL field whose forms take an address typed without a scheme as https (Django 6's default; Django 5 warns
    about its http default). Migrations see Django's own URLField: only the form field differs."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
