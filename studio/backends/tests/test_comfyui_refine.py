"""Inpainting, hires fix and upscaling on the ComfyUI engine, against the fake
ComfyUI (fake_comfyui.py): the uploads, the graph posted to /prompt (node
classes, their inputs and the links between them) and the pictures that come
back; and what a server that refuses the graph is told to the person."""

import dataclasses
import io
import json

import pytest
from PIL import Image, ImageChops, ImageDraw

from studio.backends.base import BackendError
from studio.backends.comfyui import WORKFLOWS, ComfyUIBackend
from studio.backends.inpaint_mask import InpaintOptions

from .fake_comfyui import FakeComfyUI, color_for
from .progress_recorder import Recorder
from .test_comfyui import CHECKPOINT, generate, make_config, make_request

ORIGINAL = (30, 140, 220)
MASK_BOX = (16, 12, 40, 32)  # painted white on a 64 x 48 picture


@pytest.fixture
def one_torch_thread():
    """These tests never import torch (the package conftest pins its threads)."""


@pytest.fixture
def comfy():
    with FakeComfyUI(checkpoints=[CHECKPOINT]) as fake:
        yield fake


def original(size=(64, 48)) -> Image.Image:
    return Image.new("RGB", size, ORIGINAL)


def painted_mask(size=(64, 48), box=MASK_BOX) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def inpaint_request(**options):
    fields = {"mask": painted_mask(), "mask_blur": 2, **options}
    return make_request(init_image=original(), strength=0.7, inpaint=InpaintOptions(**fields))


def prompt_of(comfy, index=0) -> dict:
    return comfy.prompts[index]["prompt"]


def node(prompt: dict, class_type: str) -> tuple[str, dict]:
    """The one node of ``class_type`` (its id and itself)."""
    (found,) = [(key, n) for key, n in prompt.items() if n["class_type"] == class_type]
    return found


def linked(prompt: dict, owner: dict, name: str) -> str:
    """The class of the node that ``owner``'s input ``name`` links to."""
    source, output = owner["inputs"][name]
    assert isinstance(output, int)
    return prompt[source]["class_type"]


def uploaded(comfy, name: str) -> Image.Image:
    picture = Image.open(io.BytesIO(comfy.uploads[name]))
    picture.load()
    return picture


def test_comfyui_says_it_can_inpaint_and_run_a_hires_fix():
    assert ComfyUIBackend.refusal("inpainting", "any.safetensors") == ""
    assert ComfyUIBackend.refusal("hires_fix", "any.safetensors") == ""


def test_inpainting_uploads_picture_and_mask_and_keeps_the_original_outside_it(comfy):
    (result,) = generate(make_config(comfy), inpaint_request())

    prompt = prompt_of(comfy)
    _, load = node(prompt, "LoadImage")
    _, load_mask = node(prompt, "LoadImageMask")
    assert load_mask["inputs"]["channel"] == "red"  # a white-is-repainted PNG
    assert uploaded(comfy, load["inputs"]["image"]).convert("RGB").getpixel((0, 0)) == ORIGINAL
    mask = uploaded(comfy, load_mask["inputs"]["image"])
    assert mask.size == (64, 48)
    assert mask.getpixel((28, 22)) == 255 and mask.getpixel((2, 2)) == 0
    assert 0 < mask.getpixel((MASK_BOX[0] - 1, 22)) < 255  # blurred by mask_blur

    _, encode = node(prompt, "VAEEncode")
    _, noise_mask = node(prompt, "SetLatentNoiseMask")
    _, sampler = node(prompt, "KSampler")
    _, decode = node(prompt, "VAEDecode")
    _, composite = node(prompt, "ImageCompositeMasked")
    _, save = node(prompt, "SaveImage")
    assert linked(prompt, encode, "pixels") == "LoadImage"
    assert linked(prompt, noise_mask, "samples") == "VAEEncode"
    assert linked(prompt, noise_mask, "mask") == "LoadImageMask"
    assert linked(prompt, sampler, "latent_image") == "SetLatentNoiseMask"
    assert sampler["inputs"]["denoise"] == 0.7  # "original": the strength asked
    assert linked(prompt, decode, "samples") == "KSampler"
    assert linked(prompt, composite, "destination") == "LoadImage"
    assert linked(prompt, composite, "source") == "VAEDecode"
    assert linked(prompt, composite, "mask") == "LoadImageMask"
    assert linked(prompt, save, "images") == "ImageCompositeMasked"

    assert result.image.size == (64, 48)
    assert result.image.getpixel((28, 22)) == color_for(1234)  # repainted under the mask
    untouched = mask.point(lambda v: 0 if v else 255)  # not even in the blurred seam
    changed = ImageChops.difference(result.image, original()).convert("L").point(bool)
    assert ImageChops.multiply(changed.point(lambda v: 255 * v), untouched).getbbox() is None
    assert untouched.getbbox() is not None


