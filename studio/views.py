from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.token_auth import accepts_api_token
from atelier.rate_limits import (
    GENERATIONS,
    GENERATIONS_PER_IP,
    rate_limit_page,
    too_many_message,
)
from atelier.stored_files import file_response

from .forms import GenerationForm
from .jobs import JobLimitReached, cancel_job, submit_job
from .models import GenerationJob
from .remix import map_remix


def _own_job(request, job_id) -> GenerationJob:
    job = get_object_or_404(GenerationJob, pk=job_id)
    if job.owner_id != request.user.pk and not request.user.is_staff:
        raise Http404("No such job.")
    return job


def _generate_too_fast(request, wait):
    """Over the submission limit: the form again, as sent, saying how long to wait."""
    form = GenerationForm(request.POST)
    form.is_valid()
    form.add_error(None, too_many_message(wait))
    return _generate_page(request, form, status=429)


def _generate_page(request, form, status=200, remix_missing=()):
    recent_jobs = GenerationJob.objects.filter(owner=request.user)[:8]
    context = {"form": form, "recent_jobs": recent_jobs, "remix_missing": remix_missing}
    return render(request, "studio/generate.html", context, status=status)


@login_required
@rate_limit_page(GENERATIONS, GENERATIONS_PER_IP, respond=_generate_too_fast)
def generate(request):
    if request.method == "POST":
        form = GenerationForm(request.POST)
        if form.is_valid():
            try:
                job = submit_job(
                    request.user,
                    form.generation_request(),
                    max_active=settings.ATELIER_MAX_QUEUED_JOBS,
                    backend=form.preset.backend,
                )
            except JobLimitReached as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("studio:job", job_id=job.pk)
    else:
        initial, missing = map_remix(request.GET.dict(), GenerationForm.base_fields)
        return _generate_page(request, GenerationForm(initial=initial), remix_missing=missing)
    return _generate_page(request, form)


@login_required
def job_detail(request, job_id):
    job = _own_job(request, job_id)
    return render(request, "studio/job.html", {"job": job})


@login_required
def job_status(request, job_id):
    """The live part of the job page, polled by htmx until the job finishes."""
    job = _own_job(request, job_id)
    return render(request, "studio/_job_status.html", {"job": job})


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
