/*
 * [data-copy-target="ID"]: a button that copies the text (or value) of #ID
 * and says "Copied" for a moment.
 * [data-share="URL"] (data-share-title): a share button. On a touch screen
 * with the Web Share API it opens the system's share sheet; elsewhere it
 * copies the page's full address and says "Link copied".
 */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    /* Plain http on a LAN address has no Clipboard API: use a hidden field. */
    return new Promise(function (resolve, reject) {
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.className = "copy-buffer";
      document.body.appendChild(field);
      field.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(field);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  function flashButton(button, label, iconClass) {
    if (!button.hasAttribute("data-copy-original")) {
      button.setAttribute("data-copy-original", button.innerHTML);
    }
    var icon = document.createElement("i");
    icon.className = "bi " + iconClass;
    icon.setAttribute("aria-hidden", "true");
    button.replaceChildren(icon, document.createTextNode(" " + label));
    button.classList.add("is-copied");
    window.clearTimeout(button._atelierCopyTimer);
    button._atelierCopyTimer = window.setTimeout(function () {
      button.innerHTML = button.getAttribute("data-copy-original");
      button.removeAttribute("data-copy-original");
      button.classList.remove("is-copied");
    }, 1600);
  }

  function copyFromTarget(button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    var text = "value" in source && typeof source.value === "string" ? source.value : source.textContent;
    copyText(text.trim()).then(
      function () {
        flashButton(button, "Copied", "bi-check2");
      },
      function () {
        flashButton(button, "Copy failed", "bi-x-lg");
      }
    );
  }

  function share(button) {
    var url = new URL(button.getAttribute("data-share"), window.location.href).href;
    var title = button.getAttribute("data-share-title") || document.title;
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (touch && navigator.share) {
      navigator.share({ title: title, url: url }).catch(function () {});
      return;
    }
    copyText(url).then(
      function () {
        flashButton(button, "Link copied", "bi-check2");
      },
      function () {
        flashButton(button, "Copy failed", "bi-x-lg");
      }
    );
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      event.preventDefault();
      copyFromTarget(copy);
      return;
    }
    var shareButton = event.target.closest("[data-share]");
    if (shareButton) {
      event.preventDefault();
      share(shareButton);
    }
  });
})();
