// LiveChart: a small line chart on a <canvas>, for values that arrive over time.
// No dependencies: new LiveChart(canvas, {color}), then chart.push(value) for each sample.
class LiveChart {
  constructor(canvas, {color = '#1a5fb4', points = 60} = {}) {
    this.canvas = canvas;
    this.color = color;
    this.points = points;
    this.values = [];
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  push(value) {
    this.values.push(value === null || value === undefined ? NaN : Number(value));
    if (this.values.length > this.points) this.values.shift();
    this.draw();
  }

  // A round upper bound for the y axis: 1, 2 or 5 times a power of ten.
  static niceMax(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
    return 10 * power;
  }

  draw() {
    const {canvas} = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const finite = this.values.filter(Number.isFinite);
    const top = LiveChart.niceMax(Math.max(0, ...finite));
    const pad = {left: 2, right: 2, top: 14, bottom: 2};
    const plotH = height - pad.top - pad.bottom, plotW = width - pad.left - pad.right;
    // grid: the top line is labelled with the scale
    ctx.strokeStyle = '#e3e7ec';
    ctx.lineWidth = 1;
    ctx.fillStyle = '#59636e';
    ctx.font = '11px system-ui, sans-serif';
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(pad.top + plotH * (1 - f)) + 0.5;
      ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
    }
    ctx.fillText(String(top), pad.left + 2, pad.top - 3);
    if (finite.length < 1) return;
    const x = (i) => pad.left + plotW * (i + this.points - this.values.length) / (this.points - 1);
    const y = (v) => pad.top + plotH * (1 - v / top);
    ctx.beginPath();
    let started = false, first = 0, last = 0;
    this.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (!started) { ctx.moveTo(x(i), y(v)); started = true; first = i; } else ctx.lineTo(x(i), y(v));
      last = i;
    });
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.lineTo(x(last), pad.top + plotH);
    ctx.lineTo(x(first), pad.top + plotH);
    ctx.closePath();
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = this.color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
}
window.LiveChart = LiveChart;
