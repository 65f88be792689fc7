"""A person's default visibility (Edit my page): Generate and Upload start
with it, beside the topic (not in Advanced settings), and say so when a topic
is chosen with Private visibility."""

import re

from accounts.models import Profile
from gallery.topics import create_topic


def selected_visibility(html: str) -> str:
    select = re.search(r'<select name="visibility".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\w+)" selected', select).group(1)


def test_the_setting_is_saved_and_kept_when_left_out(owner, owner_client):
    owner_client.post(
        "/me/profile/", {"display_name": "", "bio": "", "default_visibility": "public"}
    )
    assert Profile.objects.get(user=owner).default_visibility == "public"
    owner_client.post("/me/profile/", {"display_name": "Ann", "bio": ""})
    assert Profile.objects.get(user=owner).default_visibility == "public"
    response = owner_client.post("/me/profile/", {"default_visibility": "secret"})
    assert response.status_code == 200 and "Select a valid choice" in response.text


def test_generate_and_upload_start_with_it(owner, owner_client, tiny_settings):
    assert selected_visibility(owner_client.get("/generate/").text) == "private"
    Profile.objects.filter(user=owner).update(default_visibility="public")
    generate = owner_client.get("/generate/").text
    assert selected_visibility(generate) == "public"
    assert selected_visibility(owner_client.get("/upload/").text) == "public"
    # Beside the topic, before the Advanced settings.
    assert generate.index('name="visibility"') < generate.index("Advanced settings")


def test_a_private_topic_choice_is_explained(owner, owner_client, tiny_settings):
    create_topic(owner, name="Zebras")
    note = "Private images are not shown in the topic."
    for page in ("/generate/?topic=zebras", "/upload/?topic=zebras"):
        html = owner_client.get(page).text
        assert note in html
        assert re.search(r"data-private-topic-note>", html), page  # shown: not hidden
    Profile.objects.filter(user=owner).update(default_visibility="public")
    html = owner_client.get("/upload/?topic=zebras").text
    assert re.search(r"data-private-topic-note hidden>", html)


def test_edit_my_page_links_to_notification_settings(owner_client):
    assert "/notifications/settings/" in owner_client.get("/me/profile/").text
