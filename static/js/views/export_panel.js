// Taking a run away and bringing one back: the followed run's history (CSV, JSON), the whole run as one JSON
// file, each chart as PNG or SVG; and an import control that sends a file exported before to the server, which
// makes it a new run to open, replay and compare. main.js hands it the charts ({name, title, element, kind}:
// "plot" for a uPlot container, "svg" for an SVG element) and `importRun(run)`, resolving to the new RunInfo.
import { inlineSvg, plotPng, plotSvg, svgPng } from "../chart_export.js";
import { oncePerFrame } from "./animation_frame.js";

/** Hands the browser `blob` to save as `filename`. */
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000); // the download has started by then
}

export class ExportPanel {
  #parts;
  #charts;
  #importRun;
  #state = null;
  #shownRun;
  #requestDraw = oncePerFrame(() => this.#draw());

  /**
   * @param {{name: string, title: string, element: Element, kind: "plot"|"svg"}[]} charts
   * @param {(run: object) => Promise<object>} importRun
   */
  constructor(container, charts, importRun) {
    this.#charts = charts;
    this.#importRun = importRun;
    const part = (name) => container.querySelector(`[data-${name}]`);
    this.#parts = {
      body: part("export-body"),
      links: container.querySelectorAll("[data-export-file]"),
      charts: part("export-charts"),
      file: part("import-file"),
      error: part("import-error"),
    };
    this.#parts.charts.replaceChildren(...charts.map((chart) => this.#chartRow(chart)));
    this.#parts.file.addEventListener("change", () => this.#import());
  }

  update(state) {
    this.#state = state;
    this.#requestDraw();
  }

  reset() {
    this.#requestDraw();
  }

  #draw() {
    const runId = this.#state?.runId ?? null;
    this.#parts.body.hidden = runId === null;
    if (runId === this.#shownRun) return;
    this.#shownRun = runId;
    const id = encodeURIComponent(runId ?? "");
    const files = {
      csv: [`/api/runs/${id}/history.csv`, `run-${runId}-history.csv`],
      history: [`/api/runs/${id}/history`, `run-${runId}-history.json`],
      run: [`/api/runs/${id}/export`, `run-${runId}.json`],
    };
    for (const link of this.#parts.links) {
      const [href, filename] = files[link.dataset.exportFile];
      Object.assign(link, { href, download: filename });
    }
  }

  #chartRow(chart) {
    const row = document.createElement("li");
    const name = Object.assign(document.createElement("span"), { textContent: chart.title });
    const button = (format) => {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: format.toUpperCase() });
      Object.assign(b.dataset, { exportChart: chart.name, format });
      b.setAttribute("aria-label", `${chart.title} as ${format.toUpperCase()}`);
      b.addEventListener("click", () => this.#saveChart(chart, format));
      return b;
    };
    row.append(name, button("png"), button("svg"));
    return row;
  }

  async #saveChart({ name, title, element, kind }, format) {
    const label = this.#state?.run?.config?.engine ? `${title}: ${this.#state.run.config.engine}, run ${this.#state.runId}` : title;
    const filename = `run-${this.#state?.runId ?? "none"}-${name}.${format}`;
    const svg = () => (kind === "plot" ? plotSvg(element, label) : inlineSvg(element, label));
    if (format === "svg") save(new Blob([svg()], { type: "image/svg+xml" }), filename);
    else save(await (kind === "plot" ? plotPng(element, label) : svgPng(svg(), label)), filename);
  }

  async #import() {
    const { file, error } = this.#parts;
    const chosen = file.files[0];
    error.hidden = true;
    if (!chosen) return;
    try {
      let content;
      try {
        content = JSON.parse(await chosen.text());
      } catch {
        throw Object.assign(new Error(`${chosen.name} is not a JSON file.`), { status: 0 });
      }
      await this.#importRun(content);
    } catch (problem) {
      if (problem?.status === undefined) throw problem; // a bug, not the server's answer
      const fields = Object.entries(problem.fields ?? {}).map(([name, text]) => `${name}: ${text}`);
      error.textContent = [problem.message, ...fields].join(" ");
      error.hidden = false;
    } finally {
      file.value = ""; // choosing the same file again is a new import
    }
  }
}
