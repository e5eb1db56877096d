/** Hands the store to the component tree; components select what they read so they re-render only on change. */
import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { FerryStore, FerryStoreState } from './store';

const StoreContext = createContext<FerryStore | null>(null);

export function StoreProvider({ store, children }: { store: FerryStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useFerryStore(): FerryStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useFerry outside <StoreProvider>');
  return store;
}

export function useFerry<T>(selector: (s: FerryStoreState) => T): T {
  return useStore(useFerryStore(), selector);
}

/** The store's actions (stable functions; reading them never re-renders). */
export function useActions(): FerryStoreState {
  return useFerryStore().getState();
}
