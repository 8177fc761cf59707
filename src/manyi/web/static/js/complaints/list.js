// Workbench: "select all on this page" and a live count of the ticked cases for bulk reassignment.
// Without this script the checkboxes and the reassign form work the same, one tick at a time.

const form = document.querySelector("form[data-bulk]");
if (form) {
  const all = form.querySelector("[data-select-all]");
  const boxes = () => [...form.querySelectorAll('input[name="complaint_ids"]')];
  const label = form.querySelector("[data-selected]");
  const idle = label ? label.textContent : "";
  const template = form.dataset.selectedText || "";

  const update = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    if (label) label.textContent = ticked && template ? template.replace("{n}", ticked) : idle;
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  };
  all?.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    update();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "complaint_ids") update();
  });
  update();
}
