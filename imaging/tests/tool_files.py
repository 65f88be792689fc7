"""PNG files as other tools write them: the chunk names and layouts of ComfyUI,
InvokeAI, NovelAI, Fooocus, SwarmUI and A1111 (from their documentation and
files they wrote), built with Pillow so the tests hold real bytes."""

from __future__ import annotations

import io
import json

from PIL import Image, ImageDraw, PngImagePlugin


def picture(seed: int = 0, size=(64, 48)) -> Image.Image:
    """A small picture; different seeds give pictures that do not look alike."""
    image = Image.new("RGB", size, (240, 240, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    for index in range(6):
        x = (seed * 37 + index * 53) % width
        y = (seed * 17 + index * 29) % height
        shade = (seed * 70 + index * 40) % 256
        draw.rectangle((x, y, x + width // 3, y + height // 4), fill=(shade, 255 - shade, 90))
    return image


def png(texts: dict[str, str], *, itxt: tuple[str, ...] = (), seed: int = 0) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        if key in itxt:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)
    buffer = io.BytesIO()
    picture(seed).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


# ComfyUI's API graph: the sampler is not the first node, and the model and the
# CLIP reach it through two LoRA loaders; the seed comes from a primitive node.
COMFYUI_PROMPT = {
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"},
    },
    "10": {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "add_detail.safetensors",
            "strength_model": 0.8,
            "strength_clip": 0.8,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
    },
    "11": {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "film_grain.safetensors",
            "strength_model": 0.5,
            "strength_clip": 1.0,
            "model": ["10", 0],
            "clip": ["10", 1],
        },
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "a lighthouse at dusk, oil painting", "clip": ["11", 1]},
    },
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, text", "clip": ["11", 1]}},
    "5": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 832, "height": 1216, "batch_size": 1},
    },
    "12": {"class_type": "PrimitiveNode", "inputs": {"seed": 987654321}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": ["12", 0],
            "steps": 28,
            "cfg": 6.5,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "denoise": 1.0,
            "model": ["11", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
}

COMFYUI_WORKFLOW = {
    "last_node_id": 12,
    "nodes": [
        {
            "id": 4,
            "type": "CheckpointLoaderSimple",
            "widgets_values": ["from_workflow.safetensors"],
        },
        {"id": 3, "type": "KSampler", "widgets_values": [5, "fixed", 20, 7, "euler", "normal", 1]},
        {"id": 5, "type": "EmptyLatentImage", "widgets_values": [512, 768, 1]},
    ],
    "links": [],
    "version": 0.4,
}


def comfyui_png(prompt=COMFYUI_PROMPT, workflow=COMFYUI_WORKFLOW, seed=0) -> bytes:
    texts = {}
    if prompt is not None:
        texts["prompt"] = prompt if isinstance(prompt, str) else json.dumps(prompt)
    if workflow is not None:
        texts["workflow"] = workflow if isinstance(workflow, str) else json.dumps(workflow)
    return png(texts, seed=seed)


INVOKEAI_METADATA = {
    "generation_mode": "txt2img",
    "positive_prompt": "a red fox in the snow",
    "negative_prompt": "lowres",
    "width": 1024,
    "height": 768,
    "seed": 1234,
    "rand_device": "cpu",
    "cfg_scale": 5.5,
    "cfg_rescale_multiplier": 0,
    "steps": 30,
    "scheduler": "dpmpp_2m_k",
    "model": {
        "key": "a3c1f8e0",
        "hash": "blake3:0a1b2c",
        "name": "Juggernaut XL v9",
        "base": "sdxl",
        "type": "main",
    },
    "loras": [{"model": {"key": "k1", "name": "pixel-art-xl", "base": "sdxl"}, "weight": 0.7}],
    "app_version": "4.2.4",
}


def invokeai_png(seed=1) -> bytes:
    return png({"invokeai_metadata": json.dumps(INVOKEAI_METADATA)}, seed=seed)


NOVELAI_COMMENT = {
    "prompt": "1girl, masterpiece, cherry blossoms",
    "steps": 28,
    "height": 1216,
    "width": 832,
    "scale": 5.0,
    "uncond_scale": 1.0,
    "cfg_rescale": 0.0,
    "seed": 3141592,
    "n_samples": 1,
    "noise_schedule": "karras",
    "sampler": "k_euler_ancestral",
    "uc": "lowres, bad anatomy",
    "request_type": "PromptGenerateRequest",
}


def novelai_png(seed=2) -> bytes:
    return png(
        {
            "Title": "NovelAI generated image",
            "Description": NOVELAI_COMMENT["prompt"],
            "Software": "NovelAI",
            "Source": "NovelAI Diffusion V3 C1E1DE52",
            "Generation time": "3.2",
            "Comment": json.dumps(NOVELAI_COMMENT),
        },
        seed=seed,
    )


FOOOCUS_PARAMETERS = {
    "adm_guidance": "(1.5, 0.8, 0.3)",
    "base_model": "juggernautXL_v8Rundiffusion.safetensors",
    "base_model_hash": "aeb7e9e689",
    "full_negative_prompt": ["unrealistic, saturated"],
    "full_prompt": ["a cozy cabin in the woods, cinematic"],
    "guidance_scale": 4,
    "loras": [["sd_xl_offset_example-lora_1.0.safetensors", 0.1, "4852686128"]],
    "lora_combined_1": "sd_xl_offset_example-lora_1.0.safetensors : 0.1",
    "metadata_scheme": "fooocus",
    "negative_prompt": "unrealistic",
    "performance": "Speed",
    "prompt": "a cozy cabin in the woods",
    "refiner_model": "None",
    "resolution": "(1152, 896)",
    "sampler": "dpmpp_2m_sde_gpu",
    "scheduler": "karras",
    "seed": "5876104458937112297",
    "sharpness": 2,
    "steps": 30,
    "styles": "['Fooocus V2', 'Fooocus Enhance']",
    "version": "Fooocus v2.5.5",
}


def fooocus_png(seed=3) -> bytes:
    return png(
        {"parameters": json.dumps(FOOOCUS_PARAMETERS), "fooocus_scheme": "fooocus"}, seed=seed
    )


SWARMUI_PARAMETERS = {
    "sui_image_params": {
        "prompt": "a watercolor map of an island",
        "negativeprompt": "photo",
        "model": "OfficialStableDiffusion/sd_xl_base_1.0",
        "seed": 1717,
        "steps": 25,
        "cfgscale": 7.0,
        "aspectratio": "1:1",
        "width": 1024,
        "height": 1024,
        "sampler": "euler_ancestral",
        "scheduler": "normal",
        "loras": ["watercolor_v2"],
        "loraweights": ["0.9"],
        "swarm_version": "0.9.2.1",
    },
    "sui_extra_data": {"date": "2024-08-01", "generation_time": "1.20 (prep) and 4.51 (gen)"},
}


def swarmui_png(seed=4) -> bytes:
    return png({"parameters": json.dumps(SWARMUI_PARAMETERS)}, seed=seed)


A1111_PARAMETERS = (
    "a castle on a hill, <lora:add_detail:0.6>\n"
    "Negative prompt: fog\n"
    "Steps: 24, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 77, Size: 512x768, "
    "Model hash: 31e35c80fc, Model: dreamshaper_8, ADetailer model: face_yolov8n.pt, "
    'ADetailer prompt: "face, smile", Lora hashes: "add_detail: 7c6bad76eb54", '
    'Hashes: {"model": "31e35c80fc", "lora:add_detail": "7c6bad76eb54"}, Version: v1.9.4'
)


def a1111_png(seed=5) -> bytes:
    return png({"parameters": A1111_PARAMETERS}, seed=seed)
