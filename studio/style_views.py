"""The Styles page: the built-in styles, and each person's own to add, change
and delete; "Save as style" on a recipe opens it filled in from that recipe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from gallery.permissions import viewable_images
from gallery.recipe_sharing import shows_recipe

from .forms import StyleForm
from .models import Style
from .styles import BUILT_IN


def _page(request, form, editing=None, status=200):
    context = {
        "form": form,
        "editing": editing,
        "built_in": BUILT_IN,
        "own": request.user.styles.all(),
    }
    return render(request, "studio/styles.html", context, status=status)


@login_required
def styles_page(request):
    if request.method == "POST":
        form = StyleForm(request.POST, owner=request.user)
        if form.is_valid():
            style = form.save()
            messages.success(request, f"Style {style.name} saved. Pick it on the Generate page.")
            return redirect("studio:styles")
        return _page(request, form, status=400)
    return _page(request, StyleForm(owner=request.user, initial=_from_recipe(request)))


def _from_recipe(request) -> dict:
    """``?from=<image id>``: the prompts of a recipe the person may see."""
    try:
        image_id = int(request.GET.get("from", ""))
    except ValueError:
        return {}
    if not 0 < image_id < 2**63:
        return {}
    image = viewable_images(request.user).filter(pk=image_id).first()
    if image is None or not shows_recipe(request.user, image):
        return {}
    recipe = image.recipe or {}
    return {
        "prompt": str(recipe.get("prompt") or ""),
        "negative_prompt": str(recipe.get("negative_prompt") or ""),
    }


@login_required
def style_edit(request, style_id):
    style = get_object_or_404(Style, pk=style_id, owner=request.user)
    form = StyleForm(request.POST or None, instance=style, owner=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, f"Style {style.name} saved.")
            return redirect("studio:styles")
        return _page(request, form, editing=style, status=400)
    return _page(request, form, editing=style)


@login_required
@require_POST
def style_delete(request, style_id):
    style = get_object_or_404(Style, pk=style_id, owner=request.user)
    style.delete()
    messages.success(request, f"Style {style.name} deleted. Images made with it keep their recipe.")
    return redirect("studio:styles")
