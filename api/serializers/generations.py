"""Generations over the API: the request body (for the schema; validation is
studio.forms.GenerationForm's), the 202 answer and a job with its images."""

from django.urls import reverse
from rest_framework import serializers

from gallery.models import Image
from studio import limits
from studio.backends.hires_fix import UPSCALERS
from studio.backends.init_image import RESIZE_MODES
from studio.backends.inpaint_mask import (
    INPAINT_AREAS,
    MASK_BLUR_MAX,
    MASKED_CONTENT,
    PADDING_MAX,
)
from studio.backends.samplers import sampler_names
from studio.models import GenerationJob

from .base import FieldsOnceModelSerializer
from .images import ImageSerializer


class HiresSerializer(serializers.Serializer):
    """The hires fix as one object; the same as the flat hires_* fields."""

    scale = serializers.FloatField(
        min_value=limits.HIRES_SCALE_MIN, max_value=limits.HIRES_SCALE_MAX
    )
    upscaler = serializers.ChoiceField(choices=list(UPSCALERS), required=False)
    steps = serializers.IntegerField(
        required=False, min_value=limits.HIRES_STEPS_MIN, max_value=limits.HIRES_STEPS_MAX
    )
    denoising_strength = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)


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
    n = serializers.IntegerField(
        required=False,
        min_value=limits.N_MIN,
        max_value=limits.N_MAX,
        help_text="Images made at once (a batch).",
    )
    batch_count = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=limits.BATCH_COUNT_MAX,
        help_text="Batches run one after another; seeds go on from batch to batch. "
        f"n x batch_count is at most {limits.IMAGES_PER_JOB_MAX}.",
    )
    style = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A style's name (see /api/v1/styles/): the prompts are put into its "
        "templates, and the recipe keeps the style's name and the expanded prompts.",
    )
    visibility = serializers.ChoiceField(choices=Image.Visibility.choices, required=False)
    topic = serializers.CharField(required=False, allow_blank=True, help_text="A topic's slug.")
    nsfw = serializers.BooleanField(
        required=False, help_text="Flag the images NSFW (not safe for work)."
    )
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
        help_text="Image to image (not every engine: a 400 names those that can): the id of an "
        "image you may see (upload one first through /api/v1/images/) to start from.",
    )
    init_upload = serializers.CharField(
        required=False,
        help_text="Image to image from a picture sent with the job instead of init_image: a "
        "PNG, JPEG or WebP as base64 (a data: URL is fine) in JSON, or as a file in "
        "multipart. It is kept as a private image of yours, as the Generate page keeps one.",
    )
    denoising_strength = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        help_text="With a starting image: how much of it is repainted (0 keeps it, 1 ignores it; "
        "default 0.6).",
    )
    resize_mode = serializers.ChoiceField(
        choices=list(RESIZE_MODES),
        required=False,
        help_text="With init_image: how it is brought to the size — crop (A1111's "
        "'Crop and resize', the default), fit ('Resize and fill') or stretch ('Just resize').",
    )
    mask = serializers.CharField(
        required=False,
        help_text="Inpainting, with init_image: a PNG, white where the image is repainted and "
        "black where it is kept, as base64 (a data: URL is fine) in JSON or as a file in "
        "multipart. A mask of another size than the image is stretched to it; an empty "
        "(all black) or full (all white) mask is refused.",
    )
    masked_content = serializers.ChoiceField(
        choices=list(MASKED_CONTENT),
        required=False,
        help_text="With mask: what the model starts from under it — original (the default) "
        "or fill (the colours around it), as A1111.",
    )
    mask_blur = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MASK_BLUR_MAX,
        help_text="With mask: the blur of its edge in pixels (default 4).",
    )
    inpaint_area = serializers.ChoiceField(
        choices=list(INPAINT_AREAS),
        required=False,
        help_text="With mask: whole (A1111's 'Whole picture', the default) or masked "
        "('Only masked': the masked part at the model's size, pasted back).",
    )
    masked_area_padding = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=PADDING_MAX,
        help_text="With inpaint_area=masked: pixels around the mask the model sees (default 32).",
    )

    variation_seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=limits.SEED_MIN,
        max_value=limits.SEED_MAX,
        help_text="A1111's variation seed (its 'subseed'; local engine, text to image): "
        "-1 or absent picks one. Used when variation_seed_strength is above 0.",
    )
    variation_seed_strength = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        help_text="A1111's 'subseed_strength': each image's starting noise is the slerp "
        "from its seed's noise towards its variation seed's (0, the default: the seed alone).",
    )
    hires_upscale = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=limits.HIRES_SCALE_MIN,
        max_value=limits.HIRES_SCALE_MAX,
        help_text="Hires fix (an engine that has one, else 400 naming those that do): make the "
        "picture at width x height, upscale "
        "it by this factor and repaint it at denoising_strength (default 0.5). With "
        "init_image, that image is upscaled from its own size and the prompt may be empty. "
        "The picture made may not exceed the server's pixel limit.",
    )
    hires_upscaler = serializers.ChoiceField(
        choices=list(UPSCALERS),
        required=False,
        help_text="With hires_upscale: latent (A1111's 'Latent', the default) or lanczos.",
    )
    hires_steps = serializers.IntegerField(
        required=False,
        min_value=limits.HIRES_STEPS_MIN,
        max_value=limits.HIRES_STEPS_MAX,
        help_text="With hires_upscale: the repainting pass's steps (0, the default: as steps).",
    )
    hires = HiresSerializer(
        required=False,
        help_text="The hires fix as one object (scale, upscaler, steps, denoising_strength), "
        "instead of the hires_* fields.",
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
