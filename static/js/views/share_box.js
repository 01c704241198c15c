// Joining the followed run from elsewhere: its short link (/r/ID, opens it read-only), a QR code of that link
// big enough to scan off a projector, and a second link that fills another browser's form with the run's
// config to start the same run there. main.js hands it `configLink(run)`, which knows the server's defaults.
// The link is the server's (GET /api/runs/ID/share), the one the QR code encodes: a page opened as localhost
// gets the server's network address, which phones can reach, or a plain warning that they cannot.
import { oncePerFrame } from "./animation_frame.js";

/** The server's short link of `runId` ({url, others, reachable, warning}); null from a server without it. */
export async function shareLink(runId) {
  try {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/share`);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

export class ShareBox {
  #container;
  #parts;
  #configLink;
  #state = null;
  #shown = { runId: undefined, config: undefined, engines: undefined };
  #requestDraw = oncePerFrame(() => this.#draw());

  /** @param {(run: object) => string} configLink the address that fills the form with `run`'s config */
  constructor(container, configLink) {
    this.#container = container;
    this.#configLink = configLink;
    const part = (name) => container.querySelector(`[data-${name}]`);
    this.#parts = {
      body: part("share-body"),
      empty: part("share-empty"),
      link: part("share-link"),
      copy: part("share-copy"),
      copied: part("share-copied"),
      qr: part("share-qr"),
      large: part("share-large"),
      config: part("share-config"),
      warning: part("share-warning"),
      others: part("share-others"),
    };
    this.#parts.copy.addEventListener("click", () => this.#copy());
    this.#parts.large.addEventListener("click", () => this.#toggleLarge());
    // Escape or a click on the enlarged code puts it back, as a projector's presenter expects.
    this.#parts.qr.addEventListener("click", () => this.#container.classList.contains("qr-large") && this.#toggleLarge());
    addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.#container.classList.contains("qr-large")) this.#toggleLarge();
    });
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#state = null;
    this.#requestDraw();
  }

  #draw() {
    const runId = this.#state?.runId ?? null;
    const run = this.#state?.run ?? null;
    this.#parts.body.hidden = runId === null;
    this.#parts.empty.hidden = runId !== null;
    if (runId !== this.#shown.runId) {
      this.#shown.runId = runId;
      this.#parts.copied.hidden = true;
      if (runId !== null) {
        this.#showLink({ url: `${location.origin}/r/${encodeURIComponent(runId)}`, others: [], warning: null });
        this.#parts.qr.src = `/api/runs/${encodeURIComponent(runId)}/qr.svg`;
        shareLink(runId).then((link) => link && runId === this.#shown.runId && this.#showLink(link));
      } else this.#showLink({ url: "", others: [], warning: null });
    }
    // The config arrives with the run's first RunInfo or snapshot, a moment after the id; the engines (what each
    // reads, its own defaults), which decide what the link leaves out, may arrive after both.
    const config = run?.config ?? null;
    const engines = this.#state?.engines ?? null;
    if (config !== this.#shown.config || engines !== this.#shown.engines) {
      Object.assign(this.#shown, { config, engines });
      const href = config ? this.#configLink(run) : "";
      this.#parts.config.hidden = !config;
      if (config) this.#parts.config.href = href;
    }
  }

  /** The link as the QR code has it (until the server's answer: this page's own address), and what phones
   * can make of it. */
  #showLink({ url, others, reachable = true, warning }) {
    const { link, qr } = this.#parts;
    Object.assign(link, { href: url, textContent: url });
    qr.alt = url ? `QR code of ${url}` : "";
    this.#parts.warning.hidden = !warning;
    this.#parts.warning.textContent = warning ?? "";
    this.#parts.others.hidden = !others?.length;
    this.#parts.others.textContent = others?.length ? `Also reachable at: ${others.join(" · ")}` : "";
    this.#container.dataset.reachable = String(reachable);
  }

  async #copy() {
    const { link, copied } = this.#parts;
    try {
      await navigator.clipboard.writeText(link.href);
      copied.textContent = "copied";
    } catch {
      // no clipboard (plain http on another host): select the text so Ctrl+C does it
      getSelection().selectAllChildren(link);
      copied.textContent = "press Ctrl+C to copy";
    }
    copied.hidden = false;
  }

  #toggleLarge() {
    const large = this.#container.classList.toggle("qr-large");
    this.#parts.large.setAttribute("aria-pressed", String(large));
    this.#parts.large.textContent = large ? "show small" : "show large";
  }
}
