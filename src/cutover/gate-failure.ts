/** Why the cutover gate holds a user back: the check that failed and its reason. */

export type GateCheck = 'mailbox' | 'pass' | 'problems' | 'delta-age' | 'groupware' | 'directory';

export interface GateFailure {
  check: GateCheck;
  reason: string;
}
