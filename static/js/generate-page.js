/*
 * The Generate page (form.generate-form):
 *   Ctrl/Cmd+Enter in any of its fields submits it.
 *   button[data-aspect="16:9"] sets width and height to that shape at the
 *     chosen model's native size (its default width x height), in steps of 64
 *     (8 for models under 512 pixels) within the model's bounds (the option's
 *     data-min-size/data-max-size);
 *     the button matching the current size is pressed.
 *   Dropping an image file on the form: a file with a recipe (any tool's, read
 *     by the server at [data-recipe-url]) loads it, as Remix does; one without
 *     becomes the starting image. [data-drop-note] says which.
 *   What the chosen model cannot do: its option's data-refuses-<operation>
 *     (inpainting, image-to-image, hires-fix, variations; the server's
 *     refusal, naming the engines that can) greys out and disables each
 *     [data-ability="operation ..."] (usable when the model can do any one of
 *     those listed) and shows the refusal in [data-ability-note="operation"];
 *     one holding a file the person chose keeps its controls, so the file is
 *     sent and refused by name rather than silently left out.
 *     With a starting image or a mask chosen, the models that cannot take it
 *     say so in their option ("(cannot inpaint)"). The form still refuses them.
 */
(function () {
  "use strict";

  function modelOption(form) {
    var select = form.elements.namedItem("model");
    return select && select.options ? select.options[select.selectedIndex] : null;
  }

  function nativeSize(form) {
    var option = modelOption(form);
    var size = { width: 512, height: 512, min: 64, max: 2048 };
    if (!option) {
      return size;
    }
    try {
      var defaults = JSON.parse(option.getAttribute("data-defaults") || "{}");
      size.width = defaults.width || size.width;
      size.height = defaults.height || size.height;
    } catch (e) {
      /* keep 512 x 512 */
    }
    size.min = parseInt(option.getAttribute("data-min-size"), 10) || size.min;
    size.max = parseInt(option.getAttribute("data-max-size"), 10) || size.max;
    return size;
  }

  function fit(value, size) {
    var step = Math.min(size.width, size.height) >= 512 ? 64 : 8;
    var stepped = Math.round(value / step) * step;
    var low = Math.ceil(size.min / step) * step;
    var high = Math.floor(size.max / step) * step;
    return Math.min(Math.max(stepped, low), high);
  }

  /* width x height of this shape with about the model's native pixel count. */
  function shapeSize(form, aspect) {
    var parts = aspect.split(":");
    var ratio = parseFloat(parts[0]) / parseFloat(parts[1]);
    var size = nativeSize(form);
    var area = size.width * size.height;
    return {
      width: fit(Math.sqrt(area * ratio), size),
      height: fit(Math.sqrt(area / ratio), size),
    };
  }

  function markShape(form) {
    var width = parseInt(form.elements.namedItem("width").value, 10);
    var height = parseInt(form.elements.namedItem("height").value, 10);
    form.querySelectorAll("[data-aspect]").forEach(function (button) {
      var size = shapeSize(form, button.getAttribute("data-aspect"));
      var pressed = size.width === width && size.height === height;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.classList.toggle("active", pressed);
      button.title = size.width + " × " + size.height;
    });
  }

  function setSize(form, aspect) {
    var size = shapeSize(form, aspect);
    ["width", "height"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      field.value = String(size[name]);
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
    markShape(form);
  }

  function say(form, text) {
    var note = form.querySelector("[data-drop-note]");
    if (note) {
      note.textContent = text;
      note.hidden = !text;
    }
  }

  function useAsStart(form, file) {
    var input = form.elements.namedItem("init_upload");
    if (!input || typeof DataTransfer === "undefined") {
      say(form, "This file carries no recipe.");
      return;
    }
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    var details = input.closest("details");
    if (details) {
      details.open = true;
    }
    say(form, "“" + file.name + "” carries no recipe, so it is the starting image.");
  }

  function loadRecipe(form, file) {
    var body = new FormData();
    body.append("file", file);
    var token = form.elements.namedItem("csrfmiddlewaretoken");
    say(form, "Reading “" + file.name + "”…");
    fetch(form.getAttribute("data-recipe-url"), {
      method: "POST",
      body: body,
      headers: token ? { "X-CSRFToken": token.value } : {},
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (answer) {
        if (answer.ok && answer.data.query) {
          say(form, "Loading the recipe of “" + file.name + "”…");
          window.location.assign(form.getAttribute("action") + "?" + answer.data.query);
        } else if (answer.status === 404) {
          useAsStart(form, file);
        } else {
          say(form, answer.data.error || "This file could not be read.");
        }
      })
      .catch(function () {
        say(form, "The file could not be sent; check the connection and try again.");
      });
  }

  var SHORT = {
    image_to_image: "cannot start from an image",
    inpainting: "cannot inpaint",
  };

  function refusal(option, operation) {
    return option ? option.getAttribute("data-refuses-" + operation.replace(/_/g, "-")) : null;
  }

  function chosen(form, name) {
    var field = form.elements.namedItem(name);
    if (!field) {
      return false;
    }
    return field.type === "file" ? field.files.length > 0 : Boolean(field.value);
  }

  /* A file the person chose (a starting image, a painted mask) in ``element``. */
  function holdsFile(element) {
    return Array.prototype.some.call(element.querySelectorAll('input[type="file"]'), function (input) {
      return input.files.length > 0;
    });
  }

  /* Greyed out with its controls disabled; but one that holds a file the
     person chose keeps its controls: the file still goes with the form, so
     the server refuses it by name instead of the job silently running
     without it, and it can be cleared. */
  function setUsable(element, usable) {
    var disabled = !usable && !holdsFile(element);
    element.classList.toggle("is-unavailable", !usable);
    element.setAttribute("aria-disabled", disabled ? "true" : "false");
    element.querySelectorAll("input, select, textarea, button").forEach(function (control) {
      control.disabled = disabled;
    });
  }

  /* The chosen model's abilities on the controls; the others' on their options. */
  function showAbilities(form) {
    var option = modelOption(form);
    form.querySelectorAll("[data-ability]").forEach(function (element) {
      var operations = element.getAttribute("data-ability").split(" ");
      setUsable(
        element,
        operations.some(function (operation) {
          return !refusal(option, operation);
        })
      );
    });
    form.querySelectorAll("[data-ability-note]").forEach(function (note) {
      var reason = refusal(option, note.getAttribute("data-ability-note"));
      note.textContent = reason || "";
      note.hidden = !reason;
    });
    var masked = chosen(form, "mask");
    var started = masked || chosen(form, "init_image") || chosen(form, "init_upload");
    var needed = masked ? "inpainting" : started ? "image_to_image" : null;
    var select = form.elements.namedItem("model");
    Array.prototype.forEach.call((select && select.options) || [], function (each) {
      if (!each.hasAttribute("data-label")) {
        each.setAttribute("data-label", each.textContent);
      }
      var cannot = needed && refusal(each, needed);
      each.textContent = each.getAttribute("data-label") + (cannot ? " (" + SHORT[needed] + ")" : "");
    });
  }

  function init(form) {
    markShape(form);
    showAbilities(form);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-aspect]");
      if (button) {
        event.preventDefault();
        setSize(form, button.getAttribute("data-aspect"));
      }
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "width" || name === "height" || name === "model") {
        markShape(form);
      }
      if (name === "model" || name === "mask" || name === "init_upload") {
        showAbilities(form);
      }
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        form.classList.add("is-drop-target");
      }
    });
    form.addEventListener("dragleave", function (event) {
      if (!form.contains(event.relatedTarget)) {
        form.classList.remove("is-drop-target");
      }
    });
    form.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      form.classList.remove("is-drop-target");
      if (!files || !files.length || event.target.type === "file") {
        return; /* a file input takes its own drop */
      }
      event.preventDefault();
      if (!/^image\//.test(files[0].type)) {
        say(form, "Drop an image file (PNG, JPEG or WebP).");
        return;
      }
      loadRecipe(form, files[0]);
    });
  }

  window.Atelier.onContent("form.generate-form", init);
})();
