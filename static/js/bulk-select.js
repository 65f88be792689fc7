/*
 * The selection of a page of images (My images, a topic, a job's results):
 * [data-bulk-form] over the [data-bulk-feed] that follows it. "Select"
 * turns a click on one of the viewer's own tiles ([data-mine]) into
 * selecting it, shift-click selects the range from the last one clicked,
 * "Select all on page" takes every one of theirs loaded; others' tiles are
 * not selectable. Submitting asks once, naming how many images, then posts
 * their ids. Bars that arrive later (a job finishing) start on htmx:load.
 */
(function () {
  "use strict";

  var LABELS = {
    publish: "Publish",
    unlist: "Unlist",
    make_private: "Make private",
    move: "Move",
    "delete": "Delete"
  };

  function idOf(tile) {
    var link = tile.querySelector("a[href*='/images/']");
    var match = link && link.getAttribute("href").match(/\/images\/(\d+)\//);
    return match ? match[1] : null;
  }

  function feedOf(form) {
    var next = form.nextElementSibling;
    while (next && !next.hasAttribute("data-bulk-feed")) {
      next = next.nextElementSibling;
    }
    return next || document.querySelector("[data-bulk-feed]");
  }

  function init(form) {
    var feed = feedOf(form);
    if (!feed || form.hasAttribute("data-bulk-ready")) {
      return;
    }
    form.setAttribute("data-bulk-ready", "");
    var selecting = false;
    var last = null;
    var toggle = form.querySelector("[data-bulk-toggle]");
    var tools = form.querySelector("[data-bulk-tools]");
    var counter = form.querySelector("[data-bulk-count]");

    function tiles() {
      return Array.prototype.slice.call(feed.querySelectorAll(".tile[data-mine]"));
    }
    function selected() {
      return tiles().filter(function (t) { return t.classList.contains("is-selected"); });
    }
    function setSelected(tile, on) {
      tile.classList.toggle("is-selected", on);
      tile.setAttribute("aria-selected", on ? "true" : "false");
    }
    function update() {
      counter.textContent = selected().length + " selected";
    }

    toggle.addEventListener("click", function () {
      selecting = !selecting;
      toggle.setAttribute("aria-pressed", selecting ? "true" : "false");
      tools.classList.toggle("d-none", !selecting);
      feed.classList.toggle("is-selecting", selecting);
      if (!selecting) {
        tiles().forEach(function (t) { setSelected(t, false); });
      }
      update();
    });
    form.querySelector("[data-bulk-all]").addEventListener("click", function () {
      tiles().forEach(function (t) { setSelected(t, true); });
      update();
    });
    form.querySelector("[data-bulk-none]").addEventListener("click", function () {
      tiles().forEach(function (t) { setSelected(t, false); });
      update();
    });

    feed.addEventListener("click", function (event) {
      if (!selecting) {
        return;
      }
      var tile = event.target.closest(".tile");
      if (!tile || !feed.contains(tile)) {
        return;
      }
      event.preventDefault();
      if (!tile.hasAttribute("data-mine")) {
        counter.textContent = "Only your own images can be selected";
        return;
      }
      var all = tiles();
      if (event.shiftKey && last && all.indexOf(last) >= 0) {
        var a = all.indexOf(last);
        var b = all.indexOf(tile);
        var on = true;
        all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (t) { setSelected(t, on); });
      } else {
        setSelected(tile, !tile.classList.contains("is-selected"));
      }
      last = tile;
      update();
    });

    form.addEventListener("submit", function (event) {
      var action = event.submitter ? event.submitter.value : "";
      var ids = selected().map(idOf).filter(Boolean);
      form.querySelectorAll("input[name='ids']").forEach(function (i) { i.remove(); });
      if (!ids.length) {
        event.preventDefault();
        counter.textContent = "Select images first";
        return;
      }
      var max = parseInt(form.getAttribute("data-bulk-max"), 10) || 200;
      if (ids.length > max) {
        event.preventDefault();
        counter.textContent = ids.length + " selected: at most " + max + " at a time";
        return;
      }
      var noun = ids.length === 1 ? "image" : "images";
      if (!window.confirm((LABELS[action] || action) + " " + ids.length + " " + noun + "?")) {
        event.preventDefault();
        return;
      }
      ids.forEach(function (id) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "ids";
        input.value = id;
        form.appendChild(input);
      });
      form.querySelector("[data-bulk-confirmed]").value = "1";
    });
  }

  function initWithin(root) {
    if (root.matches && root.matches("[data-bulk-form]")) {
      init(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-bulk-form]").forEach(init);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    initWithin(document);
  });
  document.addEventListener("htmx:load", function (event) {
    initWithin(event.target);
  });
})();
