// The prominent-issue tracker: a category's monthly complaints against its target path, drawn
// with ECharts from the JSON the page carries (no inline script: CSP script-src 'self').
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("ins-chart");
    var source = document.getElementById("ins-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(holder);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.count_label, type: "line", data: data.counts, symbolSize: 6 },
        { name: data.target_label, type: "line", data: data.targets, connectNulls: false,
          lineStyle: { type: "dashed" }, symbol: "none" },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.drawn = "1";
  }

  draw();
})();
