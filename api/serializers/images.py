"""Images over the API: the image JSON of every answer that holds images,
and the request bodies of the image endpoints for the OpenAPI schema (their
validation is gallery.forms', which the pages use too)."""

from rest_framework import serializers

from gallery.editing import DESCRIPTION_MAX, TITLE_MAX
from gallery.files import link_key
from gallery.models import Image
from gallery.quick_urls import image_url
from gallery.recipe_sharing import shows_recipe

from .base import FieldsOnceModelSerializer

# How DRF writes a datetime (ISO 8601 in the current time zone, "Z" for UTC).
_MOMENT = serializers.DateTimeField()

FILE_URL_HELP = (
    "{file}. It opens with the API token (`Authorization: Token …` or `Bearer …`) "
    "or a session; a private image's URL also carries a signed `key` that opens it "
    "without either for an hour (fetch a fresh answer for a new one). Anyone else: 404."
)


class ImageSerializer(FieldsOnceModelSerializer):
    """An image (a model, or a feed's row: gallery.feeds.FeedImage): the one
    definition of an image's JSON, in every answer that holds images."""

    url = serializers.SerializerMethodField(
        help_text=FILE_URL_HELP.format(file="The original file")
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text=FILE_URL_HELP.format(file="The WebP thumbnail")
    )
    owner = serializers.CharField(source="owner.username", read_only=True)
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    liked = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField(
        help_text="Hidden by the moderators (only its owner and staff see it)."
    )
    hidden_reason = serializers.SerializerMethodField(
        help_text="Why the moderators hid it; null when it is not hidden."
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "url",
            "thumbnail_url",
            "width",
            "height",
            "thumbhash",
            "title",
            "description",
            "owner",
            "topic",
            "visibility",
            "like_count",
            "comment_count",
            "liked",
            "recipe",
            "share_without_recipe",
            "nsfw",
            "hidden",
            "hidden_reason",
            "created",
        ]

    def _absolute(self, name, image, key):
        # quick_urls: reverse() ran the resolver twice an image, a quarter of a page.
        url = self.context["request"].build_absolute_uri(image_url(image, name))
        # Added after build_absolute_uri, which would quote the key's
        # URL-safe characters once more for nothing.
        return f"{url}?key={key}" if key else url

    def _key(self, image) -> str:
        """A private image's signed key (it opens all of that image's files)."""
        return link_key(image.pk) if image.visibility == Image.Visibility.PRIVATE else ""

    def get_url(self, image) -> str:
        return self._absolute("gallery:file", image, self._key(image))

    def get_thumbnail_url(self, image) -> str:
        return self._absolute("gallery:thumbnail", image, self._key(image))

    def get_hidden(self, image) -> bool:
        return image.hidden_at is not None

    def get_hidden_reason(self, image) -> str | None:
        return (image.hidden_reason or "") if image.hidden_at is not None else None

    def get_liked(self, image) -> bool:
        liked_ids = self.context.get("liked_ids")
        return liked_ids is not None and image.pk in liked_ids

    def to_representation(self, image) -> dict:
        """Meta.fields in order: the fields computed above, the others read
        as they are. DRF's own walk over the fields gives the same (a test
        compares them) and took a third of the API's page of 24 images."""
        key = self._key(image)  # signed once for both URLs
        computed = {
            "url": self._absolute("gallery:file", image, key),
            "thumbnail_url": self._absolute("gallery:thumbnail", image, key),
            "owner": image.owner.username,
            "topic": image.topic.slug if image.topic is not None else None,
            "liked": self.get_liked(image),
            "hidden": self.get_hidden(image),
            "hidden_reason": self.get_hidden_reason(image),
            "created": _MOMENT.to_representation(image.created),
        }
        if not shows_recipe(self.context["request"].user, image):
            computed["recipe"] = {}
        return {
            name: computed[name] if name in computed else getattr(image, name)
            for name in self.Meta.fields
        }


class UploadReportSerializer(serializers.Serializer):
    duplicate = serializers.BooleanField(
        help_text="True when this file was already in your gallery: nothing new was "
        "stored, and the image is the one you had (the answer is then 200, not 201)."
    )
    looks_like = serializers.IntegerField(
        allow_null=True,
        help_text="The id of an image of yours this one looks like (a near duplicate), or null.",
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Metadata in the file that was not kept (damaged, or from a tool "
        "Atelier does not read), and why.",
    )


class UploadedImageSerializer(ImageSerializer):
    """An uploaded image with what became of the upload (schema only: the view
    adds ``upload`` to the image's JSON)."""

    upload = UploadReportSerializer(read_only=True)

    class Meta(ImageSerializer.Meta):
        fields = [*ImageSerializer.Meta.fields, "upload"]


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
    nsfw = serializers.BooleanField(
        required=False,
        help_text="Not safe for work: blurred for visitors and people who blur such images, "
        "left out of the lists of people who hide them.",
    )


class ImageChangeSerializer(ImageFieldsSerializer):
    """PATCH: only the fields sent change."""

    share_without_recipe = serializers.BooleanField(
        required=False,
        help_text="When true, anyone but the owner gets the file without its recipe "
        "chunks and an empty `recipe`.",
    )


class ImageUploadSerializer(ImageFieldsSerializer):
    file = serializers.FileField(
        help_text="One PNG, JPEG or WebP file. EXIF and other metadata are removed, "
        "except a generation recipe."
    )
    visibility = serializers.ChoiceField(
        choices=Image.Visibility.choices, required=False, default=Image.Visibility.PRIVATE
    )
