/** Exit codes, documented in README (cron / systemd rely on them). */
export const EXIT = {
  OK: 0,
  /** Unexpected error (a bug or the environment). */
  ERROR: 1,
  /** The config is invalid (validate prints every problem). */
  CONFIG: 2,
  /** The run finished but some items, folders or mailboxes failed: see `status` and the log. */
  PARTIAL: 3,
  /** Another run holds the state store's lock. */
  LOCKED: 4,
  /** `plan`: a mailbox failed its access checks. */
  ACCESS: 5,
  /** `reconcile`: the two sides differ (the report lists every difference). */
  DIFFERENCES: 6,
  /** Interrupted (SIGINT/SIGTERM) after checkpointing; `resume` continues. */
  INTERRUPTED: 130,
} as const;
