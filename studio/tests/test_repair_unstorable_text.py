"""The data migration that repairs rows stored before text was checked: a
lone surrogate (a JSON "\\ud800") or NUL becomes U+FFFD, and the pages that
failed to render such a row open again."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from accounts.models import ApiToken, Profile
from gallery import comments, topics
from studio.models import GenerationJob
from studio.tests.test_job_page import make_job

repair = importlib.import_module("studio.migrations.0007_repair_unstorable_text").repair

# PostgreSQL refuses lone surrogates in JSON and NUL in text, so no such row
# can have been stored there: there is nothing to repair, and nothing to set up.
pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL never stored such rows"
)


def test_a_job_with_a_lone_surrogate_opens_again_for_its_owner_and_staff(
    owner, owner_client, staff, tiny_settings
):
    # As the API saved it before: SQLite keeps JSON's escape, "\ud800", as it came.
    job = make_job(owner)
    GenerationJob.objects.filter(pk=job.pk).update(
        request={**job.request, "prompt": "\ud800 lone", "\udfff": "\udc00"}
    )
    staff.is_superuser = True
    staff.save()
    staff_client = Client()
    staff_client.force_login(staff)

    repair(apps, connection.schema_editor())

    job.refresh_from_db()
    assert job.request["prompt"] == "\ufffd lone" and job.request["\ufffd"] == "\ufffd"
    for path in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/", "/generate/"):
        page = owner_client.get(path)
        assert page.status_code == 200, path
    assert "\ufffd lone" in owner_client.get(f"/jobs/{job.pk}/").text
    assert staff_client.get("/admin/studio/generationjob/").status_code == 200


def test_nul_in_text_columns_becomes_a_replacement_character(owner, make_image):
    # SQLite (and MySQL) store NUL in text; PostgreSQL would refuse to take the rows over.
    image = make_image(owner, title="a\x00title", description="d\x00")
    topic = topics.create_topic(owner, name="Foxes")
    comment = comments.add(owner, image, "nice")
    type(comment).objects.filter(pk=comment.pk).update(text="nice\x00")
    type(topic).objects.filter(pk=topic.pk).update(description="\x00")
    Profile.objects.update_or_create(
        user=owner, defaults={"bio": "b\x00", "settings": {"k": "\x00"}}
    )
    ApiToken.objects.create(user=owner, name="n\x00", prefix="abcdefgh", key_hash="0" * 64)

    repair(apps, connection.schema_editor())

    image.refresh_from_db()
    assert (image.title, image.description) == ("a\ufffdtitle", "d\ufffd")
    assert type(topic).objects.get(pk=topic.pk).description == "\ufffd"
    assert type(comment).objects.get(pk=comment.pk).text == "nice\ufffd"
    profile = Profile.objects.get(user=owner)
    assert (profile.bio, profile.settings) == ("b\ufffd", {"k": "\ufffd"})
    assert ApiToken.objects.get(key_hash="0" * 64).name == "n\ufffd"
