"""Forms in front of services: a service's ValidationError shown where the user can act on it."""

from django.core.exceptions import ValidationError


class ServiceErrorsMixin:
    """`form.add_service_errors(error)`: each of a service's field errors beside the form field of that name, the
    rest (and errors without fields) at the top of the form.

    `service_field_names` maps a service's field name to the form's, where they differ (a service's `contacted_at`
    is the form's `contacted_on`)."""

    service_field_names: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            name = self.service_field_names.get(field, field)
            self.add_error(name if name in self.fields else None, messages)
