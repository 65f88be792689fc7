from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from atelier.stored_files import file_response

from . import tokens
from .avatars import remove_avatar, set_avatar
from .forms import ApiTokenForm, ProfileForm
from .models import ApiToken, Profile


@login_required
def profile_edit(request):
    profile, _ = Profile.objects.get_or_create(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=profile)
        if form.is_valid():
            form.save()
            if form.cleaned_data.get("avatar_upload"):
                set_avatar(profile, form.cleaned_data["avatar_upload"].image)
            elif form.cleaned_data.get("remove_avatar"):
                remove_avatar(profile)
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile_edit")
    else:
        form = ProfileForm(instance=profile)
    return render(request, "accounts/profile_edit.html", {"form": form, "profile": profile})


def avatar(request, username):
    user = get_object_or_404(get_user_model(), username=username)
    profile = Profile.objects.filter(user=user).first()
    if profile is None or not profile.avatar:
        raise Http404("No avatar.")
    return file_response(profile.avatar.name, "image/webp", private=False)


@login_required
def api_tokens(request):
    """List, name and make API tokens. A new token's secret is shown on the
    answer to the POST that made it, once; it is never stored in clear."""
    new_token = plaintext = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST, user=request.user)
        if form.is_valid():
            new_token, plaintext = tokens.create_token(request.user, form.cleaned_data["name"])
            form = ApiTokenForm(user=request.user)
    else:
        form = ApiTokenForm(user=request.user)
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": tokens.live_tokens(request.user),
            "new_token": new_token,
            "plaintext": plaintext,
        },
    )
    add_never_cache_headers(response)  # the page may carry a secret
    return response


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    tokens.revoke(token)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect("accounts:tokens")
