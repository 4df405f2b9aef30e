// The import's progress page: fills the bar from the page's poll (see data-poll in app.js); reloads
// when the import has finished, so the server shows the result (or why it stopped).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("import-progress");
  if (!box) return;
  box.addEventListener("poll", (event) => {
    const data = event.detail;
    if (data.done || data.state !== box.dataset.state) { window.location.reload(); return; }
    if (data.state !== "running") return;
    const bar = box.querySelector("progress");
    const text = document.getElementById("import-state");
    if (data.percent !== null) {
      bar.max = data.rows_total; bar.value = data.rows_done; bar.textContent = `${data.percent}%`;
      text.textContent = `${data.rows_done} of ${data.rows_total} rows (${data.percent}%).`;
    } else {
      text.textContent = `${data.rows_done} rows so far.`;
    }
  });
});
