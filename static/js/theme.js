/*
 * Applies the stored colour theme before first paint.
 * Loaded synchronously in <head> (it is tiny); theme-toggle.js owns the toggle.
 * Dark is the default: <html data-bs-theme="dark"> in the markup.
 */
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("atelier-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-bs-theme", theme);
    }
  } catch (e) {
    /* Storage may be disabled (private mode, policy): keep the default. */
  }
})();
