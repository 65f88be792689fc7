"""Schemathesis fuzzes every operation of the API's own OpenAPI schema
(``/api/schema/``, as drf-spectacular serves it) in-process over WSGI, as a
person who owns data: public, unlisted and private images, topics, likes,
comments, a subscription and a finished generation. Every default check runs:
a 5xx, an answer the schema does not describe (status, content type, headers,
body), a valid request refused or an invalid one accepted fails the test.

Valid requests are steered onto that data part of the time (``steer``), so
the fuzzer reaches real objects as well as missing ones. The facades
(``/sdapi/v1/``, ``/v1/``) are not in the schema: they speak third parties'
wire formats and have tests of their own."""

import random
import secrets

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, reset_queries
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.models import ApiToken
from accounts.tokens import hash_token
from gallery import comments, likes, topics
from studio.models import GenerationJob
from tests.fixtures import picture, png_bytes

# A few examples an operation (on top of schemathesis' coverage cases) keep the
# whole run well under a minute on two cores; `make test` runs it on SQLite and
# on PostgreSQL.
EXAMPLES = 10

# Whether a valid request succeeds may depend on state that no schema describes:
# a slug already taken, subscribing twice, leaving a topic one is not subscribed
# to. Those 400s (and only those) are not held against positive_data_acceptance.
STATE_ERRORS = {
    "POST /api/v1/topics/": "A topic already has this address.",
    "POST /api/v1/topics/{slug}/subscribe/": "You are already subscribed to this topic.",
    "DELETE /api/v1/topics/{slug}/subscribe/": "You are not subscribed to this topic.",
    # The fuzzer is the owner: following the owner is following oneself.
    "POST /api/v1/profiles/{username}/follow/": "You can't follow yourself.",
    # The fuzzer cannot know the owner's password (and must not delete them).
    "POST /api/v1/profiles/me/delete/": "That is not your password; nothing was deleted.",
    # Names the fuzzer made before, or a built-in style's.
    "POST /api/v1/styles/": ("You already have a style named", "is a built-in style"),
    "PATCH /api/v1/styles/{style_id}/": ("You already have a style named", "is a built-in style"),
    # The fuzzer reports the owner's own content (the world's), refused.
    "POST /api/v1/reports/": "You can't report your own",
}


class _KeepConnection:
    """Django closes the database connection at the end of each request
    (request_finished); in a test that connection holds the test's transaction."""

    def __enter__(self):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)

    def __exit__(self, *exc):
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


with _KeepConnection():
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
# Text fields refuse NUL (atelier.text.validate_storable: "cannot be stored",
# and PostgreSQL could not store it); a schema has no plain way to say so.
schema.config.generation.update(allow_x00=False)

# Schemathesis builds some cases (the coverage cases) while tests are
# collected, authentication included: so the token is chosen now, and
# ``world`` stores it for the owner.
TOKEN = f"schemathesis-{secrets.token_urlsafe(24)}"
PNG = png_bytes(picture(32, 24))
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
# The objects of the running test, by the parameter names that reach them.
REAL = {}


