"""Where new images went and who can see them, in the words the job page, the
upload result and its messages use: said once, so the three agree."""

from .models import Image


def who_can_see(visibility: str, *, in_topic: bool, count: int = 1) -> str:
    """One sentence: the visibility's name and who sees the images (or image)."""
    them = "them" if count != 1 else "it"
    if visibility == Image.Visibility.PUBLIC:
        where = "Recent and the topic" if in_topic else "Recent and on your profile"
        return f"Public: anyone can see {them} in {where}."
    if visibility == Image.Visibility.UNLISTED:
        where = "Recent or the topic" if in_topic else "Recent or on your profile"
        return f"Unlisted: anyone with the link can see {them}; not shown in {where}."
    if in_topic:
        return f"Private: only you can see {them}; the topic does not show {them}."
    return f"Private: only you can see {them}."


def where_images_went(topic, visibility: str, count: int = 1) -> str:
    """The plain-text form, for a message: "In topic Cats · Private: …"."""
    place = f"In topic {topic.name}" if topic else "In My images"
    return f"{place} · {who_can_see(visibility, in_topic=topic is not None, count=count)}"
