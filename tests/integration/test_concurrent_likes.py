"""40 people liking and unliking one image at once, through the real web
server on PostgreSQL — half with the page's htmx heart (logged in through the
login form), half with API tokens — leave like_count equal to the number of
Like rows, which is the number of people whose last action was a like."""

import http.client
import json
import select
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from tests.fixtures import PASSWORD
from tests.stack import Browser, Stack

pytestmark = pytest.mark.integration

PEOPLE = 40
CYCLES = 3  # each: like, like again (a no-op), unlike

SETUP = """
import io, json
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from PIL import Image as Picture
from gallery.storing import store_image

User = get_user_model()
password = make_password({password!r})  # hashed once, shared: fast to set up
for i in range({people}):
    User.objects.create(username=f"fan{{i:02}}", password=password)
owner = User.objects.create(username="artist", password=password)
picture = Picture.new("RGB", (32, 24), (200, 80, 40))
buffer = io.BytesIO()
picture.save(buffer, "PNG")
image = store_image(
    owner=owner, content=buffer.getvalue(), picture=picture,
    recipe={{"prompt": "one heart for everyone"}}, visibility="public",
)
print(json.dumps({{"image": image.pk}}))
"""

REPORT = """
import json
from gallery.models import Image, Like

image = Image.objects.get(pk={image})
likers = sorted(Like.objects.filter(image=image).values_list("user__username", flat=True))
print(json.dumps({{"like_count": image.like_count, "likers": likers}}))
"""


@pytest.fixture(scope="module")
def stack(tiny_model_path, django_db_blocker):
    with django_db_blocker.unblock():
        running = Stack(database="postgres", broker="sqlite", tiny_model=tiny_model_path)
    try:
        running.start(worker=False)  # no jobs here: the web server and the database
        yield running
    finally:
        running.stop()


def test_an_idle_connection_stays_open_longer_than_clients_reuse_one(stack):
    """httpx (as requests' pools and browsers) reuses an idle connection for
    5 s. The server must keep it longer, or a request sent on it as the server
    closes it is answered by a reset (this test's fans, idle at the barrier
    while the others log in, met exactly that with gunicorn's 2 s)."""
    client_reuse_seconds = httpx2.Limits().keepalive_expiry
    host, port = stack.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/accounts/login/")  # /healthz is 503 without workers
        response = connection.getresponse()
        assert response.status == 200 and response.read()  # the whole answer, body too
        assert not response.will_close
        closed, _, _ = select.select([connection.sock], [], [], client_reuse_seconds + 1)
        assert not closed, "the server closed an idle connection a client would still reuse"
    finally:
        connection.close()


def shell(stack: Stack, code: str) -> dict:
    result = stack.manage("shell", "-c", code, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class PageFan:
    """Logs in through the login form; likes with the htmx heart of the image page."""

    def __init__(self, stack, username, image_id):
        self.browser = Browser(stack)
        response = self.browser.post_form(
            "/accounts/login/", {"login": username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.text[:500]
        self.url = f"/images/{image_id}/like/"
        token = self.browser.csrf(f"/images/{image_id}/")
        self.headers = {"X-CSRFToken": token, "HX-Request": "true"}

    def like(self):
        response = self.browser.http.post(self.url, headers=self.headers)
        assert response.status_code == 200 and "is-liked" in response.text, response.text[:500]

    def unlike(self):
        response = self.browser.http.delete(self.url, headers=self.headers)
        assert response.status_code == 200 and "is-liked" not in response.text


class ApiFan:
    """Gets a token for their username and password; likes through the API."""

    def __init__(self, stack, username, image_id):
        self.http = httpx2.Client(base_url=stack.url, timeout=30)
        response = self.http.post(
            "/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text[:500]
        self.http.headers["Authorization"] = f"Token {response.json()['token']}"
        self.url = f"/api/v1/images/{image_id}/like/"

    def like(self):
        response = self.http.post(self.url)
        assert response.status_code in (200, 201) and response.json()["liked"], response.text

    def unlike(self):
        assert self.http.delete(self.url).status_code == 204


def test_forty_people_liking_at_once_leave_the_count_exact(stack):
    image_id = shell(stack, SETUP.format(password=PASSWORD, people=PEOPLE))["image"]
    start = threading.Barrier(PEOPLE, timeout=120)

    def fan(i) -> bool:
        """Like and unlike at once with everyone else; True if the last action was a like."""
        kind = PageFan if i % 2 == 0 else ApiFan
        person = kind(stack, f"fan{i:02}", image_id)
        start.wait()
        for _ in range(CYCLES):
            person.like()
            person.like()
            person.unlike()
        ends_liking = i % 3 != 0
        if ends_liking:
            person.like()
        return ends_liking

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        last_was_like = list(pool.map(fan, range(PEOPLE)))

    expected = sorted(f"fan{i:02}" for i in range(PEOPLE) if last_was_like[i])
    report = shell(stack, REPORT.format(image=image_id))
    assert report["likers"] == expected, stack.log("web")
    assert report["like_count"] == len(report["likers"]) == 26
