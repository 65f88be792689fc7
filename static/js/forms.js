/*
 * Forms:
 *   textarea[data-counter-target="ID"]   live "123 / 1000" into #ID (uses maxlength)
 *   form[data-confirm="Question?"]       confirm() before submitting (plain or htmx)
 *   [hx-*][data-confirm="Question?"]     same for an htmx element that is not a form
 *   select[data-preset-defaults]         option[data-defaults='{"width":1024,...}']
 *                                        fills the same-named fields of the form
 *                                        and shows the option's data-note in [data-model-note]
 *   button[data-seed-random]             sets the form's seed back to -1 (random) and
 *                                        hides its [data-seed-note]
 *   select[data-autosubmit], input[data-autosubmit]   submit the form on change
 */
(function () {
  "use strict";

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

  function showModelNote(select) {
    var option = select.options[select.selectedIndex];
    var note = select.form && select.form.querySelector("[data-model-note]");
    if (note && option) {
      note.textContent = option.getAttribute("data-note") || "";
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-seed-random]");
    if (!button || !button.form) {
      return;
    }
    var seed = button.form.elements.namedItem("seed");
    if (seed) {
      seed.value = "-1";
    }
    var note = button.closest("[data-seed-note]");
    if (note) {
      note.hidden = true;
    }
  });

  window.Atelier.onContent("textarea[data-counter-target]", updateCounter);

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
      showModelNote(target);
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
})();
