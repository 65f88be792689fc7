"""Topics and subscriptions over the API. The rules are gallery.topics'; the
input is checked by the pages' own form (gallery.forms.TopicForm)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import topics
from gallery.forms import TopicForm
from gallery.models import Topic

from ..errors import ErrorSerializer, form_errors
from ..serializers.topics import (
    TopicCreateFormSerializer,
    TopicCreateSerializer,
    TopicSerializer,
    TopicUpdateFormSerializer,
    TopicUpdateSerializer,
)

TEXT_FIELDS = ("name", "description", "slug")
BAD_REQUEST = OpenApiResponse(description="Bad input: `{field: [message…]}` or `{detail}`.")
REFUSED = OpenApiResponse(
    ErrorSerializer, description="The topic is visible but not yours (nor are you staff)."
)


class TopicPagination(CursorPagination):
    ordering = "-id"  # newest first; the id is unique, so the cursor is a keyset
    page_size = 24


def text_input(request, fields) -> dict:
    """The given text fields of the body, as strings; a 400 for anything else."""
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": ["Send an object (JSON or form fields)."]})
    given = {}
    errors = {}
    for field in fields:
        if field not in data:
            continue
        value = data.get(field)
        if isinstance(value, str):
            given[field] = value
        elif value is None:
            given[field] = ""
        else:
            errors[field] = ["Must be a string."]
    if errors:
        raise ValidationError(errors)
    return given


def cover_file(request):
    """The uploaded ``cover``: a form's ``cover`` that is not a file is a 400
    (in JSON, which carries no files, a ``cover`` is an unknown key, ignored)."""
    form = request.content_type.startswith("multipart/form-data")
    if form and "cover" in request.data and "cover" not in request.FILES:
        raise ValidationError({"cover": ["Send the cover as a file (multipart/form-data)."]})
    return request.FILES


def _with_owners(request):
    """Topics as the API shows them: counts, ``subscribed`` and the owner."""
    return topics.topics_for(request.user).select_related("owner")


def _annotated(request, topic: Topic) -> Topic:
    return _with_owners(request).get(pk=topic.pk)


class TopicList(generics.ListAPIView):
    """Topics, newest first (cursor pages), and creating one."""

    serializer_class = TopicSerializer
    pagination_class = TopicPagination
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        queryset = _with_owners(self.request)
        owner = self.request.query_params.get("owner")
        if owner:
            queryset = queryset.filter(owner__username=owner)
        return queryset

    @extend_schema(
        summary="List topics",
        parameters=[
            OpenApiParameter("owner", OpenApiTypes.STR, description="Only this user's topics.")
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a topic",
        request={
            "application/json": TopicCreateSerializer,
            "multipart/form-data": TopicCreateFormSerializer,
        },
        responses={201: TopicSerializer, 400: BAD_REQUEST},
    )
    def post(self, request, *args, **kwargs):
        form = TopicForm(text_input(request, TEXT_FIELDS), cover_file(request))
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
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
            raise ValidationError({error.field: [error.message]}) from error
        body = TopicSerializer(_annotated(request, topic), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TopicDetail(APIView):
    """One topic; its owner (or staff) edits or deletes it."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    def _topic(self, request, slug) -> Topic:
        topic = _with_owners(request).filter(slug=slug).first()
        if topic is None:
            raise NotFound("No such topic.")
        return topic

    def _changeable(self, request, slug) -> Topic:
        topic = self._topic(request, slug)
        if not topics.can_change_topic(request.user, topic):
            raise PermissionDenied("Only the topic's owner (or staff) may change it.")
        return topic

    @extend_schema(summary="A topic", responses={200: TopicSerializer})
    def get(self, request, slug):
        topic = self._topic(request, slug)
        return Response(TopicSerializer(topic, context={"request": request}).data)

    @extend_schema(
        summary="Edit a topic",
        request={
            "application/json": TopicUpdateSerializer,
            "multipart/form-data": TopicUpdateFormSerializer,
        },
        responses={200: TopicSerializer, 400: BAD_REQUEST, 403: REFUSED},
    )
    def patch(self, request, slug):
        topic = self._changeable(request, slug)
        given = text_input(request, TEXT_FIELDS)
        if given.pop("slug", topic.slug) != topic.slug:
            raise ValidationError({"slug": ["A topic's slug never changes."]})
        data = {"name": topic.name, "description": topic.description, **given}
        if "remove_cover" in request.data:
            data["remove_cover"] = request.data.get("remove_cover")
        form = TopicForm(data, cover_file(request), topic=topic)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        cleaned = form.cleaned_data
        topics.update_topic(
            topic,
            name=cleaned["name"],
            description=cleaned["description"],
            cover=cleaned["cover"],
            remove_cover=cleaned.get("remove_cover", False),
        )
        body = TopicSerializer(_annotated(request, topic), context={"request": request}).data
        return Response(body)

    @extend_schema(
        summary="Delete a topic (its images stay)",
        responses={204: None, 403: REFUSED},
    )
    def delete(self, request, slug):
        topics.delete_topic(self._changeable(request, slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TopicSubscription(APIView):
    """Subscribing to a topic (POST) and unsubscribing (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Subscribe to a topic",
        request=None,
        responses={
            201: TopicSerializer,
            400: OpenApiResponse(description="Already subscribed: `{detail}`."),
        },
    )
    def post(self, request, slug):
        topic = get_object_or_404(Topic, slug=slug)
        try:
            topics.subscribe(request.user, topic)
        except topics.AlreadySubscribed as error:
            raise ValidationError({"detail": str(error)}) from error
        body = TopicSerializer(_annotated(request, topic), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unsubscribe from a topic",
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(description="Not subscribed: `{detail}`."),
        },
    )
    def delete(self, request, slug):
        topic = get_object_or_404(Topic, slug=slug)
        try:
            topics.unsubscribe(request.user, topic)
        except topics.NotSubscribed as error:
            raise ValidationError({"detail": str(error)}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)
