// Jest globalSetup: makes sure the Debian packages the tests use are there (test/lab/install.sh is
// idempotent: with everything installed it only checks). Needs root, as the lab does.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function globalSetup() {
  if (process.env.UMS_SKIP_INSTALL === '1') return;
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write('test setup: not root, so test/lab/install.sh was not run; the lab tests need its packages\n');
    return;
  }
  const script = fileURLToPath(new URL('../lab/install.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
