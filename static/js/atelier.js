/*
 * Atelier's page behaviour, one file per concern (loaded with `defer`, in
 * this order, by templates/base.html):
 *
 *   atelier.js       this file: Atelier.onContent() and htmx's set-up
 *   theme-toggle.js  [data-theme-toggle] switches dark/light (stored)
 *   forms.js         counters, confirmations, preset defaults, autosubmit
 *   clipboard.js     [data-copy-target] copy buttons
 *   progress.js      [data-progress-value] widths of progress bars
 *   uploads.js       [data-upload-drop] drop areas
 *   masonry.js       .masonry grids in reading order, pages continued
 *   lightbox.js      a feed's tiles open over the grid ([data-lightbox])
 *   placeholders.js  img[data-thumbhash] placeholders (an ES module)
 *
 * No inline handlers anywhere (the CSP allows scripts and styles from 'self'
 * only), so every behaviour is declared in the markup with a data attribute
 * and wired in these files.
 */
(function () {
  "use strict";

  /*
   * onContent(selector, fn): call fn(element) for every element matching
   * selector, on the first page and in whatever htmx swaps in later.
   */
  function each(root, selector, fn) {
    if (root.nodeType !== 1 && root.nodeType !== 9) {
      return;
    }
    if (root.nodeType === 1 && root.matches(selector)) {
      fn(root);
    }
    root.querySelectorAll(selector).forEach(fn);
  }

  function onContent(selector, fn) {
    document.addEventListener("htmx:load", function (event) {
      each(event.detail.elt, selector, fn);
    });
    document.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail.target;
      each(target && target.isConnected ? target : document, selector, fn);
    });
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        each(document, selector, fn);
      });
    } else {
      each(document, selector, fn);
    }
  }

  window.Atelier = { onContent: onContent };

  /* Every htmx request carries the CSRF token. */
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  /* A 429 (rate limit) carries the form again with a message: show it. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
