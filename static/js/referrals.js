// Keyboard help for the contact form: Enter in the patient number checks the patient and Enter in the meeting
// search's fields searches, instead of submitting the whole form (`data-enter-clicks` names the button, on the
// field or around it). Leaving the patient number after a change checks the patient too, once per number.
function checkedValue(input) {
  return input.value.trim();
}

function clickOnce(input, button) {
  if (input.hasAttribute("data-check-on-change")) {
    // One look-up per number typed: Enter and leaving the field must not both ask (each look-up is logged).
    if (!checkedValue(input) || input.getAttribute("data-checked") === checkedValue(input)) return;
    input.setAttribute("data-checked", checkedValue(input));
  }
  button.click();
}

document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  var input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type === "checkbox" || input.type === "radio") return;
  var owner = input.closest("[data-enter-clicks]");
  var button = owner && document.getElementById(owner.getAttribute("data-enter-clicks"));
  if (!button) return;
  event.preventDefault();
  clickOnce(input, button);
});

document.addEventListener("change", function (event) {
  var input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-check-on-change")) return;
  var button = document.getElementById(input.getAttribute("data-check-on-change"));
  if (button) clickOnce(input, button);
});

// A meeting search answered after the user ticked a meeting must not untick it. Leaving a filter field searches
// (hx-trigger="change"), and the answer can arrive after the click that left it: ticks made while a search was
// under way are put back on the new list.
var SUGGESTED = '#meeting-choices input[name="suggested_meetings"]';
var tickedBeforeSwap = null;

document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.target.id !== "meeting-choices") return;
  tickedBeforeSwap = Array.prototype.map.call(document.querySelectorAll(SUGGESTED + ":checked"), function (input) {
    return input.value;
  });
});

document.addEventListener("htmx:afterSwap", function () {
  if (tickedBeforeSwap === null) return;
  document.querySelectorAll(SUGGESTED).forEach(function (input) {
    if (tickedBeforeSwap.indexOf(input.value) !== -1) input.checked = true;
  });
  tickedBeforeSwap = null;
});
