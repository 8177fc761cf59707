// Announcements through the browser's speech synthesis, one after another.
//
// Each text is queued and spoken only when the one before has finished; nothing
// ever cancels speech, so a new call never cuts off the one being announced.
// Some engines never report the end of an utterance: a watchdog moves on only
// once the engine says it is no longer speaking.
//
// Each text has its language: Mandarin ("zh-CN"), English, or a dialect the bank
// configured ("zh-HK" for Cantonese…). Voices are the board's own (offline, no
// network speech): a dialect text is spoken only with a voice of that dialect, and
// logged as "no-voice" otherwise, since a Mandarin voice would only repeat itself.

export class Speaker {
  constructor({ lang = "zh-CN", rate = 0.9, pauseMs = 700 } = {}) {
    this.lang = lang;
    this.rate = rate;
    this.pauseMs = pauseMs;
    this.queue = [];
    this.busy = false;
    this.log = []; // every text queued, in order, with what became of it (read by tests)
    this.synth = "speechSynthesis" in window ? window.speechSynthesis : null;
  }

  get available() {
    return this.synth !== null;
  }

  // Chrome speaks only after the page has had a user gesture (or when started
  // with --autoplay-policy=no-user-gesture-required, as a board should be).
  unlock() {
    if (!this.synth) return;
    const silent = new SpeechSynthesisUtterance(" ");
    silent.volume = 0;
    this.synth.speak(silent);
  }

  // Whether this browser will speak now, found out with a silent utterance: "works" once
  // it starts or ends, "blocked" when the engine refuses it before a touch (Chrome's
  // autoplay policy: error "not-allowed") or says nothing within `waitMs`, "unavailable"
  // when there is no engine or it fails otherwise (a touch would not help).
  probe(waitMs = 3000) {
    if (!this.synth) return Promise.resolve("unavailable");
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const silent = new SpeechSynthesisUtterance(" ");
      silent.volume = 0;
      silent.lang = this.lang;
      silent.onstart = () => settle("works");
      silent.onend = () => settle("works");
      silent.onerror = (event) => {
        const refused = !event || event.error === "not-allowed";
        settle(refused ? "blocked" : "unavailable");
      };
      setTimeout(() => settle("blocked"), waitMs);
      try {
        this.synth.speak(silent);
      } catch {
        settle("unavailable");
      }
    });
  }

  // The voice for `lang`: one of that exact language (zh-HK), else one of its base
  // language (zh for zh-CN, en for en-GB) unless a dialect was asked for.
  voiceFor(lang, strict) {
    const norm = (tag) => (tag || "").replace("_", "-").toLowerCase();
    const voices = this.synth ? this.synth.getVoices() : [];
    const exact = voices.find((v) => norm(v.lang) === norm(lang) || norm(v.lang).startsWith(`${norm(lang)}-`));
    if (exact || strict) return exact || null;
    const base = norm(lang).split("-")[0];
    return voices.find((v) => norm(v.lang).split("-")[0] === base) || null;
  }

  say(text, { lang = this.lang, dialect = false } = {}) {
    const entry = { text, lang, dialect, rate: this.rate, queuedAt: Date.now(), state: "queued" };
    this.log.push(entry);
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  pump() {
    if (this.busy || this.queue.length === 0) return;
    const entry = this.queue.shift();
    this.busy = true;
    entry.state = "speaking";
    entry.startedAt = Date.now();
    let finished = false;
    const done = (state) => {
      if (finished) return;
      finished = true;
      entry.state = state;
      entry.endedAt = Date.now();
      setTimeout(() => {
        this.busy = false;
        this.pump();
      }, this.pauseMs);
    };
    if (!this.synth) {
      done("silent");
      return;
    }
    const voice = this.voiceFor(entry.lang, entry.dialect);
    if (entry.dialect && !voice) {
      done("no-voice");
      return;
    }
    try {
      const utterance = new SpeechSynthesisUtterance(entry.text);
      utterance.lang = entry.lang;
      utterance.rate = entry.rate;
      if (voice) utterance.voice = voice;
      utterance.onend = () => done("spoken");
      utterance.onerror = () => done("error");
      this.synth.speak(utterance);
    } catch {
      done("error"); // an engine that throws must not silence every later call
      return;
    }
    const estimate = 1000 + (entry.text.length * 300) / entry.rate;
    const watch = () => {
      if (finished) return;
      if (!this.synth.speaking && !this.synth.pending) done("spoken");
      else setTimeout(watch, 500);
    };
    setTimeout(watch, estimate);
  }
}

// One call as the board announces it: Mandarin always; then English when the outlet turned
// it on; then the Chinese text in the outlet's dialect voice, when this browser has one (see
// Speaker.voiceFor). `texts`: {zh, en}; `voices`: {en, dialect}, the outlet's settings. The
// board and the settings page's 「试听」 button both speak through this.
export function announceCall(speaker, texts, voices) {
  speaker.say(texts.zh, { lang: "zh-CN" });
  if (voices.en && texts.en) speaker.say(texts.en, { lang: "en-US" });
  if (voices.dialect) speaker.say(texts.zh, { lang: voices.dialect, dialect: true });
}
