/* Small progressive enhancements; every page is complete without this file.
   1. "Copy" buttons beside feed addresses.
   2. The visitor's own local time beside times shown in the calendar's zone, when they differ. */
(function () {
  "use strict";

  function copyFrom(input, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
      });
    } else {
      input.select();
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected for the user */ }
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { copyFrom(input, button); });
  });

  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone
  });
  document.querySelectorAll("time[data-local]").forEach(function (element) {
    var page = element.parentNode.querySelector("abbr.zone");
    var pageZone = page ? page.getAttribute("title") : null;
    if (!pageZone || pageZone === zone) { return; }
    var instant = new Date(element.getAttribute("datetime"));
    if (isNaN(instant.getTime())) { return; }
    var note = document.createElement("span");
    note.className = "local-time";
    note.textContent = "(" + format.format(instant) + " your time)";
    element.setAttribute("title", format.format(instant) + " in " + zone);
    if (element.nextElementSibling && element.nextElementSibling.classList.contains("local-time")) { return; }
    if (!element.parentNode.querySelector(".local-time")) {
      var last = element.parentNode.querySelector("abbr.zone") || element;
      last.insertAdjacentElement("afterend", note);
    }
  });
})();
