export * from './schema.js';
export * from '../config-blocks/secrets.js';
export * from './load.js';
export { parseCsv, type CsvRecord, type CsvError, type CsvResult } from '../util/csv.js';
