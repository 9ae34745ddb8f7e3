import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createApolloApi } from './api/apollo-api';
import { useAppStore } from './stores/app-store';
import './styles.css';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element');
void useAppStore.getState().connect(createApolloApi());
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
