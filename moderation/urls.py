from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("moderation/", views.queue_page, name="queue"),
    path("moderation/<str:kind>/<str:target_id>/act/", views.act, name="act"),
    # Named as the public URLs name it: a topic by slug, a person by username.
    path("report/<str:kind>/<str:target_id>/", views.report, name="report"),
    # The same, with the kind fixed: a page of comments reverses it once
    # (gallery.quick_urls), not once a comment.
    path(
        "report/comment/<str:target_id>/", views.report, {"kind": "comment"}, name="report_comment"
    ),
]
