from tests.fixtures import api_for


def test_a_path_under_api_that_matches_nothing_is_a_json_404(owner):
    response = api_for(owner).get("/api/v1/images/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_does_not_exist_is_still_the_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
