// Analysis charts (ASM-5): each canvas reads its data from a json_script element
// (no inline script, CSP), drawn with Chart.js from npm. Colours always come with the
// labels in the legend and the tables beside them, never colour alone.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function bar(canvasId, config) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") return;
    canvas.chart = new Chart(canvas, config);
  }
  var BLUE = "#1d4ed8", GREY = "#6b7280";
  var PALETTE = ["#1d4ed8", "#7c3aed", "#0f766e", "#b45309", "#be123c", "#4b5563"];
  document.addEventListener("DOMContentLoaded", function () {
    var main = data("analysis-chart");
    if (main) {
      bar("progress-chart", {
        type: "bar",
        data: {
          labels: main.labels,
          datasets: main.series.map(function (s) {
            return { label: s.label, data: s.data, backgroundColor: s.colour };
          })
        },
        options: { animation: false, indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } }
      });
      bar("gap-chart", {
        type: "bar",
        data: {
          labels: main.gaps.labels,
          datasets: [
            { label: "Group: % on or above target", data: main.gaps.group, backgroundColor: BLUE },
            { label: "Others: % on or above target", data: main.gaps.others, backgroundColor: GREY }
          ]
        },
        options: { animation: false, scales: { y: { min: 0, max: 100 } } }
      });
    }
    var moved = data("movement-data");
    if (moved) {
      bar("movement-chart", {
        type: "bar",
        data: {
          labels: moved.rows.map(function (r) { return r.label; }),
          datasets: [
            { label: "Moved up", data: moved.rows.map(function (r) { return r.up; }), backgroundColor: "#1a7f37" },
            { label: "Stayed", data: moved.rows.map(function (r) { return r.same; }), backgroundColor: "#b7791f" },
            { label: "Moved down", data: moved.rows.map(function (r) { return r.down; }), backgroundColor: "#c62828" }
          ]
        },
        options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true } } }
      });
    }
    var matrix = data("matrix-data");
    if (matrix) {
      bar("matrix-chart", {
        type: "bar",
        data: {
          labels: matrix.rows.map(function (r) { return r.label; }),
          datasets: matrix.columns.map(function (c, i) {
            return {
              label: c.label,
              data: matrix.rows.map(function (r) { return r.cells[i].count; }),
              backgroundColor: PALETTE[i % PALETTE.length]
            };
          })
        },
        options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true } } }
      });
    }
    var trust = data("trust-chart-data");
    if (trust) {
      bar("trust-chart", {
        type: "bar",
        data: {
          labels: trust.labels,
          datasets: trust.series.map(function (s, i) {
            return { label: s.label + ": % on or above target", data: s.data, backgroundColor: PALETTE[i % PALETTE.length] };
          })
        },
        options: { animation: false, scales: { y: { min: 0, max: 100 } } }
      });
    }
  });
})();
