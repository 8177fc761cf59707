// The teller's bundle screen: function keys, the simulated PIN pad, and waiting for the
// supervisor. Everything works without this script too (plain forms); it only saves clicks.
//
// - F1…F9 press the button that shows the key (the next step always has one).
// - A run that needs the PIN opens the simulated pad's dialog when the process runs the
//   simulated adapters; the digits go with the run request and nowhere else (the field is
//   emptied as soon as the form is sent).
// - While a supervisor decides, the state is asked every 3 s and the page reloads when
//   it changes.

const pressKey = (event) => {
  if (!/^F\d$/.test(event.key)) return;
  const target = document.querySelector(`[data-key="${event.key}"]`);
  if (!target) return;
  event.preventDefault();
  target.click();
};
document.addEventListener("keydown", pressKey);

const runForm = document.querySelector("form[data-run-form]");
const pad = document.querySelector("dialog[data-pinpad]");

if (runForm && pad && runForm.dataset.pin === "yes") {
  const input = pad.querySelector("[data-pin-input]");
  const hidden = runForm.querySelector('input[name="pin"]');
  const ok = pad.querySelector("[data-pin-ok]");
  let sending = false;

  runForm.addEventListener("submit", (event) => {
    if (sending) return;
    event.preventDefault();
    input.value = "";
    pad.showModal();
    input.focus();
  });
  for (const key of pad.querySelectorAll("[data-digit]")) {
    key.addEventListener("click", () => {
      if (input.value.length < 12) input.value += key.dataset.digit;
      input.focus();
    });
  }
  pad.querySelector("[data-clear]").addEventListener("click", () => {
    input.value = "";
    input.focus();
  });
  const send = () => {
    if (!/^\d{4,12}$/.test(input.value)) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    hidden.value = input.value;
    input.value = "";
    sending = true;
    pad.close();
    runForm.submit();
    hidden.value = "";
  };
  ok.addEventListener("click", send);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      send();
    }
  });
  pad.addEventListener("close", () => {
    input.value = "";
  });
}

const waiting = document.querySelector("[data-poll]");
if (waiting) {
  const url = waiting.dataset.poll;
  const was = waiting.dataset.state;
  const ask = async () => {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (response.ok) {
        const body = await response.json();
        if (body.state !== was) {
          window.location.reload();
          return;
        }
      }
    } catch {
      // the network hiccuped: ask again next time
    }
    setTimeout(ask, 3000);
  };
  setTimeout(ask, 3000);
}
