// The curves' colours: by the setting that differs among the runs. A number spread over decades (the learning
// rate) on a continuous scale from blue to orange, read on a log axis; anything else (engine, zero_grad) as
// categories in the Okabe–Ito palette, which the common colour-vision deficiencies can still tell apart.
import { COLOUR_FIELDS, LOG_FIELDS } from "./protocol.js";
import { settingOf } from "./store.js";

// Blue → purple → red → orange: every stop stands out on white and on black, and neighbours differ in hue
// as well as in lightness.
const SCALE = [
  [0x00, 0x72, 0xb2],
  [0x6a, 0x3d, 0x9a],
  [0xcc, 0x33, 0x11],
  [0xe6, 0x9f, 0x00],
];
const CATEGORIES = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a3fc4", "#8c6d1f"];
const OTHER = "#8c8c8c"; // a value past the palette's length, or a run whose value is unknown
const SCALE_STOPS = 8; // colour stops of the legend's gradient

/** The colour at `t` in [0, 1] along the scale, as #rrggbb. */
export function scaleColour(t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (SCALE.length - 1);
  const index = Math.min(SCALE.length - 2, Math.floor(position));
  const f = position - index;
  const mix = SCALE[index].map((a, channel) => Math.round(a + (SCALE[index + 1][channel] - a) * f));
  return `#${mix.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The field to colour by: the one asked for if it varies, else the most telling one that varies; before
 * anything varies (no runs yet, or one), the most telling one students may change (`cls.free`), or null.
 */
export function colourField(varying, asked, cls = null) {
  const candidates = varying.length ? varying : (cls?.free ?? []);
  if (asked && candidates.includes(asked)) return asked;
  return COLOUR_FIELDS.find((field) => candidates.includes(field)) ?? candidates[0] ?? null;
}

/** How the page names a setting (the table's heading, the legend). */
export function fieldLabel(field) {
  return { learning_rate: "η", zero_grad: "zero_grad" }[field] ?? field ?? "setting";
}

/** A setting's value as the legend and the table write it. */
export function valueText(value) {
  if (value === undefined || value === null) return "default";
  if (typeof value === "number") {
    if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
    const abs = Math.abs(value);
    // "2e-5", "1.2e-6": a learning rate as it is typed, not "0.000020"
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(1).replace(".0e", "e").replace("e+", "e");
    return String(Number(value.toPrecision(3)));
  }
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/**
 * How to colour `runs` by `field` of their settings: `colourOf(run)`, and the legend: for a numeric field a
 * scale `{kind: "scale", log, min, max, stops}`, for the rest `{kind: "categories", entries: [{label, colour}]}`.
 */
export function colouring(runs, field, cls) {
  if (!field) return { field: null, colourOf: () => CATEGORIES[0], legend: { kind: "none" } };
  const values = runs.map((run) => settingOf(run, field, cls));
  const numbers = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  const distinct = new Set(values.map(valueText));
  if (numbers.length > 0 && numbers.length === values.filter((v) => v !== undefined && v !== null).length && distinct.size > 2) {
    const log = LOG_FIELDS.has(field) && numbers.every((v) => v > 0);
    const at = log ? Math.log10 : (v) => v;
    const low = Math.min(...numbers.map(at));
    const high = Math.max(...numbers.map(at));
    const t = (v) => (typeof v !== "number" ? NaN : high === low ? 0.5 : (at(v) - low) / (high - low));
    const stops = Array.from({ length: SCALE_STOPS }, (_, i) => scaleColour(i / (SCALE_STOPS - 1)));
    return {
      field,
      colourOf: (run) => {
        const value = settingOf(run, field, cls);
        return typeof value === "number" ? scaleColour(t(value)) : OTHER;
      },
      legend: { kind: "scale", log, min: Math.min(...numbers), max: Math.max(...numbers), stops },
    };
  }
  const labels = [...distinct].sort();
  const colourByLabel = new Map(labels.map((label, i) => [label, CATEGORIES[i] ?? OTHER]));
  return {
    field,
    colourOf: (run) => colourByLabel.get(valueText(settingOf(run, field, cls))) ?? OTHER,
    legend: { kind: "categories", entries: labels.map((label) => ({ label, colour: colourByLabel.get(label) })) },
  };
}
