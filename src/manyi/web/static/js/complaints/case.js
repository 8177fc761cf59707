// Case page: one action form open at a time; Esc closes it and puts the focus back on its button.
// The forms are <details> elements, so every action works without this script.

const panels = [...document.querySelectorAll("details.act")];

for (const panel of panels) {
  panel.addEventListener("toggle", () => {
    if (!panel.open) return;
    for (const other of panels) if (other !== panel) other.open = false;
    const first = panel.querySelector("textarea, select, input:not([type=hidden])");
    first?.focus();
  });
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = panels.find((panel) => panel.open);
  if (!open) return;
  open.open = false;
  open.querySelector("summary")?.focus();
});

// A click outside an open panel closes it, as a menu would.
document.addEventListener("click", (event) => {
  for (const panel of panels) {
    if (panel.open && !panel.contains(event.target)) panel.open = false;
  }
});

// A file over the upload limit is refused here, before a long upload that the server would
// refuse anyway: the message stays on the case, under the field, and the form is not sent.
for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
  const problem = document.getElementById("file-problem");
  input.addEventListener("change", () => {
    const tooLarge = [...input.files].some((file) => file.size > Number(input.dataset.maxBytes));
    const message = tooLarge ? input.dataset.tooLarge : "";
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", String(tooLarge));
    if (problem) {
      problem.textContent = message;
      problem.hidden = !tooLarge;
    }
  });
}
