/*
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
