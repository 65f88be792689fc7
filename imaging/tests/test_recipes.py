"""Recipes as other tools write them, read from real PNG bytes; damaged and
hostile metadata becomes a note, never an exception."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imaging.png_metadata import encode_user_comment
from imaging.recipes import read_file_recipe

from . import tool_files as files


def test_comfyui_is_read_by_following_the_graphs_links():
    reading = read_file_recipe(files.comfyui_png())
    assert reading.notes == []
    assert reading.recipe == {
        "source": "ComfyUI",
        "prompt": "a lighthouse at dusk, oil painting",
        "negative_prompt": "blurry, text",
        "seed": 987654321,
        "steps": 28,
        "cfg_scale": 6.5,
        "sampler": "DPM++ 2M Karras",
        "scheduler": "karras",
        "width": 832,
        "height": 1216,
        "model": "sd_xl_base_1.0.safetensors",
        "loras": [
            {"name": "add_detail.safetensors", "weight": 0.8},
            {"name": "film_grain.safetensors", "weight": 0.5},
        ],
    }


def test_comfyui_reads_the_saved_pass_of_a_two_pass_graph():
    graph = json.loads(json.dumps(files.COMFYUI_PROMPT))
    # A second (hires) pass that takes the first pass's latent and is the one saved.
    graph["20"] = {
        "class_type": "KSampler",
        "inputs": {
            **graph["3"]["inputs"],
            "seed": 5,
            "steps": 12,
            "denoise": 0.5,
            "latent_image": ["21", 0],
        },
    }
    graph["21"] = {
        "class_type": "LatentUpscale",
        "inputs": {"samples": ["3", 0], "width": 1664, "height": 2432},
    }
    graph["8"]["inputs"]["samples"] = ["20", 0]
    recipe = read_file_recipe(files.comfyui_png(graph)).recipe
    assert (recipe["seed"], recipe["steps"]) == (5, 12)
    assert (recipe["width"], recipe["height"]) == (832, 1216)  # the empty latent's size


def test_comfyui_sampler_custom_advanced_reads_through_its_guider_and_noise():
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["9", 0]}},
        "3": {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["2", 0]}},
        "4": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
        "5": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "6": {
            "class_type": "BasicScheduler",
            "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1, "model": ["1", 0]},
        },
        "7": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024}},
        "8": {
            "class_type": "SamplerCustomAdvanced",
            "inputs": {
                "noise": ["4", 0],
                "guider": ["3", 0],
                "sampler": ["5", 0],
                "sigmas": ["6", 0],
                "latent_image": ["7", 0],
            },
        },
        "9": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl.safetensors"}},
    }
    recipe = read_file_recipe(files.comfyui_png(graph, workflow=None)).recipe
    assert recipe["seed"] == 42 and recipe["steps"] == 20 and recipe["sampler"] == "Euler"
    assert recipe["model"] == "flux1-dev.safetensors" and (recipe["width"], recipe["height"]) == (
        1024,
        1024,
    )


def test_comfyui_falls_back_to_the_workflow_for_what_the_graph_lacks():
    graph = json.loads(json.dumps(files.COMFYUI_PROMPT))
    del graph["5"]  # the latent's node is missing: a dangling link
    recipe = read_file_recipe(files.comfyui_png(graph)).recipe
    assert (recipe["width"], recipe["height"]) == (512, 768)  # from the workflow
    assert recipe["steps"] == 28  # the graph wins where it has the value


def test_comfyui_workflow_alone_gives_what_its_widgets_hold():
    recipe = read_file_recipe(files.comfyui_png(prompt=None)).recipe
    assert recipe["model"] == "from_workflow.safetensors" and recipe["steps"] == 20
    assert recipe["source"] == "ComfyUI"


def test_a_damaged_comfyui_graph_falls_back_to_the_workflow():
    content = files.comfyui_png(prompt=json.dumps(files.COMFYUI_PROMPT)[:100])
    recipe = read_file_recipe(content).recipe
    assert recipe["model"] == "from_workflow.safetensors" and recipe["source"] == "ComfyUI"


def test_a_damaged_comfyui_graph_beside_a1111_text_gives_the_a1111_recipe():
    content = files.png({"prompt": "{broken", "parameters": files.A1111_PARAMETERS})
    reading = read_file_recipe(content)
    assert reading.recipe["source"] == "A1111" and reading.recipe["seed"] == 77


def test_swarmui_json_in_a_jpegs_exif_user_comment():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = encode_user_comment(json.dumps(files.SWARMUI_PARAMETERS))
    buffer = io.BytesIO()
    files.picture().save(buffer, "JPEG", exif=exif.tobytes())
    recipe = read_file_recipe(buffer.getvalue()).recipe
    assert recipe["source"] == "SwarmUI" and recipe["prompt"] == "a watercolor map of an island"


def test_a_comfyui_graph_with_a_cycle_is_read_without_looping():
    graph = json.loads(json.dumps(files.COMFYUI_PROMPT))
    graph["10"]["inputs"]["model"] = ["11", 0]  # the two LoRA loaders feed each other
    graph["6"]["inputs"]["clip"] = ["6", 0]
    reading = read_file_recipe(files.comfyui_png(graph, workflow=None))
    assert reading.recipe["prompt"] == "a lighthouse at dusk, oil painting"
    assert "model" not in reading.recipe  # no checkpoint is reachable


def test_invokeai():
    recipe = read_file_recipe(files.invokeai_png()).recipe
    assert recipe == {
        "source": "InvokeAI",
        "prompt": "a red fox in the snow",
        "negative_prompt": "lowres",
        "seed": 1234,
        "steps": 30,
        "width": 1024,
        "height": 768,
        "cfg_scale": 5.5,
        "sampler": "DPM++ 2M Karras",
        "model": "Juggernaut XL v9",
        "model_hash": "blake3:0a1b2c",
        "loras": [{"name": "pixel-art-xl", "weight": 0.7}],
        "version": "4.2.4",
    }


def test_novelai():
    recipe = read_file_recipe(files.novelai_png()).recipe
    assert recipe == {
        "source": "NovelAI",
        "prompt": "1girl, masterpiece, cherry blossoms",
        "negative_prompt": "lowres, bad anatomy",
        "seed": 3141592,
        "steps": 28,
        "width": 832,
        "height": 1216,
        "cfg_scale": 5.0,
        "sampler": "Euler a",
        "model": "NovelAI Diffusion V3 C1E1DE52",
    }


def test_fooocus():
    recipe = read_file_recipe(files.fooocus_png()).recipe
    assert recipe["source"] == "Fooocus" and recipe["prompt"] == "a cozy cabin in the woods"
    assert recipe["seed"] == 5876104458937112297 and recipe["sampler"] == "DPM++ 2M SDE Karras"
    assert (recipe["width"], recipe["height"], recipe["cfg_scale"]) == (1152, 896, 4)
    assert recipe["model"] == "juggernautXL_v8Rundiffusion.safetensors"
    assert recipe["loras"] == [{"name": "sd_xl_offset_example-lora_1.0.safetensors", "weight": 0.1}]


def test_swarmui():
    recipe = read_file_recipe(files.swarmui_png()).recipe
    assert recipe["source"] == "SwarmUI" and recipe["negative_prompt"] == "photo"
    assert recipe["sampler"] == "Euler a" and recipe["cfg_scale"] == 7.0
    assert recipe["loras"] == [{"name": "watercolor_v2", "weight": 0.9}]
    assert recipe["model"] == "OfficialStableDiffusion/sd_xl_base_1.0"


def test_a1111_keeps_hashes_json_and_quoted_commas_whole():
    recipe = read_file_recipe(files.a1111_png()).recipe
    assert recipe["source"] == "A1111"
    assert recipe["hashes"] == {"model": "31e35c80fc", "lora:add_detail": "7c6bad76eb54"}
    assert recipe["adetailer_prompt"] == "face, smile"
    assert recipe["lora_hashes"] == {"add_detail": "7c6bad76eb54"}
    assert recipe["version"] == "v1.9.4" and recipe["seed"] == 77


def test_a1111_hashes_that_are_not_json_are_kept_as_text():
    text = "a cat\nSteps: 20, Seed: 1, Hashes: {not json, Version: v1"
    recipe = read_file_recipe(files.png({"parameters": text})).recipe
    assert recipe["hashes"] == "{not json" and recipe["version"] == "v1"


HOSTILE = {
    "truncated ComfyUI JSON": {"prompt": json.dumps(files.COMFYUI_PROMPT)[:200]},
    "deeply nested ComfyUI JSON": {"prompt": "[" * 10_000 + "]" * 10_000},
    "nested 100,000 deep": {"invokeai_metadata": '{"a":' * 100_000 + "1" + "}" * 100_000},
    "ComfyUI graph of junk": {"prompt": json.dumps({"1": {"inputs": [1]}, "2": "x", "3": None})},
    "links that are not links": {
        "prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": [[], {}]}}})
    },
    "lone surrogates": {"invokeai_metadata": '{"positive_prompt": "\\ud800 fox", "seed": 1}'},
    "NaN": {"invokeai_metadata": '{"positive_prompt": "fox", "cfg_scale": NaN}'},
    "NovelAI comment not JSON": {"Software": "NovelAI", "Comment": "{{{"},
    "unknown JSON parameters": {"parameters": '{"some_other_tool": 1}'},
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_metadata_never_raises(name):
    reading = read_file_recipe(files.png(HOSTILE[name]))
    if reading.recipe is None:
        assert reading.notes  # said, not silently dropped
    json.dumps(reading.recipe, ensure_ascii=False).encode("utf-8")  # storable


def test_a_damaged_comfyui_graph_is_a_note_naming_the_tool():
    reading = read_file_recipe(files.png(HOSTILE["truncated ComfyUI JSON"]))
    assert reading.recipe is None
    assert reading.notes == [
        "The ComfyUI recipe in this file could not be read; the image was kept without it."
    ]


def test_unknown_metadata_is_named_in_a_note():
    reading = read_file_recipe(files.png({"Software": "GIMP", "sd-metadata": "{}"}))
    assert reading.recipe is None and "sd-metadata" in reading.notes[0]
    assert "GIMP" not in reading.notes[0]


def test_a_plain_png_has_neither_recipe_nor_note():
    reading = read_file_recipe(files.png({}))
    assert reading.recipe is None and reading.notes == []


# --- Fuzzed metadata ------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
# Graph-shaped JSON: nodes whose inputs link to other nodes (or to none), any class.
node_ids = st.sampled_from(["1", "2", "3", "4", "5", "99"])
graphs = st.dictionaries(
    node_ids,
    st.fixed_dictionaries(
        {
            "class_type": st.sampled_from(
                [
                    "KSampler",
                    "SamplerCustomAdvanced",
                    "LoraLoader",
                    "CLIPTextEncode",
                    "CheckpointLoaderSimple",
                    "EmptyLatentImage",
                    "SaveImage",
                    "VAEDecode",
                    "X",
                ]
            ),
            "inputs": st.dictionaries(
                st.sampled_from(
                    [
                        "model",
                        "positive",
                        "negative",
                        "latent_image",
                        "seed",
                        "text",
                        "clip",
                        "samples",
                        "images",
                        "guider",
                        "noise",
                        "lora_name",
                        "ckpt_name",
                        "steps",
                        "cfg",
                        "width",
                    ]
                ),
                st.tuples(node_ids, st.integers(0, 2)).map(list) | json_values,
                max_size=8,
            ),
        }
    ),
    max_size=6,
)
keys = st.sampled_from(
    ["prompt", "workflow", "invokeai_metadata", "parameters", "Comment", "atelier", "other"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        keys,
        st.one_of(
            graphs.map(json.dumps),
            json_values.map(json.dumps),
            st.text(max_size=200),
        ),
        max_size=3,
    ),
    st.booleans(),
)
def test_fuzzed_metadata_never_raises_and_gives_storable_recipes(texts, novelai):
    if novelai:
        texts = {**texts, "Software": "NovelAI"}
    content = files.png(texts, itxt=tuple(texts))
    reading = read_file_recipe(content)
    assert reading.recipe is None or isinstance(reading.recipe, dict)
    json.dumps(reading.recipe, ensure_ascii=False).encode("utf-8")
    assert all(isinstance(note, str) for note in reading.notes)
