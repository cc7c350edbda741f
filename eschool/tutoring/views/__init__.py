"""Pages of evening tutoring. Views parse input, check access and call one service."""

from django import forms
from django.core.exceptions import ValidationError


def call_service(form: forms.Form | None, call, *, request=None):
    """Call the service; its refusals go next to the form's fields (or to the form as a whole).

    Returns what the service returned, or None when it refused.
    """
    try:
        return call()
    except ValidationError as error:
        if form is None:
            from django.contrib import messages

            for message in error.messages:
                messages.error(request, message)
            return None
        if hasattr(error, "error_dict"):
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            form.add_error(None, error.messages)
    return None
