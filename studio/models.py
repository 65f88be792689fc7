import uuid

from django.conf import settings
from django.db import models

from . import limits


class ModelPreset(models.Model):
    """A model a person can pick on the Generate page, with its defaults and bounds."""

    key = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    backend = models.CharField(max_length=20, default="diffusers")
    # A hub id, a diffusers folder or a single-file checkpoint; "@tiny" is the
    # locally built test model (settings.ATELIER_TINY_MODEL_PATH).
    model_id = models.CharField(max_length=300)
    options = models.JSONField(default=dict, blank=True)
    width = models.PositiveIntegerField(default=1024)
    height = models.PositiveIntegerField(default=1024)
    min_size = models.PositiveIntegerField(default=256)
    max_size = models.PositiveIntegerField(default=2048)
    steps = models.PositiveIntegerField(default=30)
    cfg_scale = models.FloatField(default=7.5)
    sampler = models.CharField(max_length=40, default="Euler a")
    negative_prompt = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self):
        return self.label

    def defaults(self):
        return {
            "width": self.width,
            "height": self.height,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "sampler": self.sampler,
            "negative_prompt": self.negative_prompt,
        }


class GenerationJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs"
    )
    model = models.CharField(max_length=40)
    request = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=300, blank=True)  # what the engine says it is doing
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)
    preview = models.FileField(max_length=255, blank=True)
    error = models.TextField(blank=True)  # for the person who generates
    error_details = models.TextField(blank=True)  # for the admin: settings, commands, paths
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    enqueued = models.DateTimeField(null=True, blank=True)  # last time its id went to the broker
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True)
    # Where its id was last sent ("gpu", "gpu.<model key>", "remote": studio/routing.py)
    # and the worker that ran it last (Celery's node name), for the fleet's operators.
    queue = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    images = models.ManyToManyField("gallery.Image", blank=True, related_name="generation_jobs")

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["owner", "status"], name="job_owner_status")]

    def __str__(self):
        return f"{self.model}: {self.request.get('prompt', '')[:50]}"

    @property
    def is_finished(self):
        return self.status in self.FINISHED

    @property
    def percent(self):
        return round(self.progress * 100)


class Worker(models.Model):
    """A job worker's last sign of life and what it offers (studio/workers.py,
    studio/capabilities.py). Rows live in the database that web and workers
    share, so any web server sees every worker of every machine."""

    name = models.CharField(max_length=255, unique=True)  # Celery's node name
    # comma-separated: "gpu", "remote", and "gpu.<model key>" for each model it has
    queues = models.TextField()
    beat = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, blank=True)  # "gpu", "remote", "gpu+remote"
    hostname = models.CharField(max_length=255, blank=True)
    gpu = models.CharField(max_length=255, blank=True)  # "NVIDIA H100 80GB HBM3", or "CPU"
    memory_total = models.BigIntegerField(null=True, blank=True)  # bytes: GPU's, or RAM on CPU
    memory_free = models.BigIntegerField(null=True, blank=True)
    model_keys = models.JSONField(default=list, blank=True)  # the local models it has

    def __str__(self):
        return f"{self.name} ({self.queues})"


class GeneratePreference(models.Model):
    """What a person last generated with, so the Generate form starts from it
    (studio/form_memory.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generate_preference"
    )
    values = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.values.get('model', '')}"


class Style(models.Model):
    """A person's own style: a named prompt template (studio/styles.py)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="styles"
    )
    name = models.CharField(max_length=60)
    prompt = models.TextField(blank=True, max_length=limits.PROMPT_MAX)
    negative_prompt = models.TextField(blank=True, max_length=limits.NEGATIVE_PROMPT_MAX)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="style_owner_name_unique")
        ]

    def __str__(self):
        return self.name

    def template(self):
        from .styles import StyleTemplate

        return StyleTemplate(self.name, self.prompt, self.negative_prompt)
