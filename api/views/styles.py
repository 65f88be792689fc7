"""Styles over the API: the built-in ones and each person's own. Validation is
studio.forms.StyleForm's, as on the Styles page."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from studio.forms import StyleForm
from studio.models import Style
from studio.styles import BUILT_IN

from ..errors import form_errors
from ..serializers.styles import StyleSerializer


def _style_json(style) -> dict:
    built_in = not isinstance(style, Style)
    return {
        "id": None if built_in else style.pk,
        "name": style.name,
        "prompt": style.prompt,
        "negative_prompt": style.negative_prompt,
        "built_in": built_in,
    }


@extend_schema(
    methods=["GET"],
    responses=StyleSerializer(many=True),
    summary="The styles you may apply: built in, then your own",
    tags=["styles"],
)
@extend_schema(
    methods=["POST"],
    request=StyleSerializer,
    responses={201: StyleSerializer, 400: OpenApiResponse(description="Field errors.")},
    summary="Save a style of your own",
    tags=["styles"],
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def style_list(request):
    if request.method == "POST":
        data = request.data if hasattr(request.data, "get") else {}
        form = StyleForm(data, owner=request.user)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        return Response(_style_json(form.save()), status=status.HTTP_201_CREATED)
    styles = [*BUILT_IN, *request.user.styles.all()]
    return Response([_style_json(style) for style in styles])


@extend_schema(
    methods=["PATCH"],
    request=StyleSerializer(partial=True),
    responses={200: StyleSerializer, 400: OpenApiResponse(description="Field errors.")},
    summary="Change a style of yours",
    tags=["styles"],
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={204: None, 404: OpenApiResponse(description="No such style of yours.")},
    summary="Delete a style of yours",
    description="Images made with it keep their recipe (its name and the expanded prompt).",
    tags=["styles"],
)
@api_view(["PATCH", "DELETE"])
@permission_classes([IsAuthenticated])
def style_detail(request, style_id):
    style = get_object_or_404(Style, pk=style_id, owner=request.user)
    if request.method == "DELETE":
        style.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
    data = request.data if hasattr(request.data, "get") else {}
    current = {"name": style.name, "prompt": style.prompt, "negative_prompt": style.negative_prompt}
    form = StyleForm({**current, **data}, instance=style, owner=request.user)
    if not form.is_valid():
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
    return Response(_style_json(form.save()))
