/*
 * NSFW images shown blurred (gallery/nsfw.py): a tile, the lightbox's image
 * or the image page's picture inside an element with .is-blurred, the
 * clickable part marked [data-nsfw-reveal]. The first click reveals it and
 * goes no further (a tile's link would open the lightbox); the next click
 * does what it always does. Revealing the lightbox's image reveals its tile.
 * Listens on window in the capture phase, before js/lightbox.js sees the click.
 */
(function () {
  "use strict";

  function reveal(holder) {
    holder.classList.remove("is-blurred");
    holder.querySelectorAll("[data-nsfw-reveal]").forEach(function (part) {
      part.removeAttribute("aria-label");
    });
  }

  window.addEventListener(
    "click",
    function (event) {
      var part = event.target.closest && event.target.closest("[data-nsfw-reveal]");
      var holder = part && part.closest(".is-blurred");
      if (!holder) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      reveal(holder);
      /* The lightbox shows a tile's image: that tile is revealed too. */
      var id = holder.matches("[data-lightbox-dialog]") && part.getAttribute("data-id");
      if (id) {
        var link = document.querySelector('.tile-link[data-lightbox="' + CSS.escape(id) + '"]');
        var tile = link && link.closest(".tile.is-blurred");
        if (tile) {
          reveal(tile);
        }
      }
    },
    true
  );
})();
