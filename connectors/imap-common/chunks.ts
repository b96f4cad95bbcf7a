/** Groups items so one FETCH brings at most `maxBytes` (a bigger item goes alone) and `maxItems`. */
export function chunkBySize<T extends { size: number }>(items: T[], maxBytes: number, maxItems: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const i of items) {
    if (cur.length > 0 && (bytes + i.size > maxBytes || cur.length >= maxItems)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += i.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
