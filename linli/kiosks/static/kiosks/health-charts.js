// Line charts of the resident's readings (ECharts, vendored). Large text; larger in senior mode.
(function () {
  "use strict";
  var data = document.getElementById("health-charts");
  if (!data || !window.echarts) return;
  var charts = JSON.parse(data.textContent);
  var senior = document.documentElement.classList.contains("elderly");
  var font = senior ? 18 : 14;
  var colours = ["#b4232a", "#1a5fb4", "#0b6e4f"];
  charts.forEach(function (chart) {
    var el = document.querySelector('[data-chart="' + chart.id + '"]');
    if (!el) return;
    var view = window.echarts.init(el, null, { renderer: "svg" });
    view.setOption({
      animation: false,
      color: colours,
      textStyle: { fontSize: font },
      grid: { left: 8, right: 16, top: chart.series.length > 1 ? 40 : 16, bottom: 8, containLabel: true },
      legend: chart.series.length > 1 ? { top: 0, textStyle: { fontSize: font } } : undefined,
      tooltip: { trigger: "axis", textStyle: { fontSize: font } },
      xAxis: { type: "time", axisLabel: { fontSize: font - 2, hideOverlap: true } },
      yAxis: { type: "value", scale: true, axisLabel: { fontSize: font - 2 } },
      series: chart.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, symbolSize: senior ? 9 : 6,
                 lineStyle: { width: senior ? 3 : 2 } };
      })
    });
    window.addEventListener("resize", function () { view.resize(); });
  });
})();
