// The workbench's one script. Every page works without it; with it, a
// button marked data-confirm asks before what cannot be undone, and a text
// area with a maxlength counts its characters as they are typed.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

for (const area of document.querySelectorAll("textarea[maxlength]")) {
  const counter = document.createElement("span");
  counter.className = "count";
  counter.setAttribute("aria-live", "polite");
  const show = () => {
    counter.textContent = `${[...area.value].length} / ${area.maxLength}`;
  };
  area.insertAdjacentElement("afterend", counter);
  area.addEventListener("input", show);
  show();
}

// Uploads: say the file is on its way (the page that answers shows its size,
// type and SHA-256).
for (const form of document.querySelectorAll("form[enctype='multipart/form-data']")) {
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) {
      button.setAttribute("aria-busy", "true");
    }
  });
}
