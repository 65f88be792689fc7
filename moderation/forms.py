"""The moderation forms, used by the pages and the API alike."""

from django import forms

from atelier.text import TextField

from .models import Report

ACTIONS = {
    "hide": "Hide it",
    "restore": "Restore it",
    "delete": "Delete it",
    "dismiss": "Dismiss the reports",
    "suspend": "Suspend its owner's account",
    "unsuspend": "Lift its owner's suspension",
}
REASON_MAX_LENGTH = 500


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the reasons offered."},
    )
    text = TextField(
        required=False,
        max_length=Report.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything the moderators should know (optional)",
    )


class ActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=list(ACTIONS.items()),
        error_messages={"invalid_choice": f"The action is one of: {', '.join(ACTIONS)}."},
    )
    reason = TextField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label="Reason (shown to the person)",
    )
