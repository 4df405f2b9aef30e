// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions: <form data-confirm="Delete 3 contacts?">
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A time zone not chosen yet: suggest the browser's own (the person still saves it).
  document.querySelectorAll("select[data-browser-zone]").forEach((select) => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && [...select.options].some((o) => o.value === zone)) select.value = zone;
  });
  // "Select all" checkboxes for bulk actions: <input type="checkbox" data-select-all="name">
  document.querySelectorAll("input[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`).forEach((b) => { b.checked = box.checked; });
    });
  });
  // Live progress: <div data-poll="/api/..." data-poll-interval="2000">, filled from JSON.
  document.querySelectorAll("[data-poll]").forEach((el) => {
    const tick = async () => {
      try {
        const r = await fetch(el.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (r.ok) {
          const data = await r.json();
          el.dispatchEvent(new CustomEvent("poll", { detail: data }));
          if (data.done) return;
        }
      } catch (e) { /* network hiccup: try again on the next tick */ }
      setTimeout(tick, Number(el.dataset.pollInterval || 2000));
    };
    tick();
  });
});
