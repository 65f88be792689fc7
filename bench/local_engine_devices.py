"""The local engine (studio/backends/diffusers_local.py) on every device and
dtype this machine has: CPU float32 always; CUDA float16, bfloat16 and
float32 where a GPU is present.

Runs the engine's real code path (``DiffusersBackend.generate``: load from a
diffusers folder, scheduler per sampler, CPU generators per seed, step
callback with latent previews, cancellation between steps) on the tiny
random-weight pipelines that `manage.py build_tiny_model` builds (SD and
SDXL layouts), so it needs no download. A tiny model times the engine's own
work around the network (loading, scheduler, callbacks, previews, decoding
to PIL), not a real model's; real SDXL timings need the real weights.

For each pipeline and device/dtype it prints and checks:

- first: the first generation's seconds (loading included), then the
  median of the next ones at 64×64, 4 steps, 2 images;
- the same seeds give the same picture as on the CPU in float32: the mean
  absolute pixel difference (0-255) of each image from the CPU's (half
  precision drifts by its rounding, under 1; noise drawn from another
  sequence gives ~44, as torch 2.11 did in half precision before the engine
  drew all its noise in float32);
- every image is finite and not blank (NaNs in half precision decode to
  black);
- progress reached the last step and at least one preview came;
- a cancel after step 2 stops the run with ``Cancelled`` and no image;
- a larger image (512×512 on a GPU, 128×128 on the CPU; 20 steps, 1 image)
  for the per-step cost.

It exits non-zero if any check fails.

    .venv/bin/python bench/local_engine_devices.py [--sd PATH] [--sdxl PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from harness import ROOT, Column, Stats, print_table, run_facts

from studio.backends.base import Cancelled, GenerationRequest
from studio.backends.diffusers_local import DiffusersBackend, pin_threads

SAMPLERS = ("Euler a", "DPM++ 2M Karras")
MAX_DRIFT = 3.0  # mean absolute difference from the CPU's float32 pixels, 0-255
MAX_NETWORK_ERROR = {"float16": 1e-2, "bfloat16": 5e-2}  # relative, one network, one pass


def targets() -> list[tuple[str, str]]:
    found = [("cpu", "float32")]
    if torch.cuda.is_available():
        found += [("cuda", "float16"), ("cuda", "bfloat16"), ("cuda", "float32")]
    return found


class Engine:
    """One backend per device/dtype: its pipeline stays loaded, as in a worker."""

    def __init__(self, device: str, dtype: str):
        self.device, self.dtype = device, dtype
        self.backend = DiffusersBackend()

    def generate(self, model: str, *, cancel_after: int | None = None, **fields):
        steps, previews = [], []

        def on_progress(progress):
            if progress.phase == "sampling":
                steps.append(progress.step)
                if progress.preview is not None:
                    previews.append(progress.preview)

        request = GenerationRequest(
            prompt="a lighthouse at dawn, oil painting",
            model_id=model,
            options={"dtype": self.dtype},
            **{"width": 64, "height": 64, "steps": 4, "n": 2, "seed": 1234, **fields},
        )
        # The engine picks CUDA whenever it exists; the CPU rows hide it.
        hide = self.device == "cpu" and torch.cuda.is_available()
        original = torch.cuda.is_available
        if hide:
            torch.cuda.is_available = lambda: False
        try:
            start = time.perf_counter()
            images = self.backend.generate(
                request,
                on_progress,
                lambda: cancel_after is not None and bool(steps) and steps[-1] >= cancel_after,
            )
            seconds = time.perf_counter() - start
        finally:
            torch.cuda.is_available = original
        return [np.asarray(i.image.convert("RGB"), dtype=np.float32) for i in images], (
            seconds,
            steps,
            previews,
        )


COLUMNS = [
    Column("target", "pipeline / device / dtype"),
    Column("run", "sampler or size", align="<"),
    Column("first s", fmt=".2f"),
    Column("gen s", fmt=".3f"),
    Column("drift vs CPU", fmt=".2f"),
    Column("ms/step", fmt=".1f"),
    Column("cancel stops"),
]
NETWORK_COLUMNS = [Column("dtype"), Column("network", align="<"), Column("error", fmt=".2e")]


def check_target(name: str, model: str, engine: Engine, reference, problems: list) -> list[dict]:
    """The rows of one pipeline on one device/dtype: a row per sampler, then
    the larger image; what fails a check goes into ``problems``."""
    label = f"{name} {engine.device} {engine.dtype}"
    rows = []
    for sampler in SAMPLERS:
        first, (load_seconds, _, _) = engine.generate(model, sampler=sampler)
        timings = []
        for _ in range(5):
            pixels, (seconds, steps, previews) = engine.generate(model, sampler=sampler)
            timings.append(seconds)
        if not all(np.isfinite(p).all() and p.std() > 1.0 for p in pixels):
            problems.append(f"{label} {sampler}: an image is blank or not finite")
        if not steps or steps[-1] != 4:
            problems.append(f"{label} {sampler}: progress stopped at {steps[-1:]}, not 4")
        if not previews:
            problems.append(f"{label} {sampler}: no preview")
        if any(np.abs(a - b).max() > 0 for a, b in zip(first, pixels, strict=True)):
            problems.append(f"{label} {sampler}: the same request gave other pixels")
        drift = None
        if reference.get((name, sampler)) is None:
            reference[(name, sampler)] = pixels
        else:
            diffs = [
                float(np.abs(a - b).mean())
                for a, b in zip(reference[(name, sampler)], pixels, strict=True)
            ]
            drift = max(diffs)
            if drift > MAX_DRIFT:
                problems.append(f"{label} {sampler}: pixels differ from the CPU's by {drift:.2f}")
        rows.append(
            {
                "target": label,
                "run": sampler,
                "first s": load_seconds,
                "gen s": Stats.of(timings).p50,
                "drift vs CPU": drift,
            }
        )
    try:
        engine.generate(model, cancel_after=2, steps=20)
        problems.append(f"{label}: a cancel after step 2 did not stop the run")
        cancelled = "NO"
    except Cancelled:
        cancelled = "yes"
    # The tiny network attends over every latent pixel: 512x512 takes minutes
    # on one CPU thread, so the CPU rows time 128x128.
    size = 512 if engine.device == "cuda" else 128
    _, (big, steps, _) = engine.generate(model, width=size, height=size, steps=20, n=1)
    rows.append(
        {
            "target": label,
            "run": f"{size}x{size}, 20 steps",
            "gen s": big,
            "ms/step": big / 20 * 1000,
            "cancel stops": cancelled,
        }
    )
    return rows


def network_agreement(model: str, dtype: str) -> dict[str, float]:
    """Each network of the SD pipeline in ``dtype`` on CUDA against float32 on
    CUDA, on the same inputs: relative error ||half - full|| / ||full||. A
    whole run compounds these through every step (and the tiny model's
    random weights are no denoiser, so they amplify them); this says whether
    each network itself computes right in half precision."""
    from studio.backends.diffusers_local import load_pipeline

    full = load_pipeline(model, "cuda", torch.float32, {})
    half = load_pipeline(model, "cuda", getattr(torch, dtype), {})
    low = getattr(torch, dtype)

    def relative(a, b):
        return float((a.float() - b.float()).norm() / b.float().norm())

    errors = {}
    with torch.no_grad():
        ids = full.tokenizer(
            "a lighthouse at dawn, oil painting",
            padding="max_length",
            max_length=full.tokenizer.model_max_length,
            return_tensors="pt",
        ).input_ids.to("cuda")
        text = full.text_encoder(ids)[0]
        errors["text encoder"] = relative(half.text_encoder(ids)[0], text)
        generator = torch.Generator("cpu").manual_seed(7)
        channels = full.unet.config.in_channels
        latents = torch.randn((1, channels, 8, 8), generator=generator).to("cuda")
        timestep = torch.tensor([500], device="cuda")
        noise = full.unet(latents, timestep, encoder_hidden_states=text).sample
        errors["unet (one step)"] = relative(
            half.unet(latents.to(low), timestep, encoder_hidden_states=text.to(low)).sample, noise
        )
        decoded = full.vae.decode(latents / full.vae.config.scaling_factor).sample
        errors["vae decoder"] = relative(
            half.vae.decode(latents.to(low) / half.vae.config.scaling_factor).sample, decoded
        )
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sd", default=str(ROOT / ".cache" / "tiny-model-v1"))
    parser.add_argument("--sdxl", default=str(ROOT / ".cache" / "tiny-sdxl-model-v1"))
    args = parser.parse_args()
    pin_threads(1)
    print("\n".join(run_facts(f", torch {torch.__version__}")))
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    import diffusers

    print(f"diffusers {diffusers.__version__}; torch on 1 CPU thread")
    problems: list[str] = []
    reference: dict = {}
    rows = []
    for name, model in (("sd", args.sd), ("sdxl", args.sdxl)):
        if not Path(model).is_dir():
            print(f"  {name}: no tiny pipeline at {model} (manage.py build_tiny_model)")
            problems.append(f"{name}: missing")
            continue
        for device, dtype in targets():
            print(f"  [{name} {device} {dtype}]", flush=True)
            rows += check_target(name, model, Engine(device, dtype), reference, problems)
    print()
    print_table(
        rows,
        COLUMNS,
        title="64x64, 4 steps, 2 images unless said; first = loading included; gen = median of"
        " 5; drift = mean |pixel diff| from the CPU's float32, 0-255",
    )
    if torch.cuda.is_available() and Path(args.sd).is_dir():
        rows = []
        for dtype in ("float16", "bfloat16"):
            for network, error in network_agreement(args.sd, dtype).items():
                rows.append({"dtype": dtype, "network": network, "error": error})
                if error > MAX_NETWORK_ERROR[dtype]:
                    problems.append(f"{dtype} {network}: relative error {error:.2e}")
        print()
        print_table(
            rows,
            NETWORK_COLUMNS,
            title="each network of the sd pipeline vs CUDA float32, same inputs (relative error)",
        )
    print()
    for problem in problems:
        print(f"FAILED: {problem}")
    print("all checks passed" if not problems else f"{len(problems)} check(s) failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
