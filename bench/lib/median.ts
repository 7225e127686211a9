/** The middle value; the mean of the two middle ones for an even count; null for none. */
export function median (values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The median with the extremes around it, as the rounds of a comparison report them; nulls for no values. */
export function medianWithExtremes (values: number[]): { median: number | null, min: number | null, max: number | null } {
  if (values.length === 0) return { median: null, min: null, max: null }
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}
