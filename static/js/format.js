// Number formatting for people: real minus signs, superscript powers, no NaN ever shown.

const MINUS = "\u2212";
const FIGURE_SPACE = "\u2007"; // as wide as a digit, so signed columns line up
const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const MISSING = "—";
const NBSP = "\u00a0"; // a long formula may wrap before a sign, never between a sign and its number
const CUBIC = "y = a + b x + c x² + d x³";

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const significant = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 5 });
const tick = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** "1,234": counts and step numbers. */
export function formatCount(n) {
  return Number.isFinite(n) ? grouped.format(n) : MISSING;
}

/** "5,230 steps/s". */
export function formatRate(stepsPerSecond) {
  return Number.isFinite(stepsPerSecond) ? `${grouped.format(stepsPerSecond)} steps/s` : MISSING;
}

/** |v| with `digits` decimals, or "1.234e−7" where fixed decimals would show nothing or too much. */
function magnitude(v, digits) {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 10 ** -digits || abs >= 1e6)) {
    const [mantissa, exponent] = abs.toExponential(digits - 1).split("e");
    return `${mantissa}e${exponent.replace("-", MINUS).replace("+", "")}`;
  }
  return abs.toFixed(digits);
}

/** "−0.0915" or " 0.8397" (a figure space where the minus would be), for right-aligned columns. */
export function formatSigned(v, digits = 4) {
  if (!Number.isFinite(v)) return MISSING;
  return (v < 0 ? MINUS : FIGURE_SPACE) + magnitude(v, digits);
}

/** A loss or any other quantity: five significant digits, an exponent only when huge or tiny. */
export function formatValue(v) {
  if (!Number.isFinite(v)) return MISSING;
  const abs = Math.abs(v);
  const text = abs !== 0 && (abs < 1e-3 || abs >= 1e7) ? magnitude(v, 4) : significant.format(abs);
  return (v < 0 ? MINUS : "") + text;
}

/** An axis label: "−0.5", "1,500", "25K" (short enough that a long run's step labels never collide). */
export function formatTick(v) {
  const abs = Math.abs(v);
  return (v < 0 ? MINUS : "") + (abs >= 1e4 ? compact.format(abs) : tick.format(abs));
}

/** "10⁵" for an exact power of ten, else "" (log-axis labels). */
export function formatPowerOfTen(v) {
  const exponent = Math.round(Math.log10(v));
  if (!Number.isFinite(exponent) || Math.abs(v - 10 ** exponent) > 1e-9 * v) return "";
  const power = [...String(exponent)].map((ch) => (ch === "-" ? "⁻" : SUPERSCRIPT_DIGITS[ch])).join("");
  return `10${power}`;
}

/** A number as a user would type it into a field: "1e-6", "0.002". */
export function formatInputNumber(v) {
  const short = Number(v.toPrecision(3));
  return short !== 0 && Math.abs(short) < 1e-3 ? short.toExponential() : String(short);
}

/** "1.1e−16", or "0" when two numbers agree exactly: differences between runs. */
export function formatDifference(v) {
  if (!Number.isFinite(v)) return MISSING;
  if (v === 0) return "0";
  const [mantissa, exponent] = Math.abs(v).toExponential(1).split("e");
  return `${v < 0 ? MINUS : ""}${mantissa}e${exponent.replace("-", MINUS).replace("+", "")}`;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * An engine's model (its `model` text, "y = a + b P3(c + d x)") with each weight's value in place of its
 * name and proper signs: "y = 0.0000 − 1.0000 P3(0.0000 + 0.3000 x)". A sign stays on the line of its number.
 */
export function formatModel(model, params, names = Object.keys(params), digits = 4) {
  const lhs = model.includes("=") ? `${model.split("=")[0].trim()} = ` : "";
  if (names.length === 0 || names.some((name) => !Number.isFinite(params[name]))) return `${lhs}${MISSING}`;
  // An operator before the name takes the value's sign; a space after it, before a factor, is kept with it.
  const alternatives = names.map(escapeRegExp).join("|");
  const pattern = new RegExp(`([+\\-${MINUS}] )?\\b(${alternatives})\\b( (?=[^\\s+\\-${MINUS}=)]))?`, "g");
  return model.replace(pattern, (_, operator, name, space) => {
    const v = params[name];
    const negative = (v < 0) !== (operator != null && operator[0] !== "+");
    const sign = operator ? `${negative ? MINUS : "+"}${NBSP}` : negative ? MINUS : "";
    return `${sign}${magnitude(v, digits)}${space ? NBSP : ""}`;
  });
}

/**
 * The cubic written out as in the lecture, with proper signs:
 * "y = −0.0034 + 0.8397 x + 0.0006 x² − 0.0915 x³".
 */
export function formatCubic(params, digits = 4) {
  return formatModel(CUBIC, params, ["a", "b", "c", "d"], digits);
}
