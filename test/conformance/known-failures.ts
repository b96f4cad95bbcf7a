/**
 * Known failures of the conformance suites: a connector's test file lists the contracts it does
 * not meet yet with the bug that breaks them; those run as `test.failing` (jest fails them once
 * they pass, so the entry is removed with the fix) and their titles name the bug.
 */
export type KnownFailures<C extends string> = Partial<Record<C, string>>;

/** `test` for a contract the connector meets, `test.failing` (title naming the bug) for a known failure. */
export function describeContract<C extends string>(failing: KnownFailures<C>) {
  return (contract: C, title: string, fn: () => Promise<void>, timeout?: number): void => {
    const bug = failing[contract];
    if (bug === undefined) test(`${contract}: ${title}`, fn, timeout);
    else test.failing(`${contract}: ${title} [known bug: ${bug}]`, fn, timeout);
  };
}
