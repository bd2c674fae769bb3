// Live preview for the event editor: asks the server (the same code as the Preview button)
// for the rule in words and the next dates whenever a field changes. Without this script the
// Preview button does the same with a full page.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  if (!form || !window.fetch) { return; }
  var target = document.getElementById("preview-panel");
  var timer = null;
  var latest = 0;

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
      var list = text("ul", "", "errors");
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
    if (!body.occurrences.length) { target.appendChild(text("p", "No occurrences.")); return; }
    var dates = document.createElement("ol");
    dates.id = "preview-dates";
    body.occurrences.forEach(function (occ) {
      dates.appendChild(text("li", occ.label + (occ.cancelled ? " (cancelled)" : ""),
                             occ.cancelled ? "cancelled" : ""));
    });
    target.appendChild(dates);
    relabel(body.choices);
  }

  function refresh() {
    var ticket = ++latest;
    fetch(form.dataset.previewUrl + "?" + params(), {credentials: "same-origin",
                                                     headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && ticket === latest) { render(body); } })
      .catch(function () { /* the Preview button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
