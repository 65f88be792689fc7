"""How fast the lightbox shows the next image after → (issue 13: ≤ 100 ms).

Starts a web server from ``tests/stack.py`` (no worker) over a database that
``manage.py seed_demo`` fills, opens /explore/ in Debian's Chromium
(``/usr/bin/chromium``, headless), opens the first tile and presses →
``--steps`` times, through page boundaries (the feed's next page is fetched
ahead). For each step it measures in the page, with ``performance.now()``,
from the key press to:

- ``shown``: the lightbox's image is the next one and has decoded something
  (the tile's thumbnail, already loaded in the grid, then the full image);
- ``full``: the full-size image is there (fetched ahead for the neighbours);
- ``panel``: the panel beside it (title, like, recipe, comments) is the
  next image's.

    .venv/bin/python bench/lightbox.py [--images 200] [--steps 60]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Column, Stats, print_table, run_facts, verdict  # noqa: E402

AIM_MS = 100

# Press → on the open dialog; resolve with the times at which the next image
# was shown, its full image decoded and its panel swapped in.
STEP = """async () => {
  const dialog = document.querySelector("[data-lightbox-dialog]");
  const img = dialog.querySelector(".lightbox-img");
  const panel = dialog.querySelector("[data-lightbox-panel]");
  const before = img.getAttribute("data-id");
  const t0 = performance.now();
  dialog.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
  const times = {};
  await new Promise((resolve) => {
    const check = () => {
      const id = img.getAttribute("data-id");
      const now = performance.now() - t0;
      if (id !== before) {
        if (times.shown === undefined && img.complete && img.naturalWidth > 0) times.shown = now;
        const full = img.currentSrc.endsWith("/file");
        if (times.full === undefined && img.complete && full) times.full = now;
        if (times.panel === undefined && panel.getAttribute("data-image") === id) times.panel = now;
      }
      if ((times.shown !== undefined && times.full !== undefined && times.panel !== undefined)
          || now > 5000) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
  return times;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, require_chromium
    from tests.stack import Stack

    require_chromium()
    print("\n".join(run_facts()))
    stack = Stack(database="sqlite", broker="sqlite", tiny_model=Path("/nonexistent"))
    try:
        stack.start(worker=False)
        seeded = stack.manage(
            "seed_demo", "--images", str(args.images), "--users", "10", "--topics", "5"
        ).stdout
        print(re.search(r"seed_demo: .*? comments", seeded).group(0))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=stack.url, viewport=DESKTOP)
            page.goto("/explore/")
            page.locator("main .masonry a.tile-link").first.click()
            page.locator(".lightbox-panel[data-image]").wait_for()
            steps = [page.evaluate(STEP) for _ in range(args.steps)]
            tiles = page.locator("main .masonry a.tile-link").count()
            browser.close()
    finally:
        stack.stop()

    print(f"{args.steps} presses of →, across {tiles // 24} page boundaries (24 tiles a page)")
    rows = []
    for key, label in (("shown", "image shown"), ("full", "full image"), ("panel", "panel")):
        values = [step[key] for step in steps if key in step]
        stats = Stats.of(values)
        misses = [f"p50>{AIM_MS}"] if key == "shown" and stats.p50 > AIM_MS else []
        rows.append(
            {
                "what": label,
                "n": f"{len(values)}/{len(steps)}",
                "p50": stats.p50,
                "p95": stats.p95,
                "max": stats.max,
                "aim": verdict(misses) if key == "shown" else "",
            }
        )
    print_table(
        rows,
        [
            Column("what"),
            Column("n"),
            Column("p50", "p50 ms", ".1f"),
            Column("p95", "p95 ms", ".1f"),
            Column("max", "max ms", ".1f"),
            Column("aim"),
        ],
        title="From → to …",
    )


if __name__ == "__main__":
    main()
