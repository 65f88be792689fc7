"""Generations over the API: the request body (for the schema; validation is
studio.forms.GenerationForm's), the 202 answer and a job with its images."""

from django.urls import reverse
from rest_framework import serializers

from gallery.models import Image
from studio import limits
from studio.backends.init_image import RESIZE_MODES
from studio.backends.samplers import sampler_names
from studio.models import GenerationJob

from .base import FieldsOnceModelSerializer
from .images import ImageSerializer


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
    remix_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of the image this remixes: its owner is told when the remix succeeds.",
    )
    init_image = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Image to image (local engine only): the id of an image you may see "
        "(upload one first through /api/v1/images/) to start from instead of noise.",
    )
    denoising_strength = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        help_text="With init_image: how much of it is repainted (0 keeps it, 1 ignores it; "
        "default 0.6).",
    )
    resize_mode = serializers.ChoiceField(
        choices=list(RESIZE_MODES),
        required=False,
        help_text="With init_image: how it is brought to the size — crop (A1111's "
        "'Crop and resize', the default), fit ('Resize and fill') or stretch ('Just resize').",
    )


class GenerationAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.URLField()


class GenerationSerializer(FieldsOnceModelSerializer):
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
            "message",
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
