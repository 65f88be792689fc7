from django.urls import path

from .views import bulk, editing, feeds, image_page, images, profiles, topics, uploads, your_data

app_name = "gallery"

urlpatterns = [
    # Feeds and search.
    path("explore/", feeds.explore, name="explore"),
    path("feed/", feeds.feed_page, name="feed_page"),
    path("me/images/", feeds.mine, name="mine"),
    path("me/images/bulk/", bulk.bulk, name="bulk"),
    # Your data: take it with you, or leave.
    path("me/export/", your_data.export, name="export"),
    path("me/delete/", your_data.delete_account, name="delete_account"),
    # One image: its page, files, likes, comments, edit and delete.
    path("images/<int:image_id>/", image_page.detail, name="detail"),
    path("images/<int:image_id>/panel/", image_page.panel, name="panel"),
    path("images/<int:image_id>/file", images.original, name="file"),
    path("images/<int:image_id>/download", images.download, name="download"),
    path("images/<int:image_id>/thumb.webp", images.thumbnail, name="thumbnail"),
    path("images/<int:image_id>/like/", image_page.like, name="like"),
    path("images/<int:image_id>/unlike/", image_page.unlike, name="unlike"),
    path("images/<int:image_id>/comments/", image_page.comments, name="comments"),
    path("images/<int:image_id>/edit/", editing.edit, name="edit"),
    path("images/<int:image_id>/delete/", images.delete, name="delete"),
    path("comments/<int:comment_id>/", image_page.comment, name="comment"),
    path("comments/<int:comment_id>/edit/", image_page.comment_edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete/", image_page.comment_delete, name="comment_delete"),
    path("upload/", uploads.upload, name="upload"),
    # Topics and subscriptions.
    path("topics/", topics.topic_list, name="topics"),
    path("topics/new/", topics.topic_new, name="topic_new"),
    path("topics/<str:slug>/", topics.topic_detail, name="topic"),
    path("topics/<str:slug>/edit/", topics.topic_edit, name="topic_edit"),
    path("topics/<str:slug>/delete/", topics.topic_delete, name="topic_delete"),
    path("topics/<str:slug>/subscribe/", topics.topic_subscribe, name="topic_subscribe"),
    path("topics/<str:slug>/unsubscribe/", topics.topic_unsubscribe, name="topic_unsubscribe"),
    path("topics/<str:slug>/cover.webp", topics.topic_cover, name="topic_cover"),
    # People.
    path("u/<str:username>/", profiles.profile, name="profile"),
    path("u/<str:username>/follow/", profiles.profile_follow, name="profile_follow"),
    path("u/<str:username>/unfollow/", profiles.profile_unfollow, name="profile_unfollow"),
]
