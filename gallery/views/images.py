from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.token_auth import accepts_api_token
from atelier.stored_files import PUBLIC_CACHE, content_response, file_response

from ..files import download_name, link_opens
from ..models import Image
from ..permissions import can_change, viewable_images
from ..public_thumbnails import public_url
from ..recipe_sharing import shows_recipe, without_recipe
from ..storing import delete_image


class LoginFirst(Exception):
    pass


def _viewable(request, image_id) -> Image:
    """The image if this person may see it. A visitor is sent to log in first
    (it may be theirs); anyone else who may not see it gets a 404."""
    key = request.GET.get("key")
    if key and link_opens(key, image_id):  # a signed link (gallery.files.link_key)
        return get_object_or_404(Image, pk=image_id)
    image = viewable_images(request.user).select_related("owner").filter(pk=image_id).first()
    if image is None:
        if not request.user.is_authenticated:
            raise LoginFirst
        raise Http404("No such image.")
    return image


def login_first(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except LoginFirst:
            return redirect_to_login(request.get_full_path())

    return wrapper


def _changeable(request, image_id) -> Image:
    image = get_object_or_404(Image, pk=image_id)
    if not can_change(request.user, image):
        raise Http404("No such image.")
    return image


def _image_file(request, image, attachment_name=None):
    """The original file; without its recipe for anyone but the owner when the
    owner shares it so. Such an image's answers (the owner's included) are
    never kept by a shared cache: the same URL answers two different files."""
    if not image.share_without_recipe:
        return file_response(
            image.file.name,
            image.content_type,
            attachment_name=attachment_name,
            private=image.visibility != "public",
        )
    if shows_recipe(request.user, image):
        return file_response(image.file.name, image.content_type, attachment_name=attachment_name)
    with default_storage.open(image.file.name, "rb") as stored:
        content = without_recipe(stored.read())
    return content_response(content, image.content_type, attachment_name=attachment_name)


# The files open with a session, the API's token or a signed key.
@accepts_api_token
@login_first
def original(request, image_id):
    return _image_file(request, _viewable(request, image_id))


@accepts_api_token
@login_first
def download(request, image_id):
    image = _viewable(request, image_id)
    return _image_file(request, image, attachment_name=download_name(image))


@accepts_api_token
@login_first
def thumbnail(request, image_id):
    image = _viewable(request, image_id)
    public = public_url(image)
    if public is not None:  # the same URL for everyone: a CDN keeps it
        response = redirect(public)
        response["Cache-Control"] = PUBLIC_CACHE
        return response
    return file_response(image.thumbnail.name, "image/webp", private=image.visibility != "public")


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, image_id):
    image = _changeable(request, image_id)
    if request.method == "POST":
        delete_image(image)
        messages.success(request, "The image was deleted.")
        return redirect("gallery:mine")
    return render(request, "gallery/delete.html", {"image": image})
