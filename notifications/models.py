from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """What happened to a person's work, batched: one unread row per
    (recipient, kind, image or topic) gathers every actor until it is read
    ("alice and 12 others liked …"). The image and topic are referenced by
    name, not imported: this app sits below gallery (docs/decisions.md)."""

    class Kind(models.TextChoices):
        LIKE = "like", "Likes on my images"
        COMMENT = "comment", "Comments on my images"
        REMIX = "remix", "Remixes of my images"
        FOLLOW = "follow", "New followers"
        SUBSCRIBE = "subscribe", "Subscriptions to my topics"
        JOB_SUCCEEDED = "job_succeeded", "Generations that finished"
        JOB_FAILED = "job_failed", "Generations that failed"
        REPORT = "report", "New reports to moderate (staff)"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The latest person who acted, and how many acted in this batch.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_count = models.PositiveIntegerField(default=1)
    # Emptied when the image or topic is deleted: the list then says so.
    image = models.ForeignKey(
        "gallery.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.ForeignKey(
        "gallery.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_id = models.UUIDField(null=True, blank=True)
    # What the target was called when this happened, and a job's error.
    text = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [
            # The list, newest first.
            models.Index(fields=["recipient", "-updated", "-id"], name="notification_recent"),
            # The navbar's unread count and the batch lookup, from a small partial index.
            models.Index(
                fields=["recipient", "kind"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MutedKind(models.Model):
    """A kind of notification a person turned off in Settings."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_notifications"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_muted_kind")]

    def __str__(self):
        return f"{self.user_id} mutes {self.kind}"
