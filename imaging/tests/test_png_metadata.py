import io
import json
import zlib

from PIL import Image, ImageCms, PngImagePlugin

from imaging.png_metadata import (
    encode_png,
    encode_user_comment,
    format_parameters,
    infotext_fields,
    parse_parameters,
    read_recipe,
)
from imaging.tests.sample_images import encode, photo_like, png_chunk, png_chunks

RECIPE = {
    "prompt": "a lighthouse at dusk, oil painting",
    "negative_prompt": "blurry, lowres",
    "model": "sdxl-base",
    "sampler": "Euler a",
    "steps": 30,
    "cfg_scale": 7.5,
    "seed": 1234,
    "width": 1024,
    "height": 1024,
    "backend": "diffusers",
}

A1111_TEXT = (
    "masterpiece, best quality, a lighthouse at dusk, (dramatic sky:1.2)\n"
    "<lora:add_detail:0.5>\n"
    "Negative prompt: lowres, bad anatomy,\n"
    "watermark\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3288125718, "
    "Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Denoising strength: 0.35, "
    'Clip skip: 2, Hires upscaler: 4x-UltraSharp, Lora hashes: "add_detail: 7c6bad76eb54", '
    'TI hashes: "lowres: 3f1a, watermark: 99c2", Version: v1.10.1'
)


