"""Topic pages: list, create, show, edit, delete, subscribe, cover file."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atelier.stored_files import file_response

from .. import topics
from ..forms import TopicForm
from ..models import Topic
from ..permissions import listed_images

PAGE_SIZE = 24
FALLBACK_IMAGES = 48


def _topic(request, slug) -> Topic:
    shown = topics.topics_for(request.user).select_related("owner__profile")
    topic = shown.filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


def _changeable(request, slug) -> Topic:
    """The topic if this person may change it; a 404 for everyone else."""
    topic = get_object_or_404(Topic.objects.select_related("owner"), slug=slug)
    if not topics.can_change_topic(request.user, topic):
        raise Http404("No such topic.")
    return topic


def _apply_error(form, error: topics.TopicError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@require_GET
def topic_list(request):
    page = topics.topics_for_cards(request.user).order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit():
        page = page.filter(id__lt=int(before))
    page = list(page[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    context = {"topics": page, "more_before": page[-1].pk if more else None}
    if request.htmx:
        return render(request, "gallery/topics/_cards.html", context)
    return render(request, "gallery/topics/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request):
    form = TopicForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = topics.create_topic(
                request.user,
                name=data["name"],
                description=data["description"],
                slug=data["slug"],
                cover=data["cover"],
            )
        except topics.TopicError as error:
            _apply_error(form, error)
        else:
            messages.success(request, "Your topic was created.")
            return redirect("gallery:topic", topic.slug)
    return render(request, "gallery/topics/form.html", {"form": form, "topic": None})


@require_GET
def topic_detail(request, slug):
    topic = _topic(request, slug)
    context = {
        "topic": topic,
        "subscribed": topic.subscribed,
        "can_change": topics.can_change_topic(request.user, topic),
        # The selection bar, for someone with images of their own shown here.
        "has_own_images": request.user.is_authenticated
        and listed_images().filter(topic=topic, owner=request.user).exists(),
        # Only read if the feeds' partial view is missing (see the template).
        "images": listed_images().filter(topic=topic)[:FALLBACK_IMAGES],
    }
    return render(request, "gallery/topics/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, slug):
    topic = _changeable(request, slug)
    form = TopicForm(
        request.POST or None,
        request.FILES or None,
        topic=topic,
        initial={"name": topic.name, "description": topic.description},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topics.update_topic(
                topic,
                name=data["name"],
                description=data["description"],
                cover=data["cover"],
                remove_cover=data.get("remove_cover", False),
            )
        except topics.TopicError as error:
            _apply_error(form, error)
        else:
            messages.success(request, "The topic was saved.")
            return redirect("gallery:topic", topic.slug)
    return render(request, "gallery/topics/form.html", {"form": form, "topic": topic})


@login_required
@require_http_methods(["GET", "POST"])
def topic_delete(request, slug):
    topic = _changeable(request, slug)
    if request.method == "POST":
        topics.delete_topic(topic)
        messages.success(request, f"The topic “{topic.name}” was deleted; its images were kept.")
        return redirect("gallery:topics")
    image_count = listed_images().filter(topic=topic).count()
    return render(
        request, "gallery/topics/delete.html", {"topic": topic, "image_count": image_count}
    )


@require_http_methods(["POST", "DELETE"])
def topic_subscribe(request, slug):
    """POST subscribes, DELETE unsubscribes. Doing it twice changes nothing:
    the page simply shows where things stand."""
    topic = get_object_or_404(Topic, slug=slug)
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    try:
        if request.method == "DELETE":
            topics.unsubscribe(request.user, topic)
        else:
            topics.subscribe(request.user, topic)
    except (topics.AlreadySubscribed, topics.NotSubscribed):
        pass
    return _after_subscription(request, topic)


@require_POST
def topic_unsubscribe(request, slug):
    """The same as DELETE on topic_subscribe, for forms without htmx."""
    topic = get_object_or_404(Topic, slug=slug)
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    try:
        topics.unsubscribe(request.user, topic)
    except topics.NotSubscribed:
        pass
    return _after_subscription(request, topic)


def _login_first(request, topic):
    topic_url = reverse("gallery:topic", args=[topic.slug])
    if request.htmx:
        login = redirect_to_login(topic_url)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login.url
        return response
    return redirect_to_login(topic_url)


def _after_subscription(request, topic):
    if request.htmx:
        topic.subscriber_count = topics.subscriber_count(topic)
        return render(
            request,
            "gallery/_subscribe_button.html",
            {"topic": topic, "subscribed": topics.is_subscribed(request.user, topic)},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("gallery:topic", args=[topic.slug])
    return redirect(target)


@require_GET
def topic_cover(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    if not topic.cover:
        raise Http404("No cover.")
    return file_response(topic.cover.name, "image/webp", private=False)
