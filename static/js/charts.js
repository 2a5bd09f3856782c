/* Draw every Plotly chart on the page from its JSON data block (no inline script: the CSP forbids it).
 *
 *   <div class="chart" data-figure-id="ranking-figure"></div>
 *   <script type="application/json" id="ranking-figure">{"data": [...], "layout": {...}}</script>
 *
 * A JSON data block is never executed, so it passes the Content-Security-Policy.
 */
(function () {
  "use strict";

  // Bar charts and heatmaps need no selection tools, and nothing goes to Plotly's cloud: keep zoom and reset.
  // No picture download either: plotly.js renders it through a blob: image, which the CSP (img-src) refuses.
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: [
      "toImage", "select2d", "lasso2d", "pan2d", "zoomIn2d", "zoomOut2d", "sendChartToCloud", "downloadJson"
    ]
  };

  function draw(container) {
    var id = container.getAttribute("data-figure-id");
    var source = id && document.getElementById(id);
    if (!source) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      container.setAttribute("data-chart-error", "invalid figure");
      return;
    }
    var config = Object.assign({}, CONFIG, figure.config || {});
    window.Plotly.newPlot(container, figure.data || [], figure.layout || {}, config);
  }

  function drawAll() {
    if (!window.Plotly) {
      return;
    }
    var charts = document.querySelectorAll(".chart[data-figure-id]");
    for (var i = 0; i < charts.length; i += 1) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
