"""The topic form: what a person may type or upload for a topic, checked the
same way for the pages and the API."""

from django import forms

from atelier.image_uploads import validate_upload
from atelier.text import TextField
from imaging.validation import InvalidImage

from .topics import DESCRIPTION_MAX, NAME_MAX, SLUG_MAX

COVER_ACCEPT = "image/png,image/jpeg,image/webp"


class TopicForm(forms.Form):
    name = TextField(max_length=NAME_MAX)
    slug = TextField(
        max_length=SLUG_MAX,
        required=False,
        label="Address",
        help_text="Optional: the end of the topic's address, /topics/<address>/. "
        "Left empty, it is made from the name.",
    )
    description = TextField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "data-counter-target": "description-counter"},
        ),
    )
    cover = forms.FileField(
        required=False,
        label="Cover image",
        help_text="PNG, JPEG or WebP. Shown wide, cropped to fit.",
        widget=forms.ClearableFileInput(attrs={"accept": COVER_ACCEPT}),
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

    def clean_cover(self):
        upload = self.cleaned_data.get("cover")
        if not upload:
            return None
        try:
            return validate_upload(upload)
        except InvalidImage as exc:
            raise forms.ValidationError(exc.message) from exc
