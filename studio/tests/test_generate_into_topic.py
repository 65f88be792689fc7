"""Generating into a topic: the Generate page's and the API's ``topic`` (a slug),
stored on the job and given to the images; a remix starts with no topic."""

import re
from html import unescape

import pytest

from api.tests.test_image_detail import api_for
from gallery.models import Topic
from studio.models import GenerationJob
from studio.runner import run_job, save_result
from studio.tests.test_generate_page import GOOD
from studio.tests.test_job_page import make_job
from tests.fixtures import picture


@pytest.fixture
def topic(other):
    """Someone else's topic: anyone may generate into any topic."""
    return Topic.objects.create(slug="lighthouses", name="Lighthouses", owner=other)


def test_the_generate_page_offers_every_topic(owner_client, topic):
    page = owner_client.get("/generate/")
    assert 'name="topic"' in page.text
    assert '<option value="lighthouses">Lighthouses</option>' in page.text
    assert page.context["form"]["topic"].value() is None


@pytest.mark.local_engine
def test_the_chosen_topic_is_stored_on_the_job(owner_client, topic):
    response = owner_client.post("/generate/", {**GOOD, "topic": "lighthouses"})
    assert response.status_code == 302
    assert GenerationJob.objects.get().request["topic"] == "lighthouses"


@pytest.mark.local_engine
def test_without_a_topic_the_job_has_none(owner_client):
    owner_client.post("/generate/", GOOD)
    assert GenerationJob.objects.get().request["topic"] == ""


def test_an_unknown_topic_is_a_form_error_and_queues_nothing(owner_client):
    response = owner_client.post("/generate/", {**GOOD, "topic": "nowhere"})
    assert response.status_code == 200
    assert response.context["form"].errors["topic"] == ["There is no topic “nowhere”."]
    assert not GenerationJob.objects.exists()


def test_the_api_takes_a_topic_slug(owner, topic, tiny_settings):
    response = api_for(owner).post(
        "/api/v1/generations/", {"prompt": "a lighthouse", "topic": "lighthouses"}, format="json"
    )
    assert response.status_code == 202
    assert GenerationJob.objects.get().request["topic"] == "lighthouses"


def test_the_api_refuses_an_unknown_topic_with_a_400(owner, tiny_settings):
    response = api_for(owner).post(
        "/api/v1/generations/", {"prompt": "a lighthouse", "topic": "nowhere"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["topic"] == ["There is no topic “nowhere”."]
    assert not GenerationJob.objects.exists()


def test_the_stored_image_lands_in_the_jobs_topic(owner, topic):
    job = make_job(owner)
    job.request["topic"] = "lighthouses"
    image = save_result(job, 0, picture(), {"prompt": "p", "seed": 1})
    assert image.topic == topic and image.recipe == {"prompt": "p", "seed": 1}


def test_a_topic_deleted_before_the_job_ends_leaves_the_image_without_one(owner, topic):
    job = make_job(owner)
    job.request["topic"] = "lighthouses"
    topic.delete()
    assert save_result(job, 0, picture(), {"prompt": "p"}).topic is None


def test_a_job_from_before_topics_stores_its_image_without_one(owner):
    job = make_job(owner)  # its request has no "topic" key
    assert save_result(job, 0, picture(), {"prompt": "p"}).topic is None


def test_a_generated_job_puts_its_images_into_the_topic(owner, topic, tiny_settings):
    job = make_job(owner)
    job.request.update(topic="lighthouses", n=2, steps=2)
    job.save()
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert [image.topic for image in job.images.all()] == [topic, topic]


def test_a_remix_starts_with_no_topic(owner, owner_client, make_image, topic):
    image = make_image(owner, topic=topic, prompt="a lighthouse at dawn")
    detail = owner_client.get(f"/images/{image.pk}/").text
    remix = unescape(re.search(r'href="(/generate/\?[^"]+)"', detail).group(1))
    assert "topic" not in remix
    form = owner_client.get(remix).context["form"]
    assert form["prompt"].value() == "a lighthouse at dawn"
    assert form["topic"].value() is None


@pytest.mark.parametrize(
    "topic_json", ["7", '["lighthouses"]', '{"slug": "lighthouses"}', '"lone \\ud800"']
)
def test_the_api_refuses_a_topic_that_is_not_a_slug(owner, topic, tiny_settings, topic_json):
    body = f'{{"prompt": "a lighthouse", "topic": {topic_json}}}'
    response = api_for(owner).post("/api/v1/generations/", body, content_type="application/json")
    assert response.status_code == 400 and "topic" in response.json()
    assert not GenerationJob.objects.exists()
