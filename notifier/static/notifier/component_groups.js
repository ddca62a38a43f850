// Ticking a group's "whole group" box ticks its services; unticking one of them unticks the
// group. Without this script the server expands the group when the form is saved.
document.addEventListener("change", (event) => {
  const box = event.target;
  const group = box instanceof HTMLInputElement && box.closest("[data-component-group]");
  if (!group) return;
  const whole = group.querySelector('input[name="groups"]');
  const parts = group.querySelectorAll('input[name="components"]');
  if (box === whole) {
    parts.forEach((part) => { part.checked = whole.checked; });
  } else if (whole) {
    whole.checked = Array.from(parts).every((part) => part.checked);
  }
});
