from django.urls import path

from .views import generations

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", generations.TokenView.as_view(), name="token"),
    path("v1/generations/", generations.generation_create, name="generation-list"),
    path(
        "v1/generations/<uuid:job_id>/",
        generations.generation_detail,
        name="generation-detail",
    ),
    path(
        "v1/generations/<uuid:job_id>/cancel/",
        generations.generation_cancel,
        name="generation-cancel",
    ),
]
