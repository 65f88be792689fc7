"""Generation recipes as each tool writes them into its files, read into Atelier's
recipe dict (see ``imaging.png_metadata``) with ``recipe["source"]`` naming the tool.

One module per tool: ``comfyui``, ``invokeai``, ``novelai``, ``fooocus``, ``swarmui``;
A1111's infotext and Atelier's own chunk are read by ``imaging.png_metadata``.
``read_file_recipe`` picks the reader by the chunks a file carries. Metadata that is
damaged or unknown never raises: it is left out, with a note for the uploader.
"""

from __future__ import annotations

from .reading import RecipeReading, read_file_recipe

__all__ = ["RecipeReading", "read_file_recipe"]
