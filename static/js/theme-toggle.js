/*
 * [data-theme-toggle]: a button that switches between the dark and light
 * themes and remembers the choice (theme.js applies it before first paint).
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

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      event.preventDefault();
      toggleTheme();
    }
  });

  applyTheme(currentTheme());
})();
