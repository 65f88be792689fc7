from django.urls import path

from . import job_actions, model_views, queue_panel, style_views, views

app_name = "studio"

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("generate/recipe/", views.recipe_from_file, name="recipe_from_file"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/preview.webp", views.job_preview, name="job_preview"),
    path("jobs/<uuid:job_id>/again/", job_actions.generate_again, name="generate_again"),
    path(
        "jobs/<uuid:job_id>/images/<int:image_id>/visibility/",
        job_actions.image_visibility,
        name="image_visibility",
    ),
    path(
        "jobs/<uuid:job_id>/images/<int:image_id>/move/",
        job_actions.image_move,
        name="image_move",
    ),
    path(
        "jobs/<uuid:job_id>/images/<int:image_id>/more/",
        job_actions.more_like_this,
        name="more_like_this",
    ),
    path("jobs/queue/", queue_panel.queue_panel, name="queue"),
    path("models/", model_views.models_page, name="models"),
    path("models/list/", model_views.models_list, name="models_list"),
    path("models/<slug:key>/download/", model_views.model_download, name="model_download"),
    path("models/<slug:key>/cancel/", model_views.model_cancel, name="model_cancel"),
    path("models/<slug:key>/delete/", model_views.model_delete, name="model_delete"),
    path("models/<slug:key>/enable/", model_views.model_enable, name="model_enable"),
    path("models/rescan/", views.models_rescan, name="models_rescan"),
    path("styles/", style_views.styles_page, name="styles"),
    path("styles/<int:style_id>/", style_views.style_edit, name="style_edit"),
    path("styles/<int:style_id>/delete/", style_views.style_delete, name="style_delete"),
]
