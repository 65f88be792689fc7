"""The finished job page as a workbench: what its owner does with each image
(publish or make private, move to a topic, "More like this") and with the
whole job ("Generate again"), without leaving the page.

Only the job's owner may act (anyone else, staff included, gets a 404: these
make new jobs in the owner's name and change their images). A rerun goes
through ``GenerationForm`` like any generation, so a model disabled since, a
starting image gone or made private since, or the queue limit each come back
as a message on the job page, and no job is made.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from atelier.rate_limits import GENERATIONS, GENERATIONS_PER_IP, rate_limit_page
from gallery.editing import edit_image, postable_topics
from gallery.forms import TopicChoiceField
from gallery.models import Image

from .backends import refusal as engine_refusal
from .forms import GenerationForm
from .jobs import JobLimitReached, submit_job
from .models import GenerationJob

# "More like this" on the local engine: each image's seed with a random
# variation seed at this strength (A1111's usual "a little different").
MORE_LIKE_THIS_STRENGTH = 0.3
# Request keys that a rerun does not carry over.
NOT_RERUN = ("remix_of", "init_image_sha256")


def owned_job(request, job_id) -> GenerationJob:
    """The job if it is this person's own; a 404 for anyone else."""
    job = get_object_or_404(GenerationJob, pk=job_id)
    if job.owner_id != request.user.pk:
        raise Http404("No such job.")
    return job


def job_image(job, image_id) -> Image:
    """One of the job's images (a 404 for any other image)."""
    image = job.images.select_related("topic").filter(pk=image_id).first()
    if image is None:
        raise Http404("No such image in this job.")
    return image


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(choices=Image.Visibility.choices)


class MoveForm(forms.Form):
    topic = TopicChoiceField()


@login_required
@require_POST
def image_visibility(request, job_id, image_id):
    """Publish / unlist / make private one image of the job."""
    job = owned_job(request, job_id)
    image = job_image(job, image_id)
    form = VisibilityForm(request.POST)
    if form.is_valid():
        edit_image(image, visibility=form.cleaned_data["visibility"])
        note = f"Now {image.get_visibility_display().lower()}."
    else:
        note = "Choose public, unlisted or private."
    return _image_answer(request, job, image, note, ok=form.is_valid())


@login_required
@require_POST
def image_move(request, job_id, image_id):
    """Move one image of the job to a topic ("" takes it out of its topic)."""
    job = owned_job(request, job_id)
    image = job_image(job, image_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        edit_image(image, topic=form.cleaned_data["topic"])
        note = f"Moved to {image.topic.name}." if image.topic else "Taken out of its topic."
    else:
        note = " ".join(form.errors.get("topic", ["Choose a topic."]))
    return _image_answer(request, job, image, note, ok=form.is_valid())


def _image_answer(request, job, image, note, *, ok):
    """htmx: the job's finished part again (tiles, where the images went, each
    bar), with the note under this image's bar; else back to the job page."""
    if request.htmx:
        context = {"job": job, "topics": postable_topics(), "note": note, "note_for": image.pk}
        return render(request, "studio/_job_status.html", context, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, note)
    return redirect("studio:job", job_id=job.pk)


@login_required
@require_POST
@rate_limit_page(GENERATIONS, GENERATIONS_PER_IP)
def generate_again(request, job_id):
    """The same recipe with a new seed."""
    job = owned_job(request, job_id)
    return _rerun(request, job, {"seed": -1})


@login_required
@require_POST
@rate_limit_page(GENERATIONS, GENERATIONS_PER_IP)
def more_like_this(request, job_id, image_id):
    """This image's recipe again: on the local engine (text to image) its own
    seed with random variation seeds, elsewhere new seeds."""
    job = owned_job(request, job_id)
    image = job_image(job, image_id)
    return _rerun(request, job, more_like_this_changes(job, image))


def more_like_this_changes(job, image) -> dict:
    """What "More like this" changes in the job's request for ``image``."""
    form = GenerationForm()
    preset = form.presets.get(job.request.get("model"))
    seed = image.recipe.get("seed") if isinstance(image.recipe, dict) else None
    if (
        preset is not None
        and not engine_refusal(preset.backend, "variations", preset.model_id)
        and not job.request.get("init_image")
        and isinstance(seed, int)
    ):
        return {
            "seed": seed,
            "variation_seed": -1,
            "variation_seed_strength": MORE_LIKE_THIS_STRENGTH,
        }
    return {"seed": -1, "variation_seed_strength": 0}


def _rerun(request, job, changes: dict):
    """Submit the job's request again with ``changes``, checked as the Generate
    page checks it; the new job's page, or this one with what went wrong."""
    data = {
        key: value
        for key, value in job.request.items()
        if key in GenerationForm.base_fields and key not in NOT_RERUN and value is not None
    }
    data.update(changes)
    form = GenerationForm(data, user=request.user)
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, "This recipe cannot run again: " + " ".join(problems))
        return redirect("studio:job", job_id=job.pk)
    try:
        new = submit_job(
            request.user,
            form.generation_request(),
            max_active=settings.ATELIER_MAX_QUEUED_JOBS,
            preset=form.preset,
        )
    except JobLimitReached as exc:
        messages.error(request, str(exc))
        return redirect("studio:job", job_id=job.pk)
    return redirect("studio:job", job_id=new.pk)
