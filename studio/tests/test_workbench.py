"""The finished job page as a workbench: each image's actions (Publish, Move
to topic, Use seed, More like this, Upscale, Inpaint, Use as starting image,
Download), the job's (Generate again, Edit), who may use them, and the queue
panel of the Generate and job pages."""

import pytest

from gallery.models import Image
from gallery.topics import create_topic
from studio.job_actions import MORE_LIKE_THIS_STRENGTH
from studio.models import GenerationJob

from .test_job_page import make_job

FORM_ENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def finished_job(owner, make_image):
    job = make_job(owner, status="succeeded", progress=1.0)
    job.images.set([make_image(owner, visibility="private") for _ in range(2)])
    return job


def actions_of(page, image) -> str:
    """The HTML of one image's action bar on the page (up to the next one's)."""
    start = page.index(f'id="image-actions-{image.pk}"')
    end = page.find('data-image-actions="', start + 40)
    return page[start : end if end != -1 else len(page)]


def test_each_image_has_its_actions(owner_client, finished_job):
    page = owner_client.get(f"/jobs/{finished_job.pk}/").text
    for image in finished_job.images.all():
        bar = actions_of(page, image)
        assert f'action="/jobs/{finished_job.pk}/images/{image.pk}/visibility/"' in bar
        assert ">Publish</button>" in bar.replace(
            '<i class="bi bi-globe" aria-hidden="true"></i> ', ">"
        )
        assert f'action="/jobs/{finished_job.pk}/images/{image.pk}/move/"' in bar
        assert f'action="/jobs/{finished_job.pk}/images/{image.pk}/more/"' in bar
        assert f'href="/generate/?upscale={image.pk}"' in bar
        assert f'href="/generate/?inpaint={image.pk}"' in bar
        assert f'href="/generate/?init={image.pk}"' in bar
        assert f'href="/images/{image.pk}/download"' in bar
        assert "Use seed 42" in bar
    assert f'action="/jobs/{finished_job.pk}/again/"' in page
    assert ">Edit</a>" in page.replace('<i class="bi bi-pencil" aria-hidden="true"></i> ', ">")


