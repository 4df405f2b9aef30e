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
  // The main menu folds behind a button on narrow screens; the button says whether it is open.
  const toggle = document.querySelector("button.nav-toggle");
  if (toggle) {
    const narrow = window.matchMedia("(max-width: 40rem)");
    const fold = () => { toggle.setAttribute("aria-expanded", narrow.matches ? "false" : "true"); };
    toggle.hidden = false;
    fold();
    narrow.addEventListener("change", fold);
    toggle.addEventListener("click", () => {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
  }
  // A table box that scrolls sideways can be reached and scrolled by keyboard, and is named by its heading.
  const label = (box) => {
    const caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (let el = box; el && el !== document.body; el = el.parentElement) {
      for (let prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (/^H[1-6]$/.test(prev.tagName)) return prev.textContent.trim();
      }
    }
    return document.title.split(" · ")[0];
  };
  const reachable = () => document.querySelectorAll(".table-wrap").forEach((box) => {
    if (box.scrollWidth > box.clientWidth) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${label(box)} (table, scrolls sideways)`);
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label");
    }
  });
  reachable();
  window.addEventListener("resize", reachable);
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
