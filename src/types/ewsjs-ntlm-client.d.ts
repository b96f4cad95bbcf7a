/** The parts of @ewsjs/ntlm-client (no published types; installed with ews-javascript-api) this project uses. */
declare module '@ewsjs/ntlm-client' {
  export interface Type2Message { flags: number; encoding: 'ascii' | 'ucs2'; version: 1 | 2; challenge: Buffer; targetName: string }
  const ntlm: {
    /** "NTLM <base64>" for the Authorization header. */
    createType1Message(workstation?: string, target?: string): string;
    /** Decodes "NTLM <base64>" from WWW-Authenticate. */
    decodeType2Message(header: string): Type2Message;
    createType3Message(type2: Type2Message, username: string, password: string, workstation?: string, target?: string): string;
  };
  export default ntlm;
}

declare module '@ewsjs/ntlm-client/lib/hash.js' {
  const hash: {
    /** MD4 of the UTF-16LE password (the NT hash). */
    createNTLMHash(password: string): Buffer;
  };
  export default hash;
}