def test_publish_toggles_without_a_reload(owner_client, finished_job):
    image = finished_job.images.first()
    url = f"/jobs/{finished_job.pk}/images/{image.pk}/visibility/"
    answer = owner_client.post(url, {"visibility": "public"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "Now public." in answer.text and "Make private" in answer.text
    # The whole finished part comes back: the tiles' badges and the sentence
    # saying who sees the images follow; the note is under this image only.
    assert answer.text.lstrip().startswith('<div id="job-status"')
    assert answer.text.count("Now public.") == 1
    note = answer.text.index("Now public.")
    assert answer.text.rindex('data-image-actions="', 0, note) == answer.text.index(
        f'data-image-actions="{image.pk}"'
    )
    image.refresh_from_db()
    assert image.visibility == Image.Visibility.PUBLIC
    # Anyone now sees it on its page; the other image stayed private.
    assert finished_job.images.exclude(pk=image.pk).get().visibility == "private"

    back = owner_client.post(url, {"visibility": "private"}, headers={"HX-Request": "true"})
    assert "Now private." in back.text and "Publish" in back.text
    image.refresh_from_db()
    assert image.visibility == "private"


def test_publish_without_javascript_goes_back_to_the_job(owner_client, finished_job):
    image = finished_job.images.first()
    url = f"/jobs/{finished_job.pk}/images/{image.pk}/visibility/"
    answer = owner_client.post(url, {"visibility": "public"})
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{finished_job.pk}/"
    assert "Now public." in owner_client.get(answer["Location"]).text


def test_a_bad_visibility_is_a_message_not_a_change(owner_client, finished_job):
    image = finished_job.images.first()
    url = f"/jobs/{finished_job.pk}/images/{image.pk}/visibility/"
    for body in ("visibility=everyone", "visibility=%ED%A0%80", "visibility=" + "9" * 400, ""):
        answer = owner_client.post(
            url, body, content_type=FORM_ENCODED, headers={"HX-Request": "true"}
        )
        assert answer.status_code == 400
        assert "Choose public, unlisted or private." in answer.text
    image.refresh_from_db()
    assert image.visibility == "private"


def test_move_to_topic(owner, owner_client, finished_job):
    topic = create_topic(owner, name="Lighthouses", slug="lighthouses")
    image = finished_job.images.first()
    page = owner_client.get(f"/jobs/{finished_job.pk}/").text
    assert '<option value="lighthouses">Lighthouses</option>' in page
    url = f"/jobs/{finished_job.pk}/images/{image.pk}/move/"
    answer = owner_client.post(url, {"topic": "lighthouses"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Moved to Lighthouses." in answer.text
    assert '<option value="lighthouses" selected>' in answer.text
    image.refresh_from_db()
    assert image.topic == topic

    missing = owner_client.post(url, {"topic": "nowhere"}, headers={"HX-Request": "true"})
    assert missing.status_code == 400 and "There is no topic “nowhere”." in missing.text
    out = owner_client.post(url, {"topic": ""}, headers={"HX-Request": "true"})
    assert "Taken out of its topic." in out.text
    image.refresh_from_db()
    assert image.topic is None


def test_use_seed_fills_the_generate_form_with_the_image_seed(owner_client, finished_job):
    image = finished_job.images.first()
    Image.objects.filter(pk=image.pk).update(recipe={**image.recipe, "seed": 1234567})
    page = owner_client.get(f"/jobs/{finished_job.pk}/").text
    bar = actions_of(page, image)
    link = bar.split('class="btn btn-sm btn-outline-secondary use-seed" href="')[1].split('"')[0]
    form_page = owner_client.get(link.replace("&amp;", "&"))
    assert form_page.context["form"]["seed"].value() in (1234567, "1234567")
    assert "Seed 1234567" in form_page.text
    assert form_page.context["form"]["prompt"].value() == "a red square"


@pytest.mark.local_engine  # the tiny preset exists where the local engine does
def test_generate_again_makes_a_job_with_the_recipe_and_a_new_seed(
    owner, owner_client, finished_job
):
    answer = owner_client.post(f"/jobs/{finished_job.pk}/again/")
    new = GenerationJob.objects.exclude(pk=finished_job.pk).get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{new.pk}/"
    assert new.owner == owner and new.status == "queued"
    for key in ("prompt", "model", "width", "height", "steps", "sampler", "n", "visibility"):
        assert new.request[key] == finished_job.request[key]
    assert new.request["seed"] != finished_job.request["seed"]
    assert "variation_seed" not in new.request


@pytest.mark.local_engine  # the tiny preset exists where the local engine does
def test_more_like_this_varies_the_image_seed_on_the_local_engine(owner_client, finished_job):
    image = finished_job.images.first()
    answer = owner_client.post(f"/jobs/{finished_job.pk}/images/{image.pk}/more/")
    new = GenerationJob.objects.exclude(pk=finished_job.pk).get()
    assert answer["Location"] == f"/jobs/{new.pk}/"
    assert new.request["seed"] == 42  # the image's own seed
    assert new.request["variation_seed_strength"] == MORE_LIKE_THIS_STRENGTH
    assert 0 <= new.request["variation_seed"] < 2**32
    assert new.request["prompt"] == finished_job.request["prompt"]


def test_a_rerun_that_cannot_run_says_why_and_makes_no_job(owner_client, finished_job):
    from studio.models import ModelPreset

    ModelPreset.objects.filter(key="tiny").update(enabled=False)
    answer = owner_client.post(f"/jobs/{finished_job.pk}/again/", follow=True)
    assert "This recipe cannot run again:" in answer.text
    assert GenerationJob.objects.count() == 1


@pytest.mark.local_engine  # the tiny preset exists where the local engine does
def test_the_queue_limit_is_a_message(owner, owner_client, finished_job, settings):
    settings.ATELIER_MAX_QUEUED_JOBS = 1
    make_job(owner, status="queued")
    answer = owner_client.post(f"/jobs/{finished_job.pk}/again/", follow=True)
    assert "You already have 1 generations waiting or running." in answer.text
    assert GenerationJob.objects.count() == 2


def test_only_the_owner_may_act(owner, other_client, staff_client, finished_job, make_image):
    image = finished_job.images.first()
    base = f"/jobs/{finished_job.pk}"
    posts = {
        f"{base}/images/{image.pk}/visibility/": {"visibility": "public"},
        f"{base}/images/{image.pk}/move/": {"topic": ""},
        f"{base}/images/{image.pk}/more/": {},
        f"{base}/again/": {},
    }
    for client in (other_client, staff_client):
        for url, data in posts.items():
            assert client.post(url, data).status_code == 404, url
    image.refresh_from_db()
    assert image.visibility == "private"
    assert GenerationJob.objects.count() == 1
    # Staff may look at the job, but its actions are not offered to them.
    page = staff_client.get(f"{base}/").text
    assert "/visibility/" not in page and "/again/" not in page


def test_an_image_of_another_job_is_404(owner, owner_client, finished_job, make_image):
    stray = make_image(owner)
    url = f"/jobs/{finished_job.pk}/images/{stray.pk}/visibility/"
    assert owner_client.post(url, {"visibility": "public"}).status_code == 404
    assert owner_client.get(f"/jobs/{finished_job.pk}/again/").status_code == 405
    stray.refresh_from_db()
    assert stray.visibility == "private"


# The queue panel ----------------------------------------------------------------


def test_the_queue_panel_shows_recent_and_running_jobs(owner, owner_client, finished_job, other):
    running = make_job(owner, status="running", progress=0.5, step=2, total_steps=4)
    GenerationJob.objects.filter(pk=running.pk).update(
        request={**running.request, "prompt": "a fox in snow"}
    )
    make_job(other, status="running")  # someone else's: not shown
    first = finished_job.images.order_by("id").first()
    for url in ("/generate/", f"/jobs/{finished_job.pk}/"):
        page = owner_client.get(url).text
        panel = page[page.index('id="queue-panel"') :]
        assert "Your generations" in panel
        assert panel.count('class="list-group-item') == 2
        assert "a fox in snow" in panel and "50%" in panel
        assert f'src="/images/{first.pk}/thumb.webp"' in panel and "2 images" in panel
        assert 'hx-trigger="every 2s"' in panel  # live while one runs
    job_page = owner_client.get(f"/jobs/{finished_job.pk}/").text
    assert f'data-job="{finished_job.pk}" data-status="succeeded" aria-current="page"' in job_page


def test_the_queue_panel_polls_only_while_something_runs(owner, owner_client, finished_job):
    page = owner_client.get("/jobs/queue/")
    assert page.status_code == 200
    assert "hx-trigger" not in page.text and 'data-live="false"' in page.text
    running = make_job(owner, status="queued")
    live = owner_client.get(f"/jobs/queue/?current={running.pk}").text
    assert f'hx-get="/jobs/queue/?current={running.pk}"' in live
    assert 'data-status="queued" aria-current="page"' in live
    assert owner_client.get("/jobs/queue/?current=not-a-uuid").status_code == 200


def test_the_queue_panel_costs_the_same_queries_for_more_jobs(
    owner, owner_client, make_image, django_assert_max_num_queries
):
    for _ in range(8):
        make_job(owner, status="succeeded").images.set([make_image(owner)])
    with django_assert_max_num_queries(4):  # session, user, jobs, images
        owner_client.get("/jobs/queue/")


def test_the_queue_panel_needs_a_login(client):
    answer = client.get("/jobs/queue/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
