"""What the live preview costs per sampling step, on the CPU.

Two tables. First, a job on the tiny model with a preview at every step, by
preview kind (none, the linear map, the tiny TAESD): the difference to "none"
per step is the preview's share of a step. Second, one preview at the latent
sizes real models use, for the linear map and for TAESD's real architecture
(``AutoencoderTiny``'s default configuration, random weights: the same work
as the real weights), beside the full SD VAE's decode of the same latents,
which a preview would cost without either.

    .venv/bin/python bench/previews.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import (
    Column,
    measure,
    measure_together,
    print_table,
    run_facts,
    tiny_model,
    yardstick_ms,
)

STEPS = 8
# (name, latents' height and width, whether the SD VAE's decode is timed too)
SIZES = (
    ("SD, 256×256", 32, False),
    ("SD, 512×512", 64, True),
    ("SDXL, 1024×1024", 128, False),
)


def print_nothing(progress) -> None:
    pass


def never() -> bool:
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell (median shown)")
    args = parser.parse_args(argv)

    import torch
    from diffusers import AutoencoderKL, AutoencoderTiny

    from studio.backends import diffusers_local
    from studio.backends.base import GenerationRequest
    from studio.backends.latent_preview import decode_preview, latents_to_preview
    from studio.backends.tiny_model import build_tiny_taesd

    # One thread, as the tests pin it: on a busy machine torch's spinning
    # threads make every number several times worse and unsteady.
    torch.set_num_threads(1)
    print("\n".join(run_facts(f", torch {torch.__version__}, 1 thread")))
    print(f"the machine's speed: a fixed pure-Python loop takes {yardstick_ms():.1f} ms")
    print()

    request = GenerationRequest(
        prompt="a lighthouse", model_id=str(tiny_model()), width=64, height=64, steps=STEPS, seed=1
    )
    with tempfile.TemporaryDirectory() as folder:
        build_tiny_taesd(Path(folder) / "taesd")
        kinds = {  # the cases: a backend per preview kind
            "none": (diffusers_local.DiffusersBackend(models_dir=None), 3600.0),
            "linear map": (diffusers_local.DiffusersBackend(models_dir=None), 0.0),
            "TAESD (tiny)": (diffusers_local.DiffusersBackend(models_dir=folder), 0.0),
        }

        def job(backend, interval):
            diffusers_local.PREVIEW_INTERVAL = interval
            backend.generate(request, print_nothing, never)

        cases = [lambda case=case: job(*case) for case in kinds.values()]
        timings = measure_together(cases, args.repeat)  # taking turns: a slow moment hits all
        rows = [
            {"preview": name, "ms": timing.wall.p50 / STEPS}
            for name, timing in zip(kinds, timings, strict=True)
        ]
    none = rows[0]["ms"]
    for row in rows:
        row["extra"] = row["ms"] - none
    print_table(
        rows,
        ["preview", Column("ms", "ms a step", ".2f"), Column("extra", "preview's share", ".2f")],
        title=f"a tiny-model job of {STEPS} steps at 64×64, a preview at every step (p50 of "
        f"{args.repeat} jobs, ms a step)",
    )

    taesd = AutoencoderTiny().eval()  # the real architecture
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        latent_channels=4,
    ).eval()
    rows = []
    for name, side, with_vae in SIZES:
        latents = torch.randn(1, 4, side, side)
        row = {"size": name}
        row["linear"] = measure(
            lambda x=latents: latents_to_preview(x, sdxl=False), args.repeat
        ).wall.p50
        row["taesd"] = measure(lambda x=latents: decode_preview(taesd, x), args.repeat).wall.p50
        if with_vae:
            with torch.no_grad():
                row["vae"] = measure(lambda x=latents: vae.decode(x), 1, warmup=0).wall.p50
        rows.append(row)
    print()
    print_table(
        rows,
        [
            "size",
            Column("linear", "linear map", ".1f"),
            Column("taesd", "TAESD", ".1f"),
            Column("vae", "SD VAE decode", ".0f"),
        ],
        title=f"one preview, ms (p50 of {args.repeat}; the VAE once)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
