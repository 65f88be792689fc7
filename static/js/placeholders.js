/*
 * Thumbhash placeholders: img[data-thumbhash="<base64 ThumbHash>"] gets the
 * hash decoded into a small PNG behind it until the image itself loads. The
 * decoder is the format author's own (static/vendor/thumbhash), so the
 * placeholder is the one the hash describes; the server never decodes. An ES
 * module, hence deferred; content that htmx swaps in later is handled on its
 * htmx:load event.
 */
import { thumbHashToDataURL } from "../vendor/thumbhash/thumbhash.js";

function bytesOf(hash) {
  /* Standard or URL-safe base64, with or without padding. */
  var text = hash.trim().replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  text += "====".slice(0, (4 - (text.length % 4)) % 4);
  return Uint8Array.from(window.atob(text), function (c) { return c.charCodeAt(0); });
}

function placeholder(img) {
  if (img.hasAttribute("data-thumbhash-ready") || (img.complete && img.naturalWidth > 0)) {
    return; /* Already shown (from the cache): no placeholder flash. */
  }
  img.setAttribute("data-thumbhash-ready", "");
  var url;
  try {
    url = thumbHashToDataURL(bytesOf(img.getAttribute("data-thumbhash")));
  } catch (e) {
    return; /* A hash it cannot read: the tile's background colour stays. */
  }
  img.style.backgroundImage = 'url("' + url + '")';
  img.classList.add("is-loading");
  img.addEventListener("load", function () {
    img.style.backgroundImage = "";
    img.classList.remove("is-loading");
  }, { once: true });
}

function init(root) {
  if (root.nodeType === 1 && root.matches("img[data-thumbhash]")) {
    placeholder(root);
  }
  root.querySelectorAll("img[data-thumbhash]").forEach(placeholder);
}

document.addEventListener("htmx:load", function (event) {
  init(event.detail.elt);
});
init(document);
