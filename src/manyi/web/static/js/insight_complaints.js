// The complaint analysis page's charts (ECharts, served by manyi): the trend against the same
// period last year, and the bars by the chosen dimension. Clicking a point or a bar opens the
// workbench with those cases. The figures are embedded in the page (#ia-data); no inline script.
(function () {
  "use strict";

  function go(url) {
    if (url) window.location.href = url;
  }

  function trendOption(data) {
    var t = data.trend;
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.current, data.labels.last_year] },
      grid: { left: 48, right: 24, top: 40, bottom: 32 },
      xAxis: { type: "category", data: t.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.labels.current, type: "line", data: t.current, color: "#b3261e" },
        { name: data.labels.last_year, type: "line", data: t.previous, color: "#8f959e",
          lineStyle: { type: "dashed" } },
      ],
    };
  }

  function barsOption(data) {
    var b = data.bars;
    var series = [{ name: data.labels.current, type: "bar", data: b.current, color: "#b3261e" }];
    if (b.previous) {
      series.push({ name: data.labels.previous, type: "bar", data: b.previous, color: "#c9cdd4" });
    }
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: series.map(function (s) { return s.name; }) },
      grid: { left: 140, right: 24, top: 40, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: b.labels, inverse: true },
      series: series,
    };
  }

  function draw(data) {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var kind = el.dataset.chart;
      chart.setOption(kind === "trend" ? trendOption(data) : barsOption(data));
      chart.on("click", function (params) {
        var urls = kind === "trend" ? data.trend.urls : data.bars.urls;
        go(urls[params.dataIndex]);
      });
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("ia-data");
    if (!data || !window.echarts) return;
    draw(JSON.parse(data.textContent));
  });
})();
