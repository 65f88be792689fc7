from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from studio.presets import default_preset_key, enabled_presets

from ..serializers.models import ModelPresetSerializer


@extend_schema(responses=ModelPresetSerializer(many=True), summary="Models a generation may use")
@api_view(["GET"])
@permission_classes([AllowAny])
def model_list(request):
    """The enabled presets whose engine is configured here, default first."""
    default = default_preset_key()
    presets = sorted(enabled_presets(), key=lambda p: p.key != default)
    return Response(
        [
            {
                "key": p.key,
                "label": p.label,
                "backend": p.backend,
                "default": p.key == default,
                "min_size": p.min_size,
                "max_size": p.max_size,
                **p.defaults(),
            }
            for p in presets
        ]
    )
