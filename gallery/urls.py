from django.urls import path

from .views import images

app_name = "gallery"

urlpatterns = [
    path("me/images/", images.mine, name="mine"),
    path("images/<int:image_id>/", images.detail, name="detail"),
    path("images/<int:image_id>/file", images.original, name="file"),
    path("images/<int:image_id>/download", images.download, name="download"),
    path("images/<int:image_id>/thumb.webp", images.thumbnail, name="thumbnail"),
    path("images/<int:image_id>/delete/", images.delete, name="delete"),
]

# --- image page: likes and comments (owner: image-page) ---
# --- end image page ---

# --- topics, subscriptions, profiles (owner: topics) ---
# --- end topics ---

# --- feeds and search (owner: feeds) ---
# --- end feeds ---

# --- edit and upload (owner: uploads) ---
# --- end edit and upload ---
