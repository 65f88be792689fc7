"""What a suspended account is told (the moderation app suspends it): on
the login page (adapter.py) and in the API's refusal of its tokens."""

from .models import Profile


def suspension_message(user) -> str | None:
    """Why ``user`` cannot log in, if their account is suspended; else None."""
    profile = Profile.objects.filter(user_id=user.pk, suspended_at__isnull=False).first()
    if profile is None:
        return None
    reason = profile.suspension_reason.strip()
    if not reason:
        return "Your account is suspended by the moderators."
    return f"Your account is suspended by the moderators: {reason}"
