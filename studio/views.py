from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.token_auth import accepts_api_token
from atelier.rate_limits import (
    GENERATIONS,
    GENERATIONS_PER_IP,
    rate_limit_page,
    too_many_message,
)
from atelier.stored_files import file_response
from gallery.editing import default_visibility, postable_topics
from gallery.permissions import viewable_images
from gallery.templatetags.gallery_tags import remix_query
from gallery.uploads import clean_recipe
from imaging.recipes import read_file_recipe

from .backends.hires_fix import DEFAULT_STRENGTH as HIRES_STRENGTH
from .backends.init_image import DEFAULT_STRENGTH, working_size
from .checkpoints import EMBEDDINGS, LORA, file_names
from .form_memory import recall, remember
from .forms import GenerationForm
from .init_images import forget_upload, store_upload
from .jobs import JobLimitReached, cancel_job, submit_job
from .masks import mask_data_url, remixed_mask
from .model_status import preferred_key, statuses_by_key
from .models import GenerationJob
from .presets import default_preset_key
from .queue_panel import panel_context
from .remix import MASK_NOT_BROUGHT, map_remix
from .upscaling import CHOICES, upscale_values

# The Generate page's shape buttons (static/js/generate-page.js sizes them).
ASPECTS = ("1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9")


def _own_job(request, job_id) -> GenerationJob:
    job = get_object_or_404(GenerationJob, pk=job_id)
    if job.owner_id != request.user.pk and not request.user.is_staff:
        raise Http404("No such job.")
    return job


def _generate_too_fast(request, wait):
    """Over the submission limit: the form again, as sent, saying how long to wait."""
    form = GenerationForm(request.POST, user=request.user)
    form.is_valid()
    form.add_error(None, too_many_message(wait))
    return _generate_page(request, form, status=429)


def _generate_page(request, form, status=200, **extra):
    found = getattr(form, "statuses", None)
    if found is None:
        found = statuses_by_key(form.presets.values())
        form.show_statuses(found)
    form.show_refusals()
    selected = found.get(str(form["model"].value() or ""))
    if "starting_image" not in extra:
        extra["starting_image"] = _starting_image(request.user, form["init_image"].value())
    if form.is_bound and form.sent_mask is not None:  # painted again, refused or not
        extra["initial_mask"] = mask_data_url(form.sent_mask)
    context = {
        "form": form,
        **panel_context(request.user),
        "hub_unreachable": any(s.hub and not s.usable for s in found.values()),
        "unusable": [s for s in found.values() if not s.usable],
        "model_note": selected.note if selected else "",
        "loras": file_names(LORA),
        "embeddings": file_names(EMBEDDINGS),
        "hires_strength": HIRES_STRENGTH,
        "aspects": ASPECTS,
        **extra,
    }
    return render(request, "studio/generate.html", context, status=status)


@login_required
@rate_limit_page(GENERATIONS, GENERATIONS_PER_IP, respond=_generate_too_fast)
def generate(request):
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES, user=request.user)
        return _submit(request, form)
    return _new_generate_form(request)


def _submit(request, form):
    """Queue the form's job and go to its page, or show the form's errors."""
    if form.is_valid():
        upload, created = None, False
        if form.cleaned_data.get("init_upload"):
            upload, created = store_upload(request.user, form.cleaned_data["init_upload"])
        generation = form.generation_request(upload)
        try:
            job = submit_job(
                request.user,
                generation,
                max_active=settings.ATELIER_MAX_QUEUED_JOBS,
                preset=form.preset,
            )
        except JobLimitReached as exc:
            if upload is not None:
                forget_upload(upload, created)
            form.add_error(None, str(exc))
        else:
            remember(request.user, generation)
            for note in form.notes:  # a mask stretched to the starting image
                messages.info(request, note)
            return redirect("studio:job", job_id=job.pk)
    return _generate_page(request, form)


@login_required
@require_POST
@rate_limit_page(GENERATIONS, GENERATIONS_PER_IP)
def upscale(request, image_id):
    """The Upscale action: a job upscaling an image this person may see (its
    prompt and settings from its recipe, the factor, upscaler and strength
    from the POST or the defaults); the Generate page with the errors if refused."""
    source = _starting_image(request.user, image_id)
    if source is None:
        raise Http404("No such image.")
    values, _missing = map_remix(
        upscale_values(request.user, source), GenerationForm.base_fields, request.user
    )
    values.setdefault("visibility", default_visibility(request.user))
    values.update({key: request.POST[key] for key in CHOICES if request.POST.get(key)})
    form = GenerationForm(values, user=request.user)
    return _submit(request, form)


