// The handout's print button: shown only when scripts run, since printing needs window.print().
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
