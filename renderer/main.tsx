/** Renderer entry: takes window.ferry, builds the store (snapshot + events) and renders the app. */
import './zodConfig';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getFerryApi } from './bridge';
import { App } from './components/App';
import { StoreProvider } from './store/context';
import { createFerryStore } from './store/store';

function boot(): void {
  const container = document.getElementById('root');
  if (!container) return;
  const root = createRoot(container);
  const api = getFerryApi();
  if (!api) {
    container.textContent = 'Ferry cannot reach its service: the app bridge is missing.';
    return;
  }
  const store = createFerryStore(api);
  window.__ferryTestHooks__?.onStore?.(store);
  void store.getState().start();
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
}

boot();
