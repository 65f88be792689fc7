from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, throttle_classes
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from atelier.rate_limits import GenerationThrottle
from studio.forms import GenerationForm
from studio.jobs import JobLimitReached, cancel_job
from studio.models import GenerationJob
from studio.wait_hint import retry_after

from ..base64_files import NotBase64, decode_base64
from ..errors import TOO_MANY, form_errors
from ..facades import queue
from ..parsers import PictureJSONParser
from ..serializers.generations import (
    GenerationAcceptedSerializer,
    GenerationCreateSerializer,
    GenerationSerializer,
)


def _own_job(request, job_id) -> GenerationJob:
    job = get_object_or_404(GenerationJob, pk=job_id)
    if job.owner_id != request.user.pk and not request.user.is_staff:
        raise NotFound("No such generation.")
    return job


HIRES_FIELDS = {
    "scale": "hires_upscale",
    "upscaler": "hires_upscaler",
    "steps": "hires_steps",
    "denoising_strength": "denoising_strength",
}


def flat_hires(data):
    """The ``hires`` object ({scale, upscaler, steps, denoising_strength}) as
    the form's flat fields; a flat field given too wins."""
    hires = data.get("hires")
    if not isinstance(hires, dict):
        return data
    flat = {key: value for key, value in data.items() if key != "hires"}
    for key, field in HIRES_FIELDS.items():
        if key in hires:
            flat.setdefault(field, hires[key])
    return flat


NOT_AN_UPLOAD = (
    "The starting image must be a PNG, JPEG or WebP file in multipart, or its base64 "
    "in JSON (a data: URL is fine too)."
)


def sent_starting_image(data) -> dict:
    """The form's files: a starting image sent with the job as ``init_upload``,
    a file in multipart or base64 text in JSON. Raises NotBase64."""
    sent = data.get("init_upload")
    if isinstance(sent, UploadedFile):
        return {"init_upload": sent}
    if sent in (None, ""):
        return {}
    if not isinstance(sent, str):
        raise NotBase64(f"a {type(sent).__name__}, not text")
    return {"init_upload": SimpleUploadedFile("init_upload", decode_base64(sent))}


@extend_schema(
    request=GenerationCreateSerializer,
    responses={202: GenerationAcceptedSerializer, 429: TOO_MANY},
    summary="Queue a generation",
)
@api_view(["POST"])
@throttle_classes([GenerationThrottle])
@parser_classes([PictureJSONParser, FormParser, MultiPartParser])  # init_upload in base64
def generation_create(request):
    data = request.data if hasattr(request.data, "get") else {}
    try:
        files = sent_starting_image(data)
    except NotBase64:
        return Response({"init_upload": [NOT_AN_UPLOAD]}, status=status.HTTP_400_BAD_REQUEST)
    form = GenerationForm(flat_hires(data), files, user=request.user)
    if not form.is_valid():
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
    try:
        job = queue(request.user, form)  # a starting image sent is kept first, as the page does
    except JobLimitReached as exc:
        raise Throttled(detail=str(exc)) from exc
    url = request.build_absolute_uri(reverse("api:generation-detail", args=[job.pk]))
    return Response(
        {"id": str(job.pk), "status": job.status, "url": url}, status=status.HTTP_202_ACCEPTED
    )


@extend_schema(
    responses=GenerationSerializer,
    summary="A generation and its images",
    parameters=[
        OpenApiParameter(
            "Retry-After",
            int,
            location=OpenApiParameter.HEADER,
            response=[200],
            required=False,
            description="While the generation is not finished: seconds until it is worth "
            "asking again (1-10, from the work ahead of it). Absent once it is finished.",
        )
    ],
)
@api_view(["GET"])
def generation_detail(request, job_id):
    job = _own_job(request, job_id)
    response = Response(GenerationSerializer(job, context={"request": request}).data)
    if (seconds := retry_after(job)) is not None:
        response["Retry-After"] = str(seconds)
    return response


@extend_schema(request=None, responses=GenerationSerializer, summary="Cancel a generation")
@api_view(["POST"])
def generation_cancel(request, job_id):
    job = cancel_job(_own_job(request, job_id))
    return Response(GenerationSerializer(job, context={"request": request}).data)
