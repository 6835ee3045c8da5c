// The performance page's client (demo/pages/performance.py): one EventSource, four charts.
(() => {
  const FIELDS = {
    rps: {color: '#1a5fb4', show: (v) => v.toFixed(v < 100 ? 1 : 0)},
    connections: {color: '#1a7f37', show: (v) => String(v)},
    rss: {color: '#8250df', show: (v) => (v / 1048576).toFixed(1), scale: 1 / 1048576},
    lag_ms: {color: '#bc4c00', show: (v) => v.toFixed(1)},
  };
  const charts = {};
  for (const [name, spec] of Object.entries(FIELDS)) {
    charts[name] = new LiveChart(document.getElementById('chart-' + name), {color: spec.color});
  }
  const status = document.getElementById('perf-status');
  let samples = 0;
  const source = new EventSource('/performance/stream');
  source.onopen = () => { status.textContent = 'live: a sample every second'; };
  source.onerror = () => { status.textContent = 'disconnected; retrying…'; };
  source.addEventListener('sample', (event) => {
    const sample = JSON.parse(event.data);
    for (const [name, spec] of Object.entries(FIELDS)) {
      const value = sample[name];
      document.getElementById(name).textContent = value === null ? 'n/a' : spec.show(value);
      charts[name].push(value === null ? null : value * (spec.scale || 1));
    }
    samples += 1;
    document.body.dataset.samples = String(samples);
    status.textContent = 'live: ' + sample.requests + ' requests served so far';
  });
})();
