// Adds the reader's own time beside times shown in the site's zone. The page reads
// fine without it; it is first-party and talks to nobody.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  // The page's language for the words and the date's form; the label comes translated.
  var script = document.currentScript;
  var yourTime = (script && script.getAttribute("data-your-time")) || "Your time";
  var language = document.documentElement.lang || undefined;
  var zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var full = new Intl.DateTimeFormat(language, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var clock = new Intl.DateTimeFormat(language, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  function annotate(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) el.title = yourTime + " (" + zoneName + "): " + full.format(when);
    });
    root.querySelectorAll("[data-window-start]").forEach(function (el) {
      if (el.querySelector(".window-local")) return;
      var start = new Date(el.getAttribute("data-window-start"));
      var end = new Date(el.getAttribute("data-window-end"));
      if (isNaN(start) || isNaN(end)) return;
      var line = document.createElement("p");
      line.className = "window-local";
      line.textContent = yourTime + ": " + full.format(start) + " – " + clock.format(end);
      el.appendChild(line);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { annotate(document); });
  document.addEventListener("htmx:afterSwap", function (event) { annotate(event.target); });
})();
