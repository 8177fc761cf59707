// Registration form: mark the fields the chosen intake channel requires, show the fields that
// only some channels use, and list the staff of the chosen responsible unit.
// The server is the authority: it checks every field again and shows the form with the error.
import "/static/js/text_limit.js";

const form = document.querySelector("form[data-register]");
if (form) {
  const required = JSON.parse(form.dataset.required || "{}");

  const channel = () => form.querySelector('input[name="intake"]:checked')?.value || "";

  const mark = () => {
    const needed = new Set(required[channel()] || []);
    for (const field of form.querySelectorAll("[data-field]")) {
      const name = field.dataset.field;
      field.classList.toggle("needed", needed.has(name) || field.hasAttribute("data-always"));
      const only = field.dataset.only;
      if (only) field.hidden = !only.split(" ").includes(channel()) && !needed.has(name);
    }
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "intake") mark();
  });
  mark();

  // The named-staff list follows the responsible unit (staff of units in one's scope only).
  const unit = form.querySelector('select[name="responsible_unit_id"]');
  const staff = form.querySelector('select[name="named_staff_ids"]');
  unit?.addEventListener("change", async () => {
    if (!staff) return;
    const response = await fetch(`/complaints/new/staff?unit_id=${encodeURIComponent(unit.value)}`, {
      credentials: "same-origin",
    });
    if (response.ok) staff.innerHTML = await response.text();
  });
}
