from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gallery.views.feeds import home

from .health import healthz, readyz
from .metrics import metrics
from .rate_limits import allauth_429

# django-allauth answers its rate limits (ACCOUNT_RATE_LIMITS) with this.
handler429 = allauth_429
# JSON under /api/, the 404 page elsewhere.
handler404 = "api.errors.not_found"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("gallery.urls")),
    path("", include("moderation.urls")),
    path("", include("studio.urls")),
    path("api/", include("api.urls")),
    path("", include("api.facades.urls")),  # sdapi/v1/ (A1111) and v1/ (OpenAI)
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # Swagger UI inside the site's page (navbar, theme): api/templates/api/docs.html.
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"),
        name="api-docs",
    ),
]
