// The SSE page's client (demo/pages/sse.py): two EventSource streams.
const clock = new EventSource("/sse/clock");
clock.addEventListener("tick", e => { document.getElementById("clock").textContent = e.data; });
const job = new EventSource("/sse/progress" + location.search);
job.addEventListener("progress", e => {
  document.getElementById("bar").value = e.data;
  document.getElementById("pct").textContent = e.data + "%";
});
job.addEventListener("done", e => {
  document.getElementById("status").textContent = e.data; job.close();
});
