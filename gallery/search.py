"""Searching images by prompt, title, description and topic name.

One interface, ``search(queryset, q, viewer)``, which narrows any image
queryset (a feed, with its own filters and order) to the images matching
every word of ``q``. The prompt of an image shared without its recipe
(gallery.recipe_sharing) is part of what is hidden: for anyone but its owner
such an image is found by its title, description and topic name only.
Underneath, each database does it its own way:

- PostgreSQL: full-text search (a stored ``tsvector`` column @@
  ``websearch_to_tsquery``, English stemming) with GIN indexes on it and on
  topic names, created by migrations 0002 and 0003 on PostgreSQL only.
- SQLite: an FTS5 table ``gallery_image_fts`` (rowid = image id, which words
  are in which column, no word positions) that triggers keep in step with
  every write to images and topics, whichever code makes it. A first, bounded
  query counts the matches to choose how the page is found.
  Migrations 0002 and 0004 create it; ``install_sqlite_search`` checks after
  every ``migrate`` that its triggers are there, and puts them back if not,
  since SQLite's table rebuilds (an ALTER TABLE) drop triggers.
- Anything else (MariaDB/MySQL): every word ``icontains`` one of the fields.
"""

import re

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import Col, Expression, RawSQL

from .models import Image, Topic

Q_MAX = 200
TERMS_MAX = 16
POSTGRES_CONFIG = "english"
GIN_INDEX_NAME = "image_search_gin"
FTS_TABLE = "gallery_image_fts"
SEARCH_MIGRATION = "0002_feeds_indexes"

# Letters and digits: what SQLite's unicode61 tokenizer keeps as one token
# (it splits at "_", which \w would keep), so every term is a single word.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search(queryset: QuerySet, q: str, viewer=None) -> QuerySet:
    """``queryset`` narrowed to the images that match ``q`` (unchanged if
    ``q`` is blank; empty if it holds no word), as ``viewer`` (a user, or
    None for a visitor) may search them."""
    q = (q or "").strip()[:Q_MAX]
    if not q:
        return queryset
    hidden = prompt_hidden(viewer)
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        return _postgres(queryset, q, hidden)
    terms = search_terms(q)
    if not terms:
        return queryset.none()
    if vendor == "sqlite":
        return _sqlite(queryset, terms, hidden)
    return _icontains(queryset, terms, hidden)


def prompt_hidden(viewer) -> Q:
    """The images whose prompt ``viewer`` may not search: those shared
    without their recipe, but for the viewer's own."""
    hidden = Q(share_without_recipe=True)
    if viewer is not None and viewer.is_authenticated:
        hidden &= ~Q(owner=viewer.pk)
    return hidden


def search_terms(q: str) -> list[str]:
    return _WORD.findall(q)[:TERMS_MAX]


# ---- PostgreSQL ---------------------------------------------------------------

# The searched document is a stored generated column, which the model does not
# declare (Django never reads or writes it; PostgreSQL fills it on every write).
# Stored, each row is checked in a microsecond; recomputing to_tsvector per row
# took milliseconds a page when the planner walked a feed's index. Migrations that
# change recipe, title or description's type must drop and re-add it.
DOCUMENT_COLUMN = "search_document"
TOPIC_GIN_INDEX_NAME = "topic_search_gin"


# Migrations 0002 and 0003 create the column (to_tsvector of the prompt, title
# and description), its statistics target (1000: at the default 100 a rarer
# word is estimated at hundreds of matches where it has tens, and the planner
# walks a feed's index instead of the GIN index) and both GIN indexes.


def _postgres(queryset, q, hidden):
    from django.contrib.postgres.search import SearchQuery, SearchVector

    query = SearchQuery(q, search_type="websearch", config=POSTGRES_CONFIG)
    # An image whose prompt is hidden must match without it: its title and
    # description are searched on the fly (such images are few, and only
    # they are checked so).
    matched = Q(found=query) & (~hidden | Q(found_shown=query))
    # The matching topics are read first (one query, ~0.2 ms), and ORed in only
    # when there are some: a subquery's array is unknown when the plan is made,
    # and the planner then expects thousands of rows from it and walks a feed's
    # whole index for a rare word (32 ms) instead of using the GIN index (0.4 ms).
    topic_ids = list(_postgres_topics(queryset.db, query))
    if topic_ids:
        matched |= Q(topic__in=topic_ids)
    shown = SearchVector("title", "description", config=POSTGRES_CONFIG)
    return queryset.alias(found=_Document(), found_shown=shown).filter(matched)


def _postgres_topics(using, query) -> QuerySet:
    """The ids of the topics whose name matches ``query`` (a SearchQuery)."""
    from django.contrib.postgres.search import SearchVector

    return (
        Topic.objects.using(using)
        .alias(found=SearchVector("name", config=POSTGRES_CONFIG))
        .filter(found=query)
        .order_by()
        .values_list("pk", flat=True)
    )


class _Document(Expression):
    """The stored ``search_document`` column of the query's image table."""

    def resolve_expression(self, query=None, *args, **kwargs):
        from django.contrib.postgres.search import SearchVectorField

        field = SearchVectorField()
        field.set_attributes_from_name(DOCUMENT_COLUMN)
        field.model = Image
        return Col(query.get_initial_alias(), field)


