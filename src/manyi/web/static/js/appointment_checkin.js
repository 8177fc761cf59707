// The appointment link's check-in "when near the outlet" (docs/appointments.md): before the
// form goes, the phone is asked for its position, which goes with it (latitude, longitude);
// the server measures the distance to the outlet. Refused, unavailable or too slow: the form
// goes without a position and the server's answer sends the customer to the kiosk. Without
// this script the form goes as it is, with the same answer.
const form = document.querySelector("form[data-near-checkin]");
if (form) {
  const button = form.querySelector("button[type=submit]");
  const status = form.querySelector("[data-geo-status]");
  let sending = false;
  const send = () => form.submit(); // submit() fires no submit event: no second round
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sending) return;
    sending = true;
    button.disabled = true;
    if (status) status.textContent = form.dataset.asking || "";
    if (!navigator.geolocation) {
      send();
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
        send();
      },
      () => send(),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });
  // Back from the answer page (the browser's page cache): the button works again.
  window.addEventListener("pageshow", () => {
    sending = false;
    button.disabled = false;
    if (status) status.textContent = "";
  });
}
