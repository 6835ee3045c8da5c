// The chat page's client (demo/pages/chat.py): one WebSocket, messages shown as text.
const log = document.getElementById('log');
const statusEl = document.getElementById('status');
const nameInput = document.getElementById('name');
nameInput.value = 'guest' + Math.floor(Math.random() * 1000);
const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const ws = new WebSocket(scheme + location.host + '/chat/ws');
function line(who, text, cls) {
  // Built from text nodes, never innerHTML: a message cannot inject markup.
  const p = document.createElement('p');
  if (cls) p.className = cls;
  if (who) {
    const b = document.createElement('b');
    b.textContent = who;
    p.append(b, ': ');
  }
  p.append(text);
  log.appendChild(p);
  log.scrollTop = log.scrollHeight;
}
ws.onopen = () => { statusEl.textContent = 'connected'; document.body.dataset.state = 'open'; };
ws.onclose = (e) => {
  statusEl.textContent = 'disconnected (' + e.code + ')';
  document.body.dataset.state = 'closed';
};
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type === 'message') line(m.name, m.text);
  else line(null, m.text, 'sys');
  if (m.online !== undefined) statusEl.textContent = 'connected · ' + m.online + ' online';
};
document.getElementById('form').onsubmit = (e) => {
  e.preventDefault();
  const text = document.getElementById('text');
  if (!text.value || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({name: nameInput.value || 'guest', text: text.value}));
  text.value = '';
};
