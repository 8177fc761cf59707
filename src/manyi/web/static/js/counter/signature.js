// The signature pad: draw with pointer events (finger, stylus, mouse) on a canvas, then
// send the drawing as a PNG data URL. "Confirm" stays disabled until something is drawn.

const canvas = document.querySelector("canvas[data-canvas]");
const form = document.querySelector("form[data-sign-form]");

if (canvas && form) {
  const context = canvas.getContext("2d");
  const ok = form.querySelector("[data-sign-ok]");
  const hidden = form.querySelector('input[name="signature"]');
  let drawing = false;
  let strokes = 0;

  const blank = () => {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.lineWidth = 4;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111111";
    strokes = 0;
    ok.disabled = true;
  };
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) * canvas.width) / box.width,
      ((event.clientY - box.top) * canvas.height) / box.height,
    ];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event);
    context.beginPath();
    context.moveTo(x, y);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, y] = point(event);
    context.lineTo(x, y);
    context.stroke();
    strokes += 1;
    if (strokes > 5) ok.disabled = false;
  });
  const stop = () => {
    drawing = false;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  form.querySelector("[data-sign-clear]").addEventListener("click", blank);
  form.addEventListener("submit", () => {
    hidden.value = canvas.toDataURL("image/png");
  });
  blank();
  // Tests (and anything else) can tell the pad is listening before drawing on it.
  form.dataset.ready = "1";
}