def test_fill_repaints_from_scratch_with_vae_encode_for_inpaint(comfy):
    generate(make_config(comfy), inpaint_request(masked_content="fill", mask_blur=4))

    prompt = prompt_of(comfy)
    _, encode = node(prompt, "VAEEncodeForInpaint")
    _, sampler = node(prompt, "KSampler")
    assert linked(prompt, encode, "pixels") == "LoadImage"
    assert linked(prompt, encode, "mask") == "LoadImageMask"
    assert encode["inputs"]["grow_mask_by"] == 8  # twice the mask blur
    assert linked(prompt, sampler, "latent_image") == "VAEEncodeForInpaint"
    assert sampler["inputs"]["denoise"] == 1.0
    assert not [n for n in prompt.values() if n["class_type"] == "SetLatentNoiseMask"]


def test_only_masked_sends_the_area_and_pastes_the_result_back_into_the_whole(comfy):
    picture = original((256, 192))
    request = make_request(
        width=64,
        height=48,
        init_image=picture,
        strength=0.5,
        inpaint=InpaintOptions(
            mask=painted_mask((256, 192), (100, 80, 131, 103)),
            mask_blur=0,
            inpaint_area="masked",
            padding=8,
        ),
    )
    (result,) = generate(make_config(comfy), request)

    _, load = node(prompt_of(comfy), "LoadImage")
    assert uploaded(comfy, load["inputs"]["image"]).size == (64, 48)  # the area, at model size
    assert result.image.size == (256, 192)  # the whole picture
    assert result.image.getpixel((115, 90)) == color_for(1234)
    assert result.image.getpixel((10, 10)) == ORIGINAL
    assert result.image.getpixel((92, 90)) == ORIGINAL  # in the padding: kept


def test_hires_fix_latent_adds_an_upscale_and_a_second_pass_on_the_same_seed(comfy):
    recorder = Recorder()
    request = make_request(hires_scale=2.0, hires_steps=2, strength=0.45, steps=3)
    (result,) = generate(make_config(comfy), request, recorder)

    prompt = prompt_of(comfy)
    samplers = {key: n for key, n in prompt.items() if n["class_type"] == "KSampler"}
    upscale_id, upscale = node(prompt, "LatentUpscale")
    (first_id,) = [
        key for key, n in samplers.items() if linked(prompt, n, "latent_image") != "LatentUpscale"
    ]
    (second_id,) = set(samplers) - {first_id}
    first, second = samplers[first_id], samplers[second_id]
    assert linked(prompt, first, "latent_image") == "EmptyLatentImage"
    assert upscale["inputs"] == {
        "samples": [first_id, 0],
        "upscale_method": "bilinear",  # A1111's "Latent"
        "width": 128,
        "height": 96,
        "crop": "disabled",
    }
    assert second["inputs"]["latent_image"] == [upscale_id, 0]
    assert (second["inputs"]["steps"], second["inputs"]["denoise"]) == (2, 0.45)
    for same in ("seed", "cfg", "sampler_name", "scheduler", "model", "positive", "negative"):
        assert second["inputs"][same] == first["inputs"][same]
    (decode,) = [n for n in prompt.values() if n["class_type"] == "VAEDecode"]
    assert decode["inputs"]["samples"] == [second_id, 0]

    assert result.image.size == (128, 96)
    steps = [p.step for p in recorder.sampling() if p.preview is None]
    assert steps == [1, 2, 3, 4, 5]  # the second pass goes on from the first
    assert {p.total for p in recorder.sampling()} == {5}


def test_hires_fix_lanczos_decodes_scales_and_encodes_again(comfy):
    request = make_request(hires_scale=1.5, hires_upscaler="lanczos", strength=0.3)
    (result,) = generate(make_config(comfy), request)

    prompt = prompt_of(comfy)
    _, scale = node(prompt, "ImageScale")
    _, encode = node(prompt, "VAEEncode")
    assert (scale["inputs"]["upscale_method"], scale["inputs"]["width"]) == ("lanczos", 96)
    assert scale["inputs"]["height"] == 72
    assert linked(prompt, scale, "image") == "VAEDecode"
    assert linked(prompt, encode, "pixels") == "ImageScale"
    second = next(
        n
        for n in prompt.values()
        if n["class_type"] == "KSampler" and linked(prompt, n, "latent_image") == "VAEEncode"
    )
    assert (second["inputs"]["steps"], second["inputs"]["denoise"]) == (3, 0.3)
    assert result.image.size == (96, 72)


