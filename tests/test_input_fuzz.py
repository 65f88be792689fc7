"""Hostile input thrown at every JSON endpoint and every form field, as a
client that does not play nice would send it: lone surrogates, NUL, RTL and
other format marks, 100,000 characters, values of the wrong type, and nesting
far past any limit. Whatever comes in, the answer is never a 5xx.

api/tests/test_schema_fuzz.py fuzzes the API against its schema (valid and
invalid requests); this test is about the characters and shapes no schema
speaks of, on the facades and the pages too. A few examples an endpoint keep
the whole run to a few seconds."""

import base64
import json
from urllib.parse import quote_from_bytes

import hypothesis
import pytest
from django.test import Client
from hypothesis import strategies as st

from accounts.tokens import create_token
from gallery import comments, topics
from tests.fixtures import make_user

EXAMPLES = 12

# Characters worth a try in any text: lone surrogates, NUL and other controls,
# bidirectional and zero-width marks, a byte-order mark, an emoji.
ODD = ["\ud800", "\udfff", "\x00", "\x1b", "\u202e", "\u200f", "\u200b", "\ufeff", "\U0001f98a"]
character = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr), st.sampled_from(ODD))
text = st.one_of(
    st.text(character, max_size=30),
    st.sampled_from(ODD),
    st.just("x" * 100_000),
    st.just("\ud800" * 100_000),
)
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), text
)
value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
# Around the limit (64), around the interpreter's recursion limit, far past both.
depth = st.sampled_from([2, 63, 64, 65, 999, 1001, 3000, 100_000])


def json_bodies(fields):
    """An object of the endpoint's fields (and strangers) holding anything;
    or nesting of any depth, alone or under a field; or text that is not JSON."""
    names = st.one_of(st.sampled_from(fields), text)
    objects = st.dictionaries(names, value, max_size=5).map(json.dumps)
    nested = st.builds(lambda n: "[" * n + "]" * n, depth)
    nested_field = st.builds(
        lambda name, n: (
            json.dumps({name: "x"})[:-1] + ', "extra": ' + '{"a": ' * n + "1" + "}" * n + "}"
        ),
        st.sampled_from(fields),
        depth,
    )
    garbage = text
    return st.one_of(objects, nested, nested_field, garbage)


def form_bodies(fields):
    """A form of the page's fields holding any text, encoded as a client that
    does not care sends it (a surrogate as its three UTF-8-like bytes)."""
    pairs = st.dictionaries(st.one_of(st.sampled_from(fields), text), text, max_size=6)

    def encode(data):
        return "&".join(
            f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'))}="
            f"{quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}"
            for k, v in data.items()
        )

    return pairs.map(encode)


@pytest.fixture
def world(owner, make_image, settings, tiny_settings):
    """The owner's data, a client per way in, and facades that do not wait."""
    for name in dir(settings):
        if name.startswith("ATELIER_RATE_"):
            setattr(settings, name, "")
    settings.ATELIER_MAX_QUEUED_JOBS = 10**6
    # A facade would wait for a worker; here it gives up at once, cancelling the job.
    settings.ATELIER_FACADE_TIMEOUT = 0
    second = make_user("second")
    topic = topics.create_topic(owner, name="Foxes")
    image = make_image(owner, visibility="public", topic=topic)
    comment = comments.add(owner, image, "Nice fox")
    token = create_token(owner, "fuzz")[1]
    browser = Client(raise_request_exception=False)
    browser.force_login(owner)

    basic = base64.b64encode(f"owner:{token}".encode()).decode()
    return {
        "token": Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}"),
        "basic": Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Basic {basic}"),
        "bearer": Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}"),
        "anonymous": Client(raise_request_exception=False),
        "browser": browser,
        "image": image.pk,
        "comment": comment.pk,
        "slug": topic.slug,
        "second": second.pk,
    }


GENERATION = ["prompt", "negative_prompt", "model", "width", "height", "steps", "cfg_scale",
              "seed", "sampler", "n", "topic", "visibility", "style", "init_image", "mask",
              "masked_content", "mask_blur", "inpaint_area", "masked_area_padding"]  # fmt: skip
