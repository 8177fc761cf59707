// The ticket status page's pre-fill link shows only while the ticket waits. The page's
// own script (lobby/status.js) shows the "give up this number" button exactly then, so
// the link follows that button as the queue moves.

const link = document.querySelector("[data-prefill-link]");
const cancel = document.querySelector("[data-cancel]");

if (link && cancel) {
  const follow = () => {
    link.hidden = cancel.hidden;
  };
  new MutationObserver(follow).observe(cancel, { attributes: true, attributeFilter: ["hidden"] });
}
