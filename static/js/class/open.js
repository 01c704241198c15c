// Opening a class (/class): the form's settings become the class's, the ticked fields the ones students may
// change; the class's control token is kept in this browser (class/api.js), and the class view opens in
// presenter mode, sharing what it shows with the students who follow it.
import { openClass } from "./api.js";

const NUMBERS = new Set(["steps", "pace", "learning_rate"]);
const form = document.querySelector("[data-open-class]");
const error = form.querySelector("[data-open-error]");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const settings = {};
  for (const name of ["engine", "steps", "pace", "learning_rate"]) {
    const text = String(data.get(name) ?? "").trim();
    if (text) settings[name] = NUMBERS.has(name) ? Number(text) : text;
  }
  const body = { title: String(data.get("title") ?? "").trim() || null, settings, free: data.getAll("free") };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const made = await openClass(body, String(data.get("lecturer_key") ?? "") || null);
    location.assign(`/class/${made.code}?present=1`);
  } catch (failure) {
    const fields = Object.entries(failure.fields ?? {}).map(([name, text]) => `${name}: ${text}`);
    error.textContent = fields.length ? fields.join("; ") : failure.message;
    error.hidden = false;
    for (const control of form.querySelectorAll("input, select")) {
      control.setAttribute("aria-invalid", String(control.name in (failure.fields ?? {})));
    }
    form.querySelector("[aria-invalid=true]")?.focus();
    button.disabled = false;
  }
});
