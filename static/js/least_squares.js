// The least-squares polynomial through a set of points: the weights gradient descent on the squared error heads
// for, so the page can say where each weight is going and draw the fit it is approaching.

/** Solves the square system a·w = b (a is changed) by Gaussian elimination with partial pivoting; null if singular. */
function solve(a, b) {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    if (Math.abs(a[pivot][col]) < 1e-300) return null;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row][col] / a[col][col];
      for (let k = col; k < n; k++) a[row][k] -= factor * a[col][k];
      b[row] -= factor * b[col];
    }
  }
  const w = new Array(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row];
    for (let k = row + 1; k < n; k++) sum -= a[row][k] * w[k];
    w[row] = sum / a[row][row];
  }
  return w;
}

/**
 * The coefficients [w0, w1, ..., w_degree] of y = w0 + w1 x + ... + w_degree x^degree with the least squared
 * error over the points, or null when they do not fix one (too few distinct x). x is scaled to [−1, 1] first, so
 * the normal equations stay well conditioned on any range.
 */
export function leastSquares(xs, ys, degree = 3) {
  const n = degree + 1;
  const scale = Math.max(...xs.map(Math.abs));
  if (!(scale > 0) || xs.length < n) return null;
  const gram = Array.from({ length: n }, () => new Array(n).fill(0));
  const moment = new Array(n).fill(0);
  xs.forEach((x, i) => {
    const u = x / scale;
    const powers = Array.from({ length: n }, (_, power) => u ** power);
    for (let j = 0; j < n; j++) {
      moment[j] += powers[j] * ys[i];
      for (let k = 0; k < n; k++) gram[j][k] += powers[j] * powers[k];
    }
  });
  const scaled = solve(gram, moment);
  return scaled && scaled.every(Number.isFinite) ? scaled.map((w, power) => w / scale ** power) : null;
}

const solved = new WeakMap(); // data set → degree → its least-squares weights (or null)

/**
 * The least-squares weights of a run's drawn data ({x, y}) for `degree`, solved once per data set and degree for
 * every view that asks (the narration's weights, the fit chart's dotted curve).
 */
export function leastSquaresOf(data, degree) {
  if (!solved.has(data)) solved.set(data, new Map());
  const byDegree = solved.get(data);
  if (!byDegree.has(degree)) byDegree.set(degree, leastSquares(data.x, data.y, degree));
  return byDegree.get(degree);
}

/** w0 + w1 x + ... at each x. */
export function polynomialAt(weights, xs) {
  return Array.from(xs, (x) => weights.reduceRight((sum, w) => sum * x + w, 0));
}
