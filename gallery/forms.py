"""The gallery's forms: an image's (edit page, upload page), a topic's and a
comment's. The API validates with the same forms, so a rule is written once."""

from django import forms
from django.core.exceptions import ValidationError

from atelier.image_uploads import ImageFileField
from atelier.text import TextField, validate_storable

from . import comments, topics
from .editing import DESCRIPTION_MAX, TITLE_MAX, postable_topics
from .models import Image
from .uploads import MAX_FILES_PER_UPLOAD


class TopicChoiceField(forms.ModelChoiceField):
    """A topic chosen by its slug."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", "No topic")
        super().__init__(queryset=postable_topics(), to_field_name="slug", **kwargs)
        self.error_messages["invalid_choice"] = "There is no topic “%(value)s”."

    def to_python(self, value):
        if isinstance(value, str):
            validate_storable(value)
        elif value is not None:
            raise ValidationError("Give the topic's slug as text.")
        return super().to_python(value)


def strict_bool(form, name: str) -> bool:
    """A checkbox's value, refusing what is neither a checkbox's nor a JSON
    boolean (the API sends its fields through the same forms)."""
    value = form.data.get(name)
    if value is not None and not isinstance(value, bool | str):
        raise ValidationError("Give true or false.")
    if isinstance(value, str) and value.lower() not in ("", "on", "true", "false", "1", "0"):
        raise ValidationError("Give true or false.")
    return form.cleaned_data[name]


NSFW_HELP = (
    "Not safe for work: shown blurred to visitors and to people who blur such images, "
    "and left out of the feeds of those who hide them."
)


class ImageFieldsForm(forms.Form):
    """What describes an image: title, description, topic, visibility, NSFW."""

    title = TextField(
        max_length=TITLE_MAX,
        required=False,
        help_text="Optional.",
    )
    description = TextField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-counter-target": "description-counter"}),
    )
    topic = TopicChoiceField()
    visibility = forms.ChoiceField(
        choices=Image.Visibility.choices,
        required=False,
        initial=Image.Visibility.PRIVATE,
        help_text="Public images appear in the feeds; unlisted ones only to those "
        "with the link; private ones only to you.",
    )
    nsfw = forms.BooleanField(required=False, label="NSFW", help_text=NSFW_HELP)

    def clean_visibility(self):
        return self.cleaned_data.get("visibility") or Image.Visibility.PRIVATE

    def clean_nsfw(self):
        return strict_bool(self, "nsfw")

    def image_fields(self) -> dict:
        data = self.cleaned_data
        fields = ("title", "description", "topic", "visibility", "nsfw")
        return {field: data[field] for field in fields}


class ImageEditForm(ImageFieldsForm):
    share_without_recipe = forms.BooleanField(
        required=False,
        label="Share without the recipe",
        help_text="Others get the file without its prompt and settings, and do not see "
        "the recipe; you keep it.",
    )

    def __init__(self, *args, image: Image | None = None, **kwargs):
        if image is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": image.title,
                    "description": image.description,
                    "topic": image.topic.slug if image.topic_id else None,
                    "visibility": image.visibility,
                    "share_without_recipe": image.share_without_recipe,
                    "nsfw": image.nsfw,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["visibility"].required = True

    def clean_share_without_recipe(self):
        return strict_bool(self, "share_without_recipe")

    def image_fields(self) -> dict:
        return {
            **super().image_fields(),
            "share_without_recipe": self.cleaned_data["share_without_recipe"],
        }

    @classmethod
    def for_patch(cls, image: Image, changes) -> "ImageEditForm":
        """A form of the image's current values overlaid with the fields sent
        (a partial update, as the API's PATCH)."""
        data = {
            "title": image.title,
            "description": image.description,
            "topic": image.topic.slug if image.topic_id else "",
            "visibility": image.visibility,
            "share_without_recipe": image.share_without_recipe,
            "nsfw": image.nsfw,
        }
        for field in data:
            if field in changes:
                data[field] = changes[field]
        return cls(data, image=image)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class UploadFilesField(forms.Field):
    """Several files; each is checked later on its own, so one bad file does
    not refuse the others."""

    widget = MultipleFileInput

    def __init__(self, *, max_files=MAX_FILES_PER_UPLOAD, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("error_messages", {"required": "Choose at least one image to upload."})
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        files = list(value) if isinstance(value, list | tuple) else [value]
        return [file for file in files if file]

    def validate(self, value):
        super().validate(value)
        if len(value) > self.max_files:
            raise ValidationError(
                f"Upload at most {self.max_files} images at once (you chose {len(value)})."
            )


class UploadForm(ImageFieldsForm):
    file = UploadFilesField(
        label="Images",
        widget=MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )

    field_order = ["file", "title", "description", "topic", "visibility"]

    def __init__(self, *args, max_files=MAX_FILES_PER_UPLOAD, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].max_files = max_files
        self.fields["title"].help_text = (
            "Optional; given to every image of the batch. Without one, an image is "
            "titled after its prompt or its file name."
        )


class TopicForm(forms.Form):
    name = TextField(max_length=topics.NAME_MAX)
    slug = TextField(
        max_length=topics.SLUG_MAX,
        required=False,
        label="Link name",
        help_text="Optional: how the topic's link ends, /topics/<link-name>/. "
        "Left empty, it is made from the name.",
    )
    description = TextField(
        max_length=topics.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "data-counter-target": "description-counter"},
        ),
    )
    cover = ImageFileField(
        required=False,
        label="Cover image",
        help_text="PNG, JPEG or WebP. Shown wide, cropped to fit.",
    )
    remove_cover = forms.BooleanField(required=False, label="Remove the cover")

    def __init__(self, *args, topic=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic = topic
        if topic is None:
            del self.fields["remove_cover"]
        else:
            del self.fields["slug"]  # an address never changes
            if not topic.cover:
                del self.fields["remove_cover"]


class CommentForm(forms.Form):
    text = TextField(
        label="Comment",
        strip=False,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": comments.MAX_LENGTH, "placeholder": "Add a comment…"}
        ),
    )

    def clean_text(self):
        return comments.clean_text(self.cleaned_data["text"])
