from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("me/images/", views.mine, name="mine"),
    path("images/<int:image_id>/", views.detail, name="detail"),
    path("images/<int:image_id>/file", views.original, name="file"),
    path("images/<int:image_id>/download", views.download, name="download"),
    path("images/<int:image_id>/thumb.webp", views.thumbnail, name="thumbnail"),
    path("images/<int:image_id>/delete/", views.delete, name="delete"),
]
