// The mailing progress page: fills the counts from the page's poll (see data-poll in app.js).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const status = box.querySelector("[data-field=status]").textContent;
  box.addEventListener("poll", (event) => {
    const data = event.detail;
    box.querySelectorAll("[data-field]").forEach((el) => {
      const value = el.dataset.field.split(".").reduce((o, k) => (o == null ? o : o[k]), data);
      el.textContent = value == null ? "–" : String(value);
    });
    const bar = box.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = `${data.percent}%`; }
    // The buttons depend on the status: reload when it changes (a pause by someone else, done...).
    if (data.status !== status) window.location.reload();
  });
});
