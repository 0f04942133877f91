// A pupil's practice over time (ASM-2): percentage right and seconds per answer, day by
// day, with Chart.js from npm (as the analysis charts). The data comes from a
// json_script element (no inline script: CSP); the table beside the chart has it too.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("practice-chart-data");
    var canvas = document.getElementById("practice-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "% right", data: data.accuracy, borderColor: "#1d4ed8", backgroundColor: "#1d4ed8", yAxisID: "y" },
          { label: "Seconds per answer", data: data.seconds, borderColor: "#b45309", backgroundColor: "#b45309", borderDash: [6, 4], yAxisID: "seconds" }
        ]
      },
      options: {
        animation: false,
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: "% right" } },
          seconds: { position: "right", min: 0, grid: { drawOnChartArea: false }, title: { display: true, text: "Seconds" } }
        }
      }
    });
  });
})();
