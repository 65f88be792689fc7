"""The edit page of an image: its title, description, topic and visibility."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from ..editing import edit_image
from ..forms import ImageEditForm
from ..models import Image
from ..permissions import can_change


def _changeable(request, image_id) -> Image:
    """The image if this person may change it (owner or staff); a 404 for anyone else."""
    image = get_object_or_404(Image.objects.select_related("topic"), pk=image_id)
    if not can_change(request.user, image):
        raise Http404("No such image.")
    return image


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, image_id):
    image = _changeable(request, image_id)
    if request.method == "POST":
        form = ImageEditForm(request.POST, image=image)
        if form.is_valid():
            edit_image(image, **form.image_fields())
            messages.success(request, "Your changes were saved.")
            return redirect("gallery:detail", image_id=image.pk)
    else:
        form = ImageEditForm(image=image)
    return render(request, "gallery/edit.html", {"image": image, "form": form})
