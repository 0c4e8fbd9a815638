// The dashboard's entry: mounts App with the root state. ?boot=0 keeps the
// machine off at load (the registry still shows from the stored mirror).
import { mount } from 'svelte';
import '@xterm/xterm/css/xterm.css';
import './app.css';
import App from './components/App.svelte';
import { Dashboard } from './state/dashboard.svelte.ts';

const dashboard = new Dashboard();
mount(App, { target: document.getElementById('app')!, props: { dashboard } });
void dashboard.init(new URLSearchParams(location.search).get('boot') !== '0');
(globalThis as unknown as { sisDashboard: Dashboard }).sisDashboard = dashboard;
