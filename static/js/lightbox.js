/*
 * The lightbox: a tile of a feed (a.tile-link[data-lightbox] in a .masonry)
 * opens its image over the grid, in the <dialog data-lightbox-dialog> of
 * gallery/_lightbox.html, with the image page's panel beside it (fetched from
 * /images/<id>/panel/: like, comment, download, remix work there as on the
 * page, through their htmx endpoints).
 *
 * - The URL becomes /images/<id>/ (history.pushState), so a reload shows the
 *   image page; Back, Esc and the close button close it and put the grid
 *   back where it was. Moving to another image replaces that URL, so Back
 *   always returns to the grid.
 * - ←/→, the arrow buttons and a swipe move through the feed; past the last
 *   tile loaded the feed's next page is fetched through its sentinel (the
 *   next-page cursor), and it is fetched ahead when three tiles are left.
 *   The neighbours' full images and panels are fetched ahead too.
 * - Actual size (1:1) and pan (drag, or scroll), full screen.
 * A click with a modifier key, or without JavaScript, opens the page itself.
 */
(function () {
  "use strict";

  var TILE = ".masonry a.tile-link[data-lightbox]";
  var AHEAD = 3; // tiles left before the next page is fetched
  var SWIPE = 50; // px

  var dialog, stage, view, img, panel, zoomButton;
  var current = null; // the tile link shown
  var size = { width: 0, height: 0 }; // its full image's
  var scrollY = 0;
  var panels = new Map(); // image id → Promise of the panel's HTML
  var pending = new WeakMap(); // sentinel → Promise of its page

  function init() {
    dialog = document.querySelector("[data-lightbox-dialog]");
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    stage = dialog.querySelector("[data-lightbox-stage]");
    view = dialog.querySelector("[data-lightbox-view]");
    img = dialog.querySelector("[data-lightbox-img]");
    panel = dialog.querySelector("[data-lightbox-panel]");
    zoomButton = dialog.querySelector("[data-lightbox-zoom]");

    document.addEventListener("click", onTileClick);
    window.addEventListener("popstate", onPopState);
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault(); // Esc: close through history, as Back does
      requestClose();
    });
    dialog.addEventListener("close", finish);
    dialog.addEventListener("keydown", onKey);
    dialog.querySelector("[data-lightbox-close]").addEventListener("click", requestClose);
    dialog.querySelectorAll("[data-lightbox-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        step(parseInt(button.getAttribute("data-lightbox-step"), 10));
      });
    });
    zoomButton.addEventListener("click", function () {
      zoom(!stage.classList.contains("is-zoomed"));
    });
    dialog.querySelector("[data-lightbox-fullscreen]").addEventListener("click", fullScreen);
    document.addEventListener("fullscreenchange", fit); // the stage's room changed
    /* A backdrop click (outside the stage's image and the panel) closes. */
    view.addEventListener("click", function (event) {
      if (event.target === view && !stage.classList.contains("is-zoomed")) {
        requestClose();
      }
    });
    panToAndSwipe();
    /* The window, or the panel's scrollbar on a phone, changes the room. */
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (dialog.open) {
          fit();
        }
      }).observe(view);
    }
    /* Whatever changes in the panel (a like, a comment) makes its copy stale;
       a follow, every copy (the owner's other images show the same button). */
    panel.addEventListener("htmx:afterRequest", function (event) {
      if (event.target.closest && event.target.closest(".follow-box")) {
        panels.clear();
      } else if (current) {
        panels.delete(current.getAttribute("data-lightbox"));
      }
    });
    panel.addEventListener("htmx:afterSwap", syncTileLike);
  }

  // ---- Opening, moving, closing ---------------------------------------------

  function onTileClick(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest(TILE);
    if (!link) {
      return;
    }
    event.preventDefault();
    scrollY = window.scrollY;
    document.documentElement.classList.add("has-lightbox");
    dialog.showModal();
    show(link);
    history.pushState({ lightbox: link.getAttribute("data-lightbox") }, "", link.href);
    dialog.querySelector("[data-lightbox-close]").focus();
  }

  function links(from) {
    var grid = (from || current).closest(".masonry");
    var feed = grid && grid.parentElement;
    return feed ? Array.prototype.slice.call(feed.querySelectorAll(":scope > .masonry a.tile-link[data-lightbox]")) : [];
  }

  function show(link) {
    current = link;
    zoom(false);
    var thumb = link.querySelector("img");
    size = {
      width: parseInt(link.getAttribute("data-width"), 10) || thumb.naturalWidth,
      height: parseInt(link.getAttribute("data-height"), 10) || thumb.naturalHeight,
    };
    img.alt = thumb ? thumb.alt : "";
    /* The thumbnail (already loaded) at once, the full image when it is here. */
    img.src = thumb ? thumb.currentSrc || thumb.src : link.getAttribute("data-full");
    img.setAttribute("data-id", link.getAttribute("data-lightbox"));
    /* An NSFW tile still blurred is shown blurred (js/nsfw.js reveals it). */
    dialog.classList.toggle("is-blurred", !!link.closest(".tile.is-blurred"));
    fit();
    fullImage(link).then(function (src) {
      if (current === link) {
        img.src = src;
      }
    });
    showPanel(link);
    var all = links(link);
    var index = all.indexOf(link);
    dialog.querySelector(".lightbox-prev").disabled = index <= 0;
    dialog.querySelector(".lightbox-next").disabled = index === all.length - 1 && !sentinel(link);
    /* Fetch ahead: the neighbours, and the next page near the end. */
    [all[index + 1], all[index - 1]].forEach(function (neighbour) {
      if (neighbour) {
        var neighbourThumb = neighbour.querySelector("img");
        if (neighbourThumb) {
          neighbourThumb.loading = "eager"; // a lazy thumbnail off screen: load it now
        }
        fullImage(neighbour);
        panelHtml(neighbour.getAttribute("data-lightbox"));
      }
    });
    if (all.length - 1 - index <= AHEAD) {
      nextPage(link);
    }
  }

  function step(delta) {
    if (!current || !dialog.open) {
      return Promise.resolve();
    }
    var from = current;
    var all = links(from);
    var target = all[all.indexOf(from) + delta];
    if (target) {
      show(target);
      history.replaceState({ lightbox: target.getAttribute("data-lightbox") }, "", target.href);
      return Promise.resolve();
    }
    if (delta > 0) {
      return nextPage(from).then(function (added) {
        if (added && current === from) {
          return step(delta);
        }
      });
    }
    return Promise.resolve();
  }

  function requestClose() {
    if (history.state && history.state.lightbox) {
      history.back(); // onPopState closes it
    } else if (dialog.open) {
      dialog.close();
    }
  }

  function onPopState(event) {
    var state = event.state;
    if (state && state.lightbox) {
      /* Forward to an image of this grid: open it again. */
      var link = document.querySelector(TILE + '[data-lightbox="' + CSS.escape(String(state.lightbox)) + '"]');
      if (link && !dialog.open) {
        scrollY = window.scrollY;
        document.documentElement.classList.add("has-lightbox");
        dialog.showModal();
        show(link);
      } else if (!link) {
        location.reload();
      }
      return;
    }
    if (dialog.open) {
      dialog.close();
    }
  }

  /* The dialog closed (Back, Esc, the button): the grid as it was. */
  function finish() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    }
    document.documentElement.classList.remove("has-lightbox");
    img.removeAttribute("src");
    window.scrollTo(0, scrollY);
    if (history.state && history.state.lightbox) {
      history.back(); // closed without asking (a second Esc): the grid's URL
    }
    if (current) {
      var box = current.getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) {
        current.scrollIntoView({ block: "center" }); // moved on far from where it was
      }
      current.focus({ preventScroll: true });
    }
  }

  function onKey(event) {
    var target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    if (event.key === "ArrowRight") {
      event.preventDefault();
      step(1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      step(-1);
    }
  }

  // ---- What is fetched ---------------------------------------------------------

  var fulls = new Map(); // full image URL → Promise of it, decoded

  function fullImage(link) {
    var src = link.getAttribute("data-full");
    if (!fulls.has(src)) {
      var loader = new Image();
      loader.src = src;
      fulls.set(src, loader.decode().then(function () {
        return src;
      }, function () {
        fulls.delete(src);
        return src;
      }));
    }
    return fulls.get(src);
  }

  function panelHtml(id) {
    if (!panels.has(id)) {
      var answer = fetch("/images/" + encodeURIComponent(id) + "/panel/", {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      }).then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      });
      answer.catch(function () {
        panels.delete(id);
      });
      panels.set(id, answer);
    }
    return panels.get(id);
  }

  function showPanel(link) {
    var id = link.getAttribute("data-lightbox");
    panel.setAttribute("aria-busy", "true");
    panelHtml(id).then(function (html) {
      if (current !== link) {
        return;
      }
      panel.innerHTML = html; // the server's template, escaped there
      panel.scrollTop = 0;
      panel.removeAttribute("aria-busy");
      panel.setAttribute("data-image", id);
      if (window.htmx) {
        window.htmx.process(panel);
      }
    }, function () {
      if (current !== link) {
        return;
      }
      var failed = dialog.querySelector("[data-lightbox-failed]").content.cloneNode(true);
      failed.querySelector("[data-lightbox-page]").href = link.href;
      panel.replaceChildren(failed);
      panel.removeAttribute("aria-busy");
    });
  }

  /* The load-more sentinel after the grid of `link`, if the feed has more. */
  function sentinel(link) {
    var grid = link.closest(".masonry");
    var feed = grid && grid.parentElement;
    return feed ? feed.querySelector(":scope > .feed-more[hx-get]") : null;
  }

  /* Fetch the feed's next page (what scrolling to the sentinel would do);
     a Promise of whether tiles were added. */
  function nextPage(link) {
    var more = sentinel(link);
    if (!more || !window.htmx) {
      return Promise.resolve(false);
    }
    if (!pending.has(more)) {
      var before = links(link).length;
      var loaded;
      if (more.classList.contains("htmx-request")) {
        loaded = new Promise(function (resolve) {
          more.addEventListener("htmx:afterRequest", resolve, { once: true });
        });
      } else {
        loaded = window.htmx.ajax("GET", more.getAttribute("hx-get"), {
          source: more,
          target: more,
          swap: "outerHTML",
        });
      }
      pending.set(more, loaded.then(function () {
        if (current && dialog.open) {
          var all = links(link);
          dialog.querySelector(".lightbox-next").disabled =
            all.indexOf(current) === all.length - 1 && !sentinel(link);
        }
        return links(link).length > before;
      }, function () {
        pending.delete(more);
        return false;
      }));
    }
    return pending.get(more);
  }

  /* A like given in the lightbox shows on the tile under it. */
  function syncTileLike(event) {
    var form = event.target.closest && event.target.closest(".like-form");
    var swapped = panel.querySelector(".like-btn");
    if (!current || !swapped || !form) {
      return;
    }
    var tileButton = current.closest(".tile").querySelector(".like-btn");
    if (!tileButton || tileButton.tagName !== "BUTTON") {
      return;
    }
    var liked = swapped.classList.contains("is-liked");
    var count = swapped.querySelector(".like-count");
    if (liked !== tileButton.classList.contains("is-liked")) {
      tileButton.classList.toggle("is-liked", liked);
      tileButton.setAttribute("aria-pressed", liked ? "true" : "false");
      tileButton.querySelector(".like-count").textContent = count ? count.textContent : "";
      var url = current.href + "like/?compact=1";
      tileButton.removeAttribute(liked ? "hx-post" : "hx-delete");
      tileButton.setAttribute(liked ? "hx-delete" : "hx-post", url);
      window.htmx.process(tileButton);
    }
  }

  // ---- Zoom, pan, swipe, full screen -------------------------------------------

  /* The image's size on screen: fitted into the stage (never above its own
     size), or its own size when zoomed. Set here rather than from its
     intrinsic size, so the thumbnail shown first has the full image's size. */
  function fit() {
    var width = size.width;
    var height = size.height;
    if (!width || !height) {
      return;
    }
    var scale = 1;
    if (!stage.classList.contains("is-zoomed")) {
      var style = getComputedStyle(view);
      var room = {
        width: view.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
        height: view.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom),
      };
      scale = Math.min(1, room.width / width, room.height / height);
    }
    img.style.width = Math.round(width * scale) + "px";
    img.style.height = Math.round(height * scale) + "px";
  }

  function zoom(on, at) {
    var was = stage.classList.contains("is-zoomed");
    stage.classList.toggle("is-zoomed", on);
    zoomButton.setAttribute("aria-pressed", on ? "true" : "false");
    fit();
    if (on && !was) {
      /* Keep the point clicked (or the centre) under the pointer. */
      var box = view.getBoundingClientRect();
      var fx = at ? at.fx : 0.5;
      var fy = at ? at.fy : 0.5;
      view.scrollLeft = fx * img.offsetWidth - (at ? at.x - box.left : box.width / 2);
      view.scrollTop = fy * img.offsetHeight - (at ? at.y - box.top : box.height / 2);
    }
  }

  function panToAndSwipe() {
    var start = null;
    view.addEventListener("pointerdown", function (event) {
      start = {
        x: event.clientX,
        y: event.clientY,
        left: view.scrollLeft,
        top: view.scrollTop,
        moved: false,
        type: event.pointerType,
      };
    });
    view.addEventListener("pointermove", function (event) {
      if (!start) {
        return;
      }
      var dx = event.clientX - start.x;
      var dy = event.clientY - start.y;
      if (Math.abs(dx) + Math.abs(dy) > 5) {
        start.moved = true;
      }
      if (stage.classList.contains("is-zoomed") && start.type === "mouse") {
        view.scrollLeft = start.left - dx;
        view.scrollTop = start.top - dy;
      }
    });
    view.addEventListener("pointerup", function (event) {
      if (!start) {
        return;
      }
      var dx = event.clientX - start.x;
      var dy = event.clientY - start.y;
      var moved = start.moved;
      start = null;
      if (stage.classList.contains("is-zoomed")) {
        if (!moved && event.target === img) {
          zoom(false);
        }
        return;
      }
      if (moved && Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(dy)) {
        step(dx < 0 ? 1 : -1);
      } else if (!moved && event.target === img) {
        var box = img.getBoundingClientRect();
        zoom(true, {
          x: event.clientX,
          y: event.clientY,
          fx: (event.clientX - box.left) / box.width,
          fy: (event.clientY - box.top) / box.height,
        });
      }
    });
    view.addEventListener("pointercancel", function () {
      start = null;
    });
  }

  /* The stage (image, arrows, toolbar) goes full screen: a <dialog> itself
     may not (the Fullscreen API refuses dialog elements). */
  function fullScreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (stage.requestFullscreen) {
      stage.requestFullscreen().catch(function () {});
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
