"""Settings' "Download my data" and "Delete my account" (gallery.your_data)."""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from atelier import rate_limits

from ..your_data import account_counts, write_export
from ..your_data import delete_account as delete_everything

# While one export of a person's is being built, another is refused (a
# double click, two tabs): each reads every file of theirs. The mark expires
# by itself should the process die while building.
BUILDING_SECONDS = 15 * 60
ALREADY_BUILDING = "Your data is already being prepared in another request; wait for that download."


@login_required
@require_POST
@rate_limits.rate_limit_page(rate_limits.EXPORTS)
def export(request):
    """The ZIP, built in a temporary file (deleted when the answer is sent)
    and streamed from it."""
    building = f"gallery.export.building:{request.user.pk}"
    if not cache.add(building, True, BUILDING_SECONDS):
        messages.error(request, ALREADY_BUILDING)
        return redirect("accounts:profile_edit")
    target = tempfile.TemporaryFile()
    try:
        write_export(request.user, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    finally:
        cache.delete(building)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=f"atelier-{request.user.username}.zip",
        content_type="application/zip",
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
