// Presenter mode's look: larger type and thicker lines (html.presenting), a high-contrast light or dark theme
// (html[data-theme]) and the Okabe–Ito palette, all as CSS custom properties in present.css. A canvas cannot
// read CSS, so each uPlot is restyled here: its series recognised by the colour they were made with.
import { cssVar, forgetCssVars, plotIn } from "../views/chart.js";

const CHART_VARS = ["--fit-data", "--fit-truth", "--fit-cubic", "--loss", "--compare", "--grad-norm", "--dweight", "--dgrad"];
const LINE_SCALE = 2; // presenter mode's lines: twice as thick, visible from the back row
const SAVED = "autograd-live:presentation"; // {presenting, dark}: a reload keeps the hall's choice

/** Reads the saved choice; storage may be off (private windows), then nothing was saved. */
function saved() {
  try {
    return JSON.parse(localStorage.getItem(SAVED)) ?? {};
  } catch {
    return {};
  }
}

export class Presentation {
  #root = document.documentElement;
  #plots = new Map(); // uPlot -> how each series and axis was first drawn, to scale and recolour from
  #byColour; // colour as first drawn -> the custom property it came from
  #onChange;

  /** `onChange({presenting, dark})` hears every change; `present` (from the address) switches it on. */
  constructor(onChange = () => {}, { present = false } = {}) {
    this.#onChange = onChange;
    // Before any theme applies: each chart colour as the charts were made with it.
    this.#byColour = new Map(CHART_VARS.map((name) => [cssVar(name).toLowerCase(), name]).reverse());
    const { presenting = false, dark = false } = saved();
    this.#apply(present || presenting, dark);
  }

  get presenting() {
    return this.#root.classList.contains("presenting");
  }

  get dark() {
    return this.#root.dataset.theme === "dark";
  }

  setPresenting(on) {
    this.#apply(on, this.dark);
  }

  setDark(on) {
    this.#apply(this.presenting, on);
  }

  #apply(presenting, dark) {
    this.#root.classList.toggle("presenting", presenting);
    this.#root.dataset.theme = dark ? "dark" : "light";
    forgetCssVars();
    try {
      localStorage.setItem(SAVED, JSON.stringify({ presenting, dark }));
    } catch {
      // storage off: the choice lasts as long as the page
    }
    for (const container of document.querySelectorAll(".plot")) {
      const plot = plotIn(container);
      if (plot) this.#restyle(plot, container);
    }
    this.#onChange({ presenting, dark });
  }

  /** The first look of `plot`'s series and axes: the colours' custom properties, the widths, the sizes. */
  #original(plot) {
    if (!this.#plots.has(plot)) {
      const name = (colour) => (typeof colour === "string" ? this.#byColour.get(colour.toLowerCase()) : undefined);
      const series = plot.series.map((s, i) => ({
        stroke: name(s.stroke?.(plot, i)),
        width: s.width,
        points: s.points && {
          stroke: name(s.points.stroke?.(plot, i)),
          fill: name(s.points.fill?.(plot, i)),
          size: s.points.size,
          width: s.points.width,
        },
      }));
      this.#plots.set(plot, series);
    }
    return this.#plots.get(plot);
  }

  #restyle(plot, container) {
    const scale = this.presenting ? LINE_SCALE : 1;
    this.#original(plot).forEach((look, i) => {
      const s = plot.series[i];
      if (i === 0) return; // the x values: nothing drawn
      if (look.stroke) s.stroke = () => cssVar(look.stroke);
      s.width = look.width * scale;
      if (!look.points) return;
      if (look.points.stroke) s.points.stroke = () => cssVar(look.points.stroke);
      if (look.points.fill) s.points.fill = () => cssVar(look.points.fill);
      s.points.size = look.points.size * (this.presenting ? 1.5 : 1);
      s.points.width = look.points.width * scale;
    });
    // The axes: the page's colours, and text as large as the panel's (presenter mode enlarges the root font).
    const style = getComputedStyle(container);
    const fontSize = parseFloat(style.fontSize) * 0.875;
    const ratio = devicePixelRatio || 1;
    const font = [`${Math.round(fontSize * ratio)}px ${style.fontFamily}`, Math.round(fontSize * ratio), Math.round(fontSize)];
    for (const [index, axis] of plot.axes.entries()) {
      axis.stroke = () => cssVar("--muted");
      axis.grid.stroke = axis.ticks.stroke = () => cssVar("--grid");
      axis.grid.width = axis.ticks.width = this.presenting ? 1.5 : 1;
      axis.font = font;
      axis.labelFont = font;
      axis.size = () => Math.round(fontSize * 4);
      axis.space = () => Math.round(fontSize * (index === 0 ? 4.5 : 2.4));
    }
    plot.setSize({ width: plot.width, height: plot.height }); // lays the axes out again for the new text
  }
}
