from studio.jobs import cancel_job
from studio.models import GenerationJob


def make_job(user, **fields):
    request = {
        "prompt": "p",
        "negative_prompt": "",
        "model": "tiny",
        "width": 64,
        "height": 64,
        "steps": 4,
        "cfg_scale": 7.5,
        "seed": 1,
        "sampler": "Euler a",
        "n": 1,
        "visibility": "private",
    }
    return GenerationJob.objects.create(owner=user, model="tiny", request=request, **fields)


def test_the_owner_sees_live_progress(owner, owner_client):
    job = make_job(owner, status="running", phase="sampling", step=2, total_steps=4, progress=0.5)
    page = owner_client.get(f"/jobs/{job.pk}/status/")
    assert "Step 2 of 4" in page.text and "50%" in page.text
    assert "hx-get" in page.text  # keeps polling while running


def test_a_finished_job_stops_polling(owner, owner_client):
    job = make_job(owner, status="failed", error="The model could not be loaded.")
    page = owner_client.get(f"/jobs/{job.pk}/status/")
    assert "The model could not be loaded." in page.text
    assert "hx-get" not in page.text


def test_another_person_gets_404(owner, other_client):
    job = make_job(owner)
    for path in ("", "status/", "preview.webp"):
        assert other_client.get(f"/jobs/{job.pk}/{path}").status_code == 404
    assert other_client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"


def test_cancelling_a_queued_job_means_it_never_runs(owner, owner_client):
    job = make_job(owner)
    response = owner_client.post(f"/jobs/{job.pk}/cancel/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"

    from studio.runner import run_job

    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == "cancelled" and job.attempts == 0


def test_cancelling_a_running_job_asks_the_worker_to_stop(owner):
    job = make_job(owner, status="running")
    cancel_job(job)
    job.refresh_from_db()
    assert job.status == "running" and job.cancel_requested


def test_a_finished_job_says_where_its_images_went_and_who_sees_them(
    owner, owner_client, make_image
):
    from gallery.topics import create_topic

    topic = create_topic(owner, name="Lighthouses", slug="lighthouses")
    job = make_job(owner, status="succeeded")
    job.images.set([make_image(owner, visibility="private", topic=topic) for _ in range(2)])
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/"):
        html = owner_client.get(url).text
        assert 'In topic <a href="/topics/lighthouses/">Lighthouses</a>' in html
        assert "Private: only you can see them; the topic does not show them." in html

    job.images.update(visibility="public", topic=None)
    html = owner_client.get(f"/jobs/{job.pk}/").text
    assert 'In <a href="/me/images/">My images</a>' in html
    assert "Public: anyone can see them in Recent and on your profile." in html


def test_a_jobs_results_can_be_changed_together(owner, owner_client, staff_client, make_image):
    job = make_job(owner, status="succeeded")
    images = [make_image(owner, visibility="private") for _ in range(3)]
    job.images.set(images)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/"):
        html = owner_client.get(url).text
        assert "data-bulk-form" in html and f'name="next" value="/jobs/{job.pk}/"' in html
        assert html.count('<figure class="tile" data-mine>') == 3
    # Staff may look at the job, but the selection is its owner's.
    assert "data-bulk-form" not in staff_client.get(f"/jobs/{job.pk}/").text

    ids = [i.pk for i in images[:2]]
    done = owner_client.post(
        "/me/images/bulk/",
        {"action": "publish", "ids": ids, "confirmed": "1", "next": f"/jobs/{job.pk}/"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == f"/jobs/{job.pk}/"
    assert "Published 2 images." in done.text
    visibilities = [i.visibility for i in job.images.order_by("pk")]
    assert visibilities == ["public", "public", "private"]


def test_a_job_without_images_left_has_no_selection(owner, owner_client):
    job = make_job(owner, status="succeeded")
    assert "data-bulk-form" not in owner_client.get(f"/jobs/{job.pk}/").text
