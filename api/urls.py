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

# --- likes and comments (owner: image-page) ---
# --- end likes and comments ---

# --- topics, subscriptions, profiles (owner: topics) ---
# --- end topics ---

# --- image list with feeds and search (owner: feeds) ---
# --- end image list ---

# --- image detail, edit, delete, upload (owner: uploads) ---
# --- end image detail ---
