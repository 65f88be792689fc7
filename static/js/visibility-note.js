/*
 * [data-private-topic-note]: shown while its form has a topic chosen and
 * Private visibility, since the topic will not show those images.
 */
(function () {
  "use strict";

  function init(note) {
    var form = note.closest("form");
    if (!form) {
      return;
    }
    var topic = form.querySelector("[name='topic']");
    var visibility = form.querySelector("[name='visibility']");
    if (!topic || !visibility) {
      return;
    }
    function update() {
      note.hidden = !(topic.value && visibility.value === "private");
    }
    topic.addEventListener("change", update);
    visibility.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-private-topic-note]").forEach(init);
  });
})();
