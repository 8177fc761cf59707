// Small actions pages declare in markup, so that no page needs an inline script (the
// Content-Security-Policy allows none): a button that prints the page, a form that asks first.
for (const button of document.querySelectorAll("[data-print-page]")) {
  button.addEventListener("click", () => window.print());
}
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
// A table row that stands for a place (data-href): a click anywhere on it goes there.
for (const row of document.querySelectorAll("tr[data-href]")) {
  row.addEventListener("click", (event) => {
    if (!event.target.closest("a, button, input, select")) window.location.href = row.dataset.href;
  });
}
