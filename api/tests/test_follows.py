"""POST/DELETE /api/v1/profiles/{username}/follow/ and the following feed:
twice is once, oneself is a 400, a visitor a 401, nobody a 404."""

from gallery.models import Follow
from tests.fixtures import api_for


def test_following_then_again_then_unfollowing(owner, other):
    api = api_for(other)
    response = api.post(f"/api/v1/profiles/{owner.username}/follow/")
    assert response.status_code == 201
    assert response.json() == {"following": True, "follower_count": 1, "following_count": 0}
    assert api.post(f"/api/v1/profiles/{owner.username}/follow/").status_code == 200
    assert Follow.objects.filter(follower=other, followed=owner).count() == 1
    assert api.delete(f"/api/v1/profiles/{owner.username}/follow/").status_code == 204
    assert api.delete(f"/api/v1/profiles/{owner.username}/follow/").status_code == 204
    assert not Follow.objects.exists()


def test_following_oneself_is_a_400(owner):
    response = api_for(owner).post(f"/api/v1/profiles/{owner.username}/follow/")
    assert response.status_code == 400
    assert response.json() == {"detail": "You can't follow yourself."}
    assert not Follow.objects.exists()


def test_a_visitor_gets_a_401_and_nobody_a_404(owner, other):
    assert api_for().post(f"/api/v1/profiles/{owner.username}/follow/").status_code == 401
    assert api_for(other).post("/api/v1/profiles/nobody/follow/").status_code == 404


def test_the_following_feed(owner, other, staff, make_image):
    shared = make_image(owner, visibility="public")
    make_image(owner, visibility="unlisted")
    make_image(staff, visibility="public")
    api = api_for(other)
    api.post(f"/api/v1/profiles/{owner.username}/follow/")
    response = api.get("/api/v1/images/?feed=following")
    assert response.status_code == 200
    assert [image["id"] for image in response.json()["results"]] == [shared.pk]
    assert api_for().get("/api/v1/images/?feed=following").status_code == 401


def test_the_profile_counts_followers_and_following(owner, other, staff):
    api_for(other).post(f"/api/v1/profiles/{owner.username}/follow/")
    api_for(staff).post(f"/api/v1/profiles/{owner.username}/follow/")
    api_for(owner).post(f"/api/v1/profiles/{staff.username}/follow/")
    body = api_for().get(f"/api/v1/profiles/{owner.username}/").json()
    assert (body["follower_count"], body["following_count"]) == (2, 1)
