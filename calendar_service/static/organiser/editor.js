// The event editor, enhanced: the preview follows every change (it asks the server, the same
// code as the Preview button) and fields show only when they apply (limits.js counts long
// texts). Without this script every field shows, the preview is the one the page opened
// with, and the Preview button refreshes it with a full page.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  if (!form) { return; }
  var target = document.getElementById("preview-panel");
  var timer = null;
  var latest = 0;
  var WAIT = 300;  // milliseconds of quiet typing before the preview is asked for

  function params() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "save" && key !== "preview") { data.append(key, value); }
    });
    if (form.dataset.uid) { data.append("uid", form.dataset.uid); }
    return data.toString();
  }

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) { node.className = className; }
    return node;
  }

  // Fields that apply ------------------------------------------------------------------------

  function show(id, visible) {
    var node = document.getElementById("field-" + id);
    if (node) { node.hidden = !visible; }
  }

  function checkedValue(name) {
    var chosen = form.querySelector("input[name='" + name + "']:checked");
    return chosen ? chosen.value : "";
  }

  function applies() {
    var kind = form.elements.recurrence ? form.elements.recurrence.value : "none";
    var ruled = kind !== "none" && kind !== "custom";  // a custom rule says its own end
    var ends = checkedValue("ends") || "never";
    var allDay = form.elements.all_day && form.elements.all_day.checked;
    show("custom_rrule", kind === "custom");
    show("ends", ruled);
    show("until", ruled && ends === "until");
    show("count", ruled && ends === "count");
    show("start_time", !allDay);
    show("end_time", !allDay);
  }

  // The preview ------------------------------------------------------------------------------

  function relabel(choices) {
    var select = form.elements.recurrence;
    if (!select || !choices) { return; }
    var chosen = select.value;
    select.textContent = "";
    choices.forEach(function (pair) {
      var option = text("option", pair[1]);
      option.value = pair[0];
      option.selected = pair[0] === chosen;
      select.appendChild(option);
    });
  }

  function warn(name, message) {
    var node = document.getElementById(name + "-clock-warning");
    if (!node) { return; }
    node.textContent = message || "";
    node.hidden = !message;
  }

  function render(body) {
    var warnings = (body.ok && body.warnings) || {};
    warn("start", warnings.start);
    warn("end", warnings.end);
    target.textContent = "";
    target.appendChild(text("h2", "Preview"));
    if (!body.ok) {
      target.appendChild(text("p", "The preview shows again once these are put right:"));
      var list = text("ul", "", "errors");
      list.id = "preview-errors";
      Object.keys(body.errors || {}).forEach(function (key) {
        list.appendChild(text("li", key.replace("_", " ") + ": " + body.errors[key]));
      });
      target.appendChild(list);
      return;
    }
    var line = text("p", "");
    line.id = "preview-text";
    line.appendChild(text("strong", body.text));
    line.appendChild(document.createTextNode(" (" + body.timezone + ")"));
    target.appendChild(line);
    if (warnings.repeats) {
      var repeats = text("p", warnings.repeats, "clock-warning");
      repeats.id = "repeats-clock-warning";
      target.appendChild(repeats);
    }
    relabel(body.choices);
    if (!body.occurrences.length) { target.appendChild(text("p", "No occurrences.")); return; }
    var dates = document.createElement("ol");
    dates.id = "preview-dates";
    body.occurrences.forEach(function (occ) {
      dates.appendChild(text("li", occ.label + (occ.cancelled ? " (cancelled)" : ""),
                             occ.cancelled ? "cancelled" : ""));
    });
    target.appendChild(dates);
  }

  function refresh() {
    if (!window.fetch) { return; }
    var ticket = ++latest;
    fetch(form.dataset.previewUrl + "?" + params(), {credentials: "same-origin",
                                                     headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && ticket === latest) { render(body); } })
      .catch(function () { /* the Preview button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, WAIT);
  }

  function changed() {
    applies();
    later();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  applies();
  if (!document.getElementById("preview-text")) { refresh(); }  // the page could not preview
})();
