// A tensor on the wire is a Summary (shape, a few values, norm...): these write one short enough for a box or
// an edge, and in full for the inspector.
import { formatSigned } from "../format.js";

const MINUS = "\u2212";
const short = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });

/** "−6.788e5", "1,296", "0.0123": four significant digits, an exponent only when huge or tiny. */
export function formatShort(v) {
  if (!Number.isFinite(v)) return "—";
  const abs = Math.abs(v);
  let text = short.format(abs);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) {
    const [mantissa, exponent] = abs.toExponential(2).split("e");
    text = `${mantissa}e${exponent.replace("-", MINUS).replace("+", "")}`;
  }
  return (v < 0 ? MINUS : "") + text;
}

/** "[2000, 3]", or "scalar" for a 0-d tensor. */
export function formatShape(shape) {
  return shape && shape.length ? `[${shape.join(", ")}]` : "scalar";
}

/** Elements of a tensor: the one value of a 1-element tensor is the tensor. */
function size(summary) {
  return (summary.shape ?? []).reduce((n, d) => n * d, 1);
}

/** The value if the tensor has one element, else its norm "‖1,296‖"; and its shape, "[2000]" or "". */
export function briefParts(summary) {
  if (summary == null) return { value: "", shape: "" };
  if (typeof summary === "number") return { value: formatShort(summary), shape: "" };
  if (size(summary) === 1) return { value: formatShort(summary.values?.[0]), shape: "" };
  return { value: `‖${formatShort(summary.norm)}‖`, shape: formatShape(summary.shape) };
}

/** "‖1,296‖ [2000]", or the one value of a 1-element tensor. */
export function formatBrief(summary) {
  const { value, shape } = briefParts(summary);
  return shape ? `${value} ${shape}` : value;
}

/**
 * The room kept for a number in a box, so that new values never change the layout: a signed number, and a norm
 * (never negative) between bars, as formatShort writes them with a one-digit exponent; a rarer two-digit one
 * ("−1.2e−12") takes one character more, which the box's padding holds.
 */
export const SCALAR_ROOM = `${MINUS}8.88e${MINUS}8`;
export const NORM_ROOM = `‖8.88e${MINUS}8‖`;

/** The magnitude of a summary: its one value's size, or its norm; null when there is none. */
export function magnitude(summary) {
  if (summary == null) return null;
  if (typeof summary === "number") return Math.abs(summary);
  if (size(summary) === 1) return Math.abs(summary.values?.[0] ?? NaN);
  return summary.norm ?? null;
}

/** A summary in full, for the inspector: rows of [label, text]. */
export function summaryRows(summary) {
  if (summary == null) return [["value", "—"]];
  if (typeof summary === "number") return [["value", formatSigned(summary)]];
  const rows = [["shape", `${formatShape(summary.shape)} ${summary.dtype ?? ""}`.trim()]];
  const values = (summary.values ?? []).map((v) => (v == null ? "non-finite" : formatShort(v)));
  const all = values.length === size(summary);
  if (values.length) rows.push([all ? "values" : "first values", values.join(", ") + (all ? "" : ", …")]);
  if (size(summary) > 1) {
    rows.push(["norm ‖·‖", formatShort(summary.norm)]);
    rows.push(["min … max", `${formatShort(summary.min)} … ${formatShort(summary.max)}`]);
  }
  if (summary.nonfinite) rows.push(["non-finite", String(summary.nonfinite)]);
  return rows;
}

/** The key of an edge's gradient in `grad_out`: "n0>n1:0". */
export function edgeKey([source, target, index]) {
  return `${source}>${target}:${index}`;
}
