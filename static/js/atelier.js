/*
 * Atelier's page behaviour. Loaded with `defer`; no inline handlers anywhere
 * (the CSP allows scripts and styles from 'self' only), so every behaviour is
 * declared in the markup with a data attribute and wired here:
 *
 *   [data-theme-toggle]                  button: switch dark/light (stored)
 *   textarea[data-counter-target="ID"]   live "123 / 1000" into #ID (uses maxlength)
 *   form[data-confirm="Question?"]       confirm() before submitting (plain or htmx)
 *   [hx-*][data-confirm="Question?"]     same for an htmx element that is not a form
 *   [data-copy-target="ID"]              button: copy the text of #ID, say "Copied"
 *   select[data-preset-defaults]         option[data-defaults='{"width":1024,...}']
 *                                        fills the same-named fields of the form
 *   select[data-autosubmit], input[data-autosubmit]   submit the form on change
 *   [data-progress-value="0.42"]         sets style.width (42%) on e.g. a .progress-bar
 *
 * htmx: every request carries the CSRF token from <meta name="csrf-token">,
 * and content swapped in later gets the same treatment as the first page.
 */
(function () {
  "use strict";

  var THEME_KEY = "atelier-theme";

  /* ---- Theme ---------------------------------------------------------- */

  function currentTheme() {
    return document.documentElement.getAttribute("data-bs-theme") === "light" ? "light" : "dark";
  }

  function applyTheme(theme) {
    document.documentElement.setAttribute("data-bs-theme", theme);
    var next = theme === "dark" ? "light" : "dark";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", theme === "light" ? "true" : "false");
      button.setAttribute("title", "Switch to " + next + " theme");
    });
  }

  function toggleTheme() {
    var theme = currentTheme() === "dark" ? "light" : "dark";
    applyTheme(theme);
    try {
      window.localStorage.setItem(THEME_KEY, theme);
    } catch (e) {
      /* Not stored: the choice lasts for this page only. */
    }
  }

  /* Another tab changed the theme: follow it. */
  window.addEventListener("storage", function (event) {
    if (event.key === THEME_KEY && (event.newValue === "light" || event.newValue === "dark")) {
      applyTheme(event.newValue);
    }
  });

  /* ---- Character counter ------------------------------------------------ */

  function updateCounter(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-counter-target"));
    if (!target) {
      return;
    }
    var length = textarea.value.length;
    var max = parseInt(textarea.getAttribute("maxlength"), 10);
    if (isNaN(max) || max <= 0) {
      target.textContent = String(length);
      return;
    }
    target.textContent = length + " / " + max;
    target.classList.toggle("is-near", length >= max * 0.9 && length < max);
    target.classList.toggle("is-full", length >= max);
  }

  /* ---- Copy to clipboard ------------------------------------------------ */

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

  /* ---- Preset defaults -------------------------------------------------- */

  function setFieldValue(field, value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (field instanceof RadioNodeList) {
      field.value = text;
      return field.length ? field[0] : null;
    }
    if (field.type === "checkbox") {
      field.checked = Boolean(value);
    } else {
      field.value = text;
    }
    return field;
  }

  function applyPresetDefaults(select) {
    var option = select.options[select.selectedIndex];
    if (!option || !select.form) {
      return;
    }
    var raw = option.getAttribute("data-defaults");
    if (!raw) {
      return;
    }
    var defaults;
    try {
      defaults = JSON.parse(raw);
    } catch (e) {
      return;
    }
    Object.keys(defaults).forEach(function (name) {
      var field = select.form.elements.namedItem(name);
      if (!field || field === select) {
        return;
      }
      var changed = setFieldValue(field, defaults[name]);
      if (changed) {
        /* Let counters and other listeners see the new value. */
        changed.dispatchEvent(new Event("input", { bubbles: true }));
        changed.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  /* ---- Progress widths (a style attribute would break the CSP) ------------ */

  function applyProgress(element) {
    var value = parseFloat(element.getAttribute("data-progress-value"));
    if (isNaN(value)) {
      return;
    }
    var percent = Math.max(0, Math.min(1, value)) * 100;
    element.style.width = percent.toFixed(1) + "%";
  }

  /* ---- Wiring ------------------------------------------------------------ */

  function each(root, selector, fn) {
    if (root.nodeType !== 1 && root.nodeType !== 9) {
      return;
    }
    if (root.nodeType === 1 && root.matches(selector)) {
      fn(root);
    }
    root.querySelectorAll(selector).forEach(fn);
  }

  function init(root) {
    each(root, "textarea[data-counter-target]", updateCounter);
    each(root, "[data-progress-value]", applyProgress);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      event.preventDefault();
      toggleTheme();
      return;
    }
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      event.preventDefault();
      copyFromTarget(copy);
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counter-target]")) {
      updateCounter(event.target);
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) {
      return;
    }
    if (target.matches("select[data-preset-defaults]")) {
      applyPresetDefaults(target);
    }
    if (target.matches("[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  /*
   * Confirm before submitting. Capture phase on window runs before any other
   * submit listener (htmx's included), so a "Cancel" stops both the native
   * submission and an hx-post form.
   */
  window.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* htmx elements that are not forms (e.g. <button hx-delete data-confirm>). */
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    var question = detail.elt.getAttribute("data-confirm");
    if (!question || (detail.triggeringEvent && detail.triggeringEvent.type === "submit")) {
      return; /* Forms were asked in the submit listener above. */
    }
    event.preventDefault();
    if (window.confirm(question)) {
      detail.issueRequest(true);
    }
  });

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

  /* Content added by htmx gets placeholders, counters and progress widths. */
  document.addEventListener("htmx:load", function (event) {
    init(event.detail.elt);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    init(target && target.isConnected ? target : document);
  });

  applyTheme(currentTheme());
  init(document);
})();

/* ==== uploads: drop area (owner: uploads) ====================================
 *
 *   [data-upload-drop]   an area holding an <input type="file">, which covers it
 *                        (CSS) and so receives clicks and drops natively; this
 *                        only highlights the area while files are dragged over
 *                        it and lists the chosen files in its [data-upload-list].
 */
(function () {
  "use strict";

  function dropArea(event) {
    return event.target.closest ? event.target.closest("[data-upload-drop]") : null;
  }

  function listFiles(input) {
    var area = input.closest("[data-upload-drop]");
    var list = area && area.querySelector("[data-upload-list]");
    if (!list) {
      return;
    }
    var names = Array.prototype.map.call(input.files || [], function (file) {
      return file.name;
    });
    if (!names.length) {
      list.textContent = "No file chosen";
    } else if (names.length === 1) {
      list.textContent = names[0];
    } else {
      list.textContent = names.length + " files: " + names.join(", ");
    }
  }

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var area = dropArea(event);
      if (area) {
        area.classList.add("is-dragover");
      }
    });
  });

  ["dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var area = dropArea(event);
      if (area && (type === "drop" || !area.contains(event.relatedTarget))) {
        area.classList.remove("is-dragover");
      }
    });
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-upload-drop] input[type=file]")) {
      listFiles(input);
    }
  });
})();
/* ==== end uploads ============================================================= */
