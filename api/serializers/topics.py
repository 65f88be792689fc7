"""Topics as the API shows them. Writes are validated by the form the pages
use (gallery.forms.TopicForm); the request serializers here document the
bodies for /api/schema/."""

from django.core.validators import RegexValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.models import Topic
from gallery.topics import DESCRIPTION_MAX, NAME_MAX, SLUG_MAX, cover_url

from .base import FieldsOnceModelSerializer

# Slugs are Unicode (made from a name in any script): letters, digits, - and _.
# Python's \w is Unicode; a schema's (ECMA-262) \w is ASCII, so name the classes.
SLUG_HELP = "Letters and digits of any script, hyphens and underscores."


@extend_schema_field({"type": "string", "maxLength": SLUG_MAX, "pattern": r"^[-_\p{L}\p{Nd}]+$"})
class SlugRequestField(serializers.CharField):
    """Documents a chosen slug; TopicForm (gallery.topics) checks it."""


# A name of spaces only is no name (the form strips it): ``pattern`` in the schema.
NOT_ONLY_SPACES = RegexValidator(r"\S", "Write a name.")


class TopicSerializer(FieldsOnceModelSerializer):
    """A topic from ``gallery.topics.topics_for`` (its counts annotated)."""

    slug = serializers.CharField(read_only=True, help_text=SLUG_HELP)
    owner = serializers.CharField(source="owner.username", read_only=True)
    cover_url = serializers.SerializerMethodField()
    image_count = serializers.IntegerField(read_only=True, help_text="Public images only.")
    subscriber_count = serializers.IntegerField(read_only=True)
    subscribed = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The topic's page.")

    class Meta:
        model = Topic
        fields = [
            "slug",
            "name",
            "description",
            "owner",
            "cover_url",
            "image_count",
            "subscriber_count",
            "subscribed",
            "created",
            "url",
        ]
        read_only_fields = fields

    def get_cover_url(self, topic) -> str | None:
        url = cover_url(topic)
        return self.context["request"].build_absolute_uri(url) if url else None

    def get_url(self, topic) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("gallery:topic", args=[topic.slug])
        )


class TopicCreateSerializer(serializers.Serializer):
    """A JSON body; a form (``TopicCreateFormSerializer``) may add a cover."""

    name = serializers.CharField(max_length=NAME_MAX, validators=[NOT_ONLY_SPACES])
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True, allow_null=True
    )
    slug = SlugRequestField(
        max_length=SLUG_MAX,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional. Made from the name when left out (a clash gets -2, -3…); "
        "a chosen slug that is taken is a 400.",
    )


class TopicCreateFormSerializer(TopicCreateSerializer):
    cover = serializers.ImageField(required=False, help_text="PNG, JPEG or WebP; stored as WebP.")


class TopicUpdateSerializer(serializers.Serializer):
    """A JSON body; a form (``TopicUpdateFormSerializer``) may add a cover."""

    name = serializers.CharField(max_length=NAME_MAX, required=False, validators=[NOT_ONLY_SPACES])
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True, allow_null=True
    )
    remove_cover = serializers.BooleanField(required=False)


class TopicUpdateFormSerializer(TopicUpdateSerializer):
    cover = serializers.ImageField(
        required=False, help_text="PNG, JPEG or WebP; replaces the cover."
    )
