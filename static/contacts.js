// Live count of a segment form: <form data-live-count="/contacts/count"> with an <output id="segment-count">.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-live-count]").forEach((form) => {
    const output = document.getElementById("segment-count");
    let timer = null;
    const refresh = async () => {
      const params = new URLSearchParams();
      for (const [key, value] of new FormData(form)) {
        if (key !== "csrf_token" && key !== "name" && value) params.append(key, value);
      }
      try {
        const r = await fetch(`${form.dataset.liveCount}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
        const data = await r.json();
        output.textContent = data.count === null ? "?" : String(data.count);
      } catch (e) { /* keep the last count */ }
    };
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    form.addEventListener("change", refresh);
  });
});
