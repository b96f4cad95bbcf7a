/**
 * The progress report as JSON: the `ProgressReport` object of reports/model.ts as it is, with
 * its field names (a stable format: `schemaVersion` changes when a field changes meaning).
 * Times are ISO 8601 UTC strings; unknown values are null; 2-space indent, final newline.
 */
import type { ProgressReport } from './model.js';

export function renderJson(report: ProgressReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
