"""Settings' "Download my data" and "Delete my account" (gallery.your_data)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from atelier import rate_limits

from ..your_data import AlreadyBuilding, account_counts, build_export, export_name
from ..your_data import delete_account as delete_everything

ZIP = "application/zip"


@login_required
@require_POST
@rate_limits.rate_limit_page(rate_limits.EXPORTS)
def export(request):
    """The ZIP, built in a temporary file (deleted when the answer is sent)
    and streamed from it."""
    try:
        target = build_export(request.user)
    except AlreadyBuilding as refused:
        messages.error(request, str(refused))
        return redirect("accounts:profile_edit")
    response = FileResponse(
        target, as_attachment=True, filename=export_name(request.user), content_type=ZIP
    )
    response["Cache-Control"] = "private, no-store"
    return response


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your password, to confirm it is you.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was deleted.")
        return password


@login_required
@require_http_methods(["GET", "POST"])
@rate_limits.rate_limit_page(rate_limits.ACCOUNT_DELETION)  # a stolen session guessing
def delete_account(request):
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        delete_everything(user)
        logout(request)
        messages.success(request, "Your account and everything in it were deleted.")
        return redirect("/")
    counts = account_counts(user)
    return render(request, "gallery/delete_account.html", {"form": form, "counts": counts})