@pytest.mark.parametrize(
    ("upscaler", "chain"),
    [
        ("latent", ["LoadImage", "VAEEncode", "LatentUpscale", "KSampler"]),
        ("lanczos", ["LoadImage", "ImageScale", "VAEEncode", "KSampler"]),
    ],
)
def test_upscaling_a_picture_scales_it_before_repainting(comfy, upscaler, chain):
    request = make_request(
        init_image=original(),
        hires_scale=2.0,
        hires_upscaler=upscaler,
        hires_steps=4,
        strength=0.35,
    )
    (result,) = generate(make_config(comfy), request)

    prompt = prompt_of(comfy)
    _, sampler = node(prompt, "KSampler")
    assert (sampler["inputs"]["steps"], sampler["inputs"]["denoise"]) == (4, 0.35)
    found, current = ["KSampler"], sampler
    while found[0] != "LoadImage":
        name = next(
            k for k in ("latent_image", "samples", "pixels", "image") if k in current["inputs"]
        )
        current = prompt[current["inputs"][name][0]]
        found.insert(0, current["class_type"])
    assert found == chain
    assert uploaded(comfy, node(prompt, "LoadImage")[1]["inputs"]["image"]).size == (64, 48)
    assert result.image.size == (128, 96)


def test_a_comfyui_without_the_composite_node_is_named_in_the_error(comfy):
    del comfy.node_classes["ImageCompositeMasked"]
    with pytest.raises(BackendError) as error:
        generate(make_config(comfy), inpaint_request())
    assert "rejected the workflow" in error.value.message
    assert "ImageCompositeMasked does not exist" in error.value.message


def test_a_mask_node_the_server_refuses_is_named_with_its_input(comfy, tmp_path):
    workflow = json.loads(WORKFLOWS["inpaint"][0].read_text())
    mask_id = next(k for k, n in workflow.items() if n["class_type"] == "LoadImageMask")
    del workflow[mask_id]["inputs"]["channel"]
    (tmp_path / "inpaint.json").write_text(json.dumps(workflow))
    config = make_config(comfy, workflow_dir=str(tmp_path))
    request = dataclasses.replace(inpaint_request(), options={"inpaint_workflow": "inpaint.json"})
    with pytest.raises(BackendError) as error:
        generate(config, request)
    assert (
        f"LoadImageMask (node {mask_id}): Required input is missing: channel" in error.value.message
    )


def test_a_hires_fix_on_a_workflow_without_the_sampler_chain_fails_before_sending(comfy, tmp_path):
    workflow = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "a"}},
    }
    (tmp_path / "plain.json").write_text(json.dumps(workflow))
    request = make_request(hires_scale=2.0, options={"workflow": str(tmp_path / "plain.json")})
    with pytest.raises(BackendError, match="no KSampler → VAEDecode → SaveImage chain"):
        generate(make_config(comfy), request)
    assert not comfy.prompts


def test_a_mask_placeholder_in_a_text_to_image_workflow_is_a_clear_error(comfy, tmp_path):
    workflow = {"1": {"class_type": "LoadImageMask", "inputs": {"image": "{{mask}}"}}}
    (tmp_path / "odd.json").write_text(json.dumps(workflow))
    with pytest.raises(BackendError, match="loads a mask"):
        generate(make_config(comfy), make_request(options={"workflow": str(tmp_path / "odd.json")}))


def test_a_miswired_workflow_is_refused_naming_the_node_and_the_types(comfy, tmp_path):
    workflow = json.loads(WORKFLOWS["inpaint"][0].read_text())
    composite_id = next(k for k, n in workflow.items() if n["class_type"] == "ImageCompositeMasked")
    load_id = next(k for k, n in workflow.items() if n["class_type"] == "LoadImage")
    workflow[composite_id]["inputs"]["mask"] = [load_id, 0]  # the picture, not its mask
    (tmp_path / "inpaint.json").write_text(json.dumps(workflow))
    config = make_config(comfy, workflow_dir=str(tmp_path))
    request = dataclasses.replace(inpaint_request(), options={"inpaint_workflow": "inpaint.json"})
    with pytest.raises(BackendError) as error:
        generate(config, request)
    assert (
        f"ImageCompositeMasked (node {composite_id}): Return type mismatch between linked "
        "nodes: mask, received_type(IMAGE) mismatch input_type(MASK)"
    ) in error.value.message
    assert not comfy.prompt_ids  # nothing was queued
