"""django-allauth customised in one place (its adapter class)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect

from atelier.rate_limits import client_ip

from .suspension import suspension_message


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed logins count per account *and address* ("login_failed"'s
        "key"): counted per account alone, five wrong passwords from anyone
        locked the owner out too. A guesser's own address is still limited
        ("/ip" in ATELIER_RATE_LOGIN_FAILED), and each address it moves to
        starts again at the same small allowance per account."""
        return (
            f"{super()._get_login_attempts_cache_key(request, **credentials)}@{client_ip(request)}"
        )

    def respond_user_inactive(self, request, user):
        """A suspended account is told why, on the login page."""
        message = suspension_message(user)
        if message is None:
            return super().respond_user_inactive(request, user)
        messages.error(request, message)
        return redirect("account_login")
