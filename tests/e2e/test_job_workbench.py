"""The finished job page as a workbench, in a real browser against a real
server: Move to topic and Publish change the image without reloading the
page (a visitor then finds it in the topic's feed and opens it), and "Use
seed" opens the Generate form with the image's seed. The job and its image
are made in the stack's own database; no worker is needed."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import PASSWORD, log_in, mark_page, page_was_reloaded, web_only_stack

pytestmark = pytest.mark.e2e

SETUP = f"""
import json
from django.contrib.auth import get_user_model
from PIL import Image as Picture
from gallery.storing import store_image
from imaging.png_metadata import encode_png
from gallery.models import Topic
from studio.models import GenerationJob
person = get_user_model().objects.create_user("maker", "maker@example.com", {PASSWORD!r})
recipe = {{"prompt": "a red lighthouse", "negative_prompt": "", "model": "tiny",
          "sampler": "Euler a", "steps": 4, "cfg_scale": 7.5, "seed": 4242,
          "width": 64, "height": 48, "backend": "diffusers"}}
picture = Picture.new("RGB", (64, 48), (200, 30, 30))
image = store_image(owner=person, content=encode_png(picture, recipe), picture=picture,
                    recipe=recipe, visibility="private")
request = {{**recipe, "seed": 4242, "n": 1, "visibility": "private", "topic": ""}}
job = GenerationJob.objects.create(owner=person, model="tiny", request=request,
                                   status="succeeded", progress=1.0)
job.images.set([image])
Topic.objects.create(owner=person, slug="lighthouses", name="Lighthouses")
print(json.dumps([str(job.pk), image.pk]))
"""


@pytest.fixture(scope="module")
def workbench(request, django_db_blocker):
    with web_only_stack(request, django_db_blocker) as stack:
        job_id, image_id = stack.shell(SETUP)
        yield stack, job_id, image_id


def test_publish_from_the_job_page_then_use_its_seed(workbench, open_page):
    stack, job_id, image_id = workbench
    visitor = open_page(stack.url)
    visitor.goto(f"/images/{image_id}/")
    expect(visitor).to_have_url(re.compile(r"/accounts/login/"))  # private so far

    page = open_page(stack.url)
    log_in(page, "maker")
    page.goto(f"/jobs/{job_id}/")
    mark_page(page)
    bar = page.locator(f"#image-actions-{image_id}")
    expect(bar.locator(".image-visibility")).to_have_text("Private")
    bar.get_by_label("Topic of image 1").select_option(label="Lighthouses")
    bar.get_by_role("button", name="Move to topic").click()
    bar = page.locator(f"#image-actions-{image_id}")
    expect(bar.get_by_role("status")).to_have_text("Moved to Lighthouses.")
    bar.get_by_role("button", name="Publish").click()
    bar = page.locator(f"#image-actions-{image_id}")
    expect(bar.get_by_role("status")).to_have_text("Now public.")
    expect(bar.locator(".image-visibility")).to_have_text("Public")
    expect(bar.get_by_role("button", name="Make private")).to_be_visible()
    expect(page.locator(".where-visibility")).to_contain_text("Public")  # the sentence follows
    assert not page_was_reloaded(page)
    visitor.goto("/topics/lighthouses/")
    expect(visitor.locator(f'main figure.tile a[href="/images/{image_id}/"]').first).to_be_visible()
    assert visitor.goto(f"/images/{image_id}/").status == 200  # anyone may see it now
    expect(visitor).to_have_url(re.compile(rf"/images/{image_id}/$"))

    bar.get_by_role("link", name="Use seed 4242").click()
    expect(page).to_have_url(re.compile(r"/generate/\?"))
    expect(page.locator("#id_seed")).to_have_value("4242")
    expect(page.locator("#id_prompt")).to_have_value("a red lighthouse")
    expect(page.locator("[data-seed-note]")).to_contain_text("Seed 4242")
