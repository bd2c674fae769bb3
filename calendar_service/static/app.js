/* Small progressive enhancements; every page is complete without this file.
   1. "Copy" buttons beside feed addresses.
   2. The visitor's own time beside times shown in the calendar's zone, when it differs. */
(function () {
  "use strict";

  function copyFrom(input, button) {
    var label = button.textContent;
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { /* left selected */ });
    } else {
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* left selected */ }
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { copyFrom(input, button); });
  });

  var visitorZone;
  try { visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!visitorZone) { return; }

  function clock(instant, zone) {
    return new Intl.DateTimeFormat(undefined, {
      weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone
    }).format(instant);
  }

  /* One note per time range, after its zone abbreviation, only when the visitor's clock
     would read differently from the calendar's. */
  document.querySelectorAll("abbr.zone[title]").forEach(function (abbr) {
    var start = abbr.parentNode.querySelector("time[data-local]");
    var pageZone = abbr.getAttribute("title");
    if (!start || pageZone === visitorZone) { return; }
    var instant = new Date(start.getAttribute("datetime"));
    if (isNaN(instant.getTime())) { return; }
    var theirs = clock(instant, visitorZone);
    try { if (theirs === clock(instant, pageZone)) { return; } } catch (e) { return; }
    var note = document.createElement("span");
    note.className = "local-time";
    note.textContent = "(" + theirs + " your time)";
    abbr.insertAdjacentElement("afterend", note);
  });
})();
