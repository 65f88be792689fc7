"""How much memory the VAE decode of an upscale takes, with and without
tiling (issue 15: a 2048² SDXL upscale must not run out of memory where
1024² fits).

The VAE of SD 1.5 and the VAE of SDXL have the same architecture (four
blocks of 128/256/512/512 channels, 4 latent channels); only their weights
and their tile size differ (``sample_size``: 512 for SD 1.5, 1024 for SDXL,
which is where diffusers' tiled decode cuts the picture). This bench builds
that architecture with random weights (diffusers' AutoencoderKL from its
config: nothing is downloaded) and decodes one random latent per case, in a
fresh process each, on the CPU in float32. It prints the peak RSS growth of
the decode (``ru_maxrss`` and a 2 ms RSS sampler) and its time.

By default the sides are divided by four so that the run fits a couple of
minutes on two cores: 256² and 512² untiled, and 512² tiled with 256 tiles.
The activations, and so the memory, scale with the pixels, and the tiled
decode's peak is set by the tile: 512² tiled with 256 tiles stands for 2048²
tiled with 1024 tiles (SDXL's tile, what the local engine uses) the way 256²
stands for 1024².
``--full`` runs 1024² and 2048² with the SDXL tile, as the issue asks; on a
GPU the same ratios hold for ``torch.cuda.max_memory_allocated``.

    .venv/bin/python bench/upscale_memory.py            (about 2 minutes)
    .venv/bin/python bench/upscale_memory.py --full     (about 20 minutes)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from harness import ROOT, Column, print_table, run_facts

MB = 1 << 20

# The VAE of SD 1.5 and SDXL (their vae/config.json but for sample_size).
VAE_CONFIG = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "act_fn": "silu",
    "latent_channels": 4,
    "norm_num_groups": 32,
}

# name, side in pixels, tile (None: untiled)
QUICK = [
    ("256² untiled", 256, None),
    ("512² untiled", 512, None),
    ("512² tiled, 256 tiles", 512, 256),
]
FULL = [
    ("1024² untiled", 1024, None),
    ("2048² untiled", 2048, None),
    ("2048² tiled, 1024 tiles (SDXL)", 2048, 1024),
]


def run_case(side: int, tile: int) -> dict:
    import resource
    import threading
    import time

    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    vae = AutoencoderKL(**VAE_CONFIG, sample_size=tile or 512).eval()
    if tile:
        vae.enable_tiling()
    latents = torch.randn(1, 4, side // 8, side // 8)

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    sampled, stop = [0], threading.Event()

    def sample():
        while not stop.wait(0.002):
            sampled[0] = max(sampled[0], rss())

    before, maxrss_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sampled[0] = before
    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    with torch.no_grad():
        picture = vae.decode(latents).sample
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = max(sampled[0], maxrss * 1024 if maxrss > maxrss_before else 0)
    assert picture.shape[-1] == side
    return {"peak MB": (peak - before) / MB, "seconds": seconds}


COLUMNS = [
    Column("case"),
    Column("output MB", fmt=".0f"),
    Column("peak MB", "peak Δ MB", fmt=".0f"),
    Column("per output", fmt=".1f"),
    Column("seconds", fmt=".1f"),
]


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(run_case(int(sys.argv[2]), int(sys.argv[3]))))
        return 0
    cases = FULL if "--full" in sys.argv else QUICK
    for line in run_facts():
        print(line)
    import torch

    threads = os.environ.get("BENCH_THREADS", "2")
    print(f"torch {torch.__version__}, CPU, float32, {threads} threads; no GPU in this run")
    rows = []
    for name, side, tile in cases:
        answer = subprocess.run(
            [sys.executable, __file__, "--case", str(side), str(tile or 0)],
            cwd=ROOT,
            env={**os.environ, "OMP_NUM_THREADS": threads},
            capture_output=True,
            text=True,
        )
        if answer.returncode:
            sys.exit(f"{name}: failed\n{answer.stderr[-3000:]}")
        result = json.loads(answer.stdout.strip().splitlines()[-1])
        output = side * side * 3 * 4 / MB  # the decoded float32 picture
        rows.append(
            {"case": name, "output MB": output, "per output": result["peak MB"] / output, **result}
        )
    print_table(rows, COLUMNS, title="VAE decode, SD/SDXL architecture, random weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
