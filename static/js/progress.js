/*
 * [data-progress-value="0.42"]: sets style.width (42%) on e.g. a .progress-bar,
 * since a style attribute in the markup would break the CSP.
 */
(function () {
  "use strict";

  function applyProgress(element) {
    var value = parseFloat(element.getAttribute("data-progress-value"));
    if (isNaN(value)) {
      return;
    }
    var percent = Math.max(0, Math.min(1, value)) * 100;
    element.style.width = percent.toFixed(1) + "%";
  }

  window.Atelier.onContent("[data-progress-value]", applyProgress);
})();
