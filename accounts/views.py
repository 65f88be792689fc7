from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from gallery.files import file_response

from .avatars import remove_avatar, set_avatar
from .forms import ProfileForm
from .models import Profile


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
