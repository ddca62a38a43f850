// Ctrl+Enter (or Cmd+Enter) in a text box sends its form: posting an update from the keyboard.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const form = event.target.closest && event.target.closest("form");
  if (form && event.target.tagName === "TEXTAREA") {
    event.preventDefault();
    form.requestSubmit();
  }
});

// A <details> that opens announces it, so htmx can load what it shows ("details-opened" as a
// trigger): an htmx event filter ("toggle[target.open]") would need eval, which the
// Content-Security-Policy forbids. toggle does not bubble, so listen in the capture phase.
document.addEventListener(
  "toggle",
  (event) => {
    if (event.target.tagName === "DETAILS" && event.target.open) {
      event.target.dispatchEvent(new CustomEvent("details-opened"));
    }
  },
  true,
);

// A markdown preview posts its text box's text as "body", whatever the form calls the field
// (console/_markdown_field.html). Set here rather than with hx-vals="js:…", which needs eval.
document.addEventListener("htmx:configRequest", (event) => {
  const source = event.detail.elt.dataset && event.detail.elt.dataset.previewOf;
  const field = source && document.getElementById(source);
  if (field) event.detail.parameters.body = field.value;
});

// Picking a status that records another kind of notice (an update that resolves) ticks that
// kind's channels (SMS hears of a resolution, not of every update), until staff tick a box
// themselves: then their choice stands. console/_channels.html gives the defaults per status.
document.addEventListener("change", (event) => {
  const target = event.target;
  const form = target.closest && target.closest("form");
  const channels = form && form.querySelector("fieldset.channels[data-channel-defaults]");
  if (!channels) return;
  if (channels.contains(target)) {
    channels.dataset.touched = "1";
    return;
  }
  if (target.name !== "status" || channels.dataset.touched) return;
  const defaults = JSON.parse(channels.dataset.channelDefaults);
  const chosen = defaults[target.value] || defaults[""];
  for (const box of channels.querySelectorAll("input[type=checkbox]:not([disabled])")) {
    box.checked = chosen.includes(box.value);
  }
});
