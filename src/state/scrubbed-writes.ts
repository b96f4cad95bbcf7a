/**
 * The one place failure texts enter the state store from the engine: `scrubbedWrites(store)`
 * passes every call through and scrubs resolved secrets (util/scrub) out of the free texts
 * written, i.e. item reasons (`commitBatch`) and folder errors (`setContainerStatus`). Reasons are
 * already built with `reasonOf` (which scrubs), so this holds for texts built any other way too
 * (e.g. a connector's "copied with warnings" notes). Reports, `status` and `reconcile` read these
 * texts back, so nothing downstream has to scrub them again.
 */
import { scrubSecrets } from '../util/scrub.js';
import type { CheckpointStore, ItemResult } from './store.js';

type FreeTextWrites = Pick<CheckpointStore, 'commitBatch' | 'setContainerStatus'>;

/** Returns the same kind of store it is given (the engine's `CheckpointStore & KeyValueStore`). */
export function scrubbedWrites<S extends FreeTextWrites>(store: S): S {
  const commitBatch: CheckpointStore['commitBatch'] = (mailboxId, containerId, results, checkpoint) =>
    store.commitBatch(mailboxId, containerId, results.map(scrubResult), checkpoint);
  const setContainerStatus: CheckpointStore['setContainerStatus'] = (mailboxId, containerId, status, error) =>
    store.setContainerStatus(mailboxId, containerId, status, error === undefined ? undefined : scrubSecrets(error));
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commitBatch') return commitBatch;
      if (prop === 'setContainerStatus') return setContainerStatus;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function scrubResult(r: ItemResult): ItemResult {
  return r.reason === undefined ? r : { ...r, reason: scrubSecrets(r.reason) };
}
