// Live preview for the appeal editor: posts the unsaved text to the preview endpoint and shows
// what the chosen recipient would get. The page works without it (the Preview button posts).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("template-form");
  if (!form || !form.dataset.previewUrl) return;
  const $ = (id) => document.getElementById(id);
  const errors = $("template-errors");
  let timer = null;
  let sequence = 0;

  const showProblems = (problems) => {
    errors.replaceChildren();
    const intro = document.createElement("p");
    intro.textContent = "The template has problems:";
    const list = document.createElement("ul");
    problems.forEach((p) => {
      const item = document.createElement("li");
      const part = p.part.charAt(0).toUpperCase() + p.part.slice(1);
      item.textContent = `${part}${p.line ? `, line ${p.line}` : ""}: ${p.message}`;
      list.appendChild(item);
    });
    errors.append(intro, list);
    errors.hidden = false;
    $("preview-status").textContent = "The preview shows the last version without problems.";
  };

  const refresh = async () => {
    const mine = ++sequence;
    const body = new FormData(form);
    let response;
    try {
      response = await fetch(form.dataset.previewUrl, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
    } catch (e) {
      $("preview-status").textContent = "The preview could not be reached; press Preview to try again.";
      return;
    }
    if (mine !== sequence) return; // a newer request is on its way
    const data = await response.json().catch(() => ({}));
    if (response.ok && !data.problems) {
      errors.hidden = true;
      errors.replaceChildren();
      $("preview-subject").textContent = data.subject;
      $("preview-html").innerHTML = data.html; // sanitised on the server: escaped values, nh3-cleaned Markdown
      $("preview-text").textContent = data.text;
      $("preview-status").textContent = "Live preview of the text above (not saved).";
    } else if (data && data.problems) {
      showProblems(data.problems);
    }
  };

  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 400); };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  $("preview-button").addEventListener("click", (event) => { event.preventDefault(); refresh(); });
  // On load, show the letter at once, unless the server has just listed problems or the form is empty.
  if (errors.hidden && $("subject").value.trim() && $("body").value.trim()) refresh();
});
