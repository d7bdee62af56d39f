// Draws every chart of a dashboard page: each <canvas data-chart="ID"> gets the Chart.js configuration in <script type="application/json" id="ID">.
// The numbers come from the server (hybrid_recsys.dashboard); nothing here computes them.
document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
  const spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  new Chart(canvas, spec);
});
