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
import sys

from harness import ROOT, Column, measure, print_table, run_facts, yardstick_ms

SIZES = (64, 512, 1024)
LEVELS = (1, 3, 6, 9)  # zlib levels; Pillow's default is 6
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


def png_bytes(image, level: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=level)
    return buffer.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell (median shown)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from imaging.png_metadata import encode_png
    from imaging.thumbhash import image_to_thumbhash
    from imaging.thumbnails import make_preview, make_thumbnail

    steps = {  # the cases: what the worker runs on each image
        "encode_png": lambda image: encode_png(image, RECIPE),
        "make_thumbnail": make_thumbnail,
        "image_to_thumbhash": image_to_thumbhash,
        "make_preview": make_preview,
    }
    print("\n".join(run_facts()))
    print(
        f"the machine's speed: a fixed pure-Python loop takes {yardstick_ms():.1f} ms"
        " (lower is faster; compare runs by it)"
    )
    print()

    rows = []
    for side in SIZES:
        image = picture(side)
        row = {"side": side}
        for name, step in steps.items():
            row[name] = measure(lambda s=step, im=image: s(im), args.repeat, warmup=0).wall.p50
        rows.append(row)
    print_table(
        rows,
        [Column("side", align=">"), *(Column(name, fmt=".1f") for name in steps)],
        title=f"p50 of {args.repeat} runs, ms",
    )

    image = picture(SIZES[-1])
    rows = [
        {
            "level": level,
            "ms": measure(lambda lv=level: png_bytes(image, lv), args.repeat, warmup=0).wall.p50,
            "KiB": len(png_bytes(image, level)) / 1024,
        }
        for level in LEVELS
    ]
    print()
    print_table(
        rows,
        [Column("level", align=">"), Column("ms", fmt=".1f"), Column("KiB", fmt=".0f")],
        title=f"PNG at {SIZES[-1]}×{SIZES[-1]} by zlib level (Pillow's default is 6)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
