// Long texts say their limit before saving refuses them: a counter under each field with a
// data-maxlength appears at 80% of the limit and says by how much a text is over. Fields carry
// no maxlength, which would cut a longer paste short without a word; without this script the
// form's own message says it on saving, and nothing typed is lost.
(function () {
  "use strict";

  function counted(field) {
    var most = parseInt(field.dataset.maxlength, 10);
    var note = document.getElementById(field.id + "-limit");
    if (!most || !note) { return; }
    var length = field.value.length;
    var over = length > most;
    note.hidden = length < most * 0.8;
    note.className = over ? "limit errors" : "limit hint";
    note.textContent = over
      ? length + " characters: " + (length - most) + " more than the " + most + " allowed"
      : length + " of " + most + " characters";
    if (over) { field.setAttribute("aria-invalid", "true"); }
    else if (!field.closest(".field-error")) { field.removeAttribute("aria-invalid"); }
  }

  var fields = document.querySelectorAll("form [data-maxlength]");
  Array.prototype.forEach.call(fields, function (field) {
    field.addEventListener("input", function () { counted(field); });
    counted(field);
  });
})();
