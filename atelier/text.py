"""Text a person may store: the one rule every form and API field that takes
text applies (rows stored before it: studio/migrations/0007).

Two kinds of character cannot be stored. A lone surrogate (U+D800-U+DFFF):
JSON lets a client send ``"\\ud800"``, but no UTF-8 database, page or log
can hold it. NUL: PostgreSQL refuses it in text and JSON. And a number or a
list where text is asked for is refused rather than stored as its Python
spelling (``["x"]`` would become ``"['x']"``)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def validate_storable(value) -> None:
    """ValidationError if ``value`` holds a character no database stores."""
    found = UNSTORABLE.search(value) if isinstance(value, str) else None
    if found:
        raise ValidationError(
            "This text holds a character that cannot be stored "
            f"(U+{ord(found.group()):04X} at position {found.start() + 1}); remove it.",
            code="unstorable",
        )


def _storable_validators(validators) -> list:
    # Django's and DRF's text fields refuse NUL (DRF's surrogates too) with
    # validators of their own; ours says it of both, in one message.
    theirs = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)
    kept = [v for v in validators if not isinstance(v, theirs)]
    return [*kept, validate_storable]


class TextField(forms.CharField):
    """A form's text: a string of storable characters, never another type's
    spelling (the API passes JSON values to the same forms as the pages)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = _storable_validators(self.validators)

    def to_python(self, value):
        if value is not None and not isinstance(value, str):
            raise ValidationError("Give text here.", code="invalid")
        return super().to_python(value)


class ApiTextField(serializers.CharField):
    """The same for a DRF serializer, whose CharField would take 5 as "5"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = _storable_validators(self.validators)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
