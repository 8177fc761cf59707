// The cockpit's trend chart (ECharts, served by manyi): mean and 90th-percentile wait in
// minutes, the target, and the service level on a second axis. Data comes from the page's
// embedded JSON (no inline script: CSP script-src 'self').
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("cockpit-trend");
    var source = document.getElementById("cockpit-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder, null, { renderer: "svg" });
    holder.dataset.drawn = "1";
    var target = data.days.map(function () { return data.target_wait; });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.wait, data.labels.p90, data.labels.target, data.labels.level] },
      grid: { left: 48, right: 56, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.days },
      yAxis: [
        { type: "value", name: data.labels.wait, min: 0 },
        { type: "value", name: data.labels.level, min: 0, max: 100 },
      ],
      series: [
        { name: data.labels.wait, type: "line", data: data.wait, color: "#1664ff" },
        { name: data.labels.p90, type: "line", data: data.p90, color: "#8fb2ff",
          lineStyle: { type: "dashed" } },
        { name: data.labels.target, type: "line", data: target, color: "#b3261e", symbol: "none",
          lineStyle: { type: "dotted" } },
        { name: data.labels.level, type: "bar", data: data.level, yAxisIndex: 1,
          color: "rgba(46,125,50,0.35)" },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