# ---- SQLite FTS5 --------------------------------------------------------------


# Up to this many matches, the query starts from them (then sorts them); beyond,
# it walks the feed's own index in order and looks each row up in the FTS
# index, which finds a page after about PAGE_SIZE × images / matches rows.
# A look-up (rowid = id AND MATCH) reads no word positions, since the table has
# none (detail=column): ~15 µs. Reading a common word's 63k matches into a
# list for "id IN (…)" took 9–20 ms at 100k images; walking with look-ups, under 1.
SQLITE_FEW_MATCHES = 1000


def _sqlite(queryset, terms, hidden):
    # Each word quoted: FTS5's query syntax (AND, NEAR, column:, *) stays out of
    # the user's reach, and the words must all match (implicit AND).
    quoted = ['"{}"'.format(term.replace('"', '""')) for term in terms]
    match = " ".join(quoted)
    # The same words in every column but the prompt, for the images whose
    # prompt is hidden: looked up one image at a time, only for those.
    match_shown = " ".join(f"{{title description topic}} : {word}" for word in quoted)
    shown = ~hidden | _Indexed(match_shown)
    matches = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [match, SQLITE_FEW_MATCHES + 1],
        )
        [count] = cursor.fetchone()
    if count <= SQLITE_FEW_MATCHES:
        return queryset.filter(Q(pk__in=matches) & shown)
    return queryset.filter(Q(_Indexed(match)) & shown)


class _Indexed(Expression):
    """True when the FTS index has this image and it matches: ``EXISTS (SELECT
    1 FROM gallery_image_fts WHERE rowid = <the query's image id> AND … MATCH
    …)``. The id is a column of the query's own image table, so it stays right
    when the query is aliased as a subquery."""

    output_field = BooleanField()

    def __init__(self, match: str, image_id=None):
        super().__init__()
        self.match = match
        self.image_id = image_id

    def get_source_expressions(self):
        return [self.image_id] if self.image_id is not None else []

    def set_source_expressions(self, exprs):
        if exprs:
            [self.image_id] = exprs

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.image_id = Col(query.get_initial_alias(), Image._meta.pk)
        return resolved

    def as_sql(self, compiler, connection):
        image_id, params = compiler.compile(self.image_id)
        sql = (
            f"EXISTS (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE}.rowid = {image_id} "
            f"AND {FTS_TABLE} MATCH %s)"
        )
        return sql, [*params, self.match]


_FTS_ROW = (
    "json_extract(new.recipe, '$.prompt'), new.title, new.description, "
    "(SELECT name FROM gallery_topic WHERE id = new.topic_id)"
)

SQLITE_TRIGGERS = {
    "gallery_image_fts_insert": f"""
        CREATE TRIGGER IF NOT EXISTS gallery_image_fts_insert AFTER INSERT ON gallery_image
        BEGIN
            INSERT INTO {FTS_TABLE}(rowid, prompt, title, description, topic)
            VALUES (new.id, {_FTS_ROW});
        END""",
    "gallery_image_fts_update": f"""
        CREATE TRIGGER IF NOT EXISTS gallery_image_fts_update
        AFTER UPDATE OF id, recipe, title, description, topic_id ON gallery_image
        BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
            INSERT INTO {FTS_TABLE}(rowid, prompt, title, description, topic)
            VALUES (new.id, {_FTS_ROW});
        END""",
    "gallery_image_fts_delete": f"""
        CREATE TRIGGER IF NOT EXISTS gallery_image_fts_delete AFTER DELETE ON gallery_image
        BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
    "gallery_topic_fts_rename": f"""
        CREATE TRIGGER IF NOT EXISTS gallery_topic_fts_rename
        AFTER UPDATE OF name ON gallery_topic
        BEGIN
            UPDATE {FTS_TABLE} SET topic = new.name
            WHERE rowid IN (SELECT id FROM gallery_image WHERE topic_id = new.id);
        END""",
}


def install_sqlite_search(connection) -> None:
    """Create the FTS5 table and its triggers where missing; refill the table
    if any trigger was missing (writes may have gone by unseen)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "prompt, title, description, topic, "
            "tokenize = 'porter unicode61 remove_diacritics 2', detail = column)"
        )
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        if set(SQLITE_TRIGGERS) <= present:
            return
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, prompt, title, description, topic) "
            "SELECT i.id, json_extract(i.recipe, '$.prompt'), i.title, i.description, t.name "
            "FROM gallery_image i LEFT JOIN gallery_topic t ON t.id = i.topic_id"
        )


def ensure_search_index(sender=None, using="default", **kwargs) -> None:
    """After every ``migrate``: put back what an SQLite table rebuild removed
    (Django rebuilds a table to alter it there, and the copy has no triggers)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or getattr(sender, "name", "gallery") != "gallery":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if ("gallery", SEARCH_MIGRATION) in applied:
        install_sqlite_search(connection)


# ---- Any other database ---------------------------------------------------------


def _icontains(queryset, terms, hidden):
    for term in terms:
        queryset = queryset.filter(
            (Q(recipe__prompt__icontains=term) & ~hidden)
            | Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(topic__name__icontains=term)
        )
    return queryset
