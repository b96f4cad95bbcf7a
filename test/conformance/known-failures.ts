/**
 * Known failures and contracts that do not apply, for the conformance suites. A connector's test
 * file lists the contracts it does not meet yet with the bug that breaks them; those run as
 * `test.failing` (jest fails them once they pass, so the entry goes with the fix) and their titles
 * name the bug. A contract that cannot apply to a connector (a PST archive never grows) is listed
 * in `notApplicable` with the reason, and not run.
 */
export interface ContractOptions<C extends string> {
  failing?: Partial<Record<C, string>>;
  notApplicable?: Partial<Record<C, string>>;
}

/** `test` for a contract the connector meets, `test.failing` (title naming the bug) for a known failure, nothing when it does not apply. */
export function describeContract<C extends string>(opts: ContractOptions<C>) {
  return (contract: C, title: string, fn: () => Promise<void>, timeout?: number): void => {
    if (opts.notApplicable?.[contract] !== undefined) return;
    const bug = opts.failing?.[contract];
    if (bug === undefined) test(`${contract}: ${title}`, fn, timeout);
    else test.failing(`${contract}: ${title} [known bug: ${bug}]`, fn, timeout);
  };
}
