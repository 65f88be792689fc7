from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from studio.model_status import statuses
from studio.models import ModelPreset
from studio.presets import default_preset_key, enabled_presets

from ..serializers.models import ModelPresetSerializer


@extend_schema(
    responses=ModelPresetSerializer(many=True),
    summary="Models a generation may use, and where each stands here",
)
@api_view(["GET"])
@permission_classes([AllowAny])
def model_list(request):
    """The enabled presets whose engine is configured here, default first; for
    each, whether it is installed, downloading (with progress) or not, its sizes
    and when it was last used. Staff also get the disabled ones."""
    default = default_preset_key()
    staff = request.user.is_authenticated and request.user.is_staff
    presets = ModelPreset.objects.all() if staff else enabled_presets()
    found = sorted(statuses(presets), key=lambda s: s.key != default)
    return Response(
        ModelPresetSerializer(
            [
                {
                    "key": s.key,
                    "label": s.label,
                    "backend": s.preset.backend,
                    "default": s.key == default,
                    "enabled": s.preset.enabled,
                    "status": s.state,
                    "usable": s.usable and s.preset.enabled,
                    "note": s.note,
                    "size_on_disk": s.size_on_disk,
                    "download_size": s.download_size,
                    "downloaded": s.done,
                    "download_total": s.total,
                    "download_speed": s.speed,
                    "download_eta": s.eta,
                    "error": s.error,
                    "last_used": s.last_used,
                    "min_size": s.preset.min_size,
                    "max_size": s.preset.max_size,
                    **s.preset.defaults(),
                }
                for s in found
            ],
            many=True,
        ).data
    )
