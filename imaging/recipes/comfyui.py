"""ComfyUI's recipe: the ``prompt`` chunk (the API graph that was run) and, for what
that graph lacks, the ``workflow`` chunk (the editor's graph).

The graph is read by its links, never by node order: from the node that saved the
image back to its sampler, and from the sampler's inputs to the seed, steps, CFG,
sampler and scheduler, the latent (its size), the model (through any LoRA loaders,
to the checkpoint) and the positive and negative conditioning (to their text).
A graph with cycles or dangling links is walked with a visited set and a bound.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .jsontext import Unreadable, load_object, number, text
from .samplers import a1111_sampler

SOURCE = "ComfyUI"

_SAMPLERS = {
    "KSampler",
    "KSamplerAdvanced",
    "SamplerCustom",
    "SamplerCustomAdvanced",
    "KSampler (Efficient)",
    "KSampler Adv. (Efficient)",
}
_OUTPUTS = {"SaveImage", "PreviewImage", "Image Save", "SaveImageWebsocket"}
_CHECKPOINT_NAMES = ("ckpt_name", "unet_name", "model_name")
_LATENTS = {"EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo"}
_TEXT_INPUTS = ("text", "text_g", "text_l", "string", "value", "prompt")
_MAX_STEPS = 10_000  # nodes visited by one walk; a real graph has a few dozen


def read(prompt_chunk: str | None, workflow_chunk: str | None) -> dict:
    """The recipe in ComfyUI's chunks; raises Unreadable when neither gives one."""
    recipe: dict[str, Any] = {}
    if prompt_chunk:
        try:
            recipe = _from_api_graph(_graph(load_object(prompt_chunk)))
        except Unreadable:
            if not workflow_chunk:
                raise
    if workflow_chunk:
        try:
            for key, value in _from_workflow(load_object(workflow_chunk)).items():
                recipe.setdefault(key, value)
        except Unreadable:
            if not recipe:
                raise
    if not any(key in recipe for key in ("prompt", "seed", "steps", "model")):
        raise Unreadable("no sampler found in the graph")
    recipe["source"] = SOURCE
    return recipe


def _graph(raw: dict) -> dict[str, dict]:
    return {
        str(node_id): node
        for node_id, node in raw.items()
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict)
    }


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str | int)
        and not isinstance(value[0], bool)
    )


def _node(graph: dict, link: Any) -> dict | None:
    return graph.get(str(link[0])) if _is_link(link) else None


def _walk(graph: dict, start: Any, inputs: tuple[str, ...] | None = None):
    """Nodes upstream of the link ``start``, nearest first, following only ``inputs``
    (every link when None); each node once."""
    queue = deque([start])
    seen: set[str] = set()
    while queue and len(seen) < _MAX_STEPS:
        link = queue.popleft()
        if not _is_link(link) or str(link[0]) in seen:
            continue
        seen.add(str(link[0]))
        node = graph.get(str(link[0]))
        if node is None:
            continue  # a dangling link
        yield node
        for name, value in node["inputs"].items():
            if (inputs is None or name in inputs) and _is_link(value):
                queue.append(value)


def _final_sampler(graph: dict) -> dict | None:
    """The sampler whose result was saved: the first one upstream of an output node;
    else one whose latent no other sampler takes (the last pass)."""
    for node_id, node in sorted(graph.items()):
        if node.get("class_type") in _OUTPUTS:
            for upstream in _walk(graph, [node_id, 0]):
                if upstream.get("class_type") in _SAMPLERS:
                    return upstream
    samplers = {i: n for i, n in graph.items() if n.get("class_type") in _SAMPLERS}
    fed = {
        str(value[0])
        for node in samplers.values()
        for value in node["inputs"].values()
        if _is_link(value)
    }
    last = [node for node_id, node in sorted(samplers.items()) if node_id not in fed]
    return (last or list(samplers.values()) or [None])[0]


def _value(graph: dict, value: Any, names: tuple[str, ...], depth: int = 0) -> Any:
    """A widget value, or the value of the node it is linked to (a primitive, a seed node)."""
    if not _is_link(value):
        return value
    node = _node(graph, value)
    if node is None or depth > 8:
        return None
    for name in names:
        if name in node["inputs"]:
            return _value(graph, node["inputs"][name], names, depth + 1)
    return None


def _find(graph: dict, link: Any, classes: set[str] | None, inputs: tuple[str, ...]):
    for node in _walk(graph, link, inputs):
        if classes is None or node.get("class_type") in classes:
            return node
    return None


