from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/badge/", views.unread_badge, name="badge"),
    path("notifications/read/", views.mark_all_read, name="read_all"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path("notifications/<int:notification_id>/read/", views.mark_read, name="read"),
]
