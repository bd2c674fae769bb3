/* Small progressive enhancements; every page is complete without this file.
   1. "Copy" buttons beside feed addresses.
   2. The visitor's own time beside times shown in the calendar's zone, when it differs.
   3. The "show times in my zone" switch, remembered between pages. */
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

  /* 3. The "show times in my zone" switch: the page itself takes ?tz=; this offers the
     browser's own zone in one click and remembers a choice for the next pages. */
  var KEY = "calendar-display-zone";
  var switcher = document.querySelector(".zone-switch[data-zone]");
  var pageZone = switcher ? switcher.getAttribute("data-zone") : null;
  var params = new URLSearchParams(window.location.search);
  function remember(zone) {
    try { if (zone) { localStorage.setItem(KEY, zone); } else { localStorage.removeItem(KEY); } }
    catch (e) { /* storage refused: nothing is remembered */ }
  }
  function withZone(zone) {
    var query = new URLSearchParams(window.location.search);
    query.set("tz", zone);
    return window.location.pathname + "?" + query.toString();
  }
  if (switcher) {
    var stored = null;
    try { stored = localStorage.getItem(KEY); } catch (e) { stored = null; }
    if (params.get("tz")) {
      remember(params.get("tz"));
    } else if (stored && stored !== pageZone) {
      window.location.replace(withZone(stored));
      return;
    }
    var mine = switcher.querySelector("[data-my-zone]");
    if (mine && visitorZone !== pageZone) {
      mine.href = withZone(visitorZone);
      mine.textContent = "Show times in my zone (" + visitorZone + ")";
      mine.hidden = false;
    }
    var forget = switcher.querySelector("[data-forget-zone]");
    if (forget) { forget.addEventListener("click", function () { remember(null); }); }
    var form = switcher.querySelector("form");
    if (form) {
      form.addEventListener("submit", function () { remember(form.elements.tz.value); });
    }
  }

  function instantOf(time) {
    var instant = time ? new Date(time.getAttribute("datetime")) : null;
    return instant && !isNaN(instant.getTime()) ? instant : null;
  }

  /* The page in the visitor's own zone: its times in the visitor's own clock (12 or 24 hours,
     as their locale has it). */
  if (pageZone === visitorZone) {
    var clockFormat = new Intl.DateTimeFormat(undefined, {
      hour: "numeric", minute: "2-digit", timeZone: visitorZone
    });
    document.querySelectorAll("time[data-local]").forEach(function (time) {
      var instant = instantOf(time);
      if (instant && /^\d{2}:\d{2}$/.test(time.textContent.trim())) {
        time.textContent = clockFormat.format(instant);
      }
    });
    return;
  }

  /* Otherwise one note per time range, after its zone, only when the visitor's clock would
     read differently: the whole range, with the zone's name, in the visitor's locale. */
  var rangeFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", hour: "numeric", minute: "2-digit", timeZone: visitorZone,
    timeZoneName: "short"
  });
  function range(start, end) {
    if (end && rangeFormat.formatRange) { return rangeFormat.formatRange(start, end); }
    return rangeFormat.format(start);
  }

  function sameClock(instant, zone) {
    var options = { weekday: "short", hour: "2-digit", minute: "2-digit" };
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, options))
        .format(instant) === new Intl.DateTimeFormat(
          "en-GB", Object.assign({ timeZone: visitorZone }, options)).format(instant);
    } catch (e) { return true; }
  }

  document.querySelectorAll("abbr.zone[title]").forEach(function (abbr) {
    if (abbr.nextElementSibling && abbr.nextElementSibling.classList.contains("local-time")) {
      return;
    }
    var times = abbr.parentNode.querySelectorAll("time[data-local]");
    var start = instantOf(times[0]);
    var zone = abbr.getAttribute("title");
    if (!start || zone === visitorZone) { return; }
    var zones = abbr.parentNode.querySelectorAll("abbr.zone[title]");
    if (abbr !== zones[zones.length - 1] || sameClock(start, zone)) { return; }
    var end = times.length > 1 ? instantOf(times[times.length - 1]) : null;
    var note = document.createElement("span");
    note.className = "local-time";
    note.textContent = "(" + range(start, end) + ", your time)";
    abbr.insertAdjacentElement("afterend", note);
  });
})();
