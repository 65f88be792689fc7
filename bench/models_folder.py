"""What the A1111-style models folder costs: reading one checkpoint's header at
a scan (an SDXL-sized key list, ~2,500 tensors, in a file of small tensors: the
header is what is read), and a job on the tiny model without a LoRA, with a
LoRA the first time (loaded as an adapter) and again (kept loaded).

    .venv/bin/python bench/models_folder.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness import ROOT, Column, measure, print_table, run_facts, setup_django, yardstick_ms

SDXL_KEYS = 2500


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row (median shown)")
    args = parser.parse_args(argv)
    setup_django()
    import torch
    from safetensors.torch import save_file

    from studio.backends.base import GenerationRequest
    from studio.backends.diffusers_local import DiffusersBackend
    from studio.backends.lora import resolve_extras
    from studio.backends.tiny_model import TINY_MODEL_VERSION, build_tiny_pipeline
    from studio.checkpoints import inspect_checkpoint
    from studio.tests.tiny_files import write_tiny_lora

    torch.set_num_threads(1)
    print("\n".join(run_facts()))
    print(f"the machine's speed: a fixed pure-Python loop takes {yardstick_ms():.1f} ms")
    print()

    folder = Path(tempfile.mkdtemp())
    checkpoint = folder / "Stable-diffusion" / "big.safetensors"
    checkpoint.parent.mkdir()
    keys = [f"model.diffusion_model.block.{i}.weight" for i in range(SDXL_KEYS)]
    keys += ["conditioner.embedders.1.model.ln_final.weight"]
    save_file({key: torch.zeros(4) for key in keys}, checkpoint)
    tiny = build_tiny_pipeline(ROOT / ".cache" / f"tiny-model-v{TINY_MODEL_VERSION}")
    write_tiny_lora(tiny, folder / "Lora" / "ink.safetensors")
    backend = DiffusersBackend()

    def job(prompt: str):
        options = resolve_extras(prompt, "", folder)
        request = GenerationRequest(
            prompt=prompt, model_id=str(tiny), width=64, height=64, steps=3, options=options
        )
        backend.generate(request, lambda progress: None, lambda: False)

    job("a cat")  # the pipeline loaded once
    header = measure(lambda: inspect_checkpoint(checkpoint), args.repeat).wall.p50
    plain = measure(lambda: job("a cat"), args.repeat, warmup=1).wall.p50
    first = measure(lambda: job("a cat <lora:ink:1>"), 1, warmup=0).wall.p50
    again = measure(lambda: job("a cat <lora:ink:0.5>"), args.repeat, warmup=0).wall.p50
    rows = [
        {"case": f"scan: one checkpoint's header ({SDXL_KEYS} keys)", "ms": header},
        {"case": "tiny job, 64x64, 3 steps, no LoRA", "ms": plain},
        {"case": "the same with a LoRA, first use (loads it)", "ms": first},
        {"case": "the same with the LoRA kept loaded", "ms": again},
    ]
    print_table(rows, [Column("case"), Column("ms", fmt=".1f")], title="p50, ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
