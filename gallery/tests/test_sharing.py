"""Links that unfurl: the Open Graph and Twitter card tags of an image, a
topic and a person's page (a private image's page has none), and the share
button each of them carries."""

import re

from accounts.models import Profile
from gallery.topics import create_topic


def meta(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z_:]+)" content="([^"]*)"', html)
    )


def test_a_public_images_page_unfurls_with_its_thumbnail_title_and_author(
    client, owner, make_image
):
    Profile.objects.filter(user=owner).update(display_name="Ada L.")
    image = make_image(owner, visibility="public", prompt="a fox in snow", title="Fox")
    tags = meta(client.get(f"/images/{image.pk}/").text)
    assert tags["og:title"] == "Fox" and tags["twitter:title"] == "Fox"
    assert tags["og:description"].startswith("by Ada L. · a fox in snow")
    assert tags["og:url"] == f"http://testserver/images/{image.pk}/"
    assert tags["og:image"] == f"http://testserver/images/{image.pk}/thumb.webp"
    assert tags["twitter:card"] == "summary_large_image"
    assert f'data-share="/images/{image.pk}/"' in client.get(f"/images/{image.pk}/panel/").text


def test_a_private_image_has_no_card_and_no_share_button(owner_client, owner, make_image):
    image = make_image(owner, visibility="private", prompt="a secret")
    html = owner_client.get(f"/images/{image.pk}/").text
    assert meta(html) == {} and "data-share=" not in html


def test_the_title_is_escaped_in_the_card(client, owner, make_image):
    image = make_image(owner, visibility="public", title='"><script>x</script>')
    html = client.get(f"/images/{image.pk}/").text
    assert "<script>x" not in html
    assert meta(html)["og:title"] == "&quot;&gt;&lt;script&gt;x&lt;/script&gt;"


def test_a_topic_and_a_profile_unfurl_and_can_be_shared(client, owner):
    topic = create_topic(owner, name="Lighthouses", description="Towers of light.")
    html = client.get(f"/topics/{topic.slug}/").text
    tags = meta(html)
    assert tags["og:title"] == "Lighthouses"
    assert "Towers of light." in tags["og:description"]
    assert f'data-share="/topics/{topic.slug}/"' in html
    html = client.get("/u/owner/").text
    assert meta(html)["og:url"] == "http://testserver/u/owner/"
    assert 'data-share="/u/owner/"' in html
