"""The compatible facades' routes: included at ``sdapi/v1/`` (A1111) and ``v1/`` (OpenAI)."""

from django.urls import include, path

from . import a1111, openai, openai_edits
from .waiting import waiting_view

a1111_urlpatterns = [
    path("txt2img", waiting_view(a1111.Txt2Img), name="a1111-txt2img"),
    path("img2img", waiting_view(a1111.Img2Img), name="a1111-img2img"),
    path("png-info", a1111.PngInfo.as_view(), name="a1111-png-info"),
    path("progress", a1111.Progress.as_view(), name="a1111-progress"),
    path("interrupt", a1111.Interrupt.as_view(), name="a1111-interrupt"),
    path("sd-models", a1111.SdModels.as_view(), name="a1111-sd-models"),
    path("samplers", a1111.Samplers.as_view(), name="a1111-samplers"),
    path("prompt-styles", a1111.PromptStyles.as_view(), name="a1111-prompt-styles"),
    # A1111 1.10 lists styles at prompt-styles only; some clients and scripts
    # ask for styles, which answers the same (docs/decisions.md).
    path("styles", a1111.PromptStyles.as_view(), name="a1111-styles"),
    path("options", a1111.Options.as_view(), name="a1111-options"),
    path("scripts", a1111.Scripts.as_view(), name="a1111-scripts"),
    path("upscalers", a1111.Upscalers.as_view(), name="a1111-upscalers"),
    path(
        "latent-upscale-modes",
        a1111.LatentUpscaleModes.as_view(),
        name="a1111-latent-upscale-modes",
    ),
    path("loras", a1111.Loras.as_view(), name="a1111-loras"),
]

openai_urlpatterns = [
    path("images/generations", waiting_view(openai.ImageGenerations), name="openai-generations"),
    path("images/edits", waiting_view(openai_edits.ImageEdits), name="openai-edits"),
    path(
        "images/variations",
        waiting_view(openai_edits.ImageVariations),
        name="openai-variations",
    ),
    path("models", openai.Models.as_view(), name="openai-models"),
]

urlpatterns = [
    path("sdapi/v1/", include(a1111_urlpatterns)),
    path("v1/", include(openai_urlpatterns)),
]
