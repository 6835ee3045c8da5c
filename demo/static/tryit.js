// Links marked data-try show their answer (status, headers, body) in the page's
// #result panel instead of leaving the page: what curl -i would print, inside the layout.
(() => {
  const panel = document.getElementById('result');
  if (!panel) return;
  const SHOWN = ['content-type', 'content-length', 'x-response-time', 'location', 'allow'];

  function show(url, resp, body) {
    panel.replaceChildren();
    const title = document.createElement('h2');
    const status = document.createElement('span');
    status.className = resp.ok ? 'status-ok' : 'status-err';
    status.textContent = resp.status + ' ' + resp.statusText;
    title.append('GET ' + url + ' → ', status);
    if (resp.redirected) title.append(' (after a redirect to ' + new URL(resp.url).pathname + ')');
    const headers = document.createElement('dl');
    for (const name of SHOWN) {
      const value = resp.headers.get(name);
      if (value === null) continue;
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = name;
      dd.textContent = value;
      headers.append(dt, dd);
    }
    const pre = document.createElement('pre');
    let text = body;
    try { text = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* not JSON */ }
    pre.textContent = text || '(empty body)';  // text, never markup
    panel.append(title, headers, pre);
    panel.hidden = false;
    panel.scrollIntoView({block: 'nearest'});
  }

  document.addEventListener('click', async (event) => {
    const link = event.target.closest('a[data-try]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const url = link.getAttribute('href');
    try {
      const resp = await fetch(url, {headers: {'Accept': 'application/json, text/plain, */*'}});
      show(url, resp, await resp.text());
    } catch (err) {
      panel.textContent = 'Request failed: ' + err;
      panel.hidden = false;
    }
  });
})();
