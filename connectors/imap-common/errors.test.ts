import { forgetSecretsForTests, registerSecret } from '../../src/util/scrub.js';
import { FatalError, ItemError, TransientError } from '../../src/util/errors.js';
import { imapError } from './errors.js';

afterEach(() => forgetSecretsForTests());

test('server text that becomes an error is scrubbed of resolved secrets (a NO echoing the LOGIN arguments)', () => {
  registerSecret('Mast3r"pw');
  const login = imapError(Object.assign(new Error('Command failed'), {
    authenticationFailed: true, responseStatus: 'NO', responseText: 'bad login user "alice" pass "Mast3r\\"pw"',
  }), 'source login as alice');
  expect(login).toBeInstanceOf(FatalError);
  expect(login.message).toBe('source login as alice: authentication failed (server said: bad login user "alice" pass "[redacted]")');
  const no = imapError(Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: 'echo Mast3r"pw' }), 'source alice: STATUS x');
  expect(no).toBeInstanceOf(ItemError);
  expect(no.message).toBe('source alice: STATUS x: server said: echo [redacted]');
  const net = imapError(Object.assign(new Error('socket closed by Mast3r"pw'), { code: 'ECONNRESET' }), 'source alice: FETCH');
  expect(net).toBeInstanceOf(TransientError);
  expect(net.message).toBe('source alice: FETCH: socket closed by [redacted]');
  const other = imapError(new Error('strange Mast3r"pw'), 'x');
  expect(other.message).toBe('strange [redacted]');
});
