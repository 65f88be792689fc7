"""Request bodies of the image endpoints, for the OpenAPI schema. Validation is
gallery.forms' (the pages use the same forms)."""

from rest_framework import serializers

from gallery.editing import DESCRIPTION_MAX, TITLE_MAX
from gallery.models import Image


class ImageFieldsSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=TITLE_MAX, required=False, allow_blank=True, help_text="Optional."
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True
    )
    topic = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A topic's slug; empty or null for none. Any existing topic.",
    )
    visibility = serializers.ChoiceField(choices=Image.Visibility.choices, required=False)


class ImageChangeSerializer(ImageFieldsSerializer):
    """PATCH: only the fields sent change."""


class ImageUploadSerializer(ImageFieldsSerializer):
    file = serializers.FileField(
        help_text="One PNG, JPEG or WebP file. EXIF and other metadata are removed, "
        "except a generation recipe."
    )
    visibility = serializers.ChoiceField(
        choices=Image.Visibility.choices, required=False, default=Image.Visibility.PRIVATE
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