JSON_ENDPOINTS = [
    ("anonymous", "POST", "/api/v1/auth/token/", ["username", "password"]),
    ("token", "POST", "/api/v1/generations/", GENERATION),
    ("token", "POST", "/api/v1/topics/", ["name", "description", "slug"]),
    ("token", "PATCH", "/api/v1/topics/{slug}/", ["name", "description", "remove_cover"]),
    ("token", "PATCH", "/api/v1/profiles/me/", ["display_name", "bio"]),
    ("token", "PATCH", "/api/v1/images/{image}/", ["title", "description", "topic", "visibility"]),
    ("token", "POST", "/api/v1/images/{image}/comments/", ["text"]),
    ("token", "PATCH", "/api/v1/comments/{comment}/", ["text"]),
    ("token", "POST", "/api/v1/styles/", ["name", "prompt", "negative_prompt"]),
    (
        "basic",
        "POST",
        "/sdapi/v1/txt2img",
        [
            "prompt",
            "negative_prompt",
            "sampler_name",
            "batch_size",
            "n_iter",
            "steps",
            "seed",
            "override_settings",
            "scheduler",
            "send_images",
            "styles",
            "enable_hr",
            "hr_scale",
            "hr_upscaler",
            "hr_second_pass_steps",
            "hr_resize_x",
            "denoising_strength",
        ],
    ),  # fmt: skip
    (
        "basic",
        "POST",
        "/sdapi/v1/img2img",
        [
            "prompt",
            "init_images",
            "mask",
            "denoising_strength",
            "resize_mode",
            "inpainting_fill",
            "mask_blur",
            "inpaint_full_res",
            "inpaint_full_res_padding",
            "inpainting_mask_invert",
            "width",
            "height",
        ],
    ),  # fmt: skip
    ("basic", "POST", "/sdapi/v1/png-info", ["image"]),
    ("token", "POST", "/api/v1/reports/", ["kind", "target", "target_id", "reason", "text"]),
    ("basic", "POST", "/sdapi/v1/options", ["sd_model_checkpoint"]),
    (
        "bearer",
        "POST",
        "/v1/images/generations",
        ["prompt", "model", "n", "size", "response_format", "user"],
    ),  # fmt: skip
]
FORM_PAGES = [
    ("browser", "/generate/", GENERATION),
    ("browser", "/topics/new/", ["name", "slug", "description"]),
    ("browser", "/styles/", ["name", "prompt", "negative_prompt"]),
    ("browser", "/topics/{slug}/edit/", ["name", "description"]),
    ("browser", "/me/profile/", ["display_name", "bio"]),
    ("browser", "/me/tokens/", ["name"]),
    ("browser", "/images/{image}/comments/", ["text"]),
    ("browser", "/comments/{comment}/edit/", ["text"]),
    ("browser", "/report/profile/second/", ["reason", "text"]),
    ("browser", "/images/{image}/edit/", ["title", "description", "topic", "visibility"]),
    ("anonymous", "/accounts/signup/", ["username", "email", "password1", "password2"]),
    ("anonymous", "/accounts/login/", ["login", "password"]),
]

FUZZ = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.mark.parametrize("who, method, path, fields", JSON_ENDPOINTS)
@FUZZ
@hypothesis.given(data=st.data())
def test_no_json_body_makes_an_endpoint_fail(world, who, method, path, fields, data):
    body = data.draw(json_bodies(fields))
    response = world[who].generic(
        method,
        path.format(**world),
        body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert response.status_code < 500, response.content[:500]


@pytest.mark.parametrize("who, path, fields", FORM_PAGES)
@FUZZ
@hypothesis.given(data=st.data())
def test_no_form_input_makes_a_page_fail(world, who, path, fields, data):
    body = data.draw(form_bodies(fields))
    response = world[who].generic(
        "POST", path.format(**world), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500, response.content[:500]
