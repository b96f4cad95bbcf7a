/**
 * Moved to src/config-blocks/secrets.ts (connectors' config modules use it, and src/config imports
 * them). This re-export keeps src/state/open.ts compiling until its import is updated there.
 */
export * from '../config-blocks/secrets.js';
