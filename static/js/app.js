// Behaviour shared by every page. No inline scripts: the CSP forbids them.

// Error summary (Designsystemet's pattern): focus it when the page shows one, and let each link move focus to its
// field with the field's label in view, as a plain #fragment only scrolls.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) summary.focus();
});

document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  var target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  var field = target.matches("input, select, textarea, button")
    ? target
    : target.querySelector("input:not([type=hidden]), select, textarea");
  if (!field) return;
  event.preventDefault();
  var around = field.closest(".ds-field, fieldset") || field;
  around.scrollIntoView({ block: "center" });
  field.focus({ preventScroll: true });
});

// A link that replaces part of the page (HTMX) and names where focus goes next, e.g. search pagination: focus would
// otherwise fall to <body> with the link swapped out.
document.addEventListener("htmx:afterSettle", function (event) {
  var config = event.detail && event.detail.requestConfig;
  var trigger = config && config.elt;
  var selector = trigger && trigger.getAttribute && trigger.getAttribute("data-focus-after-swap");
  if (!selector) return;
  var target = document.querySelector(selector);
  if (target) target.focus();
});
