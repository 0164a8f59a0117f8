// Names for admin controls that Django and select2 leave without one (WCAG 4.1.2, 1.3.1):
// - each control in a tabular inline row gets its column's heading (the row has no <label>s);
// - select2's combobox gets its field's label, its search field and result list a name, when they appear.
(function () {
  "use strict";
  var script = document.currentScript;
  var searchLabel = (script && script.dataset.searchLabel) || "Search";
  var resultsLabel = (script && script.dataset.resultsLabel) || "Search results";

  function hasName(element) {
    return element.hasAttribute("aria-label") || element.hasAttribute("aria-labelledby") ||
      (element.id && document.querySelector('label[for="' + element.id + '"]'));
  }

  function columnHeading(cell) {
    var table = cell.closest("table");
    var row = cell.parentElement;
    if (!table || !row) { return ""; }
    var index = Array.prototype.indexOf.call(row.children, cell);
    var headings = table.querySelectorAll("thead tr:first-child th");
    var position = 0;
    for (var i = 0; i < headings.length; i++) {
      var span = headings[i].colSpan || 1;
      if (index >= position && index < position + span) { return headings[i].textContent.trim(); }
      position += span;
    }
    return "";
  }

  function fieldLabel(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) { return label.textContent.replace(/:\s*$/, "").trim(); }
    var cell = select.closest("td");
    return cell ? columnHeading(cell) : "";
  }

  function labelInlineControls(root) {
    root.querySelectorAll(".tabular td input:not([type=hidden]), .tabular td select, .tabular td textarea")
      .forEach(function (control) {
        if (hasName(control)) { return; }
        var heading = columnHeading(control.closest("td"));
        if (heading) { control.setAttribute("aria-label", heading); }
      });
  }

  function labelSelect2(root) {
    root.querySelectorAll(".select2-selection[role=combobox]").forEach(function (combobox) {
      var container = combobox.closest(".select2");
      var select = container && container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") { return; }
      var name = fieldLabel(select);
      // Open, select2 points at its list with aria-owns; ARIA 1.2 asks a combobox for aria-controls.
      var owned = combobox.getAttribute("aria-owns");
      if (owned && combobox.getAttribute("aria-controls") !== owned) { combobox.setAttribute("aria-controls", owned); }
      if (name) {
        combobox.setAttribute("aria-label", name);
        combobox.removeAttribute("aria-labelledby");
        // The selected value's box (role=textbox, or a list for several values) needs the name too.
        var rendered = combobox.querySelector(".select2-selection__rendered");
        if (rendered) { rendered.setAttribute("aria-label", name); }
      }
    });
    root.querySelectorAll(".select2-search__field").forEach(function (field) {
      if (!hasName(field)) { field.setAttribute("aria-label", searchLabel); }
    });
    root.querySelectorAll("ul.select2-results__options").forEach(function (list) {
      if (!hasName(list)) { list.setAttribute("aria-label", resultsLabel); }
    });
  }

  function labelAll() {
    labelInlineControls(document);
    labelSelect2(document);
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelAll();
    // select2 builds its widgets after load and its dropdown on opening; inline rows are added by "Add another".
    new MutationObserver(labelAll).observe(document.body, { childList: true, subtree: true });
  });
})();
