/** CSV output shared by the progress report, the reconcile CSV and the Exchange plan. */

export type Cell = string | number | null;

/** One CSV field: numbers as they are, text guarded against formulas and quoted when needed. */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const guarded = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
