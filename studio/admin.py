from django import forms
from django.contrib import admin, messages

from .checkpoints import VAE, file_names
from .jobs import cancel_job
from .model_checks import check_preset, start_download
from .models import GenerationJob, ModelPreset


class ModelPresetForm(forms.ModelForm):
    """The preset, with its VAE picked from the models folder's VAE/ (kept in
    ``options["vae"]``; empty: the model's own)."""

    vae = forms.ChoiceField(
        label="VAE",
        required=False,
        help_text="A file from the models folder's VAE/ folder, used instead of the model's "
        "own VAE (local engine only).",
    )

    class Meta:
        model = ModelPreset
        fields = [
            "key",
            "label",
            "backend",
            "model_id",
            "options",
            "width",
            "height",
            "min_size",
            "max_size",
            "steps",
            "cfg_scale",
            "sampler",
            "negative_prompt",
            "enabled",
            "position",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = (self.instance.options or {}).get("vae", "")
        names = file_names(VAE)
        if current and current not in names:
            names.append(current)  # shown, so that saving the form does not drop it
        self.fields["vae"].choices = [("", "The model's own")] + [(n, n) for n in names]
        self.fields["vae"].initial = current

    def clean(self):
        data = super().clean()
        options = dict(data.get("options") or {})
        if data.get("vae"):
            options["vae"] = data["vae"]
        else:
            options.pop("vae", None)
        data["options"] = options
        return data


@admin.register(ModelPreset)
class ModelPresetAdmin(admin.ModelAdmin):
    form = ModelPresetForm
    list_display = [
        "key",
        "label",
        "backend",
        "model_id",
        "width",
        "height",
        "steps",
        "cfg_scale",
        "sampler",
        "enabled",
        "position",
    ]
    list_editable = ["enabled", "position"]
    list_filter = ["backend", "enabled"]
    search_fields = ["key", "label", "model_id"]
    actions = ["test_connection", "download_now"]

    @admin.action(description="Test connection")
    def test_connection(self, request, queryset):
        """Ask each preset's engine whether its model can be used (downloads nothing)."""
        for preset in queryset:
            outcome = check_preset(preset)
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            self.message_user(request, f"{preset.key}: {outcome.message}", level)

    @admin.action(description="Download the model now")
    def download_now(self, request, queryset):
        """Fetch each preset's hub model into the Hugging Face cache, in the background."""
        for preset in queryset:
            outcome = start_download(preset)
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            self.message_user(request, f"{preset.key}: {outcome.message}", level)


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "model", "status", "percent", "attempts", "created", "finished"]
    list_filter = ["status", "model", "created"]
    search_fields = ["id", "owner__username", "error"]
    raw_id_fields = ["owner"]
    filter_horizontal = []
    readonly_fields = [
        "id",
        "created",
        "started",
        "finished",
        "heartbeat",
        "compute_seconds",
        "images",
    ]
    date_hierarchy = "created"
    actions = ["cancel"]

    @admin.action(description="Cancel the selected jobs")
    def cancel(self, request, queryset):
        for job in queryset:
            cancel_job(job)
        messages.success(request, f"Asked {queryset.count()} jobs to stop.")
