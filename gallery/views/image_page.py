"""The image page, its panel for the lightbox, and what people do on it: like and comment.

Each change answers an htmx request with the partial to swap in, and a plain
form post with a redirect back, so the page also works without JavaScript."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atelier import rate_limits

from .. import comments as comment_service
from .. import follows, likes, nsfw
from ..forms import CommentForm
from ..models import Image
from ..permissions import can_change, viewable_images
from ..recipe_sharing import shows_recipe


def _image_or_404(user, image_id, *related) -> Image:
    image = viewable_images(user).select_related(*related).filter(pk=image_id).first()
    if image is None:
        raise Http404("No such image.")
    return image


def _login_first(request, image_id):
    """A visitor who tries to change something is asked to log in, then comes
    back to the image page (never to the POST-only URL they hit)."""
    next_url = reverse("gallery:detail", args=[image_id])
    if request.htmx:
        login = f"{reverse('account_login')}?next={next_url}"
        return HttpResponse(status=401, headers={"HX-Redirect": login})
    return redirect_to_login(next_url)


def _back(request, fallback: str):
    """Where a plain form post returns: ``next`` or the referring page if they
    are on this site, else ``fallback``."""
    for candidate in (request.POST.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(candidate)
    return redirect(fallback)


# ---- The page --------------------------------------------------------------


def detail(request, image_id):
    image = (
        viewable_images(request.user)
        .select_related("owner__profile", "topic")
        .filter(pk=image_id)
        .first()
    )
    if image is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())  # it may be theirs
        raise Http404("No such image.")
    return _render_detail(request, image)


@require_GET
def panel(request, image_id):
    """What the image page shows beside the image, alone: the lightbox over a
    feed (js/lightbox.js) fetches it for the image it shows."""
    image = _image_or_404(request.user, image_id, "owner__profile", "topic")
    return render(request, "gallery/_viewer_panel.html", _detail_context(request, image))


def _render_detail(request, image, *, comment_form=None, status=200):
    context = _detail_context(request, image, comment_form=comment_form)
    return render(request, "gallery/detail.html", context, status=status)


def _detail_context(request, image, *, comment_form=None) -> dict:
    user = request.user
    comments, earlier = comment_service.page(user, image)
    others = user.is_authenticated and user.pk != image.owner_id
    return {
        "show_follow": others,
        "following": others and follows.is_following(user, image.owner),
        "image": image,
        "nsfw_blurred": nsfw.blurs(user, image),
        "can_change": can_change(user, image),
        "shows_recipe": shows_recipe(user, image),
        "liked": likes.is_liked(user, image),
        "comments": comments,
        "earlier": earlier,
        "can_comment": comment_service.can_comment(user, image),
        "comment_form": comment_form or CommentForm(),
    }


# ---- Likes -------------------------------------------------------------------


@require_http_methods(["POST", "DELETE"])
def like(request, image_id):
    """POST likes the image, DELETE takes the like back."""
    if request.method == "DELETE":
        return _set_liked(request, image_id, False)
    return _set_liked(request, image_id, True)


@require_POST
def unlike(request, image_id):
    """The plain-form way to take a like back (forms cannot send DELETE)."""
    return _set_liked(request, image_id, False)


def _set_liked(request, image_id, liked: bool):
    if not request.user.is_authenticated:
        return _login_first(request, image_id)
    image = _image_or_404(request.user, image_id)
    if liked:
        likes.like(request.user, image)
    else:
        likes.unlike(request.user, image)
    if not request.htmx:
        return _back(request, reverse("gallery:detail", args=[image.pk]))
    image.like_count = likes.current_count(image)
    # A tile's small button asks for a small one back (?compact=1).
    compact = request.GET.get("compact") == "1"
    context = {"image": image, "liked": liked, "compact": compact}
    return render(request, "gallery/_like_button.html", context)


# ---- Comments ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def comments(request, image_id):
    """GET: a page of earlier comments (``?before=<comment id>``) for htmx.
    POST: add a comment."""
    if request.method == "GET":
        return _earlier_comments(request, image_id)
    if not request.user.is_authenticated:
        return _login_first(request, image_id)
    image = _image_or_404(request.user, image_id, "owner__profile", "topic")
    form = CommentForm(request.POST)
    wait = rate_limits.check(request, rate_limits.COMMENTS)
    if wait is not None:
        return _comment_too_fast(request, image, form, wait)
    if form.is_valid():
        comment = comment_service.add(request.user, image, form.cleaned_data["text"])
        if not request.htmx:
            return redirect(_comment_url(comment))
        image.comment_count = comment_service.current_count(image)
        comment.image = image
        comment_service.with_permissions(request.user, [comment], image)
        context = {"image": image, "comment": comment, "form": CommentForm()}
        return render(request, "gallery/_comment_added.html", context)
    if request.htmx:
        return render(request, "gallery/_comment_form.html", {"image": image, "form": form})
    return _render_detail(request, image, comment_form=form, status=400)


def _comment_too_fast(request, image, form, wait):
    """Over the comment limit: the form again with the text kept, a 429 with
    Retry-After (atelier.js lets htmx swap a 429 in)."""
    form.is_valid()
    form.add_error("text", rate_limits.too_many_message(wait))
    if request.htmx:
        context = {"image": image, "form": form}
        response = render(request, "gallery/_comment_form.html", context, status=429)
    else:
        response = _render_detail(request, image, comment_form=form, status=429)
    response["Retry-After"] = str(wait)
    return response


def _earlier_comments(request, image_id):
    try:
        before = int(request.GET["before"])
    except (KeyError, ValueError):
        return redirect("gallery:detail", image_id=image_id)
    image = (
        viewable_images(request.user).select_related("owner__profile").filter(pk=image_id).first()
    )
    if image is None:
        if not request.user.is_authenticated:
            return _login_first(request, image_id)
        raise Http404("No such image.")
    if not request.htmx:
        return redirect("gallery:detail", image_id=image_id)
    shown, earlier = comment_service.page(request.user, image, before=before)
    context = {"image": image, "comments": shown, "earlier": earlier}
    return render(request, "gallery/_comments_earlier.html", context)


def _comment_url(comment) -> str:
    return f"{reverse('gallery:detail', args=[comment.image_id])}#comment-{comment.pk}"


def _visible_comment(request, comment_id):
    comment = comment_service.get_visible(request.user, comment_id)
    comment_service.with_permissions(request.user, [comment], comment.image)
    return comment


@require_GET
def comment(request, comment_id):
    """One comment as shown in the list (htmx puts it back after Cancel)."""
    comment = _visible_comment(request, comment_id)
    if not request.htmx:
        return redirect(_comment_url(comment))
    return render(request, "gallery/_comment.html", {"comment": comment})


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, comment_id):
    comment = _visible_comment(request, comment_id)
    if not comment.can_edit:
        raise PermissionDenied("Only its author can edit a comment.")
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment_service.edit(request.user, comment, form.cleaned_data["text"])
            except ValidationError as exc:  # pragma: no cover - the form checked it
                form.add_error("text", exc)
            else:
                if not request.htmx:
                    return redirect(_comment_url(comment))
                return render(request, "gallery/_comment.html", {"comment": comment})
        status = 200 if request.htmx else 400
    else:
        form = CommentForm(initial={"text": comment.text})
        status = 200
    template = "gallery/_comment_edit.html" if request.htmx else "gallery/comment_edit.html"
    return render(request, template, {"comment": comment, "form": form}, status=status)


@login_required
@require_POST
def comment_delete(request, comment_id):
    comment = _visible_comment(request, comment_id)
    comment_service.delete(request.user, comment)
    image = comment.image
    if not request.htmx:
        return redirect(f"{reverse('gallery:detail', args=[image.pk])}#comments")
    image.comment_count = comment_service.current_count(image)
    return render(request, "gallery/_comment_deleted.html", {"image": image})
