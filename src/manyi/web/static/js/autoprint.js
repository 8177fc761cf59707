// A printed ticket opened to print (?autoprint=1): print once when the page and its fonts have
// loaded, then tell the kiosk page that embeds this one, on the same origin only.
window.addEventListener(
  "load",
  () => {
    window.print();
    if (window.parent !== window) {
      window.parent.postMessage({ manyi: "printed" }, window.location.origin);
    }
  },
  { once: true },
);
