from django.urls import reverse
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from atelier.text import ApiTextField
from gallery.files import link_key
from gallery.models import Image
from gallery.quick_urls import image_url
from studio import limits
from studio.backends.samplers import sampler_names
from studio.models import GenerationJob

from .model_serializer import ModelSerializer

# How DRF writes a datetime (ISO 8601 in the current time zone, "Z" for UTC).
_MOMENT = serializers.DateTimeField()


FILE_URL_HELP = (
    "{file}. It opens with the API token (`Authorization: Token …` or `Bearer …`) "
    "or a session; a private image's URL also carries a signed `key` that opens it "
    "without either for an hour (fetch a fresh answer for a new one). Anyone else: 404."
)


class ImageSerializer(ModelSerializer):
    """An image (a model, or a feed's row: gallery.feeds.FeedImage). The
    fields are declared for the schema; ``to_representation`` writes them
    out itself."""

    url = serializers.SerializerMethodField(
        help_text=FILE_URL_HELP.format(file="The original file")
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text=FILE_URL_HELP.format(file="The WebP thumbnail")
    )
    owner = serializers.CharField(source="owner.username", read_only=True)
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    liked = serializers.SerializerMethodField()

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
            "created",
        ]

    def _absolute(self, name, image, key=None):
        # quick_urls: reverse() ran the resolver twice an image, a quarter of a page.
        url = self.context["request"].build_absolute_uri(image_url(image, name))
        if key is None and image.visibility == Image.Visibility.PRIVATE:
            key = link_key(image.pk)
        # Added after build_absolute_uri, which would quote the key's
        # URL-safe characters once more for nothing.
        return f"{url}?key={key}" if key else url

    def get_url(self, image) -> str:
        return self._absolute("gallery:file", image)

    def get_thumbnail_url(self, image) -> str:
        return self._absolute("gallery:thumbnail", image)

    def _file_urls(self, image) -> tuple[str, str]:
        """Both URLs, a private image's two sharing one signed key (it opens
        all of that image's files)."""
        key = link_key(image.pk) if image.visibility == Image.Visibility.PRIVATE else ""
        return (
            self._absolute("gallery:file", image, key),
            self._absolute("gallery:thumbnail", image, key),
        )

    def get_liked(self, image) -> bool:
        liked_ids = self.context.get("liked_ids")
        return liked_ids is not None and image.pk in liked_ids

    def to_representation(self, image) -> dict:
        """What DRF's walk over the declared fields gives (a test compares the
        two), written out: that walk took a third of a page of 24 images."""
        url, thumbnail_url = self._file_urls(image)
        return {
            "id": image.id,
            "url": url,
            "thumbnail_url": thumbnail_url,
            "width": image.width,
            "height": image.height,
            "thumbhash": image.thumbhash,
            "title": image.title,
            "description": image.description,
            "owner": image.owner.username,
            "topic": image.topic.slug if image.topic is not None else None,
            "visibility": image.visibility,
            "like_count": image.like_count,
            "comment_count": image.comment_count,
            "liked": self.get_liked(image),
            "recipe": image.recipe,
            "created": _MOMENT.to_representation(image.created),
        }


class GenerationCreateSerializer(serializers.Serializer):
    """Documents the request body; validation is studio.forms.GenerationForm's."""

    prompt = serializers.CharField(max_length=limits.PROMPT_MAX)
    negative_prompt = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.NEGATIVE_PROMPT_MAX
    )
    model = serializers.CharField(required=False, help_text="A preset key; see /api/v1/models/")
    width = serializers.IntegerField(
        required=False,
        min_value=limits.SIZE_MIN,
        max_value=limits.SIZE_MAX,
        help_text=f"A multiple of {limits.SIZE_MULTIPLE}, within the model's sizes.",
    )
    height = serializers.IntegerField(
        required=False,
        min_value=limits.SIZE_MIN,
        max_value=limits.SIZE_MAX,
        help_text=f"A multiple of {limits.SIZE_MULTIPLE}, within the model's sizes.",
    )
    steps = serializers.IntegerField(
        required=False, min_value=limits.STEPS_MIN, max_value=limits.STEPS_MAX
    )
    cfg_scale = serializers.FloatField(
        required=False, min_value=limits.CFG_MIN, max_value=limits.CFG_MAX
    )
    seed = serializers.IntegerField(
        required=False, min_value=limits.SEED_MIN, max_value=limits.SEED_MAX
    )
    sampler = serializers.ChoiceField(choices=sampler_names(), required=False, allow_blank=True)
    n = serializers.IntegerField(required=False, min_value=limits.N_MIN, max_value=limits.N_MAX)
    visibility = serializers.ChoiceField(choices=Image.Visibility.choices, required=False)
    topic = serializers.CharField(required=False, allow_blank=True, help_text="A topic's slug.")


class GenerationAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.URLField()


class GenerationSerializer(ModelSerializer):
    images = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "url",
            "page_url",
            "status",
            "progress",
            "phase",
            "step",
            "total_steps",
            "error",
            "model",
            "request",
            "attempts",
            "created",
            "started",
            "finished",
            "images",
        ]

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:generation-detail", args=[job.pk])
        )

    def get_page_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(reverse("studio:job", args=[job.pk]))

    def get_images(self, job) -> list[dict]:
        if job.status == job.Status.QUEUED:  # none yet: spare the query (clients poll)
            return []
        images = job.images.select_related("owner", "topic").order_by("source_key")
        return ImageSerializer(images, many=True, context=self.context).data


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's, with text fields that take only storable text."""

    username = ApiTextField(write_only=True)
    password = ApiTextField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
