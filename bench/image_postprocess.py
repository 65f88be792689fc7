"""What storing one generated image costs the worker, by image size.

After the engine returns, the worker encodes the PNG (with the recipe), makes
the WebP thumbnail and the thumbhash (and, while it runs, small WebP
previews). job_overhead.py measures these at 64×64, where they are tiny; this
times the same `imaging` functions in-process at the sizes real models make,
and the PNG encoder at each zlib level, on a smooth synthetic picture (random
16×16 colours scaled up: it compresses like a photo more than noise does).

    .venv/bin/python bench/image_postprocess.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (64, 512, 1024)
RECIPE = {
    "prompt": "a lighthouse at dawn, oil painting",
    "negative_prompt": "blurry",
    "model": "sdxl-base",
    "sampler": "Euler a",
    "steps": 30,
    "cfg_scale": 7.5,
    "seed": 1234,
    "width": 1024,
    "height": 1024,
    "backend": "diffusers",
}


def picture(side: int):
    import random

    from PIL import Image

    rng = random.Random(side)
    small = Image.frombytes("RGB", (16, 16), bytes(rng.randrange(256) for _ in range(16 * 16 * 3)))
    return small.resize((side, side), Image.Resampling.BICUBIC)


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell (median shown)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from imaging.png_metadata import encode_png
    from imaging.thumbhash import image_to_thumbhash
    from imaging.thumbnails import make_preview, make_thumbnail

    steps = {
        "encode_png": lambda image: encode_png(image, RECIPE),
        "make_thumbnail": make_thumbnail,
        "image_to_thumbhash": image_to_thumbhash,
        "make_preview": make_preview,
    }
    print(f"median of {args.repeat} runs, ms")
    print(f"  {'side':>6}" + "".join(f"{name:>20}" for name in steps))
    for side in SIZES:
        image = picture(side)
        cells = "".join(
            f"{median_ms(lambda s=step, im=image: s(im), args.repeat):>20.1f}"
            for step in steps.values()
        )
        print(f"  {side:>6}{cells}")

    side = SIZES[-1]
    image = picture(side)
    print(f"\nPNG at {side}×{side} by zlib level (Pillow's default is 6)")
    print(f"  {'level':>6}{'ms':>10}{'KiB':>10}")
    for level in (1, 3, 6, 9):
        buffer = io.BytesIO()
        ms = median_ms(
            lambda lv=level: image.save(io.BytesIO(), format="PNG", compress_level=lv),
            args.repeat,
        )
        image.save(buffer, format="PNG", compress_level=level)
        print(f"  {level:>6}{ms:>10.1f}{len(buffer.getvalue()) / 1024:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