def _new_generate_form(request):
    """The form as this person last left it, or as Remix or "Edit and try again"
    fill it in; a model that cannot be used now gives way to an installed one."""
    params = request.GET.dict()
    upscale_missing = []
    if "upscale" in params:  # an image's Upscale action: the form set to upscale it
        source = _starting_image(request.user, params.pop("upscale"))
        if source is None:
            upscale_missing.append("the image to upscale (it is gone or not visible to you)")
        else:
            params = {**upscale_values(request.user, source), **params}
    carried, remix_missing = map_remix(params, GenerationForm.base_fields, request.user)
    remix_missing += upscale_missing
    # A Remix whose model is not here keeps its settings on the model chosen.
    unmapped_model = "model" in request.GET and "model" not in carried
    # The person's default visibility (Settings), unless the form remembers a choice.
    initial = {"visibility": default_visibility(request.user), **recall(request.user), **carried}
    form = GenerationForm()
    found = statuses_by_key(form.presets.values())
    wanted = initial.get("model") or default_preset_key()
    chosen = preferred_key(wanted, found)
    replaced = None
    if chosen != wanted and wanted in found:
        replaced = found[wanted]
    if chosen in form.presets:
        if chosen != initial.get("model") and not unmapped_model:
            # The settings carried in were for another model: start from this one's.
            kept = {k: v for k, v in initial.items() if k not in PRESET_FIELDS}
            initial = {**form.presets[chosen].defaults(), **kept}
        else:
            initial = {**form.presets[chosen].defaults(), **initial}
        initial["model"] = chosen
    start = _starting_image(request.user, initial.get("init_image"))
    initial_mask = remixed_mask(request.user, request.GET) if start else ""
    if initial_mask and MASK_NOT_BROUGHT in remix_missing:
        remix_missing.remove(MASK_NOT_BROUGHT)  # one's own inpainting: brought back
    if initial.get("init_image") and start is None:
        del initial["init_image"]
        remix_missing.append("the starting image (it is gone or not visible to you)")
    sized_by_link = {"width", "height"} & request.GET.keys()
    if start and ("init" in request.GET or "inpaint" in request.GET) and not sized_by_link:
        # "Use as starting image" and "Inpaint" work at the picture's own size.
        if preset := form.presets.get(initial.get("model")):
            initial["width"], initial["height"] = working_size(
                start.width, start.height, preset.min_size, preset.max_size
            )
        initial.setdefault("denoising_strength", DEFAULT_STRENGTH)  # shown, not implied
    form = GenerationForm(initial=initial, user=request.user)
    form.show_statuses(found)
    seed = _fixed_seed(carried.get("seed"))
    return _generate_page(
        request,
        form,
        replaced=replaced,
        fixed_seed=seed,
        remix_missing=remix_missing,
        starting_image=start,
        # "Inpaint" links (?inpaint=<image id>) and remixes of an inpainting open the painter.
        inpaint_open=bool(start) and ("inpaint" in request.GET or "mask_sha256" in request.GET),
        initial_mask=initial_mask,
    )


def _starting_image(user, image_id):
    """The gallery image a "Use as starting image" link or a Remix names, if
    this person may see it (the form then refuses none it shows)."""
    try:
        return viewable_images(user).filter(pk=int(image_id)).first()
    except (TypeError, ValueError, OverflowError):
        return None


PRESET_FIELDS = ("width", "height", "steps", "cfg_scale", "sampler", "negative_prompt", "model")


def _fixed_seed(value):
    try:
        seed = int(value)
    except (TypeError, ValueError):
        return None
    return seed if seed >= 0 else None


@login_required
def job_detail(request, job_id):
    job = _own_job(request, job_id)
    context = {**_job_context(job), **panel_context(request.user, current=job.pk)}
    return render(request, "studio/job.html", context)


@login_required
def job_status(request, job_id):
    """The live part of the job page, polled by htmx until the job finishes."""
    job = _own_job(request, job_id)
    return render(request, "studio/_job_status.html", _job_context(job))


def _job_context(job) -> dict:
    """The job, and once it succeeded the topics its images may move to."""
    topics = postable_topics() if job.status == GenerationJob.Status.SUCCEEDED else ()
    return {"job": job, "topics": topics}


@login_required
@require_POST
def job_cancel(request, job_id):
    job = cancel_job(_own_job(request, job_id))
    if request.htmx:
        return render(request, "studio/_job_status.html", {"job": job})
    if job.status == GenerationJob.Status.CANCELLED:
        messages.info(request, "The generation was cancelled.")
    elif not job.is_finished:
        messages.info(request, "Cancelling: the engine stops after its current step.")
    return redirect("studio:job", job_id=job.pk)


@accepts_api_token  # a script polling the API may show the preview too
@login_required
def job_preview(request, job_id):
    job = _own_job(request, job_id)
    if not job.preview:
        raise Http404("No preview yet.")
    response = file_response(job.preview.name, "image/webp")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def models_rescan(request):
    """Staff: find checkpoints added to (or gone from) the models folder, then go back."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can rescan the models folder.")
    from .checkpoints import ensure_folders, scan_models

    ensure_folders()
    report = scan_models()
    level = messages.WARNING if report.problems else messages.SUCCESS
    messages.add_message(request, level, report.summary())
    back = request.POST.get("next") or request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/models/"
    return redirect(back)


@login_required
@require_POST
def recipe_from_file(request):
    """The Generate page's query for the recipe in a dropped image file (any
    tool's, as an upload reads it), for the form to load; 404 without one."""
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse({"error": "Drop an image file."}, status=400)
    if file.size > settings.ATELIER_MAX_UPLOAD_BYTES:
        return JsonResponse({"error": "This file is too large to read."}, status=400)
    reading = read_file_recipe(file.read())
    recipe = clean_recipe(reading.recipe)
    if not recipe.get("prompt"):
        answer = {"error": "This file carries no recipe.", "notes": reading.notes}
        return JsonResponse(answer, status=404)
    return JsonResponse({"query": remix_query(recipe), "source": recipe.get("source", "")})
