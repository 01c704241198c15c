// Puts a config (from a `#config=` link) into the training form, as if the user had typed it: each change is
// announced with the event the form's own code listens for, so the engine's fields, the learning-rate
// placeholder and the layer description follow. The engine goes first (it decides which fields exist), the
// reduction before the rate (switching it converts a typed rate), the rate last.
const FIRST = ["engine", "optimizer", "reduction"];

function announce(element, type = "change") {
  element.dispatchEvent(new Event(type, { bubbles: true }));
}

function setField(form, name, value) {
  const control = form.elements[name];
  if (!control) return false; // a field this page does not have (a newer server's): leave it out
  if (control instanceof RadioNodeList) {
    const radio = [...control].find((r) => r.value === String(value));
    if (!radio) return false;
    radio.checked = true;
    announce(radio);
  } else if (control.type === "checkbox") {
    control.checked = Boolean(value);
    announce(control);
  } else {
    control.value = Array.isArray(value) ? value.join(", ") : String(value ?? "");
    announce(control, control.tagName === "SELECT" ? "change" : "input");
  }
  return true;
}

/** Fills `form` with `config` (the rest back to the defaults); returns the names of the fields it could not place. */
export function fillForm(form, config) {
  form.reset(); // a field the link leaves out means the default, not whatever was typed before
  announce(form.elements.engine);
  const names = Object.keys(config);
  const ordered = [...FIRST.filter((n) => names.includes(n)), ...names.filter((n) => !FIRST.includes(n))];
  // The rate last of all: the reduction's change handler may have rewritten it.
  ordered.sort((a, b) => (a === "learning_rate") - (b === "learning_rate"));
  return ordered.filter((name) => !setField(form, name, config[name]));
}
