"""Search (gallery/search.py): prompt, title, description and topic name, every
word must match; full-text on PostgreSQL, FTS5 on SQLite, kept in step with
every write; never a way around the visibility rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection

from gallery import search as search_module
from gallery.editing import edit_image
from gallery.feeds import FeedRequest, load_page
from gallery.models import Image, Topic
from gallery.search import search
from gallery.storing import delete_image

from .bulk import add_images, ids

ANONYMOUS = AnonymousUser()
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def found(q, queryset=None):
    return sorted(ids(search(Image.objects.all() if queryset is None else queryset, q)))


@pytest.fixture
def foxes(owner):
    return Topic.objects.create(slug="foxes", name="Woodland foxes", owner=owner)


@pytest.mark.parametrize(
    "fields",
    [
        {"prompt": "a lighthouse at dusk"},
        {"title": "Lighthouse study"},
        {"description": "Painted after a lighthouse visit."},
    ],
)
def test_it_finds_an_image_by_each_of_its_texts(owner, fields):
    prompt = fields.pop("prompt", "something else")
    [image] = add_images(owner, 1, prompt=prompt, **fields)
    add_images(owner, 2, prompt="a cat on a sofa")
    assert found("lighthouse") == [image.pk]


def test_it_finds_images_by_their_topics_name(owner, foxes):
    in_topic = add_images(owner, 2, topic=foxes, prompt="autumn leaves")
    add_images(owner, 2, prompt="autumn leaves")
    assert found("woodland") == ids(in_topic)


def test_every_word_must_match(owner):
    [both] = add_images(owner, 1, prompt="a red fox in the snow")
    add_images(owner, 1, prompt="a red barn")
    add_images(owner, 1, prompt="a fox in a field")
    assert found("red fox") == [both.pk]
    assert found("RED Fox") == [both.pk]


def test_it_matches_other_forms_of_a_word(owner):
    [image] = add_images(owner, 1, prompt="two foxes running through mountains")
    assert found("fox") == [image.pk]
    assert found("mountain run") == [image.pk]


def test_a_blank_query_changes_nothing(owner):
    images = add_images(owner, 3)
    assert found("") == found("   ") == ids(images)


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "fox AND",
        "fox*",
        "title:fox",
        "NEAR(fox",
        "-fox",
        "fox OR -",
        "'); DROP TABLE gallery_image; --",
        "\\",
        "🦊 fox",
        "x" * 300,
    ],
)
def test_query_syntax_in_the_input_is_taken_as_words(owner, q):
    [image] = add_images(owner, 1, prompt="a fox")
    result = found(q)
    assert result in ([], [image.pk])
    assert Image.objects.count() == 1


def test_a_query_of_punctuation_only_finds_nothing(owner):
    add_images(owner, 2, prompt="a fox")
    assert found("?!…") == []


def test_search_follows_edits_of_title_description_and_topic(owner, foxes, make_image):
    image = make_image(owner, visibility="public", prompt="a quiet harbour")
    assert found("harbour") == [image.pk]
    edit_image(image, title="Seagulls")
    assert found("seagulls") == [image.pk]
    edit_image(image, description="Morning light")
    assert found("morning") == [image.pk]
    assert found("woodland") == []
    edit_image(image, topic=foxes)
    assert found("woodland") == [image.pk]
    edit_image(image, topic=None)
    assert found("woodland") == []


def test_search_follows_a_topic_renamed_or_deleted(owner, foxes):
    [image] = add_images(owner, 1, topic=foxes)
    foxes.name = "Arctic hares"
    foxes.save()
    assert found("arctic") == [image.pk] and found("woodland") == []
    foxes.delete()
    assert found("arctic") == []
    assert found("image") == [image.pk]


def test_search_follows_a_changed_prompt_and_a_deleted_image(owner, make_image):
    image = make_image(owner, visibility="public", prompt="a lighthouse")
    Image.objects.filter(pk=image.pk).update(recipe={"prompt": "a windmill"})
    assert found("lighthouse") == [] and found("windmill") == [image.pk]
    delete_image(image)
    assert found("windmill") == []


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "other", "staff"])
def test_search_in_a_feed_never_finds_private_or_unlisted_images(
    request, owner, other, staff, viewer
):
    public = add_images(owner, 1, visibility="public", prompt="secret garden")
    add_images(owner, 1, visibility="private", prompt="secret garden")
    add_images(owner, 1, visibility="unlisted", prompt="secret garden")
    person = ANONYMOUS if viewer == "anonymous" else request.getfixturevalue(viewer)
    for feed in ("recent", "popular"):
        page = load_page(person, FeedRequest(feed=feed, q="secret"))
        assert ids(page.items) == ids(public)


def test_an_owner_searches_their_own_private_images_in_mine(owner, other):
    private = add_images(owner, 2, visibility="private", prompt="draft portrait")
    add_images(other, 2, visibility="private", prompt="draft portrait")
    page = load_page(owner, FeedRequest(feed="mine", q="portrait"))
    assert ids(page.items) == ids(reversed(private))


def test_search_results_page_newest_first(owner):
    matches = add_images(owner, 7, prompt="a paper boat")
    add_images(owner, 5, prompt="a stone bridge")
    request, seen = FeedRequest(q="boat"), []
    while request:
        page = load_page(ANONYMOUS, request, size=3)
        seen += ids(page.items)
        request = page.next_request
    assert seen == ids(reversed(matches))


def test_the_fallback_matches_every_word_in_any_field(owner, foxes):
    [a] = add_images(owner, 1, prompt="a red boat", topic=foxes)
    [b] = add_images(owner, 1, prompt="a red kite", title="Woodland kite")
    add_images(owner, 1, prompt="a blue boat")
    hidden = search_module.prompt_hidden(None)
    fallback = search_module._icontains(Image.objects.all(), ["red", "woodland"], hidden)
    assert sorted(ids(fallback)) == sorted([a.pk, b.pk])


def test_the_fallback_hides_a_prompt_shared_without_its_recipe(owner, other):
    [image] = add_images(owner, 1, prompt="a red boat", share_without_recipe=True, title="Boat")
    for viewer, expected in ((other, []), (None, []), (owner, [image.pk])):
        hidden = search_module.prompt_hidden(viewer)
        assert ids(search_module._icontains(Image.objects.all(), ["red"], hidden)) == expected
        assert ids(search_module._icontains(Image.objects.all(), ["boat"], hidden)) == [image.pk]


@on_sqlite
def test_migrate_puts_back_search_triggers_that_a_table_rebuild_dropped(owner):
    [before] = add_images(owner, 1, prompt="a lighthouse")
    with connection.cursor() as cursor:
        for name in search_module.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    [unseen] = add_images(owner, 1, prompt="a lighthouse")
    call_command("migrate", verbosity=0)
    assert found("lighthouse") == [before.pk, unseen.pk]
    [after] = add_images(owner, 1, prompt="a lighthouse")
    assert found("lighthouse") == [before.pk, unseen.pk, after.pk]


@on_postgres
def test_postgres_answers_a_search_from_its_gin_indexes(owner):
    from django.contrib.postgres.search import SearchQuery

    add_images(owner, 5, prompt="a lighthouse")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search(Image.objects.all(), "lighthouse").explain()
        # The matching topics are read first, in a query of their own.
        query = SearchQuery("lighthouse", search_type="websearch", config="english")
        topics_plan = search_module._postgres_topics("default", query).explain()
    assert search_module.GIN_INDEX_NAME in plan
    assert search_module.TOPIC_GIN_INDEX_NAME in topics_plan


def test_a_search_can_be_counted_and_used_as_a_subquery(owner, foxes):
    add_images(owner, 2, prompt="a lighthouse")
    add_images(owner, 1, topic=foxes)
    add_images(owner, 2, prompt="a bridge")
    assert search(Image.objects.all(), "lighthouse").count() == 2
    assert search(Image.objects.all(), "woodland").count() == 1
    inner = search(Image.objects.filter(visibility="public"), "lighthouse").values("pk")
    assert Image.objects.filter(pk__in=inner).count() == 2


@pytest.mark.parametrize("many", [False, True], ids=["few matches", "many matches"])
def test_both_ways_of_finding_matches_agree(owner, foxes, many, monkeypatch):
    """Few matches: the query starts from them. Many (here: more than 1):
    it walks the feed and looks each row up, also as a subquery."""
    monkeypatch.setattr(search_module, "SQLITE_FEW_MATCHES", 1 if many else 1000)
    lighthouses = add_images(owner, 3, prompt="a lighthouse at dusk")
    [in_topic] = add_images(owner, 1, prompt="a den", topic=foxes)
    add_images(owner, 2, prompt="a bridge")
    assert sorted(found("lighthouse")) == sorted(ids(lighthouses))
    assert found("woodland") == [in_topic.pk]
    inner = search(Image.objects.filter(visibility="public"), "lighthouse dusk").values("pk")
    assert sorted(ids(Image.objects.filter(pk__in=inner))) == sorted(ids(lighthouses))


def test_words_joined_by_underscores_are_searched_as_words(owner):
    [image] = add_images(owner, 1, prompt="a snake_case lighthouse")
    assert found("snake_case") == [image.pk]


def test_a_prompt_shared_without_its_recipe_is_found_by_its_owner_only(owner, other, foxes):
    [hidden] = add_images(
        owner, 1, prompt="a secret lighthouse", share_without_recipe=True, topic=foxes
    )
    [titled] = add_images(
        owner, 1, prompt="a secret lighthouse", share_without_recipe=True, title="Quiet harbour"
    )
    [shared] = add_images(other, 1, prompt="a lighthouse in fog")
    everything = Image.objects.all()
    for viewer in (other, ANONYMOUS, None):
        assert sorted(ids(search(everything, "lighthouse", viewer))) == [shared.pk], viewer
        assert ids(search(everything, "secret", viewer)) == []
        # What is shown still finds them: title, description, topic name.
        assert ids(search(everything, "harbour", viewer)) == [titled.pk]
        assert ids(search(everything, "woodland", viewer)) == [hidden.pk]
        # Every word must be in what is shown: one from the prompt is not enough.
        assert ids(search(everything, "quiet lighthouse", viewer)) == []
    assert sorted(ids(search(everything, "lighthouse", owner))) == sorted(
        [hidden.pk, titled.pk, shared.pk]
    )
    assert sorted(ids(search(everything, "secret harbour", owner))) == [titled.pk]


def test_the_feeds_search_hides_the_prompt_from_others(owner, other):
    [image] = add_images(owner, 1, prompt="a secret lighthouse", share_without_recipe=True)
    request = FeedRequest(feed="recent", q="lighthouse")
    assert load_page(other, request).items == []
    assert load_page(ANONYMOUS, request).items == []
    assert [i.id for i in load_page(owner, request).items] == [image.pk]
    assert [i.id for i in load_page(owner, FeedRequest(feed="mine", q="secret")).items] == [
        image.pk
    ]
    edit_image(image, share_without_recipe=False)
    assert [i.id for i in load_page(other, request).items] == [image.pk]


@on_sqlite
def test_many_matches_walk_the_index_and_still_hide_prompts(owner, other, settings):
    add_images(other, 3, prompt="a lighthouse")
    [hidden] = add_images(owner, 1, prompt="a lighthouse", share_without_recipe=True)
    settings_few = search_module.SQLITE_FEW_MATCHES
    search_module.SQLITE_FEW_MATCHES = 2  # the many-matches branch
    try:
        assert hidden.pk not in ids(search(Image.objects.all(), "lighthouse", other))
        assert hidden.pk in ids(search(Image.objects.all(), "lighthouse", owner))
    finally:
        search_module.SQLITE_FEW_MATCHES = settings_few
