"""``seed_demo``: fill a database with a believable social gallery, fast.

    python manage.py seed_demo --images 100000 --users 1000 --topics 200 [--seed 1]

Made, in this order, with ``bulk_create`` in batches inside transactions (no
per-row signals, no per-row saves):

- people (``demo00001`` …, e-mail ``…@demo.invalid``, one shared password
  hashed once, see ``PASSWORD``) with their profiles;
- topics (names like "Misty Forests"), owned by random people;
- subscriptions (a few topics each, popular topics more often);
- ``--files`` real pictures (synthetic paintings of the usual model sizes)
  stored through ``gallery.storing.store_image``: a PNG with the recipe
  embedded, a WebP thumbnail and a thumbhash, exactly as a generated image is;
- images, oldest first, over the last year (ids follow time, as in real use):
  each points at one of those files (with its width, height, thumbnail size
  and thumbhash), has an owner and a topic drawn with a long tail (a few
  people and topics have most images; a fifth of the images have no topic),
  a prompt made from a word list (so search finds things: "detailed" is in
  about 70 % of prompts, "axolotl" in about 0.05 %), a recipe shaped like the
  studio's, sometimes a title or a description; about 90 % are public, 6 %
  unlisted, 4 % private; with ``--nsfw-every N``, one in N is flagged NSFW
  (bench/feeds.py: 20);
- likes (long-tailed: most images have none, a few have hundreds) and
  comments (roughly one per eight likes), never on private images, with
  ``like_count`` and ``comment_count`` counted while they are made, so they
  equal the rows.

The search index follows by itself: on SQLite the FTS5 triggers fire for
every row of a multi-row INSERT; on PostgreSQL the search column is a
generated column. On PostgreSQL the tables are VACUUM ANALYZEd at the end
(as autovacuum would do soon after such a load: without it the planner has no
statistics and index-only scans visit the table anyway).

A database that already holds images is refused unless ``--append`` (add
demo data next to it, under names not yet taken) or ``--force`` (first delete
what an earlier ``seed_demo`` made: its people and, with them, their images,
topics, likes, comments and subscriptions; other people's data stays).

Demo images share their files: deleting one demo image through the app
removes the file the others of its kind show. Demo data only.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import random
import time
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

from accounts.models import Profile
from gallery.counts import recount
from gallery.models import Comment, Image, Like, Subscription, Topic
from gallery.storing import store_image
from imaging.png_metadata import encode_png

PASSWORD = "demo-Passw0rd!"
EMAIL_DOMAIN = "demo.invalid"
USERNAME_PREFIX = "demo"
CHUNK = 5000  # images (with their likes and comments) per transaction
BATCH = 1000  # rows per INSERT
DAYS = 365

Vis = Image.Visibility

# ---- Words -----------------------------------------------------------------


def _items(text: str) -> list[str]:
    """The items of a list written as lines of "a; b; c"."""
    return [item.strip() for item in text.replace("\n", ";").split(";") if item.strip()]


SUBJECTS = _items(
    """
    a red fox; an old lighthouse; a mountain village; a cyberpunk street market; a lone samurai
    a sleeping dragon; a cat wearing a tiny hat; an astronaut; a koi pond; a cozy library
    a steam locomotive; a floating island; a desert caravan; a witch's cottage; a robot gardener
    a glowing jellyfish; a snowy owl; a sunflower field; a gothic cathedral; a tea house
    a tall sailing ship; a grey wolf; an elderly fisherman; a ballerina; a futuristic city
    a hidden waterfall; a bonsai tree; a knight in silver armor; a mermaid; a hot air balloon
    a vintage motorcycle; a treehouse; a street musician; a polar bear; a crystal cave
    a wizard's tower; a bowl of ramen; a hummingbird; an abandoned greenhouse; a giant tortoise
    """
)
# Rare on purpose, so a search can find a needle: about 0.05 % of prompts each.
RARE_SUBJECTS = ["an axolotl", "a narwhal", "a pangolin"]
RARE_SHARE = 0.0005

SETTINGS = _items(
    """
    in a misty forest; at golden hour; under a starry sky; in the rain; at dawn
    on a neon-lit rooftop; in a snowy valley; by the sea; in a sunlit meadow
    inside a glass greenhouse; on a busy street; in an ancient ruin; at night; in autumn
    among cherry blossoms; on the moon; in a foggy harbor; in a canyon
    """
)
STYLES = _items(
    """
    oil painting; watercolor; digital art; photorealistic; concept art; ukiyo-e woodblock print
    pixel art; charcoal sketch; 3d render; isometric illustration; cinematic still
    art nouveau poster; low poly; impressionist painting; anime key visual; gouache
    """
)
# (tag, share of prompts that carry it): "detailed" is the common search word.
TAGS = [
    ("highly detailed", 0.70),
    ("sharp focus", 0.40),
    ("dramatic lighting", 0.35),
    ("8k", 0.30),
    ("masterpiece", 0.25),
    ("volumetric light", 0.20),
    ("trending on artstation", 0.20),
    ("soft colors", 0.15),
    ("bokeh", 0.10),
]
NEGATIVES = _items(
    """
    blurry, lowres, watermark; bad anatomy, extra fingers, deformed
    text, signature, jpeg artifacts; oversaturated, ugly, duplicate
    """
)
TITLE_WORDS = (
    ["Quiet", "Neon", "Golden", "Lost", "Morning", "Silent", "Electric", "Hidden", "Last", "Wild"],
    ["Dreams", "Harbor", "Light", "Voyage", "Garden", "Echoes", "Tides", "Spark", "Study", "Hour"],
)
DESCRIPTIONS = _items(
    """
    Took a few tries to get the lighting right.; Part of a series I am working on this month.
    Img2img pass over an earlier render, then upscaled.
    Same seed as yesterday's, different sampler.; Inspired by a walk along the coast.
    """
)
COMMENTS = _items(
    """
    Love the colors!; What sampler did you use?; This is stunning.; The lighting is perfect.
    Could you share the negative prompt?; Wow, great composition.; Saved for inspiration.
    How many steps was this?; The details in the background are amazing.
    This would make a great print.; Reminds me of old travel posters.; Beautiful mood.
    """
)
TOPIC_ADJECTIVES = _items(
    """
    Misty; Neon; Golden; Tiny; Ancient; Cozy; Cosmic; Urban; Wild; Retro; Dreamy; Frozen; Sunlit
    Gothic; Minimal; Surreal; Stormy; Pastel; Haunted; Tropical
    """
)
TOPIC_NOUNS = _items(
    """
    Landscapes; Portraits; Cities; Creatures; Interiors; Machines; Gardens; Oceans; Skies
    Castles; Forests; Characters; Still Lifes; Vehicles; Architecture
    """
)
FIRST_NAMES = _items(
    """
    Ada; Bruno; Chloé; Dmitri; Eun-ji; Farah; Gustav; Hana; Ines; Jonas; Kwame; Lena; Mateo
    Nadia; Oskar; Priya; Quinn; Rosa; Sami; Tomás; Uma; Viktor; Wen; Yara; Zoe
    """
)
BIOS = [
    "Painting with noise since 2023.",
    "Landscapes, mostly. Sometimes cats.",
    "Prompt tinkerer. Coffee drinker.",
    "Trying every sampler so you don't have to.",
    "",
    "",
]

# The pictures the images point at: (width, height, preset key, steps, cfg).
FILE_SIZES = [
    (512, 512, "sd-turbo", 1, 0.0),
    (512, 768, "sd-turbo", 1, 0.0),
    (1024, 1024, "sdxl-base", 30, 7.5),
    (832, 1216, "sdxl-base", 30, 7.5),
    (768, 512, "sdxl-turbo", 1, 0.0),
    (1216, 832, "sdxl-base", 30, 7.5),
    (896, 1152, "sdxl-base", 30, 7.5),
    (512, 512, "sdxl-turbo", 1, 0.0),
    (640, 960, "sdxl-base", 25, 6.0),
    (960, 640, "sdxl-base", 25, 6.0),
    (768, 768, "sd-turbo", 2, 0.0),
    (576, 1024, "sdxl-base", 30, 7.0),
]
SAMPLERS = ["Euler a", "Euler a", "DPM++ 2M Karras", "DDIM"]


# ---- The command ---------------------------------------------------------------


class Command(BaseCommand):
    help = "Fill the database with demo people, topics, images, likes and comments (bulk)."

    def add_arguments(self, parser):
        parser.add_argument("--images", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--topics", type=int, default=200)
        parser.add_argument("--files", type=int, default=len(FILE_SIZES), help="real pictures")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--nsfw-every", type=int, default=0, help="flag one image in this many NSFW (0: none)"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--append", action="store_true", help="add to a database that has images already"
        )
        mode.add_argument(
            "--force",
            action="store_true",
            help="delete what an earlier seed_demo made first (other people's data stays)",
        )

    def handle(self, *args, **options):
        images, users, topics = options["images"], options["users"], options["topics"]
        files = options["files"]
        if images < 0 or topics < 0 or users < 1 or not 1 <= files <= len(FILE_SIZES):
            raise CommandError(
                f"Use --images >= 0, --topics >= 0, --users >= 1 and "
                f"1 <= --files <= {len(FILE_SIZES)}."
            )
        if not connection.features.can_return_rows_from_bulk_insert:
            raise CommandError(
                f"seed_demo needs a database that returns ids from a bulk INSERT "
                f"(SQLite, PostgreSQL, MariaDB), not {connection.display_name}."
            )
        if Image.objects.exists() and not (options["append"] or options["force"]):
            raise CommandError(
                "This database has images already: seed_demo adds to it only with --append, "
                "or with --force (which first deletes what an earlier seed_demo made)."
            )
        started = time.perf_counter()
        if options["force"]:
            with self.step("deleted earlier demo data"):
                deleted = delete_demo_data()
            self.say(f"  ({deleted} people)")
        seeder = Seeder(
            images=images,
            users=users,
            topics=topics,
            files=files,
            seed=options["seed"],
            step=self.step,
            nsfw_every=max(0, options["nsfw_every"]),
        )
        seeder.run()
        total = time.perf_counter() - started
        rate = images / total if total else 0
        self.say(
            f"seed_demo: {images} images, {users} people, {topics} topics, "
            f"{seeder.subscriptions} subscriptions, {seeder.likes} likes, "
            f"{seeder.comments} comments on {connection.vendor} in {total:.1f} s "
            f"({rate:,.0f} images/s). Every demo person's password: {PASSWORD}"
        )

    def say(self, text):
        self.stdout.write(text)
        self.stdout.flush()

    @contextlib.contextmanager
    def step(self, what):
        started = time.perf_counter()
        yield
        self.say(f"  {what}: {time.perf_counter() - started:.1f} s")


# ---- Making the rows ------------------------------------------------------------


class Seeder:
    def __init__(self, *, images, users, topics, files, seed, step, nsfw_every=0):
        self.n_images, self.n_users, self.n_topics, self.n_files = images, users, topics, files
        self.nsfw_every = nsfw_every
        self.random = random.Random(seed)
        self.numpy = np.random.default_rng(seed)
        self.step = step
        self.now = timezone.now()
        self.subscriptions = self.likes = self.comments = 0

    def run(self):
        with self.step(f"{self.n_users} people and profiles"):
            self.make_users()
        with self.step(f"{self.n_topics} topics and their subscriptions"):
            self.make_topics()
            self.make_subscriptions()
        files = min(self.n_files, self.n_images)
        with self.step(f"{files} pictures through gallery.storing.store_image"):
            self.make_files()
        with self.step(f"{self.n_images} images with their likes and comments"):
            self.make_images()
        if connection.vendor == "postgresql":
            # What autovacuum would do soon after such a load: statistics for the
            # planner, and (VACUUM) the visibility map that index-only scans
            # need. VACUUM cannot run inside a transaction (a test's).
            vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with self.step(vacuum), connection.cursor() as cursor:
                for model in (get_user_model(), Profile, Topic, Subscription, Image, Like, Comment):
                    cursor.execute(f"{vacuum} {model._meta.db_table}")

    # People -------------------------------------------------------------------

    def make_users(self):
        User = get_user_model()
        taken = set(
            User.objects.filter(username__startswith=USERNAME_PREFIX).values_list(
                "username", flat=True
            )
        )
        names = (f"{USERNAME_PREFIX}{i:05d}" for i in itertools.count(1))
        usernames = list(itertools.islice((n for n in names if n not in taken), self.n_users))
        password = make_password(PASSWORD)  # hashed once: the hasher is slow on purpose
        rows = [
            User(
                username=name,
                email=f"{name}@{EMAIL_DOMAIN}",
                password=password,
                date_joined=self.now - timedelta(days=DAYS + self.random.random() * 30),
            )
            for name in usernames
        ]
        with transaction.atomic():
            User.objects.bulk_create(rows, batch_size=BATCH)
            self.users = [user.pk for user in rows]
            Profile.objects.bulk_create(
                (
                    Profile(
                        user_id=pk,
                        display_name=f"{self.random.choice(FIRST_NAMES)} "
                        f"{self.random.choice('ABCDEFGHIJKLMNOPRSTVWZ')}.",
                        bio=self.random.choice(BIOS),
                    )
                    for pk in self.users
                ),
                batch_size=BATCH,
            )
        # A long tail: a few people post (and like) far more than most.
        self.poster_weights = _cumulative(_zipf(len(self.users), 0.8, self.random))
        self.liker_weights = _cumulative(_zipf(len(self.users), 0.8, self.random))

    # Topics -------------------------------------------------------------------

    def make_topics(self):
        self.topics = []
        if not self.n_topics:
            return
        taken = set(Topic.objects.values_list("slug", flat=True))
        combos = [f"{a} {n}" for a, n in itertools.product(TOPIC_ADJECTIVES, TOPIC_NOUNS)]
        self.random.shuffle(combos)
        rows = []
        for i in itertools.count():
            name = combos[i % len(combos)]
            if i >= len(combos):
                name = f"{name} {i // len(combos) + 1}"
            slug = slugify(name)
            if slug in taken:
                continue
            taken.add(slug)
            rows.append(
                Topic(
                    slug=slug,
                    name=name,
                    description=f"{name}: made with Atelier, shared with everyone.",
                    owner_id=self.user(),
                    created=self.now - timedelta(days=DAYS + self.random.random() * 20),
                )
            )
            if len(rows) == self.n_topics:
                break
        with transaction.atomic(), _keep_timestamps(Topic):
            Topic.objects.bulk_create(rows, batch_size=BATCH)
        self.topics = [topic.pk for topic in rows]
        self.topic_weights = _cumulative(_zipf(len(self.topics), 1.0, self.random))

    def make_subscriptions(self):
        if not self.topics:
            return
        rows = []
        for user in self.users:
            wanted = min(len(self.topics), int(self.random.expovariate(1 / 4)))
            for topic in self._distinct(self.topics, self.topic_weights, wanted):
                rows.append(
                    Subscription(
                        user_id=user,
                        topic_id=topic,
                        created=self.now - timedelta(days=self.random.random() * DAYS),
                    )
                )
        with transaction.atomic(), _keep_timestamps(Subscription):
            Subscription.objects.bulk_create(rows, batch_size=BATCH)
        self.subscriptions = len(rows)

    # Files --------------------------------------------------------------------

    def make_files(self):
        """The real pictures the image rows point at. Their own rows become the
        oldest images (keeping the recipe their PNG carries)."""
        User = get_user_model()
        self.files = []
        for width, height, model, steps, cfg in FILE_SIZES[: min(self.n_files, self.n_images)]:
            recipe = self.recipe(width, height, model, steps, cfg)
            picture = _painting(self.numpy, width, height)
            image = store_image(
                owner=User(pk=self.user()),
                content=encode_png(picture, recipe),
                picture=picture,
                recipe=recipe,
                visibility=Vis.PUBLIC,
            )
            self.files.append((image, (model, steps, cfg)))

    # Images, likes, comments -------------------------------------------------------

    def make_images(self):
        n = self.n_images
        moments = sorted(self.random.random() for _ in range(n))
        start = self.now - timedelta(days=DAYS)
        span = (self.now - timedelta(minutes=1) - start).total_seconds()
        for first in range(0, n, CHUNK):
            plans = [
                self.plan_image(start + timedelta(seconds=moments[i] * span), i)
                for i in range(first, min(n, first + CHUNK))
            ]
            with transaction.atomic():
                if first == 0:
                    self.adopt_file_rows(plans)
                with _keep_timestamps(Image):
                    Image.objects.bulk_create(
                        [image for image, _, _ in plans if image.pk is None], batch_size=BATCH
                    )
                likes, comments = [], []
                for image, likers, commenters in plans:
                    likes += (
                        Like(user_id=user, image_id=image.pk, created=self.after(image.created))
                        for user in likers
                    )
                    comments += (
                        Comment(
                            user_id=user,
                            image_id=image.pk,
                            text=self.random.choice(COMMENTS),
                            created=self.after(image.created),
                        )
                        for user in commenters
                    )
                with _keep_timestamps(Like, Comment):
                    Like.objects.bulk_create(likes, batch_size=BATCH)
                    Comment.objects.bulk_create(comments, batch_size=BATCH)
                self.likes += len(likes)
                self.comments += len(comments)
            reset_queries()  # under DEBUG, the logged INSERTs would pile up

    def adopt_file_rows(self, plans):
        """The pictures' own rows take the place of the first plans (all but
        the recipe, which their PNG carries)."""
        rows = [row for row, _ in self.files]
        for i, row in enumerate(rows):
            planned, likers, commenters = plans[i]
            for name in ADOPTED_FIELDS:
                attname = Image._meta.get_field(name).attname
                setattr(row, attname, getattr(planned, attname))
            plans[i] = (row, likers, commenters)
        Image.objects.bulk_update(rows, ADOPTED_FIELDS)

    def plan_image(self, created: datetime, index: int):
        """An image (unsaved) with the people who like and comment on it."""
        rnd = self.random
        # The pictures' own rows first, then any picture (aspect ratios mix).
        files = self.files
        template, (model, steps, cfg) = files[index] if index < len(files) else rnd.choice(files)
        roll = rnd.random()
        visibility = Vis.PUBLIC if roll < 0.90 else Vis.UNLISTED if roll < 0.96 else Vis.PRIVATE
        owner = self.user()
        topic = self.topic() if rnd.random() < 0.8 else None
        likers, commenters = [], []
        if visibility != Vis.PRIVATE:
            wanted = min(len(self.users), int(rnd.paretovariate(1.5)) - 1)
            likers = self._distinct(self.users, self.liker_weights, wanted)
            talk = int(wanted * rnd.random() * 0.25) + (rnd.random() < 0.03)
            commenters = [self.liker() for _ in range(talk)]
        image = Image(
            owner_id=owner,
            topic_id=topic,
            title=self.title() if rnd.random() < 0.2 else "",
            description=rnd.choice(DESCRIPTIONS) if rnd.random() < 0.05 else "",
            file=template.file.name,
            thumbnail=template.thumbnail.name,
            width=template.width,
            height=template.height,
            thumb_width=template.thumb_width,
            thumb_height=template.thumb_height,
            thumbhash=template.thumbhash,
            sha256=template.sha256,
            content_type=template.content_type,
            visibility=visibility,
            # Spread evenly, drawing no random number: the rest of the demo
            # is the same with or without flags.
            nsfw=bool(self.nsfw_every) and index % self.nsfw_every == self.nsfw_every // 2,
            source=Image.Source.GENERATED,
            recipe=self.recipe(template.width, template.height, model, steps, cfg),
            like_count=len(likers),
            comment_count=len(commenters),
            created=created,
        )
        return image, likers, commenters

    # Pieces -------------------------------------------------------------------

    def user(self) -> int:
        return self.users[bisect.bisect(self.poster_weights, self.random.random())]

    def liker(self) -> int:
        return self.users[bisect.bisect(self.liker_weights, self.random.random())]

    def topic(self) -> int | None:
        if not self.topics:
            return None
        return self.topics[bisect.bisect(self.topic_weights, self.random.random())]

    def _distinct(self, items, cumulative, count) -> list:
        """``count`` different items, the heavier ones more likely."""
        if count >= len(items) // 3:
            return self.random.sample(items, count)
        chosen: set = set()
        while len(chosen) < count:
            chosen.add(items[bisect.bisect(cumulative, self.random.random())])
        return list(chosen)

    def after(self, moment: datetime) -> datetime:
        return moment + (self.now - moment) * self.random.random()

    def title(self) -> str:
        return f"{self.random.choice(TITLE_WORDS[0])} {self.random.choice(TITLE_WORDS[1])}"

    def prompt(self) -> str:
        rnd = self.random
        subject = rnd.choice(RARE_SUBJECTS if rnd.random() < RARE_SHARE * 3 else SUBJECTS)
        tags = [tag for tag, share in TAGS if rnd.random() < share]
        return ", ".join([f"{subject} {rnd.choice(SETTINGS)}", rnd.choice(STYLES), *tags])

    def recipe(self, width, height, model, steps, cfg) -> dict:
        """Shaped like studio's GenerationRequest.recipe()."""
        rnd = self.random
        return {
            "prompt": self.prompt(),
            "negative_prompt": rnd.choice(NEGATIVES) if rnd.random() < 0.6 else "",
            "model": model,
            "width": width,
            "height": height,
            "steps": steps,
            "cfg_scale": cfg,
            "seed": rnd.randrange(2**32),
            "sampler": rnd.choice(SAMPLERS),
            "backend": "diffusers",
        }


