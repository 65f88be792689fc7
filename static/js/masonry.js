/*
 * .masonry grids in reading order: each tile, in the order of the feed (and
 * of the DOM), goes to the top of the shortest column, leftmost first. So
 * the tops of the tiles never go up from one tile to the next, the first
 * row reads #1, #2, #3…, and Tab follows the same order.
 *
 * A later page of a feed (htmx swaps its .masonry in after the one before)
 * is poured into the first page's grid and continues its columns: no seam
 * between pages, and tiles already shown never move. Heights are known
 * before the thumbnails load (the <img> carries width and height), so
 * nothing moves when they arrive either. Without JavaScript, .masonry is a
 * plain grid of rows (css/tiles.css), in the same order.
 */
(function () {
  "use strict";

  function settings(grid) {
    var style = getComputedStyle(grid);
    var columns = parseInt(style.getPropertyValue("--masonry-columns"), 10) || 2;
    var gap = parseFloat(style.columnGap) || 0;
    return { columns: columns, gap: gap };
  }

  /* Place `tiles` (already in `grid`) after those placed before. */
  function place(grid, tiles, restart) {
    var state = grid._masonry;
    var width = grid.clientWidth;
    var s = settings(grid);
    if (restart || !state || state.width !== width || state.columns !== s.columns) {
      state = grid._masonry = {
        width: width,
        columns: s.columns,
        gap: s.gap,
        heights: new Array(s.columns).fill(0),
      };
      tiles = Array.prototype.slice.call(grid.children).filter(isTile);
      grid.classList.add("is-masonry");
    }
    var columnWidth = (width - state.gap * (state.columns - 1)) / state.columns;
    /* Write every width, then read every height (one layout), then place. */
    tiles.forEach(function (tile) {
      tile.style.width = columnWidth + "px";
    });
    var heights = tiles.map(function (tile) {
      return tile.offsetHeight;
    });
    tiles.forEach(function (tile, index) {
      var column = 0;
      for (var c = 1; c < state.columns; c++) {
        if (state.heights[c] < state.heights[column] - 0.5) {
          column = c;
        }
      }
      var x = column * (columnWidth + state.gap);
      var y = state.heights[column];
      tile.style.transform = "translate(" + x + "px, " + y + "px)";
      state.heights[column] = y + heights[index] + state.gap;
    });
    grid.style.height = Math.max(0, Math.max.apply(null, state.heights) - state.gap) + "px";
  }

  function isTile(element) {
    return element.nodeType === 1 && element.classList.contains("tile");
  }

  /* A page's grid swapped in right after another page's: move its tiles there. */
  function pour(grid) {
    var before = grid.previousElementSibling;
    if (!before || !before.classList.contains("masonry") || !before.classList.contains("is-masonry")) {
      return false;
    }
    var tiles = Array.prototype.slice.call(grid.children).filter(isTile);
    tiles.forEach(function (tile) {
      before.appendChild(tile);
    });
    grid.remove();
    place(before, tiles, false);
    before.dispatchEvent(new CustomEvent("masonry:added", { bubbles: true, detail: { tiles: tiles } }));
    return true;
  }

  function layOut(grid) {
    if (!grid.isConnected || pour(grid)) {
      return;
    }
    place(grid, [], true);
    if (window.ResizeObserver) {
      var width = grid.clientWidth;
      new ResizeObserver(function () {
        if (grid.isConnected && grid.clientWidth !== width) {
          width = grid.clientWidth;
          place(grid, [], true);
        }
      }).observe(grid);
    }
  }

  window.Atelier.onContent(".masonry", function (grid) {
    if (!grid.classList.contains("is-masonry")) {
      layOut(grid);
    }
  });

  /* The web font of the captions may change their height once loaded. */
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () {
      document.querySelectorAll(".masonry.is-masonry").forEach(function (grid) {
        place(grid, [], true);
      });
    });
  }
})();
