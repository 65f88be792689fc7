"""Errors to Sentry (or a server speaking its protocol, such as GlitchTip)
when SENTRY_DSN is set: unhandled exceptions in views and in Celery tasks,
and error log lines. Called from settings, which every process loads (web
server, workers, commands), as Sentry's Django and Celery guides do it."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        # send_default_pii stays off (its default): no cookies or addresses;
        # and no request bodies, which hold people's prompts and comments.
        max_request_body_size="never",
    )
