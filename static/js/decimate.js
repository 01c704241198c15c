// A 1e5-step loss history drawn point by point would stall the page; ~2 points per pixel look the same.

/**
 * Keeps the smallest and the largest value of each of `buckets` runs of consecutive values, in their order,
 * so spikes and the minimum survive, and the latest value, so the line ends where training is. Returns x
 * (the index of each kept value) and y, as typed arrays; a series already short enough comes back whole.
 */
export function decimateMinMax(values, buckets) {
  const n = values.length;
  if (n <= 2 * buckets) return { x: Float64Array.from(values, (_, i) => i), y: Float64Array.from(values) };
  const x = new Float64Array(2 * buckets + 1);
  const y = new Float64Array(2 * buckets + 1);
  let kept = 0;
  const keep = (i) => {
    x[kept] = i;
    y[kept] = values[i];
    kept += 1;
  };
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * n) / buckets);
    const end = Math.floor(((bucket + 1) * n) / buckets);
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i] < values[low]) low = i;
      if (values[i] > values[high]) high = i;
    }
    keep(Math.min(low, high));
    if (low !== high) keep(Math.max(low, high));
  }
  if (x[kept - 1] !== n - 1) keep(n - 1);
  return { x: x.subarray(0, kept), y: y.subarray(0, kept) };
}

/**
 * Keeps the largest value of each of `buckets` runs of consecutive values (and the last value): where two
 * runs are compared, the worst difference in each stretch is what matters. Returns x and y as typed arrays.
 */
export function decimateMax(values, buckets) {
  const n = values.length;
  if (n <= buckets) return { x: Float64Array.from(values, (_, i) => i), y: Float64Array.from(values) };
  const x = new Float64Array(buckets + 1);
  const y = new Float64Array(buckets + 1);
  let kept = 0;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * n) / buckets);
    const end = Math.floor(((bucket + 1) * n) / buckets);
    let high = start;
    for (let i = start + 1; i < end; i++) if (values[i] > values[high]) high = i;
    x[kept] = high;
    y[kept] = values[high];
    kept += 1;
  }
  if (x[kept - 1] !== n - 1) {
    x[kept] = n - 1;
    y[kept] = values[n - 1];
    kept += 1;
  }
  return { x: x.subarray(0, kept), y: y.subarray(0, kept) };
}
