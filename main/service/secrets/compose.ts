/** Combinators over SecretStores: redaction at the moment a secret is read, and lookup chains. */
import type { Redactor } from '../../../core/common/log';
import type { SecretKind, SecretLookup, SecretStore } from './types';

/**
 * Every value read from (or written to) `store` is registered with `redactor` before anyone else sees it, so
 * no log line, error message or diagnostics bundle written afterwards can contain it.
 */
export function redactingSecrets(store: SecretStore, redactor: Redactor): SecretStore {
  return {
    label: store.label,
    get: async (id, kind) => {
      const r = await store.get(id, kind);
      if (r.status === 'found') redactor.addSecret(r.value);
      return r;
    },
    set: (id, kind, value) => {
      redactor.addSecret(value);
      return store.set(id, kind, value);
    },
    delete: (id, kind) => store.delete(id, kind),
    has: (id) => store.has(id),
  };
}

/**
 * Looks in each store in turn; the first `found` wins. A miss reports the most informative reason among the
 * stores (unavailable > may-be-locked > missing). Writes and deletes go to the first store.
 */
export function chainSecrets(stores: readonly SecretStore[]): SecretStore {
  if (!stores.length) throw new RangeError('chainSecrets needs at least one store');
  const first = stores[0]!;
  return {
    label: stores.map((s) => s.label).join(', then '),
    get: async (id: string, kind: SecretKind): Promise<SecretLookup> => {
      let miss: SecretLookup = { status: 'missing' };
      for (const s of stores) {
        const r = await s.get(id, kind);
        if (r.status === 'found') return r;
        if (r.status === 'unavailable') miss = r;
        else if (r.mayBeLocked && miss.status === 'missing') miss = r;
      }
      return miss;
    },
    set: (id, kind, value) => first.set(id, kind, value),
    delete: (id, kind) => first.delete(id, kind),
    has: async (id) => {
      const all = new Set<SecretKind>();
      for (const s of stores) for (const k of await s.has(id)) all.add(k);
      return all;
    },
  };
}
