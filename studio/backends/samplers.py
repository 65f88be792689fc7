"""AUTOMATIC1111 sampler names mapped onto diffusers schedulers.

Each name is a scheduler class plus the settings that make it that sampler.
The scheduler is built with ``Cls.from_config(model_scheduler_config, **settings)``
so that it keeps the model's own noise schedule (betas, timestep spacing,
prediction type) and only changes the algorithm. The settings are explicit
(``use_karras_sigmas`` is always set) so a model whose scheduler config
enables an option does not leak it into a sampler that should not have it.

Importing this module does not import torch: the web process lists names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import BackendError

_SDE = {"algorithm_type": "sde-dpmsolver++"}
_KARRAS = {"use_karras_sigmas": True}

SAMPLERS: dict[str, tuple[str, dict]] = {
    "Euler a": ("EulerAncestralDiscreteScheduler", {}),
    "Euler": ("EulerDiscreteScheduler", {}),
    "LMS": ("LMSDiscreteScheduler", {}),
    "Heun": ("HeunDiscreteScheduler", {}),
    "DPM2": ("KDPM2DiscreteScheduler", {}),
    "DPM2 a": ("KDPM2AncestralDiscreteScheduler", {}),
    # diffusers has no exact DPM++ 2S ancestral; the singlestep SDE solver is the closest.
    "DPM++ 2S a": ("DPMSolverSinglestepScheduler", {**_SDE, "solver_order": 2}),
    "DPM++ 2M": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2},
    ),
    # As diffusers documents it; the exact k-diffusion sampler needs torchsde.
    "DPM++ SDE": ("DPMSolverSinglestepScheduler", {"algorithm_type": "dpmsolver++"}),
    "DPM++ 2M SDE": ("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 2}),
    "DPM++ 2M SDE Heun": (
        "DPMSolverMultistepScheduler",
        {**_SDE, "solver_order": 2, "solver_type": "heun"},
    ),
    "DPM++ 3M SDE": ("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 3}),
    "LMS Karras": ("LMSDiscreteScheduler", _KARRAS),
    "DPM2 Karras": ("KDPM2DiscreteScheduler", _KARRAS),
    "DPM2 a Karras": ("KDPM2AncestralDiscreteScheduler", _KARRAS),
    "DPM++ 2S a Karras": ("DPMSolverSinglestepScheduler", {**_SDE, "solver_order": 2, **_KARRAS}),
    "DPM++ 2M Karras": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, **_KARRAS},
    ),
    "DPM++ SDE Karras": (
        "DPMSolverSinglestepScheduler",
        {"algorithm_type": "dpmsolver++", **_KARRAS},
    ),
    "DPM++ 2M SDE Karras": ("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 2, **_KARRAS}),
    "DPM++ 2M SDE Heun Karras": (
        "DPMSolverMultistepScheduler",
        {**_SDE, "solver_order": 2, "solver_type": "heun", **_KARRAS},
    ),
    "DPM++ 3M SDE Karras": ("DPMSolverMultistepScheduler", {**_SDE, "solver_order": 3, **_KARRAS}),
    "DDIM": ("DDIMScheduler", {}),
    "PLMS": ("PNDMScheduler", {"skip_prk_steps": True}),
    "UniPC": ("UniPCMultistepScheduler", {}),
    "DDPM": ("DDPMScheduler", {}),
    "LCM": ("LCMScheduler", {}),
}

# The short names A1111's API also accepts (``/sdapi/v1/samplers`` lists them).
SAMPLER_ALIASES: dict[str, list[str]] = {
    "Euler a": ["k_euler_a", "k_euler_ancestral"],
    "Euler": ["k_euler"],
    "LMS": ["k_lms"],
    "Heun": ["k_heun"],
    "DPM2": ["k_dpm_2"],
    "DPM2 a": ["k_dpm_2_a"],
    "DPM++ 2S a": ["k_dpmpp_2s_a"],
    "DPM++ 2M": ["k_dpmpp_2m"],
    "DPM++ SDE": ["k_dpmpp_sde"],
    "DPM++ 2M SDE": ["k_dpmpp_2m_sde"],
    "DPM++ 2M SDE Heun": ["k_dpmpp_2m_sde_heun"],
    "DPM++ 3M SDE": ["k_dpmpp_3m_sde"],
    "LMS Karras": ["k_lms_ka"],
    "DPM2 Karras": ["k_dpm_2_ka"],
    "DPM2 a Karras": ["k_dpm_2_a_ka"],
    "DPM++ 2S a Karras": ["k_dpmpp_2s_a_ka"],
    "DPM++ 2M Karras": ["k_dpmpp_2m_ka"],
    "DPM++ SDE Karras": ["k_dpmpp_sde_ka"],
    "DPM++ 2M SDE Karras": ["k_dpmpp_2m_sde_ka"],
    "DPM++ 2M SDE Heun Karras": ["k_dpmpp_2m_sde_heun_ka"],
    "DPM++ 3M SDE Karras": ["k_dpmpp_3m_sde_ka"],
    "DDIM": ["ddim"],
    "PLMS": ["plms"],
    "UniPC": ["unipc"],
    "DDPM": ["ddpm"],
    "LCM": ["k_lcm"],
}


def sampler_names() -> list[str]:
    return list(SAMPLERS)


def canonical_sampler(name: str) -> str:
    """The SAMPLERS key for ``name``, an alias, or either in another case."""
    wanted = name.strip().casefold()
    for canonical in SAMPLERS:
        spellings = [canonical, *SAMPLER_ALIASES.get(canonical, [])]
        if wanted in (s.casefold() for s in spellings):
            return canonical
    raise BackendError(f"Unknown sampler {name!r}. Choose one of: {', '.join(SAMPLERS)}.")


def make_scheduler(name: str, base_config: Mapping[str, Any]):
    """A new scheduler for sampler ``name`` on a model whose scheduler config is ``base_config``."""
    class_name, settings = SAMPLERS[canonical_sampler(name)]
    import diffusers

    scheduler_class = getattr(diffusers, class_name)
    return scheduler_class.from_config(base_config, **{"use_karras_sigmas": False, **settings})
