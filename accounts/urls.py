from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("me/tokens/", views.api_tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.api_token_revoke, name="token_revoke"),
    path("u/<str:username>/avatar.webp", views.avatar, name="avatar"),
]
