from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/generations/", views.generation_create, name="generation-list"),
    path("v1/generations/<uuid:job_id>/", views.generation_detail, name="generation-detail"),
    path("v1/generations/<uuid:job_id>/cancel/", views.generation_cancel, name="generation-cancel"),
]
