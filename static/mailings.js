// The mailing progress page: fills the counts from the page's poll (see data-poll in app.js).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const status = box.querySelector("[data-field=status]").textContent;
  // A screen reader hears the progress in steps of a tenth, not every count on every tick.
  const said = document.getElementById("progress-said");
  let step = null;
  box.addEventListener("poll", (event) => {
    const data = event.detail;
    box.querySelectorAll("[data-field]").forEach((el) => {
      const value = el.dataset.field.split(".").reduce((o, k) => (o == null ? o : o[k]), data);
      el.textContent = value == null ? "" : String(value);
    });
    // Rate and time left mean something only while sending.
    box.querySelectorAll("[data-show=sending]").forEach((el) => { el.hidden = data.status !== "sending"; });
    box.querySelectorAll("[data-show=seconds_left]").forEach((el) => { el.hidden = data.seconds_left == null; });
    const bar = box.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = `${data.percent}%`; }
    const now = Math.floor(data.percent / 10);
    if (said && step !== null && now !== step) said.textContent = `${data.percent}% done`;
    step = now;
    // The buttons depend on the status: reload when it changes (a pause by someone else, done...).
    if (data.status !== status) window.location.reload();
  });
});
