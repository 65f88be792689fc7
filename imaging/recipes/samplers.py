"""Sampler names as other tools write them, turned into A1111's names (the ones
Atelier's Generate page offers) where one matches."""

from __future__ import annotations

# k-diffusion / ComfyUI names (also Fooocus, SwarmUI, NovelAI with a "k_" prefix).
_K_DIFFUSION = {
    "euler": "Euler",
    "euler_ancestral": "Euler a",
    "lms": "LMS",
    "heun": "Heun",
    "dpm_2": "DPM2",
    "dpm_2_ancestral": "DPM2 a",
    "dpmpp_2s_ancestral": "DPM++ 2S a",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_sde": "DPM++ SDE",
    "dpmpp_sde_gpu": "DPM++ SDE",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_gpu": "DPM++ 2M SDE",
    "dpmpp_3m_sde": "DPM++ 3M SDE",
    "dpmpp_3m_sde_gpu": "DPM++ 3M SDE",
    "ddim": "DDIM",
    "uni_pc": "UniPC",
}
# Samplers A1111 offers in a Karras variant.
_KARRAS = {"LMS", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE"}

# InvokeAI's scheduler names.
_INVOKEAI = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "euler_k": "Euler",
    "lms": "LMS",
    "lms_k": "LMS Karras",
    "heun": "Heun",
    "kdpm_2": "DPM2",
    "kdpm_2_a": "DPM2 a",
    "dpmpp_2s": "DPM++ 2S a",
    "dpmpp_2s_k": "DPM++ 2S a Karras",
    "dpmpp_2m": "DPM++ 2M",
    "dpmpp_2m_k": "DPM++ 2M Karras",
    "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_k": "DPM++ 2M SDE Karras",
    "dpmpp_sde": "DPM++ SDE",
    "dpmpp_sde_k": "DPM++ SDE Karras",
    "ddim": "DDIM",
    "unipc": "UniPC",
}


def a1111_sampler(name: str | None, scheduler: str | None = None) -> str | None:
    """A1111's name for a k-diffusion sampler (``dpmpp_2m`` with scheduler ``karras`` →
    ``DPM++ 2M Karras``); the name as given when none matches."""
    if not name:
        return None
    key = name.removeprefix("k_").lower()
    base = _K_DIFFUSION.get(key)
    if base is None:
        return name
    if scheduler == "karras" and base in _KARRAS:
        return f"{base} Karras"
    return base


def invokeai_sampler(name: str | None) -> str | None:
    if not name:
        return None
    return _INVOKEAI.get(name.lower(), name)