def a1111_png(text: str) -> bytes:
    """A PNG as AUTOMATIC1111 saves it: the infotext in a `parameters` text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    return encode(photo_like(64, 64), "PNG", pnginfo=info)


def test_it_formats_a_recipe_as_a1111_does():
    assert format_parameters(RECIPE) == (
        "a lighthouse at dusk, oil painting\n"
        "Negative prompt: blurry, lowres\n"
        "Steps: 30, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Size: 1024x1024, "
        "Model: sdxl-base, Backend: diffusers"
    )


def test_it_omits_the_negative_prompt_line_when_it_is_empty():
    text = format_parameters({**RECIPE, "negative_prompt": ""})

    assert "Negative prompt" not in text
    assert text.splitlines()[0] == RECIPE["prompt"]
    assert text.splitlines()[1].startswith("Steps: 30, ")


def test_it_writes_a_whole_number_cfg_scale_without_a_decimal_point():
    assert "CFG scale: 7, " in format_parameters({**RECIPE, "cfg_scale": 7.0})


def test_it_quotes_values_holding_commas_or_colons():
    text = format_parameters({**RECIPE, "model": "my model, v2", "vae": "a:b"})

    assert 'Model: "my model, v2"' in text
    assert 'Vae: "a:b"' in text


def test_it_writes_extra_keys_after_the_core_ones():
    text = format_parameters({**RECIPE, "clip_skip": 2, "loras": [{"name": "x"}]})

    assert text.endswith("Backend: diffusers, Clip skip: 2")


def test_it_parses_what_it_formats():
    recipe = {**RECIPE, "prompt": "line one\nline two", "clip_skip": 2, "scheduler": "karras"}

    assert parse_parameters(format_parameters(recipe)) == recipe


def test_it_parses_text_written_by_a1111():
    recipe = parse_parameters(A1111_TEXT)

    assert recipe == {
        "prompt": (
            "masterpiece, best quality, a lighthouse at dusk, (dramatic sky:1.2)\n"
            "<lora:add_detail:0.5>"
        ),
        "negative_prompt": "lowres, bad anatomy,\nwatermark",
        "steps": 28,
        "sampler": "DPM++ 2M",
        "schedule_type": "Karras",
        "cfg_scale": 6.5,
        "seed": 3288125718,
        "width": 832,
        "height": 1216,
        "model_hash": "31e35c80fc",
        "model": "sd_xl_base_1.0",
        "denoising_strength": 0.35,
        "clip_skip": 2,
        "hires_upscaler": "4x-UltraSharp",
        "lora_hashes": {"add_detail": "7c6bad76eb54"},
        "ti_hashes": {"lowres": "3f1a", "watermark": "99c2"},
        "version": "v1.10.1",
    }


def test_it_reads_a_text_without_settings_as_a_prompt():
    recipe = parse_parameters("a cat, sitting: on a mat")

    assert recipe == {"prompt": "a cat, sitting: on a mat", "negative_prompt": ""}


def test_it_reads_a_short_settings_line_of_core_keys():
    recipe = parse_parameters("a cat\nSeed: 42")

    assert recipe == {"prompt": "a cat", "negative_prompt": "", "seed": 42}


def test_it_reads_a_negative_prompt_without_a_prompt():
    recipe = parse_parameters("\nNegative prompt: ugly\nSteps: 4, Sampler: Euler, Seed: 1")

    assert recipe["prompt"] == ""
    assert recipe["negative_prompt"] == "ugly"


def test_it_embeds_both_chunks_in_a_png():
    chunks = dict(png_chunks(encode_png(photo_like(32, 32), RECIPE)))

    assert chunks[b"tEXt"] == b"parameters\0" + format_parameters(RECIPE).encode("latin-1")
    keyword, _, rest = chunks[b"iTXt"].partition(b"\0")
    assert keyword == b"atelier"
    assert json.loads(rest[4:]) == RECIPE  # flags, method, empty language and keyword


def test_it_keeps_a_non_ascii_prompt():
    recipe = {**RECIPE, "prompt": "灯台 au crépuscule 🌅", "negative_prompt": "flou"}

    assert read_recipe(encode_png(photo_like(32, 32), recipe)) == recipe


def test_it_encodes_the_same_image_and_recipe_to_the_same_bytes():
    image = photo_like(48, 48)

    assert encode_png(image, RECIPE) == encode_png(image.copy(), dict(reversed(RECIPE.items())))


def test_it_keeps_the_pixels():
    image = photo_like(48, 40)

    decoded = Image.open(io.BytesIO(encode_png(image, RECIPE)))

    assert decoded.mode == "RGB"
    assert decoded.tobytes() == image.tobytes()


def test_it_writes_no_other_metadata():
    image = photo_like(32, 32)
    image.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.info["Software"] = "Camera 1.0"

    chunk_types = [chunk_type for chunk_type, _ in png_chunks(encode_png(image, RECIPE))]

    assert chunk_types == [b"IHDR", b"tEXt", b"iTXt", b"IDAT", b"IEND"]


def test_it_reads_its_own_recipe_with_every_key():
    recipe = {**RECIPE, "loras": [{"name": "detail", "weight": 0.5}], "job": 17}

    assert read_recipe(encode_png(photo_like(32, 32), recipe)) == recipe


def test_it_reads_the_recipe_of_an_a1111_png():
    recipe = read_recipe(a1111_png(A1111_TEXT))

    assert recipe["seed"] == 3288125718
    assert recipe["model"] == "sd_xl_base_1.0"
    assert (recipe["width"], recipe["height"]) == (832, 1216)


def test_it_reads_a_compressed_parameters_chunk():
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT, zip=True)
    png = encode(photo_like(16, 16), "PNG", pnginfo=info)
    assert b"zTXt" in png

    assert read_recipe(png)["sampler"] == "DPM++ 2M"


def test_it_reads_parameters_stored_after_the_pixels():
    png = a1111_png(A1111_TEXT)
    chunks = png_chunks(png)
    text = next(chunk for chunk in chunks if chunk[0] == b"tEXt")
    reordered = [chunk for chunk in chunks if chunk[0] != b"tEXt"]
    reordered.insert(-1, text)  # just before IEND

    assert read_recipe(png[:8] + b"".join(png_chunk(*chunk) for chunk in reordered))


def test_it_reads_a_file_object():
    assert read_recipe(io.BytesIO(encode_png(photo_like(16, 16), RECIPE))) == RECIPE


def test_it_reads_the_recipe_of_an_a1111_jpeg():
    exif = Image.Exif()
    exif[0x8769] = {0x9286: encode_user_comment(A1111_TEXT)}
    jpeg = encode(photo_like(32, 32), "JPEG", exif=exif)

    assert read_recipe(jpeg)["schedule_type"] == "Karras"


def test_it_reads_the_recipe_of_an_a1111_webp():
    exif = Image.Exif()
    exif[0x8769] = {0x9286: encode_user_comment(format_parameters(RECIPE))}
    webp = encode(photo_like(32, 32), "WEBP", exif=exif)

    assert read_recipe(webp) == RECIPE


def test_it_finds_no_recipe_in_a_plain_png():
    assert read_recipe(encode(photo_like(16, 16), "PNG")) is None


def test_it_finds_no_recipe_in_a_plain_jpeg():
    assert read_recipe(encode(photo_like(16, 16), "JPEG")) is None


def test_it_finds_no_recipe_in_bytes_that_are_not_an_image():
    assert read_recipe(b"just some text") is None
    assert read_recipe(b"") is None


def test_it_falls_back_to_parameters_when_the_json_chunk_is_broken():
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT)
    info.add_itxt("atelier", "{not json")
    png = encode(photo_like(16, 16), "PNG", pnginfo=info)

    assert read_recipe(png)["model"] == "sd_xl_base_1.0"


def test_it_refuses_to_inflate_a_huge_text_chunk():
    bomb = zlib.compress(b"a" * (64 << 20), 9)  # 64 MB of text in about 64 KB
    png = encode(photo_like(8, 8), "PNG")
    body = b"parameters\0\0" + bomb
    png = png[:-12] + png_chunk(b"zTXt", body) + png[-12:]

    assert read_recipe(png) is None


def test_it_ignores_a_json_recipe_holding_nan():
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_TEXT)
    info.add_itxt("atelier", '{"prompt": "x", "cfg_scale": NaN}')
    png = encode(photo_like(16, 16), "PNG", pnginfo=info)

    assert read_recipe(png)["cfg_scale"] == 6.5


def test_it_keeps_a_cfg_scale_that_is_not_a_number_as_text():
    recipe = parse_parameters("a cat\nSteps: 20, CFG scale: nan, Seed: 1")

    assert recipe["cfg_scale"] == "nan"


def test_a_recipe_with_a_lone_surrogate_is_not_trusted():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("atelier", '{"prompt": "bad \\ud800 text"}')
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG", pnginfo=info)
    assert read_recipe(buffer.getvalue()) is None


def test_a_recipe_nested_100000_deep_is_not_trusted():
    from imaging.tests.sample_images import png_with_deep_recipe

    assert read_recipe(png_with_deep_recipe(100_000)) is None


def test_a_quoted_value_with_a_lone_surrogate_is_read_with_a_replacement_character():
    recipe = parse_parameters('a cat\nSteps: 20, Sampler: "Euler \\ud800", Seed: 1')

    assert recipe["sampler"] == "Euler \ufffd"
    recipe["sampler"].encode("utf-8")


def test_it_reads_an_infotext_into_a1111_s_own_fields():
    text = (
        'a cat, "quoted"\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, '
        'Size: 512x768, Model: "a, b", Hires upscale: 2'
    )
    assert infotext_fields(text) == {
        "Prompt": 'a cat, "quoted"',
        "Negative prompt": "dog",
        "Steps": "20",
        "Sampler": "Euler a",
        "Size-1": "512",
        "Size-2": "768",
        "Model": "a, b",
        "Hires upscale": "2",
    }
    assert infotext_fields("just a prompt") == {"Prompt": "just a prompt", "Negative prompt": ""}
