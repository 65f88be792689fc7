from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("u/<str:username>/avatar.webp", views.avatar, name="avatar"),
]
