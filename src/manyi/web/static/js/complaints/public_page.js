// The public complaint pages: print the reference and code, pick files with a big button
// in the page's language, and send each form once (a slow phone invites a second tap).
import "/static/js/text_limit.js";

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

for (const pick of document.querySelectorAll("[data-pick]")) {
  const input = document.getElementById(pick.htmlFor);
  const list = pick.parentElement.querySelector("[data-chosen]");
  if (!input || !list) continue;
  input.classList.add("enhanced");
  pick.hidden = false;
  const maxFiles = Number(list.dataset.maxFiles);
  const maxBytes = Number(list.dataset.maxMb) * 1024 * 1024;
  input.addEventListener("change", () => {
    // The server checks again; this only warns before a long upload.
    const items = [...input.files].map((file) => {
      const item = document.createElement("li");
      const size =
        file.size < 1024 * 1024
          ? `${Math.max(1, Math.round(file.size / 1024))} KB`
          : `${(file.size / (1024 * 1024)).toFixed(1)} MB`;
      item.textContent = `${file.name} · ${size}`;
      if (file.size > maxBytes) {
        item.classList.add("bad");
        item.textContent += ` · ${list.dataset.tooBig}`;
      }
      return item;
    });
    if (items.length > maxFiles) {
      const warning = document.createElement("li");
      warning.className = "bad";
      warning.textContent = list.dataset.tooMany;
      items.unshift(warning);
    }
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
  });
}

for (const form of document.querySelectorAll("form[data-once]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    const button = form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-busy", "true");
      if (button.dataset.busy) button.textContent = button.dataset.busy;
    }
  });
}