ADOPTED_FIELDS = [
    "owner",
    "topic",
    "title",
    "description",
    "visibility",
    "like_count",
    "comment_count",
    "created",
]


def _zipf(n: int, s: float, rnd: random.Random) -> list[float]:
    """Weights 1/rank^s, the ranks shuffled over the items."""
    weights = [1 / (rank**s) for rank in range(1, n + 1)]
    rnd.shuffle(weights)
    return weights


def _cumulative(weights: list[float]) -> list[float]:
    total = sum(weights)
    running = list(itertools.accumulate(w / total for w in weights))
    running[-1] = 1.0 + 1e-9  # bisect never runs off the end
    return running


@contextlib.contextmanager
def _keep_timestamps(*models):
    """Let bulk_create keep the ``created`` values it is given (auto_now_add
    would overwrite them with the current time)."""
    fields = [model._meta.get_field("created") for model in models]
    saved = [field.auto_now_add for field in fields]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in zip(fields, saved, strict=True):
            field.auto_now_add = value


def _painting(rng: np.random.Generator, width: int, height: int) -> PILImage.Image:
    """A made-up picture: two-colour clouds over a vertical gradient, a grain
    fine enough to survive the thumbnail (so the WebP weighs what a detailed
    picture does, about 10–20 KB) and a scatter of soft-edged shapes."""
    side = max(width, height)

    def noise(cells, channels):
        grid = rng.random(
            (max(2, cells * height // side), max(2, cells * width // side), channels),
            dtype=np.float32,
        )
        mode_grid = grid[..., 0] if channels == 1 else grid
        layer = PILImage.fromarray((mode_grid * 255).astype(np.uint8)).resize(
            (width, height), PILImage.Resampling.BICUBIC
        )
        values = np.asarray(layer, np.float32) / 255 - 0.5
        return values[..., None] if channels == 1 else values

    clouds = sum(noise(cells, 1) * amp for cells, amp in ((2, 1), (4, 0.6), (8, 0.4), (16, 0.25)))
    clouds = (clouds - clouds.min()) / (clouds.max() - clouds.min())
    colors = rng.random((3, 3)) * 255
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    pixels = (colors[0] * (1 - clouds) + colors[1] * clouds) * (1 - 0.5 * ramp)
    pixels += colors[2] * 0.5 * ramp + (noise(48, 1) * 0.5 + noise(128, 3)) * 50
    picture = PILImage.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    shapes = PILImage.new("RGBA", (width, height))
    draw = ImageDraw.Draw(shapes)
    for i in range(int(rng.integers(12, 30))):
        x, y = rng.random(2) * (width, height)
        r = side * (0.15 if i < 4 else 0.04) * (0.3 + rng.random())
        fill = (*(int(c) for c in rng.random(3) * 255), int(90 + rng.random() * 120))
        draw.ellipse((x - r, y - r * (0.5 + rng.random()), x + r, y + r), fill=fill)
    shapes = shapes.filter(ImageFilter.GaussianBlur(side / 500))
    picture.paste(shapes, (0, 0), shapes)
    return picture


# ---- --force ---------------------------------------------------------------------


def delete_demo_data() -> int:
    """Delete the people an earlier seed_demo made and everything of theirs,
    bottom-up (so no row is collected one by one), then put the counts of the
    images that remain right. Their shared files go once the rows are gone."""
    User = get_user_model()
    people = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    images = Image.objects.filter(owner__in=people)
    names = set()
    for file, thumbnail in images.values_list("file", "thumbnail").distinct():
        names.update((file, thumbnail))
    with transaction.atomic():
        Comment.objects.filter(Q(user__in=people) | Q(image__in=images)).delete()
        Like.objects.filter(Q(user__in=people) | Q(image__in=images)).delete()
        Subscription.objects.filter(Q(user__in=people) | Q(topic__owner__in=people)).delete()
        images.delete()
        Topic.objects.filter(owner__in=people).delete()
        Profile.objects.filter(user__in=people).delete()
        count, _ = people.delete()
        recount()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return count
