/*
 * [data-prompt-insert="<textarea id>"]: a <select> of LoRAs and embeddings;
 * choosing one inserts its value (<lora:name:1> or the embedding's name) at
 * the cursor of the prompt textarea, then the select goes back to its label.
 */
(function () {
  "use strict";

  function insert(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    if (typeof start !== "number") {
      start = end = textarea.value.length;
    }
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    if (before && !/\s$/.test(before)) {
      text = " " + text;
    }
    if (after && !/^\s/.test(after)) {
      text = text + " ";
    }
    textarea.value = before + text + after;
    var cursor = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function init(select) {
    var textarea = document.getElementById(select.dataset.promptInsert);
    if (!textarea) {
      return;
    }
    select.addEventListener("change", function () {
      if (select.value) {
        insert(textarea, select.value);
      }
      select.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-prompt-insert]").forEach(init);
  });
})();