@schema.auth(refresh_interval=None)
class OwnersToken:
    """Every request carries the data owner's API token (``Authorization: Token …``)."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def steer(case):
    """A valid request, made more real; an invalid one is left as it is.

    - A path parameter becomes, as often as not, one of the objects of
      ``world`` (a made-up id would nearly always be a 404).
    - A body's ``topic`` is one of the topics: a made-up slug is rightly refused.
    - A generation's ``init_image`` is an image the owner may see: a made-up
      id is rightly refused.
    - A generation's ``model`` is a preset of this server, and its ``width`` and
      ``height`` a size that model takes (a multiple of 8 within its sizes,
      which the schema says only in words).
    - An image file (``file``, ``cover``) is a real PNG: no schema can say
      "bytes that decode as an image", so made-up bytes are refused.
    - A null in a form is left out (a form has no null: it would arrive as the
      text "null").
    - The image feed's ``cursor`` is left out: it is opaque (a page's ``next``
      link), so a made-up one is rightly a 400 that the schema cannot foresee."""
    if not case.meta or any(
        part.mode is not GenerationMode.POSITIVE for part in case.meta.components.values()
    ):
        return
    chance = random.Random(repr((case.operation.label, case.path_parameters, case.query)))
    for name in list(case.path_parameters or {}):
        if REAL.get(name) and chance.random() < 0.5:
            case.path_parameters[name] = chance.choice(REAL[name])
    if case.operation.path == "/api/v1/images/" and case.query and "cursor" in case.query:
        case.query = {name: value for name, value in case.query.items() if name != "cursor"}
    if isinstance(case.body, dict):
        body = dict(case.body)
        if body.get("topic"):
            body["topic"] = chance.choice(REAL["slug"])
        if case.operation.label == "POST /api/v1/generations/":
            if body.get("model"):
                body["model"] = "tiny"
            for side in ("width", "height"):
                if body.get(side) is not None:
                    body[side] = 64
            # A picture made up by the fuzzer is no PNG, and a mask needs the
            # starting image it was painted over: their refusals are
            # api/tests/test_generations.py's and studio/tests/test_inpaint.py's.
            body.pop("init_upload", None)
            body.pop("mask", None)
            # A made-up id is nearly always no image at all, rightly a 400; and
            # variation seeds go without a starting image (a rule between two
            # fields that a schema cannot state).
            if body.get("init_image") is not None:
                body["init_image"] = chance.choice(REAL["visible_image_id"])
                body.pop("variation_seed_strength", None)
        if case.media_type in FORMS:
            body = {name: value for name, value in body.items() if value is not None}
            for name in ("file", "cover"):
                if name in body:
                    body[name] = PNG
        case.body = body
    # Still valid, by construction; but schemathesis cannot validate a body that
    # holds bytes, and would call the steered request an invalid one.
    case._record_starting_state()


def _invalid_form(case) -> bool:
    """A form body made invalid on purpose. A form carries only text, so a
    value of the wrong type (a number, a null, an object) arrives as text that
    may well be valid: a slug "0" or "null". JSON bodies are checked in full."""
    body = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    return case.media_type in FORMS and body is not None and body.mode is GenerationMode.NEGATIVE


@pytest.fixture
def world(owner, other, make_image, settings, tiny_settings):
    """Data the caller owns and sees, and the caller's token."""
    # Limits have tests of their own (test_rate_limits); here they would only
    # cut the run short.
    for name in dir(settings):
        if name.startswith("ATELIER_RATE_"):
            setattr(settings, name, "")
    settings.ATELIER_MAX_QUEUED_JOBS = 1000

    topic = topics.create_topic(owner, name="Foxes", description="Red ones")
    others_topic = topics.create_topic(other, name="Owls")
    topics.subscribe(owner, others_topic)
    public = make_image(owner, visibility="public", topic=topic)
    unlisted = make_image(owner, visibility="unlisted")
    private = make_image(owner, visibility="private")
    others_public = make_image(other, visibility="public", topic=others_topic)
    others_private = make_image(other, visibility="private")
    likes.like(owner, others_public)
    likes.like(other, public)
    mine = comments.add(owner, public, "Nice fox")
    theirs = comments.add(other, public, "Lovely")
    job = GenerationJob.objects.create(
        owner=owner,
        model="tiny",
        request={"prompt": "a fox", "width": 64, "height": 64, "steps": 4, "n": 1},
        status=GenerationJob.Status.SUCCEEDED,
        progress=1.0,
    )
    job.images.add(private)
    # Made as accounts.tokens.create_token does, with the secret chosen above.
    ApiToken.objects.create(
        user=owner, name="schemathesis", prefix=TOKEN[:8], key_hash=hash_token(TOKEN)
    )
    REAL.update(
        image_id=[public.pk, unlisted.pk, private.pk, others_public.pk, others_private.pk],
        visible_image_id=[public.pk, unlisted.pk, private.pk, others_public.pk],
        comment_id=[mine.pk, theirs.pk],
        slug=[topic.slug, others_topic.slug],
        job_id=[str(job.pk)],
        username=[owner.username, other.username],
    )
    with _KeepConnection():
        yield REAL
    REAL.clear()


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, world):
    steer(case)
    reset_queries()
    response = case.call()
    state_error = STATE_ERRORS.get(case.operation.label)
    if isinstance(state_error, str):
        state_error = (state_error,)
    refused_for_state = response.status_code == 400 and any(
        error in response.text for error in state_error or ()
    )
    excluded = [positive_data_acceptance] if refused_for_state else []
    if _invalid_form(case):
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)


def test_the_facades_stay_out_of_the_schema():
    assert [path for path in schema.raw_schema["paths"] if not path.startswith("/api/")] == []
