// Inspections: the scorecard saves each answer as it is given and shows the score the server
// computed (one rule, in supervision/domain/scorecard.py); the results page draws each outlet's
// monthly mean with ECharts. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showScore(data) {
    var score = document.querySelector("[data-score]");
    if (score) score.textContent = data.score === null ? "—" : data.score.toFixed(1);
    var answered = document.querySelector("[data-answered]");
    if (answered) answered.textContent = String(data.answered);
    var critical = document.querySelector("[data-critical]");
    var box = document.querySelector("[data-critical-box]");
    if (critical) critical.textContent = data.critical.length ? data.critical.join(", ") : critical.dataset.none;
    if (box) box.classList.toggle("none", data.critical.length === 0);
  }

  function showError(message) {
    var box = document.querySelector("[data-save-error]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-save-error", "");
      var panel = document.querySelector("[data-testid=score-panel]");
      panel.parentNode.insertBefore(box, panel);
    }
    box.textContent = message;
    box.hidden = !message;
  }

  function mark(item) {
    var checked = item.querySelector("input[type=radio]:checked");
    item.classList.remove("is-passed", "is-failed", "is-na");
    if (checked) item.classList.add("is-" + checked.value);
  }

  function autosave(form) {
    var timer = null;
    var saved = 0;
    function save() {
      form.dataset.pending = "1";
      var body = new FormData(form);
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json", "x-csrf-token": csrf() },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (answer) {
          if (answer.ok) {
            showScore(answer.data);
            showError("");
          } else {
            showError(answer.data.message || "");
          }
          saved += 1;
          form.dataset.saved = String(saved);
          delete form.dataset.pending;
        })
        .catch(function () { delete form.dataset.pending; });
    }
    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 250);
    }
    function upload(input) {
      // Save the answers first (the upload reloads the page), then send the photo.
      var target = document.getElementById(input.getAttribute("form"));
      if (!target) return;
      if (timer) { clearTimeout(timer); timer = null; save(); }
      (function send() {
        if (form.dataset.pending) { setTimeout(send, 50); return; }
        target.requestSubmit();
      })();
    }
    form.addEventListener("change", function (event) {
      var item = event.target.closest(".sc-item");
      if (item) mark(item);
      if (event.target.type === "file") {
        if (event.target.files.length) upload(event.target);
      } else {
        later();
      }
    });
    var all = form.querySelector("[data-all-pass]");
    if (all) {
      all.addEventListener("click", function () {
        form.querySelectorAll(".sc-item").forEach(function (item) {
          if (!item.querySelector("input[type=radio]:checked")) {
            var pass = item.querySelector('input[type=radio][value="passed"]');
            if (pass) { pass.checked = true; mark(item); }
          }
        });
        later();
      });
    }
    form.classList.add("sc-ready");
    form.dataset.ready = "1";
  }

  function trend() {
    var holder = document.getElementById("insp-trend");
    var source = document.getElementById("insp-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.series.length) return;
    var chart = echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 48, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      // The axis name starts at the axis and runs right: centred, a long one is cut at the edge.
      yAxis: { type: "value", max: 100, name: data.label, nameTextStyle: { align: "left" },
        min: function (range) { return Math.max(0, Math.floor(range.min / 10) * 10 - 10); } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.drawn = "1";
  }

  document.querySelectorAll("form[data-autosave]").forEach(autosave);
  trend();
})();
