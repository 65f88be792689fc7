from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/preview.webp", views.job_preview, name="job_preview"),
]
