from django.contrib import admin

from .models import Comment, Image, Like, Subscription, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "created"]
    search_fields = ["name", "slug", "description", "owner__username"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner"]
    date_hierarchy = "created"


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "topic", "created"]
    search_fields = ["user__username", "topic__name"]
    raw_id_fields = ["user", "topic"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "__str__",
        "owner",
        "topic",
        "visibility",
        "source",
        "like_count",
        "comment_count",
        "width",
        "height",
        "created",
    ]
    list_filter = ["visibility", "source", "created"]
    search_fields = ["title", "description", "owner__username", "sha256"]
    raw_id_fields = ["owner", "topic"]
    readonly_fields = [
        "file",
        "thumbnail",
        "sha256",
        "thumbhash",
        "width",
        "height",
        "thumb_width",
        "thumb_height",
        "source_key",
        "like_count",
        "comment_count",
        "created",
    ]
    date_hierarchy = "created"
    list_select_related = ["owner", "topic"]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ["user", "image", "created"]
    search_fields = ["user__username"]
    raw_id_fields = ["user", "image"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["user", "image", "short_text", "created", "edited"]
    search_fields = ["text", "user__username"]
    raw_id_fields = ["user", "image"]
    date_hierarchy = "created"

    @admin.display(description="text")
    def short_text(self, comment):
        return comment.text[:80]
