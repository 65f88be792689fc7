from django import forms

from atelier.image_uploads import ImageFileField
from atelier.text import TextField

from .models import Profile


class ProfileForm(forms.ModelForm):
    avatar_upload = ImageFileField(
        required=False,
        label="Avatar",
        help_text="PNG, JPEG or WebP. It is cropped to a square.",
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my avatar")
    default_visibility = forms.ChoiceField(
        choices=Profile._meta.get_field("default_visibility").choices,
        required=False,
        label="New images are",
        help_text="What Generate and Upload choose for you: public images appear in the "
        "feeds and their topic, unlisted ones only to those with the link, private ones "
        "only to you.",
    )

    nsfw_preference = forms.ChoiceField(
        choices=Profile._meta.get_field("nsfw_preference").choices,
        required=False,
        label="Images flagged NSFW",
        help_text="Show them as any image, blur them until you click one, or hide them "
        "from the feeds, topics, profiles and search. Your own are never blurred for you.",
    )

    class Meta:
        model = Profile
        fields = ["display_name", "bio", "default_visibility", "nsfw_preference"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"display_name": TextField, "bio": TextField}

    def clean_default_visibility(self):
        """Left out (the API's PATCH, an old form): unchanged."""
        return self.cleaned_data.get("default_visibility") or self.instance.default_visibility

    def clean_nsfw_preference(self):
        """Left out (the API's PATCH, an old form): unchanged."""
        return self.cleaned_data.get("nsfw_preference") or self.instance.nsfw_preference


class ApiTokenForm(forms.Form):
    """A new API token's name; the person may hold at most MAX_LIVE tokens."""

    MAX_LIVE = 50

    name = TextField(
        max_length=60,
        strip=True,
        label="Name",
        help_text="What will use it, e.g. “laptop script” or “Open WebUI”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. laptop script"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        from .tokens import live_tokens

        if self.user is not None and live_tokens(self.user).count() >= self.MAX_LIVE:
            raise forms.ValidationError(
                f"You have {self.MAX_LIVE} tokens already; revoke one you no longer use first."
            )
        return cleaned