def _from_api_graph(graph: dict) -> dict:
    sampler = _final_sampler(graph)
    if sampler is None:
        return {}
    inputs = sampler["inputs"]
    recipe: dict[str, Any] = {}

    guider = _node(graph, inputs.get("guider"))  # SamplerCustomAdvanced
    conditioning = guider["inputs"] if guider else inputs
    noise = _node(graph, inputs.get("noise"))
    seed_source = noise["inputs"] if noise else inputs
    sigmas = _node(graph, inputs.get("sigmas"))  # SamplerCustom: a scheduler node
    chosen = _node(graph, inputs.get("sampler"))  # SamplerCustom: KSamplerSelect
    step_source = sigmas["inputs"] if sigmas else inputs

    _put(
        recipe,
        "seed",
        number(
            _value(
                graph,
                seed_source.get("noise_seed", seed_source.get("seed")),
                ("seed", "noise_seed", "value", "int"),
            )
        ),
    )
    _put(
        recipe, "steps", number(_value(graph, step_source.get("steps"), ("steps", "value", "int")))
    )
    _put(
        recipe,
        "cfg_scale",
        number(_value(graph, conditioning.get("cfg"), ("cfg", "value", "float"))),
    )
    sampler_name = text(
        _value(
            graph,
            (chosen["inputs"] if chosen else inputs).get("sampler_name"),
            ("sampler_name", "value"),
        )
    )
    scheduler = text(_value(graph, step_source.get("scheduler"), ("scheduler", "value")))
    _put(recipe, "sampler", a1111_sampler(sampler_name, scheduler))
    _put(recipe, "scheduler", scheduler)

    latent = _find(
        graph, inputs.get("latent_image"), _LATENTS, ("latent_image", "samples", "latent", "pixels")
    )
    if latent:
        _put(
            recipe,
            "width",
            number(_value(graph, latent["inputs"].get("width"), ("width", "value", "int"))),
        )
        _put(
            recipe,
            "height",
            number(_value(graph, latent["inputs"].get("height"), ("height", "value", "int"))),
        )

    _read_model(graph, conditioning.get("model"), recipe)
    _put(recipe, "prompt", _conditioning_text(graph, conditioning.get("positive")))
    _put(recipe, "negative_prompt", _conditioning_text(graph, conditioning.get("negative")))
    return recipe


def _read_model(graph: dict, link: Any, recipe: dict) -> None:
    """Follow the model input up through LoRA loaders to the checkpoint loader."""
    loras = []
    for node in _walk(graph, link, ("model",)):
        node_inputs = node["inputs"]
        if "lora_name" in node_inputs:
            name = text(_value(graph, node_inputs["lora_name"], ("lora_name", "value")))
            weight = number(
                _value(graph, node_inputs.get("strength_model", 1.0), ("value", "float"))
            )
            if name:
                loras.append({"name": name, "weight": weight if weight is not None else 1.0})
        for key in _CHECKPOINT_NAMES:
            if (
                model := text(_value(graph, node_inputs.get(key), (key, "value")))
            ) and "model" not in recipe:
                recipe["model"] = model
    if loras:
        recipe["loras"] = list(reversed(loras))  # in the order they were applied


def _conditioning_text(graph: dict, link: Any) -> str | None:
    """The text of the first text encoder upstream of a conditioning input."""
    for node in _walk(graph, link):
        node_inputs = node["inputs"]
        if "clip" not in node_inputs and "text" not in node_inputs:
            continue
        for key in _TEXT_INPUTS:
            if key in node_inputs:
                value = text(_value(graph, node_inputs[key], _TEXT_INPUTS))
                if value is not None:
                    return value
    return None


def _from_workflow(workflow: dict) -> dict:
    """What the editor's graph says without following its links: a sampler's,
    checkpoint loader's and empty latent's widget values (ComfyUI's own order)."""
    nodes = workflow.get("nodes")
    if not isinstance(nodes, list):
        raise Unreadable("the workflow has no nodes")
    recipe: dict[str, Any] = {}
    for node in nodes[:_MAX_STEPS]:
        if not isinstance(node, dict) or not isinstance(node.get("widgets_values"), list):
            continue
        kind, values = node.get("type"), node["widgets_values"]
        if kind == "KSampler" and len(values) >= 6:
            _put(recipe, "seed", number(values[0]))
            _put(recipe, "steps", number(values[2]))
            _put(recipe, "cfg_scale", number(values[3]))
            _put(recipe, "sampler", a1111_sampler(text(values[4]), text(values[5])))
            _put(recipe, "scheduler", text(values[5]))
        elif kind == "CheckpointLoaderSimple" and values:
            _put(recipe, "model", text(values[0]))
        elif kind in _LATENTS and len(values) >= 2:
            _put(recipe, "width", number(values[0]))
            _put(recipe, "height", number(values[1]))
    return recipe


def _put(recipe: dict, key: str, value: Any) -> None:
    if value is not None and value != "" and key not in recipe:
        recipe[key] = value
