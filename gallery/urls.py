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
