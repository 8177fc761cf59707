// The pre-fill form: say what is wrong with a field while the customer types, by asking
// the server (POST data-check) for the problems of the values so far. The server checks
// everything again on submit; this only saves a round trip through a refused form.
// A field's problem shows once the customer has typed in it (after a pause) or left it;
// fields they have not reached yet stay quiet.

const form = document.querySelector("form[data-prefill]");
const PAUSE_MS = 700;

if (form) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const touched = new Set();
  let timer = 0;
  let asked = 0;

  const fieldOf = (input) => input.closest("[data-field]");

  const values = () => {
    const data = new FormData(form);
    const out = {};
    for (const [name, value] of data.entries()) {
      if (name === "csrf_token" || name === "t" || name === "ticket") continue;
      out[name] = typeof value === "string" ? value : "";
    }
    return out;
  };

  const show = (problems) => {
    for (const box of form.querySelectorAll("[data-field]")) {
      const key = box.dataset.field;
      if (!touched.has(key)) continue;
      const text = problems[key] ?? "";
      const line = box.querySelector("[data-problem]");
      const input = box.querySelector("input, select, textarea");
      line.textContent = text;
      line.hidden = !text;
      box.classList.toggle("bad", Boolean(text));
      if (input) {
        if (text) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
    }
  };

  const check = async () => {
    const mine = ++asked;
    const codes = [...form.querySelectorAll('input[name="t"]')].map((n) => n.value);
    try {
      const response = await fetch(form.dataset.check, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ t: codes, values: values() }),
      });
      if (!response.ok || mine !== asked) return; // an older answer, or none: stay quiet
      const answer = await response.json();
      show(answer.problems ?? {});
    } catch {
      // Offline for a moment: the server checks on submit anyway.
    }
  };

  const later = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, PAUSE_MS);
  };

  form.addEventListener("input", (event) => {
    const box = fieldOf(event.target);
    if (!box) return;
    // While typing, only a field with something in it is judged.
    if (event.target.value !== "" || box.classList.contains("bad")) touched.add(box.dataset.field);
    later();
  });
  form.addEventListener("change", (event) => {
    const box = fieldOf(event.target);
    if (!box) return;
    touched.add(box.dataset.field);
    later();
  });
  form.addEventListener("focusout", (event) => {
    const box = fieldOf(event.target);
    if (!box || event.target.value === "") return;
    touched.add(box.dataset.field);
    later();
  });
  // A lifetime ID card (长期): its tick replaces the date, which is then not sent.
  for (const tick of form.querySelectorAll("[data-long-term]")) {
    const date = document.getElementById(tick.dataset.longTerm);
    const follow = () => {
      date.disabled = tick.checked;
      if (tick.checked) date.value = "";
    };
    tick.addEventListener("change", follow);
    follow();
  }
  // Fields the server already refused are watched from the start.
  for (const box of form.querySelectorAll("[data-field].bad")) touched.add(box.dataset.field);
}
