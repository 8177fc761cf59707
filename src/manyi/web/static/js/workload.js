// Teller workload: each teller's weighted served per day over 30 days, drawn with ECharts from
// the JSON the page carries (no inline script: CSP script-src 'self').
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("wl-chart");
    var source = document.getElementById("wl-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", name: data.weighted_label },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.weighted, connectNulls: false, symbolSize: 6 };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.drawn = "1";
  }

  draw();
})();
