// An outlet's lobby settings page: the 「试听」 button speaks a sample call in this browser
// with the texts, rate and voices typed in the form (saved or not), in the board's order and
// through the board's own speaker (speaker.js), so what is heard here is what the board says.
import { readJson, t } from "./common.js";
import { Speaker, announceCall } from "./speaker.js";

const { sample } = readJson("config");
const form = document.querySelector("[data-testid=settings-form]");
const field = (name) => form.elements.namedItem(name);
const speaker = new Speaker();
window.manyiSpeaker = speaker; // for the end-to-end tests

// The announcement template filled as the server fills it (Python's str.format): "{{" and
// "}}" are braces, "{name}" or "{name:spec}" a field; the sample ignores the spec.
export function fillAnnouncement(template, values) {
  return template.replace(/\{\{|\}\}|\{(\w+)(?::[^{}]*)?\}/g, (match, name) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return name in values ? String(values[name]) : match;
  });
}

function chosenDialect() {
  const chosen = field("announce_dialect").value;
  return chosen === "other" ? field("announce_dialect_other").value.trim() : chosen;
}

// The typed tag box is there only for "other".
const dialectSelect = field("announce_dialect");
const dialectOther = field("announce_dialect_other");
function showOther() {
  dialectOther.hidden = dialectSelect.value !== "other";
}
dialectSelect.addEventListener("change", showOther);
showOther();

document.querySelector("[data-listen]").addEventListener("click", () => {
  const voices = { en: field("announce_en").checked, dialect: chosenDialect() };
  const texts = {
    zh: fillAnnouncement(field("announcement_zh").value, sample),
    en: fillAnnouncement(field("announcement_en").value, sample),
  };
  document.querySelector("[data-sample]").textContent = [texts.zh, voices.en ? texts.en : ""]
    .filter(Boolean)
    .join("\n");
  const note = document.querySelector("[data-voice-note]");
  if (!speaker.available) note.textContent = t("no_speech");
  else if (voices.dialect && !speaker.voiceFor(voices.dialect, true)) {
    note.textContent = t("no_voice", { lang: voices.dialect });
  } else note.textContent = "";
  const rate = Number(field("speech_rate_pct").value);
  speaker.rate = rate > 0 ? rate / 100 : 0.9;
  announceCall(speaker, texts, voices);
});
