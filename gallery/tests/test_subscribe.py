"""Subscribing to a topic from its page: one click, in place with htmx, with
a plain form as fallback. Doing it twice changes nothing."""

import pytest
from django.test import Client

from gallery.models import Subscription
from gallery.topics import create_topic

HTMX = {"HX-Request": "true"}


@pytest.fixture
def topic(owner):
    return create_topic(owner, name="Lighthouses")


def subscribed(user, topic) -> bool:
    return Subscription.objects.filter(user=user, topic=topic).exists()


def test_it_subscribes_in_place_with_htmx(other, other_client, topic):
    response = other_client.post("/topics/lighthouses/subscribe/", headers=HTMX)
    assert response.status_code == 200 and subscribed(other, topic)
    html = response.text
    assert html.lstrip().startswith('<div class="subscribe-box"') and "<html" not in html
    assert "Subscribed" in html and 'hx-delete="/topics/lighthouses/subscribe/"' in html
    assert '<span class="subscribe-count" aria-label="subscribers">1</span>' in html


def test_it_unsubscribes_in_place_with_htmx(other, other_client, topic):
    Subscription.objects.create(user=other, topic=topic)
    response = other_client.delete("/topics/lighthouses/subscribe/", headers=HTMX)
    assert response.status_code == 200 and not subscribed(other, topic)
    assert 'hx-post="/topics/lighthouses/subscribe/"' in response.text
    assert '<span class="subscribe-count" aria-label="subscribers">0</span>' in response.text


def test_subscribing_twice_changes_nothing(other, other_client, topic):
    other_client.post("/topics/lighthouses/subscribe/", headers=HTMX)
    response = other_client.post("/topics/lighthouses/subscribe/", headers=HTMX)
    assert response.status_code == 200 and "Subscribed" in response.text
    assert Subscription.objects.filter(user=other).count() == 1


def test_unsubscribing_when_not_subscribed_changes_nothing(other, other_client, topic):
    response = other_client.delete("/topics/lighthouses/subscribe/", headers=HTMX)
    assert response.status_code == 200 and not Subscription.objects.exists()


def test_the_owner_may_subscribe_to_their_own_topic(owner, owner_client, topic):
    owner_client.post("/topics/lighthouses/subscribe/", headers=HTMX)
    assert subscribed(owner, topic)


def test_without_htmx_the_forms_return_to_the_page(other, other_client, topic):
    response = other_client.post("/topics/lighthouses/subscribe/", {"next": "/topics/"})
    assert response.status_code == 302 and response.url == "/topics/" and subscribed(other, topic)
    response = other_client.post("/topics/lighthouses/unsubscribe/")
    assert response.status_code == 302 and response.url == "/topics/lighthouses/"
    assert not subscribed(other, topic)


def test_it_never_returns_to_another_site(other_client, topic):
    response = other_client.post(
        "/topics/lighthouses/subscribe/", {"next": "https://evil.example/"}
    )
    assert response.url == "/topics/lighthouses/"


def test_a_visitor_is_asked_to_log_in_and_nothing_changes(topic):
    response = Client().post("/topics/lighthouses/subscribe/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/topics/lighthouses/"
    response = Client().post("/topics/lighthouses/subscribe/", headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/topics/lighthouses/"
    assert not Subscription.objects.exists()


def test_a_visitor_sees_a_log_in_link_instead_of_a_button(topic):
    page = Client().get("/topics/lighthouses/").text
    assert 'href="/accounts/login/?next=/topics/lighthouses/"' in page
    assert "hx-post" not in page


@pytest.mark.parametrize(
    "path", ["/topics/lighthouses/subscribe/", "/topics/lighthouses/unsubscribe/"]
)
def test_get_never_changes_a_subscription(other_client, topic, path):
    assert other_client.get(path).status_code == 405
    assert not Subscription.objects.exists()


def test_an_unknown_topic_is_a_404(other_client, db):
    assert other_client.post("/topics/nope/subscribe/", headers=HTMX).status_code == 404


def test_the_pages_show_whether_one_is_subscribed(other, other_client, topic):
    Subscription.objects.create(user=other, topic=topic)
    assert 'aria-pressed="true"' in other_client.get("/topics/lighthouses/").text
    assert 'aria-pressed="true"' in other_client.get("/topics/").text


def test_deleting_a_topic_ends_its_subscriptions(other, owner_client, topic):
    Subscription.objects.create(user=other, topic=topic)
    owner_client.post("/topics/lighthouses/delete/")
    assert not Subscription.objects.exists()
