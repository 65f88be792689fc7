from django.urls import path

from .views import (
    bulk,
    follows,
    generations,
    images_detail,
    images_list,
    models,
    moderation,
    notifications,
    profiles,
    social,
    styles,
    tokens,
    topics,
    your_data,
)

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", tokens.TokenView.as_view(), name="token"),
    # Generations.
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
    path("v1/models/", models.model_list, name="model-list"),
    path("v1/styles/", styles.style_list, name="style-list"),
    path("v1/styles/<int:style_id>/", styles.style_detail, name="style-detail"),
    # Images: GET lists a feed, POST uploads; then one image, its likes and comments.
    path("v1/images/", images_list.image_list, name="image-list"),
    path("v1/images/bulk/", bulk.image_bulk, name="image-bulk"),
    path("v1/images/<int:image_id>/", images_detail.image_detail, name="image-detail"),
    path("v1/images/<int:image_id>/like/", social.image_like, name="image-like"),
    path("v1/images/<int:image_id>/comments/", social.image_comments, name="image-comments"),
    path("v1/comments/<int:comment_id>/", social.comment_detail, name="comment-detail"),
    # Topics and subscriptions.
    path("v1/topics/", topics.TopicList.as_view(), name="topic-list"),
    path("v1/topics/<str:slug>/", topics.TopicDetail.as_view(), name="topic-detail"),
    path(
        "v1/topics/<str:slug>/subscribe/",
        topics.TopicSubscription.as_view(),
        name="topic-subscribe",
    ),
    # Profiles.
    path("v1/profiles/me/", profiles.MyProfile.as_view(), name="profile-me"),
    path("v1/profiles/me/export/", your_data.export, name="profile-me-export"),
    path("v1/profiles/me/delete/", your_data.leave, name="profile-me-delete"),
    path("v1/profiles/<str:username>/", profiles.ProfileDetail.as_view(), name="profile"),
    path("v1/profiles/<str:username>/follow/", follows.profile_follow, name="profile-follow"),
    # Notifications.
    path("v1/reports/", moderation.report_create, name="report-create"),
    path("v1/moderation/reports/", moderation.report_queue, name="moderation-queue"),
    path(
        "v1/moderation/<str:kind>/<str:target_id>/", moderation.moderate, name="moderation-action"
    ),
    path("v1/notifications/", notifications.notification_list, name="notification-list"),
    path("v1/notifications/unread/", notifications.unread_count, name="notification-unread"),
    path("v1/notifications/read/", notifications.mark_read, name="notification-read"),
    path(
        "v1/notifications/<int:notification_id>/read/",
        notifications.mark_one_read,
        name="notification-read-one",
    ),
]
