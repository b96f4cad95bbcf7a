/** Thrown by the groupware converters for input they cannot express; the message names the item and the reason. */
export class ConversionError extends Error {
  override readonly name = 'ConversionError';
  constructor(readonly itemUid: string, reason: string) {
    super(`${itemUid || '(no uid)'}: ${reason}`);
  }
}
