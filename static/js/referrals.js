// Keyboard help for the contact form: Enter in the patient number checks the patient and
// Enter in the meeting search searches, instead of submitting the whole form.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  var input = event.target;
  if (!(input instanceof HTMLInputElement)) return;
  var targetId = input.getAttribute("data-enter-clicks");
  if (!targetId) return;
  var button = document.getElementById(targetId);
  if (!button) return;
  event.preventDefault();
  button.click();
});
