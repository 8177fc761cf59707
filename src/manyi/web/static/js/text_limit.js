// Long texts: a live count under each <textarea data-max-chars>, and a clear refusal before
// submitting when the text is too long. A `maxlength` would cut a pasted text short without a
// word, so the fields have none; the server refuses an over-long text too, keeping it typed.
// The counter's texts come translated in its data attributes: {n}, {max} and {over}.

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

for (const field of document.querySelectorAll("textarea[data-max-chars]")) {
  const count = document.querySelector(`[data-count-for="${field.id}"]`);
  if (!count) continue;
  const max = Number(field.dataset.maxChars);
  const update = () => {
    const n = [...field.value.trim()].length; // characters as the server counts them
    const over = n - max;
    count.hidden = n === 0;
    count.textContent = fill(over > 0 ? count.dataset.over : count.dataset.count, { n, max, over });
    count.classList.toggle("bad", over > 0);
    field.setCustomValidity(over > 0 ? count.textContent : "");
  };
  field.addEventListener("input", update);
  update();
}
