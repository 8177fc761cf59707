// The satisfaction page's charts (ECharts, served by manyi) and its clickable rows.
// Data comes from the page's JSON endpoint (data-src); no inline script (CSP script-src 'self').
(function () {
  "use strict";

  function rows(table) {
    table.querySelectorAll("tr[data-href]").forEach(function (tr) {
      tr.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;  // the link itself navigates
        window.location.href = tr.dataset.href;
      });
    });
  }

  function value(measure, scale) {
    return measure === null ? null : Math.round(measure.value * scale * 10) / 10;
  }

  function band(list, key, scale) {
    // [low, high − low] for a stacked area: the 95 % interval drawn under the line.
    return {
      low: list.map(function (r) { return r[key] && r[key].ci95 ? r[key].ci95[0] * scale : null; }),
      width: list.map(function (r) {
        return r[key] && r[key].ci95 ? (r[key].ci95[1] - r[key].ci95[0]) * scale : null;
      }),
    };
  }

  function trendOption(data, list, title) {
    var labels = list.map(function (r) { return r.label; });
    var csat = list.map(function (r) { return value(r.csat, 100); });
    var nps = list.map(function (r) { return value(r.nps, 1); });
    var ci = band(list, "csat", 100);
    var series = [
      { name: "ci-low", type: "line", data: ci.low, stack: "ci", symbol: "none",
        lineStyle: { opacity: 0 }, silent: true },
      { name: data.labels.csat + " 95%", type: "line", data: ci.width, stack: "ci", symbol: "none",
        color: "rgba(179,38,30,0.25)", lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(179,38,30,0.12)" }, silent: true },
      { name: data.labels.csat + " %", type: "line", data: csat, color: "#b3261e",
        connectNulls: false },
    ];
    if (title !== "pad") {
      series.push({ name: "NPS", type: "line", data: nps, yAxisIndex: 1, color: "#1664ff" });
    }
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: series.filter(function (s) { return s.name !== "ci-low"; })
        .map(function (s) { return s.name; }) },
      grid: { left: 48, right: 48, top: 40, bottom: 32 },
      xAxis: { type: "category", data: labels },
      yAxis: [
        { type: "value", min: 0, max: 100, name: "%" },
        { type: "value", min: -100, max: 100, name: "NPS", show: title !== "pad" },
      ],
      series: series,
    };
  }

  function rowsOption(data) {
    var list = data.rows.filter(function (r) { return r.csat !== null; });
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 140, right: 24, top: 16, bottom: 24 },
      xAxis: { type: "value", min: 0, max: 100, name: "%" },
      yAxis: { type: "category", data: list.map(function (r) { return r.label; }), inverse: true },
      series: [
        { type: "bar", name: data.labels.csat + " %",
          data: list.map(function (r) {
            return { value: value(r.csat, 100),
              itemStyle: { color: r.small ? "#c9cdd4" : "#b3261e" } };
          }) },
        { type: "custom", name: "95%", z: 5,
          renderItem: function (params, api) {
            var low = api.coord([api.value(0), api.value(2)]);
            var high = api.coord([api.value(1), api.value(2)]);
            return { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] },
              style: { stroke: "#1f2329", lineWidth: 2 } };
          },
          encode: { x: [0, 1], y: 2 },
          data: list.map(function (r, i) {
            return r.csat.ci95 ? [r.csat.ci95[0] * 100, r.csat.ci95[1] * 100, i] : [null, null, i];
          }) },
      ],
    };
  }

  function draw(data) {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var kind = el.dataset.chart;
      if (kind === "trend") chart.setOption(trendOption(data, data.trend, "surveys"));
      else if (kind === "pad") chart.setOption(trendOption(data, data.pad.trend, "pad"));
      else chart.setOption(rowsOption(data));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
      if (kind === "rows") {
        chart.on("click", function (params) {
          var withCsat = data.rows.filter(function (r) { return r.csat !== null; });
          var row = withCsat[params.dataIndex];
          if (row && row.url) window.location.href = row.url;
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.q-table").forEach(rows);
    var data = document.getElementById("q-data");  // the page's figures, embedded by the server
    if (!data || !window.echarts) return;
    draw(JSON.parse(data.textContent));
  });
})();
